//! The commands. Each ends in an [`Outcome`] from the table in [`crate::outcome`]; reporting it is
//! the caller's job.
//!
//! - `publish` / `go-live` (`start`): start the operation (or attach to the running one) and
//!   follow it.
//! - `update` (`update`): change the draft as the image inputs ask, and stop; `publish` makes
//!   the same change first when they are given, and publishes only once it is read back.
//! - `wait`: follow an operation started earlier, from its URL.
//! - `cancel`: ask the service to cancel, and follow the cancellation.
//! - `status` / `validate` (`inspect`): read the offer's state without starting anything.
//!
//! Beside them: `context` (what a command runs with), `follow` (the wait and its outcome,
//! `cancel-on-timeout`) and `record` (what the run has seen, for the outcome after a signal).

mod context;
mod follow;
mod inspect;
mod record;
mod start;
mod update;

use std::time::Duration;

use tokio::time::Instant;

use crate::api::backend::{Cancellation, Handle};
use crate::config::{Command, ConfigError};
use crate::outcome::{Outcome, Problem, Status};
use follow::follow;
use start::failure_status;

pub use context::{Context, effective_poll_interval};
pub use record::Record;

/// `cancel-on-interrupt` must finish inside the runner's grace period (7.5 s to SIGTERM).
const CANCEL_ON_INTERRUPT_BUDGET: Duration = Duration::from_secs(5);

/// Runs the configured command. A signal stops it wherever it is; the outcome is then
/// `interrupted`, with what the run has seen so far (the operation, the last state).
pub async fn run(context: &mut Context<'_>) -> Outcome {
    let interrupt = context.interrupt.clone();
    let signal = match interrupt.guard(dispatch(context)).await {
        Ok(outcome) => {
            return Outcome {
                draft: context.record.draft().cloned(),
                ..outcome
            };
        }
        Err(signal) => signal,
    };
    let operation = context.record.operation().cloned();
    let starting = matches!(context.settings.command, Command::Publish | Command::GoLive);
    let note = match &operation {
        None if starting => format!(
            "{} stopped the run before an operation was known; a request to start one may have \
             reached the service: check with command: status",
            signal.name()
        ),
        _ => format!("{} stopped the run", signal.name()),
    };
    let mut outcome = Outcome {
        state: context.record.state().cloned(),
        operation,
        attached: context.record.attached(),
        note: Some(note),
        draft: context.record.draft().cloned(),
        ..context.outcome(Status::Interrupted(signal))
    };
    if context.settings.cancel_on_interrupt {
        // The runner kills soon after the signal: the outputs go out before the cancel request.
        context.reporter.outputs(&outcome);
        cancel_after_interrupt(context, &mut outcome).await;
    }
    outcome
}

async fn dispatch(context: &mut Context<'_>) -> Outcome {
    match context.settings.command {
        // With the image inputs, the draft is changed first; nothing is published after a
        // refused or failed change.
        Command::Publish => match update::change_draft(context).await {
            Ok(()) => start::publish(context).await,
            Err(outcome) => *outcome,
        },
        Command::Update => update::update(context).await,
        Command::GoLive => start::go_live(context).await,
        Command::Wait => resume(context).await,
        Command::Cancel => cancel(context).await,
        Command::Status => inspect::status(context).await,
        Command::Validate => inspect::validate(context).await,
    }
}

/// `command: wait`: resume following an operation from an earlier step or job.
async fn resume(context: &mut Context<'_>) -> Outcome {
    let Some(url) = context.settings.operation_url.clone() else {
        unreachable!("validated: wait needs operation-url")
    };
    context
        .reporter
        .line(&format!("publish-offer: waiting on operation {url}"));
    let Some(handle) = context.backend.handle_for(&url) else {
        return not_an_operation(context);
    };
    follow(context, &handle, false).await
}

/// `operation-url` is on the API but names no operation of it: bad input, refused before any
/// request with it.
fn not_an_operation(context: &Context<'_>) -> Outcome {
    Outcome::invalid_input(&ConfigError::new(format!(
        "operation-url: names no operation of the {} API: expected {} (the operation-url \
         output of the step that started it)",
        context.backend.api_name(),
        context.backend.operation_url_shapes()
    )))
}

/// `command: cancel`: ask the service to cancel the running operation and follow the
/// cancellation. The outcome describes the cancel: `succeeded` once it took effect, `rejected`
/// when the operation ended on its own first.
async fn cancel(context: &mut Context<'_>) -> Outcome {
    context.reporter.line(&format!(
        "publish-offer: canceling the running operation of {}",
        context.reporter.subject()
    ));
    let deadline = context.call_deadline();
    let emails = &context.settings.notification_emails;
    let running = match &context.settings.operation_url {
        Some(url) => match context.backend.handle_for(url) {
            Some(handle) => Some(handle),
            None => return not_an_operation(context),
        },
        None => None,
    };
    let cancellation = match context
        .backend
        .cancel(running.as_ref(), emails, deadline)
        .await
    {
        Ok(cancellation) => cancellation,
        Err(error) => {
            return Outcome {
                problem: Some(Problem::from(&error)),
                ..context.outcome(failure_status(&error))
            };
        }
    };
    let (handle, is_the_operation) = match cancellation {
        Cancellation::Done => {
            return Outcome {
                note: Some("the service canceled the operation".to_owned()),
                ..context.outcome(Status::Succeeded)
            };
        }
        Cancellation::Follow(handle) => (handle, false),
        Cancellation::Operation(handle) => (handle, true),
    };
    let mut outcome = follow(context, &handle, false).await;
    match (outcome.status, is_the_operation) {
        (Status::Canceled, _) | (Status::Succeeded, false) => {
            outcome.status = Status::Succeeded;
            outcome.note = Some("the operation was canceled".to_owned());
        }
        (Status::Succeeded | Status::PreviewReady | Status::Failed, true) => {
            outcome.note = Some(format!(
                "the operation ended {} before the cancel could take effect",
                outcome.status
            ));
            outcome.status = Status::Rejected;
        }
        _ => {}
    }
    outcome
}

/// `cancel-on-interrupt`: one cancel request for the operation the run knows of, within the
/// runner's grace period. The status stays `interrupted`; the note says whether the service took
/// the request.
async fn cancel_after_interrupt(context: &mut Context<'_>, outcome: &mut Outcome) {
    let Some(operation) = &outcome.operation else {
        let prefix = outcome.note.take().unwrap_or_default();
        outcome.note = Some(format!(
            "{prefix}; no operation was known, so none was canceled"
        ));
        return;
    };
    let handle = operation
        .url
        .as_ref()
        .and_then(|url| context.backend.handle_for(url))
        .unwrap_or(Handle::OfferStatus);
    let deadline = Instant::now() + CANCEL_ON_INTERRUPT_BUDGET;
    let emails = &context.settings.notification_emails;
    let result = tokio::time::timeout(
        CANCEL_ON_INTERRUPT_BUDGET,
        context.backend.cancel(Some(&handle), emails, deadline),
    )
    .await;
    let said = match result {
        Ok(Ok(_)) => "the service accepted the cancel request (cancel-on-interrupt)".to_owned(),
        Ok(Err(error)) => format!("the cancel request failed: {error}"),
        Err(_) => "the cancel request got no answer within 5s".to_owned(),
    };
    let prefix = outcome.note.take().unwrap_or_default();
    outcome.note = Some(format!("{prefix}; {said}"));
}
