//! The lines that follow an operation while the run waits: the steps that changed at each
//! reading, the links as soon as they are known, the live display's status; and at the end the
//! collapsible group of steps and messages and the closing line. Service text on them is cut to
//! [`MAX_NAME_CHARS`] (a name) or [`annotations::MAX_MESSAGE_CHARS`] (a message), then made
//! inert.

use std::collections::HashMap;

use super::Reporter;
use crate::api::model::{Level, OperationState, Step, StepStatus};
use crate::outcome::Outcome;
use crate::report::annotations;
use crate::report::limits::{
    MAX_DETAIL_MESSAGES, MAX_DETAIL_STEPS, MAX_NAME_CHARS, MAX_PROGRESS_LINES,
    MAX_STEP_LINES_PER_POLL,
};
use crate::secret;
use crate::text::format_elapsed;
use crate::text::{inert_in_line, inert_whole_line};

/// What the progress lines have shown so far, so that only changes are printed.
#[derive(Debug, Default)]
pub(super) struct Shown {
    /// The last status shown for each step.
    step_status: HashMap<String, String>,
    /// Preview and live links already printed.
    printed_links: Vec<String>,
    /// Progress lines printed so far, against [`MAX_PROGRESS_LINES`].
    progress_lines: usize,
}

impl Reporter {
    /// Prints the steps whose status changed since the last reading. Steps not started yet are
    /// noted silently the first time: they have not changed.
    pub fn progress(&mut self, state: &OperationState) {
        let mut lines = Vec::new();
        let mut changed = 0usize;
        for step in &state.steps {
            if !self.changed(step) {
                continue;
            }
            changed += 1;
            // Only the lines that will be printed are built: a wide answer costs no more.
            if lines.len() < MAX_STEP_LINES_PER_POLL {
                lines.push(progress_line(step));
            }
        }
        if changed > lines.len() {
            lines.push(format!("  … {} more steps changed", changed - lines.len()));
        }
        self.print_progress(lines);
        self.links(state);
        if let Some(live) = &self.live {
            live.set_status(
                secret::redact(&inert_whole_line(&current_activity(state))).into_owned(),
            );
        }
    }

    /// Preview and live links as soon as they are known: a heading, then one plain URL per line,
    /// which terminals and CI logs make clickable. Only `https://` URLs are printed; anything else
    /// the service sent stays in the outputs and the summary.
    pub(super) fn links(&mut self, state: &OperationState) {
        for (heading, links) in [
            ("preview links:", &state.preview_links),
            ("live links:", &state.live_links),
        ] {
            let new: Vec<String> = links
                .iter()
                .filter(|link| is_printable_link(link) && !self.shown.printed_links.contains(link))
                .cloned()
                .collect();
            if new.is_empty() {
                continue;
            }
            self.line(&format!("publish-offer: {heading}"));
            for link in new {
                self.line(&link);
                self.shown.printed_links.push(link);
            }
        }
    }

    /// Whether `step` changed status since the last reading (a step first seen not started has
    /// not).
    fn changed(&mut self, step: &Step) -> bool {
        let key = if step.id.is_empty() {
            step.name.clone()
        } else {
            step.id.clone()
        };
        let previous = self.shown.step_status.insert(key, step.status_text.clone());
        !(previous.as_ref() == Some(&step.status_text)
            || (previous.is_none() && step.status == StepStatus::NotStarted))
    }

    /// Prints progress lines up to [`MAX_PROGRESS_LINES`] in the run, then says once that it
    /// stops.
    fn print_progress(&mut self, lines: Vec<String>) {
        for line in lines {
            match self.shown.progress_lines.cmp(&MAX_PROGRESS_LINES) {
                std::cmp::Ordering::Less => self.line(&line),
                std::cmp::Ordering::Equal => self.line(&format!(
                    "publish-offer: {MAX_PROGRESS_LINES} progress lines printed; no more until \
                     the end (the summary lists every step)"
                )),
                std::cmp::Ordering::Greater => {}
            }
            self.shown.progress_lines = self.shown.progress_lines.saturating_add(1);
        }
    }

    /// The steps and their messages, in a collapsible group of the CI log: the whole story for
    /// systems without a summary page, out of the way for the others.
    pub(super) fn details(&mut self, state: &OperationState) {
        if state.steps.is_empty() && state.messages.is_empty() {
            return;
        }
        let title = "publish-offer: steps and messages";
        match self.sink.group_start(title) {
            Some(start) => self.command(&start),
            None => self.line(&format!("{title}:")),
        }
        let mut messages_left = MAX_DETAIL_MESSAGES;
        let mut messages_cut = 0usize;
        for step in state.steps.iter().take(MAX_DETAIL_STEPS) {
            let mut line = format!(
                "  {}: {}",
                name_text(step.label()),
                name_text(&step.status_text)
            );
            if let Some(progress) = step.progress {
                line.push_str(&format!(" {progress}%"));
            }
            self.line(&line);
            let shown = step.messages.len().min(messages_left);
            for message in &step.messages[..shown] {
                let about = message
                    .title
                    .as_deref()
                    .map(|title| format!(" ({})", name_text(title)))
                    .unwrap_or_default();
                self.line(&format!(
                    "    {}{about}: {}",
                    level_name(message.level),
                    message_text(&message.text)
                ));
            }
            messages_left -= shown;
            messages_cut += step.messages.len() - shown;
        }
        // The reading itself may have dropped some already (it keeps 1,000 steps, 100 messages).
        let more_steps = state.steps.len().saturating_sub(MAX_DETAIL_STEPS) + state.more_steps;
        if more_steps > 0 {
            self.line(&format!("  … {more_steps} more steps"));
            messages_cut += state
                .steps
                .iter()
                .skip(MAX_DETAIL_STEPS)
                .map(|step| step.messages.len())
                .sum::<usize>();
        }
        messages_cut += state.more_messages;
        let shown = state.messages.len().min(messages_left);
        for message in &state.messages[..shown] {
            self.line(&format!(
                "  operation {}: {}",
                level_name(message.level),
                message_text(&message.text)
            ));
        }
        messages_cut += state.messages.len() - shown;
        if messages_cut > 0 {
            self.line(&format!(
                "  … {messages_cut} more messages (the summary and the result file hold more)"
            ));
        }
        if let Some(end) = self.sink.group_end() {
            self.command(&end);
        }
    }
}

/// A link worth printing on a line of its own: one `https://` URL, no spaces or controls.
fn is_printable_link(link: &str) -> bool {
    link.len() <= 2048
        && !link.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(link).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
}

/// `  step Certification: inProgress 40% (estimated < 1 day)`.
fn progress_line(step: &Step) -> String {
    let mut line = format!(
        "  step {}: {}",
        name_text(step.label()),
        name_text(&step.status_text)
    );
    let open = !matches!(
        step.status,
        StepStatus::Complete | StepStatus::Failed | StepStatus::Rejected | StepStatus::Canceled
    );
    if let Some(progress) = step
        .progress
        .filter(|_| step.status == StepStatus::InProgress)
    {
        line.push_str(&format!(" {progress}%"));
    }
    if let Some(estimate) = step.estimate.as_ref().filter(|_| open) {
        line.push_str(&format!(" (estimated {})", name_text(estimate)));
    }
    line
}

/// A name from the service for a log line: cut, then made inert.
fn name_text(text: &str) -> String {
    inert_in_line(&secret::redact_then_cut(text, MAX_NAME_CHARS))
}

/// A message from the service for a log line: cut, then made inert.
fn message_text(text: &str) -> String {
    inert_in_line(&secret::redact_then_cut(
        text,
        annotations::MAX_MESSAGE_CHARS,
    ))
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Information => "info",
    }
}

/// What the live display says the operation is doing: the first step under way.
fn current_activity(state: &OperationState) -> String {
    state
        .steps
        .iter()
        .find(|step| !matches!(step.status, StepStatus::Complete | StepStatus::NotStarted))
        .map(|step| {
            let progress = step.progress.map(|p| format!(" {p}%")).unwrap_or_default();
            format!(
                "{}: {}{progress}",
                name_text(step.label()),
                name_text(&step.status_text)
            )
        })
        .unwrap_or_else(|| format!("operation {}", name_text(&state.status_text)))
}

pub(super) fn closing_line(outcome: &Outcome, elapsed: std::time::Duration) -> String {
    let mut line = format!(
        "publish-offer: {} after {}",
        outcome.status,
        format_elapsed(elapsed)
    );
    if let Some(note) = &outcome.note {
        line.push_str(": ");
        line.push_str(&message_text(note));
    }
    line
}
