//! GitHub Actions: outputs in `$GITHUB_OUTPUT`, the summary in `$GITHUB_STEP_SUMMARY`, workflow
//! commands on stdout, escaped exactly as `@actions/core` escapes them.

use std::path::PathBuf;

use super::annotations::{Annotation, Severity};
use super::command::{Command, WorkflowCommand};
/// Kept at their old paths for the callers outside report/ (the secret registry's test).
pub use super::escape::github::{escape_data, escape_property};
use super::files::{self, FileError};
use super::output::Output;
use super::sink::{CiSink, Said};
use crate::environment::Environment;

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

/// One output entry, always in the delimiter form `name<<D\nvalue\nD\n` with the delimiter
/// last, so that a write cut short (a full disk) can never leave an entry the runner reads as a
/// value: its parser (actions/runner `EnvFileKeyValuePairs`) rejects a heredoc whose delimiter
/// line never comes, where a cut `name=val` would read as the value `val`. The delimiter is
/// random and not in the value, as `@actions/core` makes it.
pub fn output_entry(name: &str, value: &str) -> String {
    let mut delimiter = format!("ghadelimiter_{:016x}", fastrand::u64(..));
    while value.contains(&delimiter) {
        delimiter = format!("ghadelimiter_{:016x}", fastrand::u64(..));
    }
    if value.is_empty() {
        return format!("{name}<<{delimiter}\n{delimiter}\n");
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
    use crate::report::runner_parsers::github_file_commands;
    use proptest::prelude::*;

    #[test]
    fn every_output_uses_the_delimiter_form() {
        for (value, lines) in [
            ("succeeded", vec!["succeeded"]),
            ("https://a\nhttps://b", vec!["https://a", "https://b"]),
            ("", vec![]),
        ] {
            let entry = output_entry("preview-links", value);
            let mut read = entry.lines();
            let first = read.next().expect("header");
            let delimiter = first.strip_prefix("preview-links<<").expect("heredoc");
            assert!(delimiter.starts_with("ghadelimiter_"));
            let rest: Vec<&str> = read.collect();
            assert_eq!(
                rest.split_last(),
                Some((&delimiter, &lines[..])),
                "{entry:?}"
            );
            assert!(entry.ends_with('\n'));
        }
    }

    /// Earlier entries, then the entry for `value` cut after `cut` bytes, as a full disk leaves
    /// it, read by the runner: the earlier entries, then either nothing more (an error, or an
    /// empty cut) or, for a cut that only lost the final line break, the whole value.
    fn read_cut(value: &str, cut: usize) -> Result<(), String> {
        let earlier = output_entry("operation-id", "56615b67-2185");
        let entry = output_entry("operation-url", value);
        let text = format!("{earlier}{}", &entry[..cut]);
        let (pairs, error) = github_file_commands(&text);
        let expected_earlier = ("operation-id".to_owned(), "56615b67-2185".to_owned());
        match pairs.as_slice() {
            [first] if *first == expected_earlier => Ok(()),
            [first, (name, read)] if *first == expected_earlier && error.is_none() => {
                if name == "operation-url" && read == value && cut + 1 >= entry.len() {
                    Ok(())
                } else {
                    Err(format!("cut at {cut} of {entry:?} reads {name}={read:?}"))
                }
            }
            _ => Err(format!("cut at {cut} of {entry:?}: {pairs:?} {error:?}")),
        }
    }

    #[test]
    fn a_cut_plain_entry_would_have_read_as_a_value() {
        // What the delimiter form prevents: `name=value` cut short is a shorter value.
        let (pairs, error) = github_file_commands("operation-url=http://127.0.0.1:1/of");
        assert_eq!(error, None);
        assert_eq!(pairs[0].1, "http://127.0.0.1:1/of");
    }

    proptest! {
        #[test]
        fn heredoc_delimiter_never_occurs_in_the_value(value in "(ghadelimiter_[0-9a-f]{0,16}\\n?){0,4}") {
            let entry = output_entry("x", &value);
            if let Some(header) = entry.lines().next().and_then(|l| l.strip_prefix("x<<")) {
                prop_assert!(!value.contains(header));
            }
        }

        #[test]
        fn no_prefix_of_an_entry_reads_as_another_value(
            value in "(https?://[a-z0-9.:/?=&%-]{0,40}|[a-z]{0,12})(\\n[a-z:/.]{1,20}){0,2}",
        ) {
            let entry = output_entry("operation-url", &value);
            for cut in 0..=entry.len() {
                if entry.is_char_boundary(cut) {
                    prop_assert_eq!(read_cut(&value, cut), Ok(()));
                }
            }
        }
    }
}
