//! The outcome table: the one place that says what a run's result is called and which exit code
//! it gets. Every command and every API ends in a [`Status`]; reporting writes it as the `status`
//! output and the process exits with [`Outcome::exit_code`].
//!
//! | `status`      | meaning                                                            | exit        |
//! |---------------|--------------------------------------------------------------------|-------------|
//! | succeeded     | the operation completed                                            | 0           |
//! | preview-ready | wait-until=preview reached (or, for `status`, go-live is pending)  | 0           |
//! | running       | not waited for (timeout 0), or the time limit passed (timed-out)   | 0, or 3 with on-timeout=fail |
//! | not-started   | (`status` only) the offer was never published                      | 0           |
//! | failed        | the operation ended failed                                         | 1           |
//! | canceled      | the operation was canceled                                         | 1           |
//! | rejected      | the service refused to start it (400/404/409/422), or go-live was refused | 1    |
//! | error         | auth failure or another API error before or while waiting          | 1           |
//! | unknown       | the status could not be read before the time limit                 | 1           |
//! | invalid-input | configuration error; no request was sent                           | 2           |
//! | interrupted   | SIGINT / SIGTERM stopped the run                                   | 130 / 143   |
//!
//! The `status` command only reports: it exits 0 whatever state it finds (but 1 on an API error).

use std::fmt;

use crate::api::backend::OperationRef;
use crate::api::error::ApiError;
use crate::api::model::OperationState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    PreviewReady,
    Running,
    NotStarted,
    Failed,
    Canceled,
    Rejected,
    Error,
    Unknown,
    InvalidInput,
    Interrupted(Signal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

impl Status {
    /// The value of the `status` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::PreviewReady => "preview-ready",
            Status::Running => "running",
            Status::NotStarted => "not-started",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
            Status::Rejected => "rejected",
            Status::Error => "error",
            Status::Unknown => "unknown",
            Status::InvalidInput => "invalid-input",
            Status::Interrupted(_) => "interrupted",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a wait that reaches its time limit with the operation still running means: a warning
/// (exit 0) or a failure (exit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnTimeout {
    Warn,
    Fail,
}

impl OnTimeout {
    /// The names the `on-timeout` input takes.
    pub const ALL: [(&'static str, OnTimeout); 2] =
        [("warn", OnTimeout::Warn), ("fail", OnTimeout::Fail)];
}

/// What decides the exit code besides the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitPolicy {
    pub on_timeout: OnTimeout,
    /// The `status` command reports a state; it does not fail because the offer did.
    pub report_only: bool,
}

impl Default for ExitPolicy {
    fn default() -> Self {
        ExitPolicy {
            on_timeout: OnTimeout::Warn,
            report_only: false,
        }
    }
}

/// Exit codes, from the table above.
pub fn exit_code(status: Status, timed_out: bool, policy: ExitPolicy) -> u8 {
    match status {
        Status::InvalidInput => 2,
        Status::Interrupted(Signal::Interrupt) => 130,
        Status::Interrupted(Signal::Terminate) => 143,
        Status::Error => 1,
        _ if policy.report_only => 0,
        Status::Succeeded | Status::PreviewReady | Status::NotStarted => 0,
        Status::Running if timed_out && policy.on_timeout == OnTimeout::Fail => 3,
        Status::Running => 0,
        Status::Failed | Status::Canceled | Status::Rejected | Status::Unknown => 1,
    }
}

/// A problem to report: what failed (the annotation title), the message, and what to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub title: String,
    pub message: String,
    pub help: Option<String>,
}

impl From<&ApiError> for Problem {
    fn from(error: &ApiError) -> Self {
        Problem {
            title: error.call().to_owned(),
            message: error.to_string(),
            help: error.help(),
        }
    }
}

impl Problem {
    /// A configuration problem: the inputs (or the command line) are not valid.
    pub fn invalid_input(message: String, help: Option<String>) -> Self {
        Problem {
            title: "invalid input".to_owned(),
            message,
            help,
        }
    }
}

/// How to keep following `operation` after this run: `wait` needs its URL, which is not always
/// known (a run attached through the offer's status).
pub fn how_to_follow(operation: Option<&OperationRef>) -> &'static str {
    if operation.is_some_and(|operation| operation.url.is_some()) {
        "follow it with command: wait and the operation-url output"
    } else {
        "check it with command: status (its operation URL is not known)"
    }
}

/// How a run ended: everything the reporter needs for outputs, annotations and the summary.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub timed_out: bool,
    /// The run waited on an operation that was already running instead of starting one.
    pub attached: bool,
    pub operation: Option<OperationRef>,
    /// The last state read, if any.
    pub state: Option<OperationState>,
    pub problem: Option<Problem>,
    /// One sentence for the log and summary when the status alone does not say it.
    pub note: Option<String>,
    /// The offer's status as the service spelled it, for the commands that read it.
    pub offer_status: Option<String>,
    /// What the draft change asked by the image inputs came to, when one was asked.
    pub draft: Option<DraftReport>,
    pub policy: ExitPolicy,
}

/// The draft change of a run, for the outputs `image-version` and `draft-changed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftReport {
    /// As the input gave it (validated `X.Y.Z`).
    pub image_version: String,
    /// The draft was written and the read-back shows the change.
    pub changed: bool,
}

impl Outcome {
    pub fn new(status: Status, policy: ExitPolicy) -> Self {
        Outcome {
            status,
            timed_out: false,
            attached: false,
            operation: None,
            state: None,
            problem: None,
            note: None,
            offer_status: None,
            draft: None,
            policy,
        }
    }

    /// A run refused before any request: `problem` says which inputs and why.
    pub fn invalid_input(problem: impl Into<Problem>) -> Self {
        Outcome {
            problem: Some(problem.into()),
            ..Outcome::new(Status::InvalidInput, ExitPolicy::default())
        }
    }

    pub fn exit_code(&self) -> u8 {
        exit_code(self.status, self.timed_out, self.policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;
    use url::Url;

    #[test]
    fn table() {
        let warn = ExitPolicy::default();
        let fail = ExitPolicy {
            on_timeout: OnTimeout::Fail,
            report_only: false,
        };
        let report = ExitPolicy {
            on_timeout: OnTimeout::Fail,
            report_only: true,
        };
        assert_eq!(exit_code(Status::Succeeded, false, warn), 0);
        assert_eq!(exit_code(Status::PreviewReady, false, fail), 0);
        assert_eq!(exit_code(Status::Running, false, fail), 0, "timeout 0");
        assert_eq!(exit_code(Status::Running, true, warn), 0);
        assert_eq!(exit_code(Status::Running, true, fail), 3);
        assert_eq!(exit_code(Status::Failed, false, warn), 1);
        assert_eq!(exit_code(Status::Canceled, false, warn), 1);
        assert_eq!(exit_code(Status::Rejected, false, warn), 1);
        assert_eq!(exit_code(Status::Error, false, warn), 1);
        assert_eq!(exit_code(Status::Unknown, true, warn), 1);
        assert_eq!(exit_code(Status::InvalidInput, false, warn), 2);
        assert_eq!(
            exit_code(Status::Interrupted(Signal::Interrupt), false, warn),
            130
        );
        assert_eq!(
            exit_code(Status::Interrupted(Signal::Terminate), false, warn),
            143
        );
        assert_eq!(exit_code(Status::Failed, false, report), 0);
        assert_eq!(exit_code(Status::NotStarted, false, report), 0);
        assert_eq!(exit_code(Status::Error, false, report), 1);
    }

    #[test]
    fn every_status_and_signal_has_its_name() {
        for (status, name) in [
            (Status::Succeeded, "succeeded"),
            (Status::PreviewReady, "preview-ready"),
            (Status::Running, "running"),
            (Status::NotStarted, "not-started"),
            (Status::Failed, "failed"),
            (Status::Canceled, "canceled"),
            (Status::Rejected, "rejected"),
            (Status::Error, "error"),
            (Status::Unknown, "unknown"),
            (Status::InvalidInput, "invalid-input"),
            (Status::Interrupted(Signal::Interrupt), "interrupted"),
            (Status::Interrupted(Signal::Terminate), "interrupted"),
        ] {
            assert_eq!(status.as_str(), name);
            assert_eq!(status.to_string(), name);
        }
        assert_eq!(Signal::Interrupt.name(), "SIGINT");
        assert_eq!(Signal::Terminate.name(), "SIGTERM");
    }

    #[test]
    fn report_only_still_fails_on_what_it_cannot_report() {
        let report = ExitPolicy {
            on_timeout: OnTimeout::Fail,
            report_only: true,
        };
        for (status, code) in [
            (Status::Running, 0),
            (Status::Canceled, 0),
            (Status::Rejected, 0),
            (Status::Unknown, 0),
            (Status::InvalidInput, 2),
            (Status::Interrupted(Signal::Interrupt), 130),
            (Status::Interrupted(Signal::Terminate), 143),
        ] {
            assert_eq!(exit_code(status, true, report), code, "{status}");
        }
        assert_eq!(
            ExitPolicy::default(),
            ExitPolicy {
                on_timeout: OnTimeout::Warn,
                report_only: false
            }
        );
    }

    #[test]
    fn an_outcome_exits_by_its_status_time_limit_and_policy() {
        let fail = ExitPolicy {
            on_timeout: OnTimeout::Fail,
            report_only: false,
        };
        let mut outcome = Outcome::new(Status::Running, fail);
        assert_eq!(outcome.exit_code(), 0);
        outcome.timed_out = true;
        assert_eq!(outcome.exit_code(), 3);
        let new = Outcome::new(Status::Failed, fail);
        assert!(!new.timed_out && !new.attached);
        assert!(new.operation.is_none() && new.state.is_none() && new.problem.is_none());
        assert!(new.note.is_none() && new.offer_status.is_none());
        assert_eq!(new.exit_code(), 1);
    }

    #[test]
    fn problems_from_errors() {
        let invalid = Outcome::invalid_input(
            &ConfigError::new("invalid input timeout (x)").with_help("use 30m"),
        );
        assert_eq!(invalid.status, Status::InvalidInput);
        assert_eq!(invalid.exit_code(), 2);
        assert_eq!(
            invalid.problem,
            Some(Problem {
                title: "invalid input".to_owned(),
                message: "invalid input timeout (x)".to_owned(),
                help: Some("use 30m".to_owned()),
            })
        );
        let error = ApiError::Status {
            call: "POST publish",
            status: 403,
            code: None,
            message: "denied".to_owned(),
            help: Some("add the service principal".to_owned()),
        };
        let problem = Problem::from(&error);
        assert_eq!(problem.title, "POST publish");
        assert_eq!(problem.message, "POST publish failed: HTTP 403: denied");
        assert_eq!(problem.help.as_deref(), Some("add the service principal"));
    }

    #[test]
    fn how_to_follow_needs_the_url() {
        let with_url = OperationRef {
            id: "op".to_owned(),
            url: Url::parse("https://api.example/op").ok(),
        };
        let without_url = OperationRef {
            id: "op".to_owned(),
            url: None,
        };
        assert_eq!(
            how_to_follow(Some(&with_url)),
            "follow it with command: wait and the operation-url output"
        );
        for operation in [Some(&without_url), None] {
            assert_eq!(
                how_to_follow(operation),
                "check it with command: status (its operation URL is not known)"
            );
        }
    }
}
