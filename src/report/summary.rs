//! The job summary in Markdown: the offer, the result, the steps and the messages that matter.
//! Service text is escaped so it cannot break the tables; the whole stays far below GitHub's
//! 1 MiB limit.

use std::fmt::Write as _;
use std::time::Duration;

use super::annotations::Dropped;
use crate::api::model::Level;
use crate::config::duration::format_elapsed;
use crate::outcome::{Outcome, Status};
use crate::text::{markdown, truncate};

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

pub fn render(context: &Context<'_>, outcome: &Outcome) -> String {
    let mut md = String::new();
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

    md.push_str("| | |\n|---|---|\n");
    let _ = writeln!(md, "| Status | **{}** |", outcome.status);
    if let Some(state) = &outcome.state {
        let _ = writeln!(md, "| Service status | {} |", markdown(&state.status_text));
    }
    if let Some(operation) = &outcome.operation {
        let _ = writeln!(md, "| Operation | {} |", markdown(&operation.id));
        if let Some(url) = &operation.url {
            let _ = writeln!(
                md,
                "| Operation URL | `{}` |",
                url.as_str().replace('`', "%60")
            );
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

    if let Some(note) = &outcome.note {
        let _ = writeln!(md, "{}\n", markdown(note));
    }
    if let Some(problem) = &outcome.problem {
        let _ = writeln!(
            md,
            "**{}**: {}\n",
            markdown(&problem.title),
            markdown(&problem.message)
        );
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

    let Some(state) = &outcome.state else {
        return md;
    };
    if !state.steps.is_empty() {
        md.push_str("#### Steps\n\n| Step | Status | Progress | Estimate |\n|---|---|---|---|\n");
        for step in state.steps.iter().take(MAX_STEPS) {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                markdown(&truncate(step.label(), MAX_CELL_CHARS)),
                markdown(&truncate(&step.status_text, MAX_CELL_CHARS)),
                step.progress.map(|p| format!("{p}%")).unwrap_or_default(),
                step.estimate
                    .as_deref()
                    .map(|estimate| markdown(&truncate(estimate, MAX_CELL_CHARS)))
                    .unwrap_or_default(),
            );
        }
        if state.steps.len() > MAX_STEPS {
            let _ = writeln!(
                md,
                "\n{} more steps are not listed.",
                state.steps.len() - MAX_STEPS
            );
        }
        md.push('\n');
    }

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
        .filter(|(_, level, _)| *level != Level::Information || outcome.status == Status::Failed)
        .collect();
    if !messages.is_empty() {
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
                markdown(&truncate(text, MAX_MESSAGE_CHARS))
            );
            if md.len() + item.len() > MAX_SUMMARY_BYTES - 512 {
                break;
            }
            md.push_str(&item);
            listed += 1;
        }
        if listed < messages.len() {
            let _ = writeln!(
                md,
                "\n{} more messages are not listed here.",
                messages.len() - listed
            );
        }
        md.push('\n');
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
