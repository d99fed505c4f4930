//! GitHub Actions: outputs in `$GITHUB_OUTPUT`, the summary in `$GITHUB_STEP_SUMMARY`, workflow
//! commands on stdout, escaped exactly as `@actions/core` escapes them.

use std::path::PathBuf;

use super::command::{Command, WorkflowCommand};
use super::files::{self, FileError};
use super::{Annotation, CiSink, Output, Said, Severity};
use crate::config::Environment;
use crate::text::inert_command_value;

pub struct GitHub {
    output_file: Option<PathBuf>,
    summary_file: Option<PathBuf>,
    warned: bool,
}

impl GitHub {
    pub fn from_environment(environment: &Environment) -> Self {
        GitHub {
            output_file: environment
                .get("GITHUB_OUTPUT")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            summary_file: environment
                .get("GITHUB_STEP_SUMMARY")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            warned: false,
        }
    }
}

/// Message data: `%` first, then CR and LF; the markers other runners find anywhere in a line
/// broken first ([`inert_command_value`]), as a GitHub log may be read by another runner.
pub fn escape_data(text: &str) -> String {
    inert_command_value(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values (`title=`): as data, plus `:` and `,`, which end a property.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `name=value`, or for a value with line breaks the heredoc form with a delimiter that the
/// value does not contain.
pub fn output_entry(name: &str, value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let mut delimiter = format!("ghadelimiter_{:016x}", fastrand::u64(..));
    while value.contains(&delimiter) {
        delimiter = format!("ghadelimiter_{:016x}", fastrand::u64(..));
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

impl CiSink for GitHub {
    fn name(&self) -> &'static str {
        "GitHub Actions"
    }

    fn mask_command(&self, value: &str) -> Option<Command> {
        Some(Command::workflow(WorkflowCommand::AddMask, &[], value))
    }

    fn set_output(&mut self, name: Output, value: &str) -> Result<Option<Command>, FileError> {
        match &self.output_file {
            Some(path) => files::append(path, &output_entry(name.name(), value))
                .map(|()| None)
                .map_err(|error| FileError::new("GITHUB_OUTPUT", path, error)),
            None if !self.warned => {
                self.warned = true;
                tracing::warn!("GITHUB_OUTPUT is not set: step outputs are not written");
                Ok(None)
            }
            None => Ok(None),
        }
    }

    fn annotation(&self, annotation: &Annotation) -> Said {
        let command = match annotation.severity {
            Severity::Error => WorkflowCommand::Error,
            Severity::Warning => WorkflowCommand::Warning,
        };
        Said::Command(Command::workflow(
            command,
            &[("title", &annotation.title)],
            &annotation.message,
        ))
    }

    fn group_start(&self, title: &str) -> Option<Command> {
        Some(Command::workflow(WorkflowCommand::Group, &[], title))
    }

    fn group_end(&self) -> Option<Command> {
        Some(Command::workflow(WorkflowCommand::EndGroup, &[], ""))
    }

    fn publish_summary(&mut self, markdown: &str) -> Result<Option<Command>, FileError> {
        match &self.summary_file {
            Some(path) => files::append(path, markdown)
                .map(|()| None)
                .map_err(|error| FileError::new("GITHUB_STEP_SUMMARY", path, error)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(escape_data("100%\r\n::error::x"), "100%25%0D%0A::error::x");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    /// A GitHub log read by the Azure agent (forwarded, nested, or misdetected): no `##vso[`,
    /// even one that the agent sees only once it skips a zero-width space or a soft hyphen.
    #[test]
    fn data_holds_no_marker_of_another_runner() {
        assert_eq!(
            escape_data("x #\u{200b}#vso[task.complete] ##\u{ad}[group]"),
            "x #\u{200b}# vso[task.complete] ## \u{ad}[group]"
        );
    }

    #[test]
    fn multi_line_outputs_use_a_heredoc() {
        assert_eq!(output_entry("status", "succeeded"), "status=succeeded\n");
        let entry = output_entry("preview-links", "https://a\nhttps://b");
        let mut lines = entry.lines();
        let first = lines.next().expect("header");
        let delimiter = first.strip_prefix("preview-links<<").expect("heredoc");
        assert!(delimiter.starts_with("ghadelimiter_"));
        assert_eq!(lines.next(), Some("https://a"));
        assert_eq!(lines.next(), Some("https://b"));
        assert_eq!(lines.next(), Some(delimiter));
    }

    proptest! {
        #[test]
        fn escaped_data_is_one_line_and_reversible(text in "\\PC{0,60}|[%\\r\\n:,a]{0,30}") {
            // Text with a marker in it is not given back as it was: the marker is broken.
            prop_assume!(inert_command_value(&text) == text);
            let escaped = escape_data(&text);
            prop_assert!(!escaped.contains('\n') && !escaped.contains('\r'));
            let unescaped = escaped.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%");
            prop_assert_eq!(unescaped, text);
        }

        #[test]
        fn escaped_property_has_no_separators(text in "\\PC{0,60}|[%\\r\\n:,a]{0,30}") {
            let escaped = escape_property(&text);
            prop_assert!(!escaped.contains([':', ',', '\n', '\r']));
        }

        #[test]
        fn heredoc_delimiter_never_occurs_in_the_value(value in "(ghadelimiter_[0-9a-f]{0,16}\\n?){0,4}") {
            let entry = output_entry("x", &value);
            if let Some(header) = entry.lines().next().and_then(|l| l.strip_prefix("x<<")) {
                prop_assert!(!value.contains(header));
            }
        }
    }
}
