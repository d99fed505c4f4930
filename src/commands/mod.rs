//! The commands. Each ends in an [`Outcome`] from the table in [`crate::outcome`]; reporting it is
//! the caller's job.
//!
//! - `publish` / `go-live` ([`start`]): start the operation (or attach to the running one) and
//!   follow it.
//! - `wait`: follow an operation started earlier, from its URL.
//! - `cancel`: ask the service to cancel, and follow the cancellation.
//! - `status` / `validate` ([`inspect`]): read the offer's state without starting anything.

mod inspect;
mod start;

use std::time::Duration;

use tokio::time::Instant;

use crate::api::backend::{Backend, Cancellation, Handle};
use crate::api::error::ApiError;
use crate::api::model::{OperationState, OperationStatus};
use crate::api::{cpp, ingestion};
use crate::config::{Command, ConfigError, Settings};
use crate::interrupt::Interrupt;
use crate::outcome::{ExitPolicy, Outcome, Problem, Status, how_to_follow};
use crate::report::Reporter;
use crate::text::format_duration;
use crate::wait::WaitUntil;
use crate::wait::{Ended, Plan, wait};

/// Calls that start or prepare an operation retry at least this long, even with `timeout: 0`.
const MIN_CALL_BUDGET: Duration = Duration::from_secs(60);
/// `cancel-on-interrupt` must finish inside the runner's grace period (7.5 s to SIGTERM).
const CANCEL_ON_INTERRUPT_BUDGET: Duration = Duration::from_secs(5);
const CANCELED_ON_TIMEOUT: &str =
    "the time limit passed and the operation was canceled (cancel-on-timeout)";
/// How long `cancel-on-timeout` waits for the service to confirm.
const CANCEL_ON_TIMEOUT_BUDGET: Duration = Duration::from_secs(60);

pub struct Context<'a> {
    pub settings: &'a Settings,
    pub backend: Backend<'a>,
    pub reporter: &'a mut Reporter,
    pub interrupt: &'a Interrupt,
    pub started: Instant,
}

impl Context<'_> {
    pub fn policy(&self) -> ExitPolicy {
        ExitPolicy {
            on_timeout: self.settings.on_timeout,
            report_only: self.settings.command == Command::Status,
        }
    }

    /// When the wait ends: `timeout` after the start of the run.
    fn wait_deadline(&self) -> Instant {
        self.started + self.settings.timeout
    }

    /// The budget of calls before the wait: the time limit, but at least a minute.
    fn call_deadline(&self) -> Instant {
        self.started + self.settings.timeout.max(MIN_CALL_BUDGET)
    }

    fn outcome(&self, status: Status) -> Outcome {
        Outcome::new(status, self.policy())
    }

    /// `poll-interval`, raised to the shortest worth using with the API (1 s for CPP, 10 s for
    /// the product ingestion API), except on loopback where tests and the sandbox run.
    pub(super) fn poll_interval(&self) -> Duration {
        let asked = self.settings.poll_interval;
        let chosen = effective_poll_interval(
            asked,
            self.backend.min_poll_interval(),
            self.backend_is_loopback(),
        );
        if chosen != asked {
            tracing::info!(
                "poll-interval {} is raised to {}, the shortest worth using with the {} API",
                format_duration(asked),
                format_duration(chosen),
                self.backend.api_name()
            );
        }
        chosen
    }

    fn backend_is_loopback(&self) -> bool {
        let url = match self.backend {
            Backend::Cpp(_) => &self.settings.api_url,
            Backend::Ingestion(_) => &self.settings.ingestion_url,
        };
        crate::config::is_loopback(url)
    }
}

/// Runs the configured command. A signal stops it wherever it is; the outcome is then
/// `interrupted`, with what the reporter has seen so far (the operation, the last state).
pub async fn run(context: &mut Context<'_>) -> Outcome {
    let interrupt = context.interrupt.clone();
    let signal = match interrupt.guard(dispatch(context)).await {
        Ok(outcome) => return outcome,
        Err(signal) => signal,
    };
    let operation = context.reporter.last_operation().cloned();
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
        state: context.reporter.last_state().cloned(),
        operation,
        attached: context.reporter.attached(),
        note: Some(note),
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
        Command::Publish => start::publish(context).await,
        Command::GoLive => start::go_live(context).await,
        Command::Wait => resume(context).await,
        Command::Cancel => cancel(context).await,
        Command::Status => inspect::status(context).await,
        Command::Validate => inspect::validate(context).await,
    }
}

/// Follows `handle` until the wait ends, and turns how it ended into an outcome. With
/// `timeout: 0` an operation just started is not read at all; one resumed (`wait`) is read once.
async fn follow(context: &mut Context<'_>, handle: &Handle, attached: bool) -> Outcome {
    let operation = handle.reference();
    context.reporter.operation(&operation, attached);

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
    let plan = Plan {
        deadline: context.wait_deadline(),
        poll_interval,
        wait_until: settings.wait_until,
    };
    let ended = wait(&context.backend, handle, &plan, context.reporter).await;
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
        (Status::Succeeded | Status::Failed, true) => {
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
    let ended = wait(&context.backend, &watched, &plan, context.reporter).await;
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

/// `rejected` when the service refused to start (or cancel) something, 400/404/409/422 on that
/// very request; `error` for everything else, a refused token included.
fn failure_status(error: &ApiError) -> Status {
    let starting = [
        cpp::PUBLISH_CALL,
        cpp::GO_LIVE_CALL,
        cpp::CANCEL_CALL,
        ingestion::CONFIGURE_CALL,
        ingestion::CANCEL_JOB_CALL,
    ];
    match error.status() {
        Some(400 | 404 | 409 | 422) if starting.contains(&error.call()) => Status::Rejected,
        _ => Status::Error,
    }
}

/// The poll interval asked for, raised to the service's minimum unless the service is on
/// loopback (tests, the sandbox).
pub fn effective_poll_interval(asked: Duration, minimum: Duration, loopback: bool) -> Duration {
    if loopback { asked } else { asked.max(minimum) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_interval_is_raised_to_the_service_minimum_except_on_loopback() {
        let ten = Duration::from_secs(10);
        let asked = Duration::from_secs(2);
        assert_eq!(effective_poll_interval(asked, ten, false), ten);
        assert_eq!(effective_poll_interval(asked, ten, true), asked);
        assert_eq!(
            effective_poll_interval(Duration::from_secs(30), ten, false),
            Duration::from_secs(30)
        );
    }
}
