//! The offer's current operation, found without its URL: `attach` (a publish refused because one
//! runs) and `wait` without `operation-url` (a watcher that stored nothing between runs) find it
//! the same way. When none runs, `wait` reports the offer's last outcome once and ends by it.

use tokio::time::Instant;

use super::context::Context;
use super::follow::follow;
use super::inspect::offer_status;
use crate::api::backend::Handle;
use crate::api::error::ApiError;
use crate::api::model::{OperationState, OperationStatus};
use crate::outcome::{Outcome, Problem, Status};

/// What runs on the offer now.
pub(super) enum Current {
    /// An operation runs: its URL when the service lists it, else the offer's status.
    Running(Handle),
    /// Nothing runs: the offer's state (its last outcome), or why it could not be read.
    Idle(Result<OperationState, ApiError>),
}

/// The running operation as the service lists it (CPP: the running operations; ingestion: a
/// submission in progress); failing that, the offer's status while it says running.
pub(super) async fn current_operation(context: &mut Context<'_>, deadline: Instant) -> Current {
    match context.backend.find_running(deadline).await {
        Ok(Some(handle)) => return Current::Running(handle),
        Ok(None) => {}
        Err(error) => tracing::warn!("{error}; trying the offer's status instead"),
    }
    match context.backend.offer_state(deadline).await {
        Ok(polled) if polled.state.status == OperationStatus::Running => {
            Current::Running(Handle::OfferStatus)
        }
        Ok(polled) => Current::Idle(Ok(polled.state)),
        Err(error) => Current::Idle(Err(error)),
    }
}

/// What `handle` follows, for the log: `<id> <url>` of an operation, or the offer's status.
pub(super) fn describe(handle: &Handle) -> String {
    let operation = handle.reference();
    match (handle, &operation.url) {
        (Handle::OfferStatus, _) => {
            "the running publish through the offer's status (its operation URL is not known)"
                .to_owned()
        }
        (_, Some(url)) => format!("{} {url}", operation.id),
        (_, None) => operation.id,
    }
}

/// `command: wait` without `operation-url`: follows the offer's current operation like a `wait`
/// on its URL; when none runs, reads the offer's state once and ends by its last outcome
/// (preview-ready and live exit 0, failed 1: the outcome table), so a scheduled watcher needs
/// no operation URL stored between runs.
pub(super) async fn wait_for_offer(context: &mut Context<'_>) -> Outcome {
    context.reporter.line(&format!(
        "publish-offer: waiting on the current operation of offer {}",
        context.reporter.subject()
    ));
    let deadline = context.call_deadline();
    let state = match current_operation(context, deadline).await {
        Current::Running(handle) => {
            context
                .reporter
                .line(&format!("publish-offer: following {}", describe(&handle)));
            return follow(context, &handle, false).await;
        }
        Current::Idle(Ok(state)) => state,
        Current::Idle(Err(error)) => {
            return Outcome {
                problem: Some(Problem::from(&error)),
                ..context.outcome(Status::Error)
            };
        }
    };
    context.record.read(context.reporter, &state);
    let status = offer_status(&state);
    Outcome {
        note: Some(last_outcome_note(status, &state.status_text)),
        state: Some(state),
        ..context.outcome(status)
    }
}

/// What the last outcome means, for the log and the summary.
fn last_outcome_note(status: Status, service_said: &str) -> String {
    let what = match status {
        Status::PreviewReady => {
            "the last publish reached preview-ready; go live with command: go-live"
        }
        Status::Succeeded => "the last operation succeeded: the offer is live",
        Status::Failed => "the last operation failed",
        Status::Canceled => "the last operation was canceled",
        Status::NotStarted => "the offer was never published",
        _ => "its last outcome is not one this tool knows",
    };
    format!("no operation is running on the offer; {what} (the offer's status is {service_said})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_the_last_outcome_and_what_the_service_said() {
        let note = last_outcome_note(Status::PreviewReady, "WaitingForPublisherReview");
        assert!(note.contains("preview-ready; go live"), "{note}");
        assert!(note.ends_with("(the offer's status is WaitingForPublisherReview)"));
        assert!(last_outcome_note(Status::Succeeded, "Succeeded").contains("is live"));
        assert!(last_outcome_note(Status::Failed, "Failed").contains("failed"));
        assert!(last_outcome_note(Status::NotStarted, "NeverPublished").contains("never"));
    }
}
