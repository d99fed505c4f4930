//! `publish` and `go-live`: start the operation, never twice.
//!
//! The start request is not idempotent, so it is sent again only when it certainly never reached
//! the service (the connection was refused; the service answered 429). When the service says an
//! operation already runs (409, or 400/422 saying so), or when the request may have reached it
//! (a timeout, a reset, a 5xx, a redirect), the run looks for the running operation and attaches to it:
//! a re-run of a failed CI job waits on the publish it started instead of starting another.

use tokio::time::Instant;

use super::context::Context;
use super::follow::{follow, follow_from};
use crate::api::backend::OperationRef;
use crate::api::backend::{Cancellation, Handle, StartKind};
use crate::api::error::ApiError;
use crate::api::model::OperationStatus;
use crate::api::{cpp, ingestion};
use crate::config::IfRunning;
use crate::outcome::{Outcome, Problem, Status};
use crate::wait::WaitUntil;
use crate::wait::{Ended, Plan};

pub async fn publish(context: &mut Context<'_>) -> Outcome {
    context.reporter.line(&format!(
        "publish-offer: publishing offer {} through the {} API",
        context.reporter.subject(),
        context.backend.api_name()
    ));
    start(context, StartKind::Publish).await
}

/// `go-live` is refused unless the offer waits for publisher review: going live before the
/// preview is ready (or a second time) is not what anyone meant.
pub async fn go_live(context: &mut Context<'_>) -> Outcome {
    context.reporter.line(&format!(
        "publish-offer: going live with offer {}",
        context.reporter.subject()
    ));
    let deadline = context.call_deadline();
    let state = match context.backend.offer_state(deadline).await {
        Ok(polled) => polled.state,
        Err(error) => {
            return Outcome {
                problem: Some(Problem::from(&error)),
                ..context.outcome(Status::Error)
            };
        }
    };
    if !state.is_preview_ready() {
        let message = format!(
            "the offer is not waiting for publisher review (its status is {}): go-live is possible \
             once a publish has reached preview-ready",
            state.status_text
        );
        return Outcome {
            problem: Some(Problem {
                title: "go live".to_owned(),
                message,
                help: Some(
                    "publish with wait-until: preview first, check the preview, then run go-live"
                        .to_owned(),
                ),
            }),
            state: Some(state),
            ..context.outcome(Status::Rejected)
        };
    }
    start(context, StartKind::GoLive).await
}

/// Whether the service refused because an operation already runs.
fn is_conflict(error: &ApiError) -> bool {
    let ApiError::Status {
        status, message, ..
    } = error
    else {
        return false;
    };
    let message = message.to_ascii_lowercase();
    *status == 409
        || (matches!(status, 400 | 422)
            && [
                "in progress",
                "already running",
                "currently running",
                "is running",
                "another operation",
                "already being published",
                "pending operation",
            ]
            .iter()
            .any(|phrase| message.contains(phrase)))
}

/// Whether the request may have reached the service although no answer says so: no answer, a
/// 5xx, a 408 (some gateways send it after passing the request on), a redirect (whoever sent it
/// had the request; it is never followed), or an acceptance whose
/// operation cannot be followed (no Location, or one that names no operation on the API).
fn is_ambiguous(error: &ApiError) -> bool {
    match error {
        ApiError::Transport { before_sending, .. } => !before_sending,
        ApiError::Status { status, .. } => is_ambiguous_status(*status),
        // Also a refusal whose body was too large to read: its status still decides.
        ApiError::UnexpectedBody { status, .. } => {
            is_accepted(error) || is_ambiguous_status(*status)
        }
        ApiError::OffOrigin { .. } => true,
        ApiError::UntrustedCertificate { .. } | ApiError::Local { .. } => false,
    }
}

fn is_ambiguous_status(status: u16) -> bool {
    status >= 500 || status == 408 || crate::transport::redirect::is_redirect(status)
}

/// The service accepted the request, but its answer names no operation that can be followed.
fn is_accepted(error: &ApiError) -> bool {
    match error {
        ApiError::UnexpectedBody { status, .. } => (200..300).contains(status),
        ApiError::OffOrigin { .. } => true,
        _ => false,
    }
}

/// `<id> <url>`, for the log.
fn describe(operation: &OperationRef) -> String {
    match &operation.url {
        Some(url) => format!("{} {url}", operation.id),
        None => operation.id.clone(),
    }
}

fn verb(kind: StartKind) -> &'static str {
    match kind {
        StartKind::Publish => "publish",
        StartKind::GoLive => "go-live",
    }
}

async fn start(context: &mut Context<'_>, kind: StartKind) -> Outcome {
    let deadline = context.call_deadline();
    let mut restarted = false;
    loop {
        let emails = &context.settings.notification_emails;
        let error = match context.backend.start(kind, emails, deadline).await {
            Ok((handle, first)) => {
                context.reporter.line(&format!(
                    "publish-offer: {} started: operation {}",
                    verb(kind),
                    describe(&handle.reference())
                ));
                return follow_from(context, &handle, false, first).await;
            }
            Err(error) => error,
        };
        // A failure before the start request (the token, the product lookup) started nothing.
        let from_start_request = error.call() == context.backend.start_call(kind);

        if from_start_request && is_conflict(&error) {
            match context.settings.if_running {
                IfRunning::Attach => {
                    let reason =
                        format!("the service says an operation is already running ({error})");
                    return attach(context, &reason, deadline, &error).await;
                }
                IfRunning::Fail => {
                    return Outcome {
                        problem: Some(Problem {
                            help: Some("wait for it (if-running: attach), or cancel it first (if-running: cancel-and-restart)".to_owned()),
                            ..Problem::from(&error)
                        }),
                        note: Some("an operation is already running (if-running: fail)".to_owned()),
                        ..context.outcome(Status::Rejected)
                    };
                }
                IfRunning::CancelAndRestart if !restarted => {
                    restarted = true;
                    if let Err(outcome) = cancel_running(context, deadline).await {
                        return *outcome;
                    }
                    continue;
                }
                // Refused again right after a cancel: report it as it is.
                IfRunning::CancelAndRestart => {}
            }
        }
        if from_start_request && is_ambiguous(&error) {
            let reason = if is_accepted(&error) {
                format!(
                    "the service accepted the {} request, but its answer names no operation to follow ({error})",
                    verb(kind)
                )
            } else {
                format!(
                    "the {} request may have reached the service ({error}); it is not sent again",
                    verb(kind)
                )
            };
            return attach(context, &reason, deadline, &error).await;
        }
        return Outcome {
            problem: Some(Problem::from(&error)),
            ..context.outcome(failure_status(&error))
        };
    }
}

const ATTACHED_THROUGH_OFFER_STATUS: &str = "publish-offer: attached to the running publish through the offer's status (its operation URL is not known)";

/// Finds the operation that runs and follows it; failing that, the offer's status while it says
/// running. When neither tells anything, the run fails saying a publish may be running.
async fn attach(
    context: &mut Context<'_>,
    reason: &str,
    deadline: Instant,
    cause: &ApiError,
) -> Outcome {
    tracing::warn!("{reason}; looking for the running operation");
    match context.backend.find_running(deadline).await {
        Ok(Some(handle)) => {
            context.reporter.line(&match handle {
                Handle::OfferStatus => ATTACHED_THROUGH_OFFER_STATUS.to_owned(),
                _ => format!(
                    "publish-offer: attached to the operation already running: {}",
                    describe(&handle.reference())
                ),
            });
            return follow(context, &handle, true).await;
        }
        Ok(None) => {}
        Err(error) => tracing::warn!("{error}; trying the offer's status instead"),
    }

    let seen = match context.backend.offer_state(deadline).await {
        Ok(polled) if polled.state.status == OperationStatus::Running => {
            context.reporter.line(ATTACHED_THROUGH_OFFER_STATUS);
            return follow(context, &Handle::OfferStatus, true).await;
        }
        Ok(polled) => format!("the offer's status is {}", polled.state.status_text),
        Err(error) => format!("the offer's status could not be read ({error})"),
    };
    Outcome {
        problem: Some(Problem {
            title: cause.call().to_owned(),
            message: format!(
                "{reason}, but no running operation was found and {seen}: a publish may be running"
            ),
            help: Some(
                "check the offer in Partner Center, or run this step with command: status; \
                 re-run when the offer is no longer publishing"
                    .to_owned(),
            ),
        }),
        ..context.outcome(Status::Error)
    }
}

/// `if-running: cancel-and-restart`: cancel the running operation and wait until it ends.
async fn cancel_running(context: &mut Context<'_>, deadline: Instant) -> Result<(), Box<Outcome>> {
    context
        .reporter
        .line("publish-offer: an operation is already running; canceling it first (if-running: cancel-and-restart)");
    let emails = &context.settings.notification_emails;
    let handle = match context.backend.cancel(None, emails, deadline).await {
        Ok(Cancellation::Follow(handle) | Cancellation::Operation(handle)) => handle,
        Ok(Cancellation::Done) => return Ok(()),
        Err(error) => {
            return Err(Box::new(Outcome {
                problem: Some(Problem::from(&error)),
                ..context.outcome(Status::Error)
            }));
        }
    };
    let plan = Plan {
        deadline,
        poll_interval: context.poll_interval(),
        wait_until: WaitUntil::Complete,
    };
    let problem = match context.wait(&handle, &plan).await {
        Ended::Terminal(_) => return Ok(()),
        Ended::Failed { error, .. } => Problem::from(&error),
        Ended::TimedOut { .. } | Ended::PreviewReady(_) => Problem {
            title: "cancel operation".to_owned(),
            message: "the running operation was not canceled in time; nothing was published"
                .to_owned(),
            help: Some("run again once it has ended, or cancel it with command: cancel".to_owned()),
        },
    };
    Err(Box::new(Outcome {
        problem: Some(problem),
        ..context.outcome(Status::Error)
    }))
}

/// `rejected` when the service refused to start (or cancel) something, 400/404/409/422 on that
/// very request; `error` for everything else, a refused token included.
pub(super) fn failure_status(error: &ApiError) -> Status {
    let starting = [
        cpp::PUBLISH_CALL,
        cpp::GO_LIVE_CALL,
        cpp::CANCEL_CALL,
        crate::api::cpp_draft::UPDATE_OFFER_CALL,
        ingestion::CONFIGURE_CALL,
        ingestion::CANCEL_JOB_CALL,
    ];
    match error.status() {
        Some(400 | 404 | 409 | 422) if starting.contains(&error.call()) => Status::Rejected,
        _ => Status::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, message: &str) -> ApiError {
        ApiError::Status {
            call: "publish offer",
            status,
            code: None,
            message: message.to_owned(),
            help: None,
        }
    }

    #[test]
    fn conflicts() {
        assert!(is_conflict(&status(409, "")));
        assert!(is_conflict(&status(
            400,
            "An operation is already in progress for this offer"
        )));
        assert!(is_conflict(&status(422, "Another operation is running")));
        assert!(!is_conflict(&status(422, "The offer failed validation")));
        assert!(!is_conflict(&status(404, "in progress")));
    }

    #[test]
    fn ambiguity() {
        assert!(is_ambiguous(&status(503, "")));
        assert!(is_ambiguous(&status(408, "")));
        assert!(is_ambiguous(&status(307, "")));
        assert!(is_ambiguous(&status(308, "")));
        let body = |status| ApiError::UnexpectedBody {
            call: "publish offer",
            status,
            detail: "the body is larger than 8 MiB".into(),
        };
        assert!(is_ambiguous(&body(202)));
        assert!(is_ambiguous(&body(502)));
        assert!(!is_ambiguous(&body(400)));
        assert!(!is_ambiguous(&status(429, "")));
        assert!(is_ambiguous(&ApiError::Transport {
            call: "publish offer",
            detail: "reset".into(),
            before_sending: false
        }));
        assert!(!is_ambiguous(&ApiError::Transport {
            call: "publish offer",
            detail: "refused".into(),
            before_sending: true
        }));
    }
}
