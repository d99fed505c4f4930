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
    /// Whether the run said that it waits past publisher sign-off: said once a run.
    told_go_live_pending: bool,
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

    /// A reading of a wait that goes on past publisher sign-off (`wait-until: complete`): when
    /// the preview is ready, what the run now waits for is a person's go-live, and the run says
    /// so, once, with how to give it.
    pub fn past_signoff(&mut self, reporter: &mut Reporter, state: &OperationState) {
        if self.told_go_live_pending || !state.is_preview_ready() {
            return;
        }
        self.told_go_live_pending = true;
        reporter.line(GO_LIVE_PENDING);
    }
}

/// What a wait past publisher sign-off says when the preview is ready.
pub const GO_LIVE_PENDING: &str = "publish-offer: the preview is ready; go-live is pending: \
    this run waits (wait-until: complete) until someone goes live; run command: go-live \
    (MARKETPLACE_COMMAND=go-live publish-offer outside CI) after reviewing the preview, or use \
    wait-until: preview to end here";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plain::Plain;

    #[test]
    fn go_live_pending_is_said_once_and_only_at_signoff() {
        let mut record = Record::default();
        let mut reporter = Reporter::new(Box::new(Plain::new(false)), None);
        let running = OperationState::with_status("Running");
        record.past_signoff(&mut reporter, &running);
        assert!(!record.told_go_live_pending);
        let signoff = OperationState::with_status("WaitingForPublisherReview");
        record.past_signoff(&mut reporter, &signoff);
        assert!(record.told_go_live_pending);
    }
}
