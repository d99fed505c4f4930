//! What a command runs with: the settings, the backend, the reporter, the run's record; and the
//! deadlines and poll interval it derives from them.

use std::time::Duration;

use tokio::time::Instant;

use super::record::Record;
use crate::api::backend::{Backend, Handle};
use crate::config::duration::format_duration;
use crate::config::{Command, Settings};
use crate::interrupt::Interrupt;
use crate::outcome::{ExitPolicy, Outcome, Status};
use crate::report::Reporter;
use crate::wait::{Ended, Plan, WaitUntil, wait};

/// Calls that start or prepare an operation retry at least this long, even with `timeout: 0`.
const MIN_CALL_BUDGET: Duration = Duration::from_secs(60);

pub struct Context<'a> {
    pub settings: &'a Settings,
    pub backend: Backend<'a>,
    pub reporter: &'a mut Reporter,
    /// What the run has seen so far, for an outcome told after a signal.
    pub record: Record,
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
    pub(super) fn wait_deadline(&self) -> Instant {
        self.started + self.settings.timeout
    }

    /// The budget of calls before the wait: the time limit, but at least a minute.
    pub(super) fn call_deadline(&self) -> Instant {
        self.started + self.settings.timeout.max(MIN_CALL_BUDGET)
    }

    pub(super) fn outcome(&self, status: Status) -> Outcome {
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

    /// Waits as `plan` says on `handle`, each reading shown and remembered as it comes.
    pub(super) async fn wait(&mut self, handle: &Handle, plan: &Plan) -> Ended {
        let Context {
            backend,
            reporter,
            record,
            ..
        } = self;
        // A go-live's own operation is past sign-off already: only a publish (or a wait on
        // one) can stop there for a person.
        let past_signoff = plan.wait_until == WaitUntil::Complete
            && matches!(self.settings.command, Command::Publish | Command::Wait);
        wait(backend, handle, plan, &mut |state| {
            record.read(reporter, state);
            if past_signoff {
                record.past_signoff(reporter, state);
            }
        })
        .await
    }

    fn backend_is_loopback(&self) -> bool {
        let url = match self.backend {
            Backend::Cpp(_) => &self.settings.api_url,
            Backend::Ingestion(_) => &self.settings.ingestion_url,
        };
        crate::config::is_loopback(url)
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
