//! Waiting: poll the operation every `poll-interval` (or longer, when the service asks) until it
//! ends, the preview is ready (with `wait-until: preview`) or the time limit passes. (A signal
//! drops the whole command: see [`crate::commands::run`].) The time limit is an `Instant` deadline; a pause that would cross it is cut short so
//! that the last reading is taken at the limit itself.
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
use crate::api::retry::is_transient_status;
use crate::config::WaitUntil;
use crate::report::Reporter;

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
    /// The time limit passed. `error` is set when the last reading failed: the status is unknown.
    TimedOut {
        last: Option<OperationState>,
        error: Option<ApiError>,
    },
    /// A reading failed in a way another try will not mend (403, 404, a refused token).
    Failed {
        last: Option<OperationState>,
        error: ApiError,
    },
}

/// Whether an error while reading the status may pass with time.
pub fn is_transient(error: &ApiError) -> bool {
    match error {
        ApiError::Transport { .. } | ApiError::UnexpectedBody { .. } => true,
        ApiError::Status { status, .. } => is_transient_status(*status),
        ApiError::OffOrigin { .. } | ApiError::Local { .. } => false,
    }
}

pub async fn wait(
    backend: &Backend<'_>,
    handle: &Handle,
    plan: &Plan,
    reporter: &mut Reporter,
) -> Ended {
    let mut last: Option<OperationState> = None;
    let mut logged_statuses: HashSet<String> = HashSet::new();
    loop {
        let (hint, error) = match backend.poll(handle, plan.deadline).await {
            Ok(polled) => {
                reporter.progress(&polled.state);
                let state = polled.state;
                if let OperationStatus::Unknown(value) = &state.status
                    && logged_statuses.insert(value.clone())
                {
                    tracing::warn!(
                        "the service reports status {value:?}, which is not known here; still waiting"
                    );
                }
                if state.status.is_terminal() {
                    return Ended::Terminal(state);
                }
                if plan.wait_until == WaitUntil::Preview && state.is_preview_ready() {
                    return Ended::PreviewReady(state);
                }
                last = Some(state);
                (polled.retry_after, None)
            }
            Err(error) if is_transient(&error) => (None, Some(error)),
            Err(error) => return Ended::Failed { last, error },
        };

        let now = Instant::now();
        if now >= plan.deadline {
            return Ended::TimedOut { last, error };
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
