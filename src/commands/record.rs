//! What the run has seen of the operation: kept here, by the commands, for an outcome that must
//! be told without the command's help (a signal drops the command wherever it is). The reporter
//! only shows readings; it does not remember them for anyone.

use crate::api::backend::OperationRef;
use crate::api::model::OperationState;
use crate::outcome::DraftReport;
use crate::report::Reporter;

#[derive(Debug, Default)]
pub struct Record {
    /// The operation started, attached to or resumed, and whether it was already running.
    operation: Option<(OperationRef, bool)>,
    /// The last state read.
    state: Option<OperationState>,
    /// The draft change, once it is known what it came to.
    draft: Option<DraftReport>,
}

impl Record {
    pub fn operation(&self) -> Option<&OperationRef> {
        self.operation.as_ref().map(|(operation, _)| operation)
    }

    /// Whether the operation was already running when the run found it.
    pub fn attached(&self) -> bool {
        self.operation
            .as_ref()
            .is_some_and(|(_, attached)| *attached)
    }

    pub fn draft(&self) -> Option<&DraftReport> {
        self.draft.as_ref()
    }

    /// What the draft change came to, for every outcome from here on.
    pub fn drafted(&mut self, draft: DraftReport) {
        self.draft = Some(draft);
    }

    pub fn state(&self) -> Option<&OperationState> {
        self.state.as_ref()
    }

    /// The operation is known: remembered, and its outputs set at once.
    pub fn found(&mut self, reporter: &mut Reporter, operation: &OperationRef, attached: bool) {
        self.operation = Some((operation.clone(), attached));
        reporter.operation(operation, attached);
    }

    /// A reading: shown (the steps that changed), and remembered as the last state.
    pub fn read(&mut self, reporter: &mut Reporter, state: &OperationState) {
        reporter.progress(state);
        self.state = Some(state.clone());
    }
}
