//! Waiting: poll the operation every `poll-interval` (or longer, when the service asks) until it
//! ends, the preview is ready (with `wait-until: preview`) or the time limit passes. (A signal
//! drops the whole command: see [`crate::commands::run`].) The time limit is an `Instant` deadline; a pause that would cross it is cut short so
//! that the last reading is taken at the limit itself.
//!
//! Each reading goes to the caller's `on_reading` as soon as it is taken, as azure_core's poller
//! hands its readings to its caller: what is shown, and what the run remembers of it, is the
//! caller's business, not the wait's.
//!
//! A reading that fails for a transient reason is not an operation failure: the HTTP layer
//! retries it until the deadline, and if the status still cannot be read the wait ends as
//! "unknown" with the last error, never as success or failure.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use crate::api::backend::{Backend, Handle};
use crate::api::error::ApiError;
use crate::api::model::{OperationState, OperationStatus};
use crate::transport::retry::is_transient_status;

/// How far a wait goes: until the operation ends, or until its preview is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    Complete,
    Preview,
}

impl WaitUntil {
    /// The names the `wait-until` input takes.
    pub const ALL: [(&'static str, WaitUntil); 2] = [
        ("complete", WaitUntil::Complete),
        ("preview", WaitUntil::Preview),
    ];
}

/// Distinct unknown statuses warned about in one wait; later ones are not told.
const MAX_UNKNOWN_STATUSES_TOLD: usize = 16;
/// An unknown status is cut to this many characters in the warning (the reporter's cut for a
/// name): a status of megabytes would otherwise fill the log.
const MAX_STATUS_CHARS: usize = 200;

pub struct Plan {
    pub deadline: Instant,
    pub poll_interval: Duration,
    pub wait_until: WaitUntil,
}

#[derive(Debug)]
pub enum Ended {
    /// Succeeded, failed or canceled.
    Terminal(OperationState),
    /// `wait-until: preview` and the preview is ready.
    PreviewReady(OperationState),
    /// The time limit passed. `error` is set when the status could not be read lately: it is
    /// unknown. `late_error` is a failure of the last reading after a recent successful one: the
    /// operation was running a moment ago, and that is what is reported, with a warning.
    TimedOut {
        last: Option<OperationState>,
        error: Option<ApiError>,
        late_error: Option<ApiError>,
    },
    /// A reading failed in a way another try will not mend (403, 404, a refused token).
    Failed {
        last: Option<OperationState>,
        error: ApiError,
    },
}

/// How old the last successful reading may be for the status to count as known at the time
/// limit: three poll intervals (at least a second), enough for one failed reading at the end.
pub fn freshness(poll_interval: Duration) -> Duration {
    poll_interval
        .checked_mul(3)
        .unwrap_or(Duration::MAX)
        .max(Duration::from_secs(1))
}

/// Whether an error while reading the status may pass with time.
pub fn is_transient(error: &ApiError) -> bool {
    match error {
        ApiError::Transport { .. } | ApiError::UnexpectedBody { .. } => true,
        ApiError::Status { status, .. } => is_transient_status(*status),
        ApiError::UntrustedCertificate { .. }
        | ApiError::OffOrigin { .. }
        | ApiError::Local { .. } => false,
    }
}

/// Polls `handle` as `plan` says, handing every reading to `on_reading` before looking at it.
pub async fn wait(
    backend: &Backend<'_>,
    handle: &Handle,
    plan: &Plan,
    on_reading: &mut dyn FnMut(&OperationState),
) -> Ended {
    let mut last: Option<OperationState> = None;
    let mut last_read: Option<Instant> = None;
    let mut logged_statuses: HashSet<String> = HashSet::new();
    loop {
        let (hint, error) = match backend.poll(handle, plan.deadline).await {
            Ok(polled) => {
                on_reading(&polled.state);
                let state = polled.state;
                // Cut, and at most a few distinct ones remembered: a service inventing a long
                // status at every reading must not fill the log or the memory.
                if let OperationStatus::Unknown(value) = &state.status
                    && logged_statuses.len() < MAX_UNKNOWN_STATUSES_TOLD
                    && logged_statuses
                        .insert(crate::secret::redact_then_cut(value, MAX_STATUS_CHARS))
                {
                    tracing::warn!(
                        "the service reports status {:?}, which is not known here; still waiting",
                        crate::secret::redact_then_cut(value, MAX_STATUS_CHARS)
                    );
                }
                if state.status.is_terminal() {
                    return Ended::Terminal(state);
                }
                if plan.wait_until == WaitUntil::Preview && state.is_preview_ready() {
                    return Ended::PreviewReady(state);
                }
                last = Some(state);
                last_read = Some(Instant::now());
                (polled.retry_after, None)
            }
            Err(error) if is_transient(&error) => (None, Some(error)),
            Err(error) => return Ended::Failed { last, error },
        };

        let now = Instant::now();
        if now >= plan.deadline {
            // One failed reading at the end does not make a status read a moment ago unknown.
            // Measured to the limit, not to now: the last reading may have hung past the limit.
            let fresh = last_read.is_some_and(|at| {
                plan.deadline.saturating_duration_since(at) <= freshness(plan.poll_interval)
            });
            return if fresh {
                Ended::TimedOut {
                    last,
                    error: None,
                    late_error: error,
                }
            } else {
                Ended::TimedOut {
                    last,
                    error,
                    late_error: None,
                }
            };
        }
        if let Some(error) = &error {
            // Retried by the HTTP layer until it stopped short of the limit; go on.
            tracing::warn!("{error}; still waiting");
        }
        let pause = plan
            .poll_interval
            .max(hint.unwrap_or_default())
            .min(plan.deadline - now);
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_is_three_polls_and_at_least_a_second() {
        for (poll, fresh) in [
            (Duration::ZERO, Duration::from_secs(1)),
            (Duration::from_millis(100), Duration::from_secs(1)),
            (Duration::from_millis(400), Duration::from_millis(1200)),
            (Duration::from_secs(2), Duration::from_secs(6)),
            (Duration::MAX, Duration::MAX),
        ] {
            assert_eq!(freshness(poll), fresh, "{poll:?}");
        }
    }

    #[test]
    fn which_reading_errors_pass_with_time() {
        let status = |status| ApiError::Status {
            call: "GET operation",
            status,
            code: None,
            message: String::new(),
            help: None,
        };
        let table = [
            (
                ApiError::Transport {
                    call: "GET operation",
                    detail: "reset".to_owned(),
                    before_sending: false,
                },
                true,
            ),
            (
                ApiError::UnexpectedBody {
                    call: "GET operation",
                    status: 200,
                    detail: "html".to_owned(),
                },
                true,
            ),
            (status(503), true),
            (status(429), true),
            (status(404), false),
            (status(403), false),
            (
                ApiError::UntrustedCertificate {
                    call: "GET operation",
                    detail: "unknown issuer".to_owned(),
                    help: None,
                },
                false,
            ),
            (
                ApiError::OffOrigin {
                    call: "GET operation",
                    url: "https://elsewhere".to_owned(),
                    allowed: "https://api".to_owned(),
                },
                false,
            ),
            (
                ApiError::Local {
                    call: "GET operation",
                    detail: "no URL".to_owned(),
                    help: None,
                },
                false,
            ),
        ];
        for (error, transient) in table {
            assert_eq!(is_transient(&error), transient, "{error}");
        }
    }
}
