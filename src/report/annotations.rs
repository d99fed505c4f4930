//! Which errors and warnings to raise. GitHub shows at most 10 of each per step and cuts each at
//! 4096 characters; other systems drown a log the same way. The most useful come first: the
//! errors of failing steps, then the operation's own, then warnings; duplicates are dropped and
//! the summary says how many more there were.

use super::limits::MAX_NAME_CHARS;
use crate::api::model::{Level, OperationState, StepStatus};
use crate::outcome::OnTimeout;
use crate::outcome::{Outcome, Status, how_to_follow};
use crate::text::{inert_in_line, inert_keeping_breaks};

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
    let title = inert_in_line(&crate::secret::redact_then_cut(title, MAX_NAME_CHARS));
    Annotation {
        severity,
        title: if title.is_empty() {
            "publish-offer".to_owned()
        } else {
            title
        },
        message: crate::secret::redact_then_cut(&inert_keeping_breaks(message), MAX_MESSAGE_CHARS),
    }
}

/// The annotations for an outcome, within the limits.
pub fn select(outcome: &Outcome) -> (Vec<Annotation>, Dropped) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    if let Some(problem) = problem_annotation(outcome) {
        raise(problem, &mut errors, &mut warnings);
    }
    if let Some(state) = &outcome.state {
        if outcome.status == Status::Failed {
            failure_errors(state, &mut errors);
        }
        warnings.extend(state_warnings(state));
    }
    if let Some(closing) = status_annotation(outcome, errors.is_empty()) {
        raise(closing, &mut errors, &mut warnings);
    }
    // The severity follows the exit code: a run that does not fail (`status` reading a failed
    // offer exits 0) raises no error, which a runner would show as the step's failure.
    if outcome.exit_code() == 0 {
        for mut error in errors.drain(..) {
            error.severity = Severity::Warning;
            warnings.push(error);
        }
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

/// Files `annotation` with the errors or the warnings, by its severity.
fn raise(annotation: Annotation, errors: &mut Vec<Annotation>, warnings: &mut Vec<Annotation>) {
    match annotation.severity {
        Severity::Error => errors.push(annotation),
        Severity::Warning => warnings.push(annotation),
    }
}

/// The run's own problem: a warning when the operation is still running (read a moment before),
/// else an error.
fn problem_annotation(outcome: &Outcome) -> Option<Annotation> {
    let problem = outcome.problem.as_ref()?;
    let message = match &problem.help {
        Some(help) => format!("{}\nhelp: {help}", problem.message),
        None => problem.message.clone(),
    };
    let severity = match outcome.status {
        Status::Running => Severity::Warning,
        _ => Severity::Error,
    };
    Some(annotation(severity, &problem.title, &message))
}

/// The errors of a failed operation: those of the steps that failed it first, then of any other
/// step, then the operation's own; one saying so when there are none at all.
fn failure_errors(state: &OperationState, errors: &mut Vec<Annotation>) {
    let mut steps: Vec<_> = state.steps.iter().collect();
    steps.sort_by_key(|step| !(step.status.is_failure() || step.status == StepStatus::Blocked));
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

/// The warnings of the steps, then the operation's own.
fn state_warnings(state: &OperationState) -> Vec<Annotation> {
    let mut warnings = Vec::new();
    for step in &state.steps {
        for message in step.messages.iter().filter(|m| m.level == Level::Warning) {
            let title = message.title.as_deref().unwrap_or(step.label());
            warnings.push(annotation(Severity::Warning, title, &message.text));
        }
    }
    for message in state.messages.iter().filter(|m| m.level == Level::Warning) {
        warnings.push(annotation(Severity::Warning, "operation", &message.text));
    }
    warnings
}

/// What the run's status itself says: a cancel (unless errors already explain it), a time limit
/// (an error only when it fails the step), a signal.
fn status_annotation(outcome: &Outcome, no_errors_yet: bool) -> Option<Annotation> {
    match outcome.status {
        Status::Canceled if no_errors_yet => Some(annotation(
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
            let severity =
                if outcome.policy.on_timeout == OnTimeout::Fail && !outcome.policy.report_only {
                    Severity::Error
                } else {
                    Severity::Warning
                };
            Some(annotation(severity, "time limit reached", &message))
        }
        Status::Interrupted(signal) => Some(annotation(
            Severity::Error,
            "interrupted",
            &format!(
                "{} stopped the run; an operation it started may still be running on the \
                 service: {}",
                signal.name(),
                how_to_follow(outcome.operation.as_ref())
            ),
        )),
        _ => None,
    }
}

fn dedupe(annotations: &mut Vec<Annotation>) {
    let mut seen = std::collections::HashSet::new();
    annotations.retain(|a| seen.insert((a.title.clone(), a.message.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::backend::OperationRef;
    use crate::api::model::{Message, OperationState, Step};
    use crate::outcome::{ExitPolicy, Problem, Signal};

    fn message(level: Level, text: &str) -> Message {
        Message {
            level,
            text: text.to_owned(),
            title: None,
        }
    }

    fn step(id: &str, status: &str, messages: Vec<Message>) -> Step {
        Step {
            id: id.to_owned(),
            name: String::new(),
            status: StepStatus::parse(status),
            status_text: status.to_owned(),
            progress: None,
            estimate: None,
            messages,
        }
    }

    fn outcome(status: Status, state: Option<OperationState>) -> Outcome {
        Outcome {
            state,
            ..Outcome::new(status, ExitPolicy::default())
        }
    }

    fn state(status: &str, steps: Vec<Step>, messages: Vec<Message>) -> OperationState {
        OperationState {
            steps,
            messages,
            ..OperationState::with_status(status)
        }
    }

    /// (severity, title, message) of each annotation, in order.
    fn shown(outcome: &Outcome) -> Vec<(Severity, String, String)> {
        select(outcome)
            .0
            .into_iter()
            .map(|a| (a.severity, a.title, a.message))
            .collect()
    }

    fn titles(outcome: &Outcome, severity: Severity) -> Vec<String> {
        select(outcome)
            .0
            .into_iter()
            .filter(|a| a.severity == severity)
            .map(|a| a.title)
            .collect()
    }

    #[test]
    fn severity_follows_the_message_level_and_the_status() {
        use Severity::{Error, Warning};
        let messages = || {
            vec![
                message(Level::Error, "bad"),
                message(Level::Warning, "careful"),
                message(Level::Information, "fyi"),
            ]
        };
        let failed = state("failed", vec![step("s", "failed", messages())], messages());
        // (status, what is shown): errors only on a failed run; warnings always; information never.
        type Shown<'a> = Vec<(Severity, &'a str, &'a str)>;
        let table: [(Status, Shown); 3] = [
            (
                Status::Failed,
                vec![
                    (Error, "s", "bad"),
                    (Error, "operation", "bad"),
                    (Warning, "s", "careful"),
                    (Warning, "operation", "careful"),
                ],
            ),
            (
                Status::Succeeded,
                vec![(Warning, "s", "careful"), (Warning, "operation", "careful")],
            ),
            (
                Status::Running,
                vec![(Warning, "s", "careful"), (Warning, "operation", "careful")],
            ),
        ];
        for (status, expected) in table {
            let expected: Vec<_> = expected
                .into_iter()
                .map(|(s, t, m)| (s, t.to_owned(), m.to_owned()))
                .collect();
            assert_eq!(
                shown(&outcome(status, Some(failed.clone()))),
                expected,
                "{status}"
            );
        }
    }

    #[test]
    fn a_problem_is_an_error_unless_the_operation_still_runs() {
        let problem = Problem {
            title: "GET operation".to_owned(),
            message: "HTTP 500".to_owned(),
            help: Some("try later".to_owned()),
        };
        for (status, severity) in [
            (Status::Error, Severity::Error),
            (Status::Unknown, Severity::Error),
            (Status::Running, Severity::Warning),
        ] {
            let mut outcome = outcome(status, None);
            outcome.problem = Some(problem.clone());
            assert_eq!(
                shown(&outcome),
                [(
                    severity,
                    "GET operation".to_owned(),
                    "HTTP 500\nhelp: try later".to_owned()
                )],
                "{status}"
            );
        }
        let mut outcome = outcome(Status::Error, None);
        outcome.problem = Some(Problem {
            help: None,
            ..problem
        });
        assert_eq!(shown(&outcome)[0].2, "HTTP 500");
    }

    #[test]
    fn the_failing_steps_errors_come_first() {
        let error = |text: &str| vec![message(Level::Error, text)];
        // Steps in the service's order; the failing ones (failed, rejected, blocked) first, in
        // that order among themselves, then the others, then the operation's own.
        let table = [
            (
                vec![
                    step("a", "complete", error("a")),
                    step("b", "failed", error("b")),
                ],
                vec!["b", "a", "operation"],
            ),
            (
                vec![
                    step("a", "inProgress", error("a")),
                    step("b", "rejected", error("b")),
                    step("c", "blocked", error("c")),
                ],
                vec!["b", "c", "a", "operation"],
            ),
            (
                vec![
                    step("a", "blocked", error("a")),
                    step("b", "notStarted", error("b")),
                ],
                vec!["a", "b", "operation"],
            ),
        ];
        for (steps, expected) in table {
            let outcome = outcome(
                Status::Failed,
                Some(state("failed", steps, error("operation"))),
            );
            assert_eq!(titles(&outcome, Severity::Error), expected);
        }
    }

    #[test]
    fn the_failing_step_survives_the_cap() {
        // Eleven errors before the failing step's one: it must still be shown.
        let noisy: Vec<_> = (0..11)
            .map(|n| message(Level::Error, &format!("noise {n}")))
            .collect();
        let outcome = outcome(
            Status::Failed,
            Some(state(
                "failed",
                vec![
                    step("noisy", "complete", noisy),
                    step("cert", "failed", vec![message(Level::Error, "the cause")]),
                ],
                Vec::new(),
            )),
        );
        let (annotations, dropped) = select(&outcome);
        assert_eq!(annotations.len(), MAX_PER_SEVERITY);
        assert_eq!(annotations[0].message, "the cause");
        assert_eq!(
            dropped,
            Dropped {
                errors: 2,
                warnings: 0
            }
        );
    }

    #[test]
    fn caps_count_what_they_drop() {
        // (errors, warnings) given -> (errors, warnings) shown, dropped.
        let table = [
            ((0, 0), (0, 0), (0, 0)),
            ((10, 10), (10, 10), (0, 0)),
            ((11, 3), (10, 3), (1, 0)),
            ((2, 25), (2, 10), (0, 15)),
        ];
        for (
            (errors, warnings),
            (shown_errors, shown_warnings),
            (dropped_errors, dropped_warnings),
        ) in table
        {
            let mut messages: Vec<_> = (0..errors)
                .map(|n| message(Level::Error, &format!("e{n}")))
                .collect();
            messages.extend((0..warnings).map(|n| message(Level::Warning, &format!("w{n}"))));
            let status = if errors == 0 { "succeeded" } else { "failed" };
            let status_enum = if errors == 0 {
                Status::Succeeded
            } else {
                Status::Failed
            };
            let outcome = outcome(status_enum, Some(state(status, Vec::new(), messages)));
            let (annotations, dropped) = select(&outcome);
            let count = |severity| {
                annotations
                    .iter()
                    .filter(|a| a.severity == severity)
                    .count()
            };
            assert_eq!(
                (count(Severity::Error), count(Severity::Warning)),
                (shown_errors, shown_warnings),
                "{errors} errors, {warnings} warnings"
            );
            assert_eq!(
                dropped,
                Dropped {
                    errors: dropped_errors,
                    warnings: dropped_warnings
                },
                "{errors} errors, {warnings} warnings"
            );
            // Errors before warnings.
            let first_warning = annotations
                .iter()
                .position(|a| a.severity == Severity::Warning)
                .unwrap_or(annotations.len());
            assert!(
                annotations[first_warning..]
                    .iter()
                    .all(|a| a.severity == Severity::Warning)
            );
        }
    }

    #[test]
    fn duplicates_are_shown_once_and_not_counted_as_dropped() {
        // The same (title, message) twice is one annotation; a different title or message is not
        // a duplicate. Eleven copies of one error do not fill the cap.
        let mut messages = vec![message(Level::Error, "same"); 11];
        messages.push(message(Level::Error, "other"));
        messages.extend(vec![message(Level::Warning, "same"); 3]);
        let outcome = outcome(
            Status::Failed,
            Some(state(
                "failed",
                vec![step("s", "failed", vec![message(Level::Error, "same")])],
                messages,
            )),
        );
        let (annotations, dropped) = select(&outcome);
        let shown: Vec<_> = annotations
            .iter()
            .map(|a| (a.severity, a.title.as_str(), a.message.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (Severity::Error, "s", "same"),
                (Severity::Error, "operation", "same"),
                (Severity::Error, "operation", "other"),
                (Severity::Warning, "operation", "same"),
            ]
        );
        assert_eq!(dropped, Dropped::default());
    }

    #[test]
    fn a_message_with_its_own_title_is_shown_under_it() {
        let titled = |level, text: &str| Message {
            title: Some("BadVhd (disk)".to_owned()),
            ..message(level, text)
        };
        let outcome = outcome(
            Status::Failed,
            Some(state(
                "failed",
                vec![step(
                    "cert",
                    "failed",
                    vec![
                        titled(Level::Error, "bad"),
                        message(Level::Error, "plain"),
                        titled(Level::Warning, "hm"),
                    ],
                )],
                Vec::new(),
            )),
        );
        assert_eq!(
            shown(&outcome),
            [
                (
                    Severity::Error,
                    "BadVhd (disk)".to_owned(),
                    "bad".to_owned()
                ),
                (Severity::Error, "cert".to_owned(), "plain".to_owned()),
                (
                    Severity::Warning,
                    "BadVhd (disk)".to_owned(),
                    "hm".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_failure_without_messages_still_says_where() {
        let table = [
            (
                vec![step("cert", "failed", Vec::new())],
                "the operation ended with status failed at step cert; the service gave no message",
            ),
            (
                Vec::new(),
                "the operation ended with status failed; the service gave no message",
            ),
        ];
        for (steps, expected) in table {
            let outcome = outcome(Status::Failed, Some(state("failed", steps, Vec::new())));
            assert_eq!(
                shown(&outcome),
                [(
                    Severity::Error,
                    "publish failed".to_owned(),
                    expected.to_owned()
                )]
            );
        }
    }

    #[test]
    fn the_time_limit_note_only_when_the_limit_passed() {
        let operation = OperationRef {
            id: "op".to_owned(),
            url: Some(url::Url::parse("https://api.example/op").expect("url")),
        };
        let fail = ExitPolicy {
            on_timeout: OnTimeout::Fail,
            report_only: false,
        };
        let report_fail = ExitPolicy {
            on_timeout: OnTimeout::Fail,
            report_only: true,
        };
        // (timed out, policy, note) -> the annotation, if any.
        let table = [
            // timeout: 0 returns at once, running: not a time limit.
            (false, ExitPolicy::default(), None, None),
            (false, fail, None, None),
            (
                true,
                ExitPolicy::default(),
                None,
                Some((
                    Severity::Warning,
                    "the time limit passed; the operation goes on: follow it with command: wait and the operation-url output",
                )),
            ),
            (
                true,
                fail,
                Some("waited 20s"),
                Some((
                    Severity::Error,
                    "waited 20s; the operation goes on: follow it with command: wait and the operation-url output",
                )),
            ),
            (
                true,
                report_fail,
                None,
                Some((
                    Severity::Warning,
                    "the time limit passed; the operation goes on: follow it with command: wait and the operation-url output",
                )),
            ),
        ];
        for (timed_out, policy, note, expected) in table {
            let outcome = Outcome {
                timed_out,
                note: note.map(str::to_owned),
                operation: Some(operation.clone()),
                ..Outcome::new(Status::Running, policy)
            };
            let expected: Vec<_> = expected
                .into_iter()
                .map(|(severity, message)| {
                    (
                        severity,
                        "time limit reached".to_owned(),
                        message.to_owned(),
                    )
                })
                .collect();
            assert_eq!(
                shown(&outcome),
                expected,
                "timed out {timed_out}, {policy:?}"
            );
        }
        // Not for a run that did not end running.
        let outcome = Outcome {
            timed_out: true,
            ..Outcome::new(Status::Unknown, ExitPolicy::default())
        };
        assert_eq!(shown(&outcome), []);
    }

    #[test]
    fn canceled_gets_its_own_error_unless_one_is_there() {
        let problem = Problem {
            title: "cancel".to_owned(),
            message: "HTTP 409".to_owned(),
            help: None,
        };
        // (note, problem) -> what is shown. The service's own error messages count on a failed
        // run only; a canceled one says it was canceled.
        let table = [
            (
                None,
                None,
                vec!["operation canceled: the operation was canceled"],
            ),
            (
                Some("canceled by a person"),
                None,
                vec!["operation canceled: canceled by a person"],
            ),
            (None, Some(problem), vec!["cancel: HTTP 409"]),
        ];
        for (note, problem, expected) in table {
            let outcome = Outcome {
                note: note.map(str::to_owned),
                problem,
                ..outcome(
                    Status::Canceled,
                    Some(state(
                        "canceled",
                        Vec::new(),
                        vec![message(Level::Error, "ignored")],
                    )),
                )
            };
            let (annotations, _) = select(&outcome);
            let shown: Vec<_> = annotations
                .iter()
                .map(|a| format!("{}: {}", a.title, a.message))
                .collect();
            assert_eq!(shown, expected);
            assert!(annotations.iter().all(|a| a.severity == Severity::Error));
        }
    }

    #[test]
    fn an_interrupt_says_the_operation_may_go_on() {
        for (signal, name) in [
            (Signal::Interrupt, "SIGINT"),
            (Signal::Terminate, "SIGTERM"),
        ] {
            let outcome = outcome(Status::Interrupted(signal), None);
            assert_eq!(
                shown(&outcome),
                [(
                    Severity::Error,
                    "interrupted".to_owned(),
                    format!(
                        "{name} stopped the run; an operation it started may still be running on \
                         the service: follow it with command: wait and the offer's ids (its operation URL is not known)"
                    )
                )]
            );
        }
    }

    #[test]
    fn service_text_is_defused_and_cut() {
        let long = "x".repeat(MAX_MESSAGE_CHARS + 10);
        let outcome = outcome(
            Status::Succeeded,
            Some(state(
                "succeeded",
                Vec::new(),
                vec![message(Level::Warning, &long)],
            )),
        );
        let (annotations, _) = select(&outcome);
        assert_eq!(annotations[0].message.chars().count(), MAX_MESSAGE_CHARS);
    }
}
