//! Following an operation: the wait, the outcome of how it ended (from the outcome table), and
//! `cancel-on-timeout` when the time limit passes.

use std::time::Duration;

use tokio::time::Instant;

use super::context::Context;
use crate::api::backend::{Cancellation, Handle};
use crate::api::model::{OperationState, OperationStatus};
use crate::config::Command;
use crate::config::duration::format_duration;
use crate::outcome::{Outcome, Problem, Status, how_to_follow};
use crate::wait::WaitUntil;
use crate::wait::{Ended, Plan};

const CANCELED_ON_TIMEOUT: &str =
    "the time limit passed and the operation was canceled (cancel-on-timeout)";
/// How long `cancel-on-timeout` waits for the service to confirm.
const CANCEL_ON_TIMEOUT_BUDGET: Duration = Duration::from_secs(60);

/// Follows `handle` until the wait ends, and turns how it ended into an outcome. With
/// `timeout: 0` an operation just started is not read at all; one resumed (`wait`) is read once.
pub(super) async fn follow(context: &mut Context<'_>, handle: &Handle, attached: bool) -> Outcome {
    follow_from(context, handle, attached, None).await
}

/// As [`follow`], with the state the answer that started the operation told (`first`): an end
/// there is the outcome, whatever the timeout, and nothing is read again.
pub(super) async fn follow_from(
    context: &mut Context<'_>,
    handle: &Handle,
    attached: bool,
    first: Option<OperationState>,
) -> Outcome {
    let operation = handle.reference();
    context.record.found(context.reporter, &operation, attached);
    if let Some(state) = first.filter(|state| state.status.is_terminal()) {
        context.record.read(context.reporter, &state);
        let mut outcome = outcome_of(context, Ended::Terminal(state));
        outcome.operation = Some(operation);
        outcome.attached = attached;
        return outcome;
    }

    let settings = context.settings;
    if settings.timeout.is_zero() && settings.command != Command::Wait {
        let note = format!(
            "timeout is 0: not waiting; {}",
            how_to_follow(Some(&operation))
        );
        return Outcome {
            operation: Some(operation),
            attached,
            note: Some(note),
            ..context.outcome(Status::Running)
        };
    }

    let poll_interval = context.poll_interval();
    if !settings.timeout.is_zero() {
        tracing::info!(
            "waiting for the operation (time limit {}, polling every {})",
            format_duration(settings.timeout),
            format_duration(poll_interval)
        );
    }
    // A go-live ends live: a reading of the preview at sign-off (the offer's status before the
    // go-live took effect) is not its end, whatever `wait-until` says for a publish.
    let wait_until = if settings.command == Command::GoLive {
        WaitUntil::Complete
    } else {
        settings.wait_until
    };
    let plan = Plan {
        deadline: context.wait_deadline(),
        poll_interval,
        wait_until,
    };
    let ended = context.wait(handle, &plan).await;
    let mut outcome = outcome_of(context, ended);
    outcome.operation = Some(operation);
    outcome.attached = attached;

    if outcome.status == Status::Running && outcome.timed_out && settings.cancel_on_timeout {
        cancel_after_timeout(context, handle, &mut outcome).await;
    }
    outcome
}

/// The outcome of a finished wait, from the outcome table.
fn outcome_of(context: &Context<'_>, ended: Ended) -> Outcome {
    let settings = context.settings;
    match ended {
        Ended::Terminal(state) => {
            let status = match state.status {
                OperationStatus::Succeeded => Status::Succeeded,
                OperationStatus::Canceled => Status::Canceled,
                OperationStatus::PreviewReady => Status::PreviewReady,
                _ => Status::Failed,
            };
            let note = (status == Status::PreviewReady)
                .then(|| "the preview is ready; go live with command: go-live".to_owned());
            Outcome {
                state: Some(state),
                note,
                ..context.outcome(status)
            }
        }
        Ended::PreviewReady(state) => Outcome {
            state: Some(state),
            note: Some("the preview is ready; go live with command: go-live".to_owned()),
            ..context.outcome(Status::PreviewReady)
        },
        Ended::TimedOut {
            last,
            error: None,
            late_error,
        } => Outcome {
            state: last,
            timed_out: true,
            note: Some(format!(
                "the time limit of {} passed with the operation still running",
                format_duration(settings.timeout)
            )),
            // Reported as a warning: the status was read a moment before.
            problem: late_error.as_ref().map(Problem::from),
            ..context.outcome(Status::Running)
        },
        Ended::TimedOut {
            last,
            error: Some(error),
            ..
        } => Outcome {
            note: Some(format!(
                "the status could not be read before the time limit of {}{}",
                format_duration(settings.timeout),
                last.as_ref()
                    .map(|state| format!("; it was last seen {}", state.status_text))
                    .unwrap_or_default()
            )),
            state: last,
            timed_out: true,
            problem: Some(Problem::from(&error)),
            ..context.outcome(Status::Unknown)
        },
        Ended::Failed { last, error } => Outcome {
            state: last,
            problem: Some(Problem::from(&error)),
            ..context.outcome(Status::Error)
        },
    }
}

/// `cancel-on-timeout`: ask the service to cancel; `canceled` once it confirms. An operation that
/// ends on its own meanwhile is reported as it ended.
async fn cancel_after_timeout(context: &mut Context<'_>, handle: &Handle, outcome: &mut Outcome) {
    context
        .reporter
        .line("publish-offer: the time limit passed; asking the service to cancel the operation (cancel-on-timeout)");
    let deadline = Instant::now() + CANCEL_ON_TIMEOUT_BUDGET;
    let emails = &context.settings.notification_emails;
    let (watched, is_the_operation) =
        match context.backend.cancel(Some(handle), emails, deadline).await {
            Ok(Cancellation::Done) => {
                outcome.status = Status::Canceled;
                outcome.note = Some(CANCELED_ON_TIMEOUT.to_owned());
                return;
            }
            Ok(Cancellation::Follow(cancellation)) => (cancellation, false),
            Ok(Cancellation::Operation(operation)) => (operation, true),
            Err(error) => {
                // The service may refuse because the operation has just ended: look once more.
                match context.backend.poll(handle, deadline).await {
                    Ok(polled) if polled.state.status.is_terminal() => {
                        report_ended_meanwhile(context, polled.state, outcome);
                    }
                    _ => {
                        outcome.note = Some(format!(
                            "the time limit passed and the cancel request failed: {error}"
                        ));
                    }
                }
                return;
            }
        };
    let plan = Plan {
        deadline,
        poll_interval: context.poll_interval().min(Duration::from_secs(10)),
        wait_until: WaitUntil::Complete,
    };
    let ended = context.wait(&watched, &plan).await;
    match ended {
        Ended::Terminal(state) if is_the_operation => {
            report_ended_meanwhile(context, state, outcome);
        }
        Ended::Terminal(state) if state.status != OperationStatus::Failed => {
            outcome.status = Status::Canceled;
            outcome.note = Some(CANCELED_ON_TIMEOUT.to_owned());
        }
        _ => {
            outcome.note = Some(
                "the time limit passed; a cancel was requested but not yet confirmed".to_owned(),
            );
        }
    }
}

/// The operation reached `state` (an end) after the time limit: it is reported as it ended.
fn report_ended_meanwhile(context: &Context<'_>, state: OperationState, outcome: &mut Outcome) {
    let ended = outcome_of(context, Ended::Terminal(state));
    outcome.note = Some(if ended.status == Status::Canceled {
        CANCELED_ON_TIMEOUT.to_owned()
    } else {
        format!(
            "the time limit passed; the operation ended {} before the cancel took effect",
            ended.status
        )
    });
    outcome.status = ended.status;
    outcome.state = ended.state;
    outcome.timed_out = false;
}
