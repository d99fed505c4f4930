//! Azure Pipelines: `##vso[...]` logging commands on stdout, output variables with
//! `isoutput=true`, and the summary uploaded as a Markdown file from the agent's temp directory.

use std::path::PathBuf;

use super::command::{Command, FormattingCommand, LoggingCommand};
use super::files::{self, FileError};
use super::{Annotation, CiSink, Output, Said, Severity};
use crate::config::Environment;

pub struct AzurePipelines {
    temp_directory: Option<PathBuf>,
}

impl AzurePipelines {
    pub fn from_environment(environment: &Environment) -> Self {
        AzurePipelines {
            temp_directory: environment
                .get("AGENT_TEMPDIRECTORY")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
        }
    }
}

/// Message data, as `azure-pipelines-task-lib` escapes it: `%` first, then CR and LF. The
/// markers any runner finds anywhere in a line (`##vso[`, and GitHub's `##[`) are broken first
/// ([`crate::text::inert_command_value`]): the agent and a runner reading a forwarded log look
/// for commands anywhere in a line.
pub fn escape_data(text: &str) -> String {
    crate::text::inert_command_value(text)
        .replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values: as data, plus `]` and `;`, which end a property.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(']', "%5D").replace(';', "%3B")
}

/// `operation-id` -> `operation_id`: variable names take letters, digits, `.` and `_` only.
pub fn variable_name(name: Output) -> String {
    name.name().replace('-', "_")
}

impl CiSink for AzurePipelines {
    fn name(&self) -> &'static str {
        "Azure Pipelines"
    }

    fn mask_command(&self, value: &str) -> Option<Command> {
        Some(Command::logging(LoggingCommand::SetSecret, &[], value))
    }

    fn set_output(&mut self, name: Output, value: &str) -> Result<Option<Command>, FileError> {
        Ok(Some(Command::logging(
            LoggingCommand::SetVariable,
            &[("variable", &variable_name(name)), ("isoutput", "true")],
            value,
        )))
    }

    fn annotation(&self, annotation: &Annotation) -> Said {
        let kind = match annotation.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        Said::Command(Command::logging(
            LoggingCommand::LogIssue,
            &[("type", kind)],
            &format!("{}: {}", annotation.title, annotation.message),
        ))
    }

    fn group_start(&self, title: &str) -> Option<Command> {
        Some(Command::formatting(FormattingCommand::Group, title))
    }

    fn group_end(&self) -> Option<Command> {
        Some(Command::formatting(FormattingCommand::EndGroup, ""))
    }

    fn publish_summary(&mut self, markdown: &str) -> Result<Option<Command>, FileError> {
        let Some(directory) = &self.temp_directory else {
            tracing::warn!("AGENT_TEMPDIRECTORY is not set: the summary is not uploaded");
            return Ok(None);
        };
        let path = directory.join(format!(
            "publish-offer-summary-{:08x}.md",
            fastrand::u32(..)
        ));
        files::replace(&path, markdown)
            .map_err(|error| FileError::new("AGENT_TEMPDIRECTORY", &path, error))?;
        Ok(Some(Command::logging(
            LoggingCommand::UploadSummary,
            &[],
            &path.display().to_string(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_task_lib() {
        assert_eq!(escape_data("50%\r\nx"), "50%AZP25%0D%0Ax");
        assert_eq!(escape_property("a;b]c"), "a%3Bb%5Dc");
        assert_eq!(
            escape_data("x ##vso[task.complete]"),
            "x ## vso[task.complete]"
        );
        // GitHub's v1 commands, and markers hidden by a character the runners skip.
        assert_eq!(
            escape_data("##[set-output name=x]y ##\u{640}vso[a.b]"),
            "## [set-output name=x]y ## \u{640}vso[a.b]"
        );
    }

    #[test]
    fn variable_names_use_underscores() {
        assert_eq!(variable_name(Output::OperationId), "operation_id");
        assert_eq!(variable_name(Output::TimedOut), "timed_out");
    }
}
