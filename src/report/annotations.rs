//! Which errors and warnings to raise. GitHub shows at most 10 of each per step and cuts each at
//! 4096 characters; other systems drown a log the same way. The most useful come first: the
//! errors of failing steps, then the operation's own, then warnings; duplicates are dropped and
//! the summary says how many more there were.

use crate::api::model::{Level, StepStatus};
use crate::config::OnTimeout;
use crate::outcome::{Outcome, Status, how_to_follow};
use crate::text::{defuse, inert, truncate};

pub const MAX_PER_SEVERITY: usize = 10;
pub const MAX_MESSAGE_CHARS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub severity: Severity,
    /// A step name or the call that failed. May come from the service: escape it.
    pub title: String,
    /// Plain text, possibly several lines. May come from the service: escape it.
    pub message: String,
}

/// How many annotations were left out for the limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    pub errors: usize,
    pub warnings: usize,
}

/// The title of an annotation is one inert line, never empty: the runners trim a command's
/// properties, so trailing blanks would be lost and an empty title would be no title.
fn annotation(severity: Severity, title: &str, message: &str) -> Annotation {
    let title = inert(&truncate(title, super::MAX_NAME_CHARS));
    Annotation {
        severity,
        title: if title.is_empty() {
            "publish-offer".to_owned()
        } else {
            title
        },
        message: truncate(&defuse(message), MAX_MESSAGE_CHARS),
    }
}

/// The annotations for an outcome, within the limits.
pub fn select(outcome: &Outcome) -> (Vec<Annotation>, Dropped) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    if let Some(problem) = &outcome.problem {
        let message = match &problem.help {
            Some(help) => format!("{}\nhelp: {help}", problem.message),
            None => problem.message.clone(),
        };
        let severity = match outcome.status {
            Status::Running => Severity::Warning,
            _ => Severity::Error,
        };
        let target = if severity == Severity::Error {
            &mut errors
        } else {
            &mut warnings
        };
        target.push(annotation(severity, &problem.title, &message));
    }

    if let Some(state) = &outcome.state {
        if outcome.status == Status::Failed {
            // Errors of the steps that failed the operation first, then of any other step.
            let mut steps: Vec<_> = state.steps.iter().collect();
            steps.sort_by_key(|step| {
                !(step.status.is_failure() || step.status == StepStatus::Blocked)
            });
            for step in steps {
                for message in step.messages.iter().filter(|m| m.level == Level::Error) {
                    let title = message.title.as_deref().unwrap_or(step.label());
                    errors.push(annotation(Severity::Error, title, &message.text));
                }
            }
            for message in state.messages.iter().filter(|m| m.level == Level::Error) {
                errors.push(annotation(Severity::Error, "operation", &message.text));
            }
            if errors.is_empty() {
                let at = state
                    .failed_step()
                    .map(|step| format!(" at step {}", step.label()))
                    .unwrap_or_default();
                errors.push(annotation(
                    Severity::Error,
                    "publish failed",
                    &format!(
                        "the operation ended with status {}{at}; the service gave no message",
                        state.status_text
                    ),
                ));
            }
        }
        for step in &state.steps {
            for message in step.messages.iter().filter(|m| m.level == Level::Warning) {
                let title = message.title.as_deref().unwrap_or(step.label());
                warnings.push(annotation(Severity::Warning, title, &message.text));
            }
        }
        for message in state.messages.iter().filter(|m| m.level == Level::Warning) {
            warnings.push(annotation(Severity::Warning, "operation", &message.text));
        }
    }

    match outcome.status {
        Status::Canceled if errors.is_empty() => errors.push(annotation(
            Severity::Error,
            "operation canceled",
            outcome
                .note
                .as_deref()
                .unwrap_or("the operation was canceled"),
        )),
        Status::Running if outcome.timed_out => {
            let message = outcome
                .note
                .clone()
                .unwrap_or_else(|| "the time limit passed".to_owned());
            let message = format!(
                "{message}; the operation goes on: {}",
                how_to_follow(outcome.operation.as_ref())
            );
            if outcome.policy.on_timeout == OnTimeout::Fail && !outcome.policy.report_only {
                errors.push(annotation(Severity::Error, "time limit reached", &message));
            } else {
                warnings.push(annotation(
                    Severity::Warning,
                    "time limit reached",
                    &message,
                ));
            }
        }
        Status::Interrupted(signal) => errors.push(annotation(
            Severity::Error,
            "interrupted",
            &format!(
                "{} stopped the run; an operation it started may still be running on the \
                 service: {}",
                signal.name(),
                how_to_follow(outcome.operation.as_ref())
            ),
        )),
        _ => {}
    }

    dedupe(&mut errors);
    dedupe(&mut warnings);
    let dropped = Dropped {
        errors: errors.len().saturating_sub(MAX_PER_SEVERITY),
        warnings: warnings.len().saturating_sub(MAX_PER_SEVERITY),
    };
    errors.truncate(MAX_PER_SEVERITY);
    warnings.truncate(MAX_PER_SEVERITY);
    errors.extend(warnings);
    (errors, dropped)
}

fn dedupe(annotations: &mut Vec<Annotation>) {
    let mut seen = std::collections::HashSet::new();
    annotations.retain(|a| seen.insert((a.title.clone(), a.message.clone())));
}
