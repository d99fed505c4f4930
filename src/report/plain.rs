//! Plain output for shells and unknown CI systems: readable lines, no CI commands; in colour for
//! a person at a terminal (statuses, errors, warnings), never in a log, file or pipe.

use std::borrow::Cow;

use super::annotations::{Annotation, Severity};
use super::command::Command;
use super::files::FileError;
use super::output::Output;
use super::sink::{CiSink, Said};
use crate::text::inert_in_line;

pub struct Plain {
    colour: bool,
}

impl Plain {
    /// `colour`: see [`crate::environment::colour_wanted`].
    pub fn new(colour: bool) -> Self {
        Plain { colour }
    }
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const GREEN: &str = "\x1b[1;32m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// The colour of a status, the run's (`failed`) or a step's as the service spells it.
fn status_colour(status: &str) -> Option<&'static str> {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" | "complete" | "completed" | "preview-ready" => Some(GREEN),
        "failed" | "rejected" | "canceled" | "cancelled" | "error" | "invalid-input"
        | "interrupted" | "unknown" => Some(RED),
        "running" | "inprogress" | "waitingforpublisherreview" => Some(YELLOW),
        "notstarted" | "not-started" => Some(DIM),
        _ => None,
    }
}

fn paint(colour: &str, text: &str) -> String {
    format!("{colour}{text}{RESET}")
}

/// Colours a finished line (already inert and redacted, so the codes added here are the only
/// ones): the `error:`/`warning:` labels, the status in the closing line, a step's status.
pub fn colourise(line: &str) -> Cow<'_, str> {
    let body = line.trim_start_matches(' ');
    let indent = &line[..line.len() - body.len()];
    for (label, colour) in [("error:", RED), ("warning:", YELLOW)] {
        if let Some(rest) = body.strip_prefix(label) {
            return Cow::Owned(format!("{indent}{}{rest}", paint(colour, label)));
        }
    }
    if let Some(rest) = body.strip_prefix("publish-offer: ")
        && let Some((status, tail)) = rest.split_once(' ')
        && tail.starts_with("after ")
        && let Some(colour) = status_colour(status)
    {
        return Cow::Owned(format!(
            "{indent}publish-offer: {} {tail}",
            paint(colour, status)
        ));
    }
    // `  step Certification: inProgress 40%`, `  Certification: complete 100%`: the status is the
    // word after the last ": ".
    if !indent.is_empty()
        && let Some(at) = body.rfind(": ")
    {
        let after = &body[at + 2..];
        let word_end = after.find(' ').unwrap_or(after.len());
        if let Some(colour) = status_colour(&after[..word_end]) {
            return Cow::Owned(format!(
                "{indent}{}: {}{}",
                &body[..at],
                paint(colour, &after[..word_end]),
                &after[word_end..]
            ));
        }
    }
    Cow::Borrowed(line)
}

/// `text` as one POSIX shell word: in single quotes, each `'` written `'\''`. Nothing inside
/// single quotes is special to the shell, so a URL from the service runs as data only.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `error: title: first line`, further lines marked `  | `; every line made inert.
pub fn plain_annotation(annotation: &Annotation) -> String {
    let label = match annotation.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut lines = annotation.message.lines();
    let first = lines.next().unwrap_or_default();
    // An API error's message starts with the call, which is also its title: said once, not
    // `error: get operation status: get operation status failed: HTTP 500`.
    let mut text = if crate::text::after_title(first, &annotation.title).is_some() {
        format!("{label}: {}", inert_in_line(first))
    } else {
        format!(
            "{label}: {}: {}",
            inert_in_line(&annotation.title),
            inert_in_line(first)
        )
    };
    // Continuation lines start with a mark: a runner that trims blanks before looking for a
    // command must not find one there.
    for line in lines {
        text.push_str("\n  | ");
        text.push_str(&inert_in_line(line));
    }
    text
}

impl CiSink for Plain {
    fn name(&self) -> &'static str {
        "plain"
    }

    fn lines_on_stderr(&self) -> bool {
        true
    }

    fn follow_up(&self, operation_url: &str) -> Option<String> {
        Some(format!(
            "publish-offer: to follow it, run: MARKETPLACE_COMMAND=wait MARKETPLACE_OPERATION_URL={} publish-offer",
            shell_quote(operation_url)
        ))
    }

    fn set_output(&mut self, _name: Output, _value: &str) -> Result<Option<Command>, FileError> {
        Ok(None)
    }

    fn annotation(&self, annotation: &Annotation) -> Said {
        Said::Text(plain_annotation(annotation))
    }

    fn decorate<'a>(&self, line: &'a str) -> Cow<'a, str> {
        if self.colour {
            line.lines()
                .map(colourise)
                .collect::<Vec<_>>()
                .join("\n")
                .into()
        } else {
            Cow::Borrowed(line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_go_on_our_own_words_only() {
        assert_eq!(
            colourise("error: invalid input: x"),
            format!("{RED}error:{RESET} invalid input: x")
        );
        assert_eq!(
            colourise("publish-offer: failed after 3s"),
            format!("publish-offer: {RED}failed{RESET} after 3s")
        );
        assert_eq!(
            colourise("  step Certification: inProgress 40% (estimated < 5 days)"),
            format!("  step Certification: {YELLOW}inProgress{RESET} 40% (estimated < 5 days)")
        );
        assert_eq!(
            colourise("    warning: the description is short"),
            format!("    {YELLOW}warning:{RESET} the description is short")
        );
        assert_eq!(
            colourise("publish-offer: publishing offer a/b"),
            "publish-offer: publishing offer a/b"
        );
        assert_eq!(
            colourise("https://example.com/a: b"),
            "https://example.com/a: b"
        );
    }

    #[test]
    fn a_message_that_starts_with_its_title_says_it_once() {
        let annotation = |title: &str, message: &str| {
            plain_annotation(&Annotation {
                severity: Severity::Error,
                title: title.into(),
                message: message.into(),
            })
        };
        assert_eq!(
            annotation(
                "get operation status",
                "get operation status failed: HTTP 500: boom"
            ),
            "error: get operation status failed: HTTP 500: boom"
        );
        assert_eq!(
            annotation(
                "publish offer",
                "publish offer: unexpected answer (HTTP 202)"
            ),
            "error: publish offer: unexpected answer (HTTP 202)"
        );
        assert_eq!(
            annotation("Certification", "Certificationless disk"),
            "error: Certification: Certificationless disk"
        );
    }

    #[test]
    fn a_follow_up_url_is_one_shell_word() {
        assert_eq!(
            shell_quote("https://api.example/op?a=1&b=$(rm -rf ~)`x`"),
            "'https://api.example/op?a=1&b=$(rm -rf ~)`x`'"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn service_text_stays_inert() {
        let text = plain_annotation(&Annotation {
            severity: Severity::Error,
            title: "Cert\n::error::x".into(),
            message: "first\n::add-mask::y\n##vso[task.setvariable]z".into(),
        });
        assert_eq!(
            text,
            "error: Cert ::error::x: first\n  | ::add-mask::y\n  | ## vso[task.setvariable]z"
        );
    }
}
