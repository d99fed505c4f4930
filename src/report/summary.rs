//! The job summary in Markdown: the offer, the result, the steps and the messages that matter.
//! Service text is escaped so it cannot break the tables; the whole stays far below GitHub's
//! 1 MiB limit.

use std::fmt::Write as _;
use std::time::Duration;

use super::annotations::Dropped;
use crate::api::model::{Level, OperationState};
use crate::outcome::{Outcome, Status};
use crate::text::format_elapsed;
use crate::text::markdown;

/// The summary is cut well below GitHub's 1 MiB per step.
pub const MAX_SUMMARY_BYTES: usize = 64 * 1024;
const MAX_MESSAGE_CHARS: usize = 1000;
const MAX_STEPS: usize = 100;
const MAX_CELL_CHARS: usize = 200;

pub struct Context<'a> {
    pub command: &'a str,
    pub subject: &'a str,
    pub elapsed: Duration,
    pub dropped: Dropped,
}

/// Service text for the summary (a cell, a message): redacted before it is cut, since a secret
/// cut in half is no longer recognised, then made safe for Markdown.
fn cut_for_summary(text: &str, max: usize) -> String {
    markdown(&crate::secret::redact_then_cut(text, max))
}

/// A URL for a code span inside a table cell: one line, and percent-encoded where Markdown
/// would act: a backtick would end the span, and GitHub splits table rows on a `|` (even inside
/// a code span, and after a `\\`, which escapes only itself).
fn code_cell(url: &str) -> String {
    crate::text::single_line(url)
        .replace('`', "%60")
        .replace('|', "%7C")
        .replace('\\', "%5C")
}

pub fn render(context: &Context<'_>, outcome: &Outcome) -> String {
    let mut md = String::new();
    heading(&mut md, context, outcome);
    overview(&mut md, context, outcome);
    explanation(&mut md, outcome);
    if let Some(state) = &outcome.state {
        steps(&mut md, state);
        links(&mut md, state);
        messages(&mut md, state, outcome.status);
    }
    let Dropped { errors, warnings } = context.dropped;
    if errors + warnings > 0 {
        let _ = writeln!(
            md,
            "{errors} more errors and {warnings} more warnings were not raised as annotations (at most 10 of each are shown); they are listed above.\n"
        );
    }
    md
}

fn heading(md: &mut String, context: &Context<'_>, outcome: &Outcome) {
    let subject = if context.subject.is_empty() {
        String::new()
    } else {
        format!(" `{}`", context.subject.replace('`', "'"))
    };
    let _ = writeln!(
        md,
        "### publish-offer {}{subject}: {}\n",
        context.command, outcome.status
    );
}

/// The table of what happened: status, operation, the step that failed, version, duration.
fn overview(md: &mut String, context: &Context<'_>, outcome: &Outcome) {
    md.push_str("| | |\n|---|---|\n");
    let _ = writeln!(md, "| Status | **{}** |", outcome.status);
    if let Some(state) = &outcome.state {
        let _ = writeln!(md, "| Service status | {} |", markdown(&state.status_text));
    }
    if let Some(step) = outcome
        .state
        .as_ref()
        .filter(|_| outcome.status == Status::Failed)
        .and_then(|state| state.failed_step())
    {
        let _ = writeln!(
            md,
            "| Failed step | {} |",
            cut_for_summary(step.label(), MAX_CELL_CHARS)
        );
    }
    if let Some(operation) = &outcome.operation {
        let _ = writeln!(md, "| Operation | {} |", markdown(&operation.id));
        if let Some(url) = &operation.url {
            let _ = writeln!(md, "| Operation URL | `{}` |", code_cell(url.as_str()));
        }
    }
    if outcome.attached {
        md.push_str("| Attached | yes: waited on an operation that was already running |\n");
    }
    if let Some(version) = outcome
        .state
        .as_ref()
        .and_then(|s| s.offer_version.as_ref())
    {
        let _ = writeln!(md, "| Offer version | {} |", markdown(version));
    }
    let _ = writeln!(md, "| Duration | {} |", format_elapsed(context.elapsed));
    let _ = writeln!(
        md,
        "| Timed out | {} |",
        if outcome.timed_out { "yes" } else { "no" }
    );
    md.push('\n');
}

/// The note, the problem and its help, an interruption.
fn explanation(md: &mut String, outcome: &Outcome) {
    if let Some(note) = &outcome.note {
        let _ = writeln!(md, "{}\n", markdown(note));
    }
    if let Some(problem) = &outcome.problem
        && !several_problems(md, problem)
    {
        // The call is said once: bold where the message already names it.
        let _ = match crate::text::after_title(&problem.message, &problem.title) {
            Some(rest) => {
                let (separator, rest) = match rest.strip_prefix(':') {
                    Some(rest) => (": ", rest),
                    None => (" ", rest),
                };
                let title = markdown(&problem.title);
                writeln!(
                    md,
                    "**{title}**{separator}{}\n",
                    markdown(rest.trim_start())
                )
            }
            None => writeln!(
                md,
                "**{}**: {}\n",
                markdown(&problem.title),
                markdown(&problem.message)
            ),
        };
        if let Some(help) = &problem.help {
            let _ = writeln!(md, "help: {}\n", markdown(help));
        }
    }
    if let Status::Interrupted(signal) = outcome.status {
        let _ = writeln!(
            md,
            "The run was interrupted by {}. An operation it started may still be running on the service.\n",
            signal.name()
        );
    }
}

/// Several problems in one message (every bad input at once): one a line, as a list, not run
/// together in a paragraph. False when the message is one line.
fn several_problems(md: &mut String, problem: &crate::outcome::Problem) -> bool {
    let lines: Vec<&str> = problem
        .message
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    if lines.len() < 2 {
        return false;
    }
    let _ = writeln!(md, "**{}**:\n", markdown(&problem.title));
    for line in lines {
        let _ = writeln!(md, "- {}", markdown(line));
    }
    md.push('\n');
    if let Some(help) = &problem.help {
        let _ = writeln!(md, "help: {}\n", markdown(help));
    }
    true
}

fn steps(md: &mut String, state: &OperationState) {
    if state.steps.is_empty() {
        return;
    }
    md.push_str("#### Steps\n\n| Step | Status | Progress | Estimate |\n|---|---|---|---|\n");
    for step in state.steps.iter().take(MAX_STEPS) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            cut_for_summary(step.label(), MAX_CELL_CHARS),
            cut_for_summary(&step.status_text, MAX_CELL_CHARS),
            step.progress.map(|p| format!("{p}%")).unwrap_or_default(),
            step.estimate
                .as_deref()
                .map(|estimate| cut_for_summary(estimate, MAX_CELL_CHARS))
                .unwrap_or_default(),
        );
    }
    // The reading itself may have dropped some already (it keeps 1,000).
    let more_steps = state.steps.len().saturating_sub(MAX_STEPS) + state.more_steps;
    if more_steps > 0 {
        let _ = writeln!(md, "\n{more_steps} more steps are not listed.");
    }
    md.push('\n');
}

fn links(md: &mut String, state: &OperationState) {
    for (label, links) in [
        ("Preview links", &state.preview_links),
        ("Live links", &state.live_links),
    ] {
        if !links.is_empty() {
            let _ = writeln!(md, "#### {label}\n");
            for link in links {
                let _ = writeln!(md, "- {}", markdown(link));
            }
            md.push('\n');
        }
    }
}

/// Errors and warnings whatever the outcome (a warning on a successful publish still needs
/// reading); information only when the operation failed, where it may explain why.
fn messages(md: &mut String, state: &OperationState, status: Status) {
    let messages: Vec<(&str, Level, &str)> = state
        .steps
        .iter()
        .flat_map(|step| {
            step.messages.iter().map(move |m| {
                (
                    m.title.as_deref().unwrap_or(step.label()),
                    m.level,
                    m.text.as_str(),
                )
            })
        })
        .chain(
            state
                .messages
                .iter()
                .map(|m| ("operation", m.level, m.text.as_str())),
        )
        .filter(|(_, level, _)| *level != Level::Information || status == Status::Failed)
        .collect();
    if messages.is_empty() {
        return;
    }
    md.push_str("#### Messages\n\n");
    let mut listed = 0;
    for (step, level, text) in &messages {
        let level = match level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Information => "info",
        };
        let item = format!(
            "- **{}** ({level}): {}\n",
            markdown(step),
            cut_for_summary(text, MAX_MESSAGE_CHARS)
        );
        if md.len() + item.len() > MAX_SUMMARY_BYTES - 512 {
            break;
        }
        md.push_str(&item);
        listed += 1;
    }
    // Plus those the reading dropped (it keeps 100 per step and for the operation).
    let unlisted = messages.len() - listed + state.more_messages;
    if unlisted > 0 {
        let _ = writeln!(md, "\n{unlisted} more messages are not listed here.");
    }
    md.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::{Message, Step, StepStatus};
    use crate::outcome::ExitPolicy;

    fn step(name: &str, status: StepStatus, text: &str, messages: Vec<Message>) -> Step {
        Step {
            id: name.to_ascii_lowercase(),
            name: name.to_owned(),
            status,
            status_text: text.to_owned(),
            progress: None,
            estimate: None,
            messages,
        }
    }

    fn render_with(status: Status, steps: Vec<Step>) -> String {
        let outcome = Outcome {
            state: Some(OperationState {
                steps,
                ..OperationState::with_status("x")
            }),
            ..Outcome::new(status, ExitPolicy::default())
        };
        let context = Context {
            command: "publish",
            subject: "contoso/vm",
            elapsed: Duration::from_secs(3),
            dropped: Dropped::default(),
        };
        render(&context, &outcome)
    }

    #[test]
    fn a_failed_run_names_the_failed_step_in_the_table() {
        let md = render_with(
            Status::Failed,
            vec![
                step("Validation", StepStatus::Complete, "complete", vec![]),
                step("Certification", StepStatus::Failed, "failed", vec![]),
            ],
        );
        assert!(md.contains("| Failed step | Certification |"), "{md}");
        let md = render_with(
            Status::Succeeded,
            vec![step("Validation", StepStatus::Complete, "complete", vec![])],
        );
        assert!(!md.contains("Failed step"), "{md}");
    }

    #[test]
    fn warnings_are_listed_on_success_too() {
        let warning = Message {
            level: Level::Warning,
            text: "lead management is not configured".to_owned(),
            title: None,
        };
        let info = Message {
            level: Level::Information,
            text: "Step completed.".to_owned(),
            title: None,
        };
        let md = render_with(
            Status::Succeeded,
            vec![step(
                "Packaging",
                StepStatus::Complete,
                "complete",
                vec![warning, info],
            )],
        );
        assert!(md.contains("#### Messages"), "{md}");
        assert!(
            md.contains("- **Packaging** (warning): lead management is not configured"),
            "{md}"
        );
        assert!(!md.contains("Step completed."), "{md}");
    }

    #[test]
    fn a_problem_names_its_call_once() {
        let context = Context {
            command: "publish",
            subject: "contoso/vm",
            elapsed: Duration::from_secs(3),
            dropped: Dropped::default(),
        };
        let with_problem = |title: &str, message: &str| Outcome {
            problem: Some(crate::outcome::Problem {
                title: title.to_owned(),
                message: message.to_owned(),
                help: None,
            }),
            ..Outcome::new(Status::Error, ExitPolicy::default())
        };
        let md = render(
            &context,
            &with_problem("get token", "get token failed: HTTP 400: bad"),
        );
        assert!(md.contains("**get token** failed: HTTP 400: bad"), "{md}");
        let md = render(&context, &with_problem("get token", "HTTP 400: bad"));
        assert!(md.contains("**get token**: HTTP 400: bad"), "{md}");
    }
}
