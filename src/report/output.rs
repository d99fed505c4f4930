//! The step outputs: their names, what each may hold, and their final values from an outcome.

use crate::api::value_kind::ValueKind;
use crate::outcome::{Outcome, Status};

/// The step outputs, one list for every CI system; each system spells the names its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Output {
    Status,
    OperationId,
    OperationUrl,
    TimedOut,
    FailedStep,
    OfferVersion,
    PreviewLinks,
    LiveLinks,
    Attached,
    OfferStatus,
    ImageVersion,
    DraftChanged,
}

impl Output {
    pub const ALL: [Output; 12] = [
        Output::Status,
        Output::OperationId,
        Output::OperationUrl,
        Output::TimedOut,
        Output::FailedStep,
        Output::OfferVersion,
        Output::PreviewLinks,
        Output::LiveLinks,
        Output::Attached,
        Output::OfferStatus,
        Output::ImageVersion,
        Output::DraftChanged,
    ];

    /// The GitHub name: `operation-id`.
    pub fn name(self) -> &'static str {
        match self {
            Output::Status => "status",
            Output::OperationId => "operation-id",
            Output::OperationUrl => "operation-url",
            Output::TimedOut => "timed-out",
            Output::FailedStep => "failed-step",
            Output::OfferVersion => "offer-version",
            Output::PreviewLinks => "preview-links",
            Output::LiveLinks => "live-links",
            Output::Attached => "attached",
            Output::OfferStatus => "offer-status",
            Output::ImageVersion => "image-version",
            Output::DraftChanged => "draft-changed",
        }
    }

    /// What this output holds when its value comes from the service; `None` for the values the
    /// program makes itself (status, timed-out, attached, draft-changed) or takes from the
    /// checked inputs (image-version, an `X.Y.Z` of digits).
    pub fn kind(self) -> Option<ValueKind> {
        match self {
            Output::Status
            | Output::TimedOut
            | Output::Attached
            | Output::ImageVersion
            | Output::DraftChanged => None,
            Output::OperationId => Some(ValueKind::OperationId),
            Output::OperationUrl => Some(ValueKind::OperationUrl),
            Output::FailedStep => Some(ValueKind::StepLabel),
            Output::OfferVersion => Some(ValueKind::OfferVersion),
            Output::PreviewLinks | Output::LiveLinks => Some(ValueKind::Link),
            Output::OfferStatus => Some(ValueKind::StatusWord),
        }
    }

    /// `value` as this output may hold it: a value (or, for links, a line) that does not fit
    /// the output's kind is left out, and the log says so without quoting it.
    pub fn confine(self, value: &str) -> String {
        let Some(kind) = self.kind() else {
            return value.to_owned();
        };
        let lines: Vec<&str> = value.lines().filter(|line| !line.is_empty()).collect();
        let kept: Vec<&str> = match kind {
            ValueKind::Link => lines
                .iter()
                .copied()
                .filter(|line| kind.fits(line))
                .collect(),
            _ => kind.accept(value).into_iter().collect(),
        };
        if kept.len() != lines.len() {
            tracing::warn!(
                "output {}: a value from the service is not a {kind:?} and is left out",
                self.name()
            );
        }
        kept.join("\n")
    }

    pub fn description(self) -> &'static str {
        match self {
            Output::Status => {
                "succeeded, preview-ready, running, not-started, failed, canceled, rejected, error, unknown, invalid-input or interrupted"
            }
            Output::OperationId => "id of the operation started, attached to or resumed",
            Output::OperationUrl => "absolute URL of the operation (for command: wait)",
            Output::TimedOut => "true when the time limit passed with the operation still running",
            Output::FailedStep => "id of the step that failed, else empty",
            Output::OfferVersion => "offer version the operation publishes",
            Output::PreviewLinks => "preview links, one per line",
            Output::LiveLinks => "live links, one per line",
            Output::Attached => "true when the run waited on an operation that was already running",
            Output::OfferStatus => {
                "the offer's status as the service reports it (command: status or validate)"
            }
            Output::ImageVersion => {
                "the image version put into the plan's draft (image inputs), else empty"
            }
            Output::DraftChanged => {
                "true when the run wrote the image version into the draft; false when it was already there or no change was made"
            }
        }
    }
}

/// Every output's final value.
pub fn output_values(outcome: &Outcome) -> Vec<(Output, String)> {
    let state = outcome.state.as_ref();
    let lines =
        |links: Option<&Vec<String>>| links.map(|links| links.join("\n")).unwrap_or_default();
    Output::ALL
        .iter()
        .map(|name| {
            let value = match name {
                Output::Status => outcome.status.as_str().to_owned(),
                Output::OperationId => outcome
                    .operation
                    .as_ref()
                    .map(|o| o.id.clone())
                    .unwrap_or_default(),
                Output::OperationUrl => outcome
                    .operation
                    .as_ref()
                    .and_then(|o| o.url.as_ref())
                    .map(|url| url.to_string())
                    .unwrap_or_default(),
                Output::TimedOut => outcome.timed_out.to_string(),
                Output::FailedStep => match outcome.status {
                    Status::Failed => state
                        .and_then(|s| s.failed_step())
                        .map(|step| {
                            if step.id.is_empty() {
                                step.name.clone()
                            } else {
                                step.id.clone()
                            }
                        })
                        .unwrap_or_default(),
                    _ => String::new(),
                },
                Output::OfferVersion => state
                    .and_then(|s| s.offer_version.clone())
                    .unwrap_or_default(),
                Output::PreviewLinks => lines(state.map(|s| &s.preview_links)),
                Output::LiveLinks => lines(state.map(|s| &s.live_links)),
                Output::Attached => outcome.attached.to_string(),
                Output::OfferStatus => outcome.offer_status.clone().unwrap_or_default(),
                Output::ImageVersion => outcome
                    .draft
                    .as_ref()
                    .map(|draft| draft.image_version.clone())
                    .unwrap_or_default(),
                Output::DraftChanged => outcome
                    .draft
                    .as_ref()
                    .is_some_and(|draft| draft.changed)
                    .to_string(),
            };
            (*name, name.confine(&value))
        })
        .collect()
}
