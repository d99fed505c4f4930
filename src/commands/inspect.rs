//! `status` and `validate`: read the offer's state, start nothing.

use super::context::Context;
use crate::api::model::{OperationState, OperationStatus};
use crate::outcome::{Outcome, Problem, Status};

/// The offer's state on the outcome table: `Running` -> running, `Succeeded` -> succeeded,
/// `WaitingForPublisherReview` (or a running operation at publisher sign-off) -> preview-ready,
/// `NeverPublished` / `NotStarted` -> not-started.
pub fn offer_status(state: &OperationState) -> Status {
    match &state.status {
        _ if state.is_preview_ready() => Status::PreviewReady,
        OperationStatus::Running => Status::Running,
        OperationStatus::Succeeded => Status::Succeeded,
        OperationStatus::Failed => Status::Failed,
        OperationStatus::Canceled => Status::Canceled,
        OperationStatus::WaitingForPublisherReview | OperationStatus::PreviewReady => {
            Status::PreviewReady
        }
        OperationStatus::NeverPublished | OperationStatus::NotStarted => Status::NotStarted,
        OperationStatus::Unknown(_) => Status::Unknown,
    }
}

async fn read(context: &mut Context<'_>) -> Result<OperationState, Outcome> {
    let deadline = context.call_deadline();
    context
        .backend
        .offer_state(deadline)
        .await
        .map(|polled| polled.state)
        .map_err(|error| Outcome {
            problem: Some(Problem::from(&error)),
            ..context.outcome(Status::Error)
        })
}

/// `command: status`: the offer's state and steps, as outputs and summary; exit 0 whatever the
/// state (1 only when it cannot be read).
pub async fn status(context: &mut Context<'_>) -> Outcome {
    context.reporter.line(&format!(
        "publish-offer: reading the status of offer {}",
        context.reporter.subject()
    ));
    let state = match read(context).await {
        Ok(state) => state,
        Err(outcome) => return outcome,
    };
    context.record.read(context.reporter, &state);
    let status = offer_status(&state);
    // CPP says `running` for an operation that waits at sign-off: the note says what the
    // status means, not a word that contradicts it.
    let note = if status == Status::PreviewReady {
        "the preview is ready and go-live is pending; go live with command: go-live".to_owned()
    } else {
        format!("the offer's status is {}", state.status_text)
    };
    Outcome {
        note: Some(note),
        offer_status: Some(state.status_text.clone()),
        state: Some(state),
        ..context.outcome(status)
    }
}

/// `command: validate`: proves the credentials, the publisher and the offer by getting a token
/// and reading the offer's status. Nothing is started.
pub async fn validate(context: &mut Context<'_>) -> Outcome {
    context.reporter.line(&format!(
        "publish-offer: validating credentials and offer {} (nothing is published)",
        context.reporter.subject()
    ));
    match read(context).await {
        Ok(state) => Outcome {
            note: Some(format!(
                "the credentials work and the offer exists; its status is {}",
                state.status_text
            )),
            offer_status: Some(state.status_text.clone()),
            state: Some(state),
            ..context.outcome(Status::Succeeded)
        },
        Err(outcome) => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_statuses_map_onto_the_table() {
        for (service, expected) in [
            ("Running", Status::Running),
            ("Succeeded", Status::Succeeded),
            ("Failed", Status::Failed),
            ("Canceled", Status::Canceled),
            ("WaitingForPublisherReview", Status::PreviewReady),
            ("NeverPublished", Status::NotStarted),
            ("NotStarted", Status::NotStarted),
            ("Mystery", Status::Unknown),
        ] {
            assert_eq!(
                offer_status(&OperationState::with_status(service)),
                expected,
                "{service}"
            );
        }
    }
}
