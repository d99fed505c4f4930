//! The CI commands this program means to write, built from typed parts. A [`Command`] can only
//! be made here, by naming one of the commands below; every other line the program writes is
//! text, made inert by [`crate::text::inert_whole_line`] on its way out. So service text can reach a
//! command only as an escaped property or data value, never as a command of its own.

use super::escape::{azure, github};

/// One command line, ready to write as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    line: String,
}

/// The GitHub Actions workflow commands this program writes (`::name props::data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowCommand {
    AddMask,
    Error,
    Warning,
    Group,
    EndGroup,
}

impl WorkflowCommand {
    pub fn name(self) -> &'static str {
        match self {
            WorkflowCommand::AddMask => "add-mask",
            WorkflowCommand::Error => "error",
            WorkflowCommand::Warning => "warning",
            WorkflowCommand::Group => "group",
            WorkflowCommand::EndGroup => "endgroup",
        }
    }
}

/// The Azure Pipelines logging commands this program writes (`##vso[area.event props]data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoggingCommand {
    SetSecret,
    SetVariable,
    LogIssue,
    UploadSummary,
}

impl LoggingCommand {
    pub fn name(self) -> &'static str {
        match self {
            LoggingCommand::SetSecret => "task.setsecret",
            LoggingCommand::SetVariable => "task.setvariable",
            LoggingCommand::LogIssue => "task.logissue",
            LoggingCommand::UploadSummary => "task.uploadsummary",
        }
    }
}

/// The Azure Pipelines formatting lines (`##[group]title`) this program writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormattingCommand {
    Group,
    EndGroup,
}

impl Command {
    /// `::name key=value,key=value::data`, keys ours, values and data escaped as `@actions/core`
    /// escapes them.
    pub fn workflow(
        command: WorkflowCommand,
        properties: &[(&'static str, &str)],
        data: &str,
    ) -> Command {
        let properties = properties
            .iter()
            .map(|(key, value)| format!("{key}={}", github::escape_property(value)))
            .collect::<Vec<_>>()
            .join(",");
        let separator = if properties.is_empty() { "" } else { " " };
        Command {
            line: format!(
                "::{}{separator}{properties}::{}",
                command.name(),
                github::escape_data(data)
            ),
        }
    }

    /// `##vso[area.event key=value;key=value]data`, values and data escaped as the task library
    /// escapes them.
    pub fn logging(
        command: LoggingCommand,
        properties: &[(&'static str, &str)],
        data: &str,
    ) -> Command {
        let properties = properties
            .iter()
            .map(|(key, value)| format!("{key}={}", azure::escape_property(value)))
            .collect::<Vec<_>>()
            .join(";");
        let separator = if properties.is_empty() { "" } else { " " };
        Command {
            line: format!(
                "##vso[{}{separator}{properties}]{}",
                command.name(),
                azure::escape_data(data)
            ),
        }
    }

    /// `##[group]title`: the title is made inert, as the agent has no escaping for it.
    pub fn formatting(command: FormattingCommand, title: &str) -> Command {
        let line = match command {
            FormattingCommand::Group => format!("##[group]{}", crate::text::inert_in_line(title)),
            FormattingCommand::EndGroup => "##[endgroup]".to_owned(),
        };
        Command { line }
    }

    /// A GitLab collapsible section marker; the title is made inert.
    pub fn gitlab_section(
        start: bool,
        at_seconds: u64,
        name: &'static str,
        title: &str,
    ) -> Command {
        let line = if start {
            format!(
                "\u{1b}[0Ksection_start:{at_seconds}:{name}[collapsed=true]\r\u{1b}[0K{}",
                crate::text::inert_in_line(title)
            )
        } else {
            format!("\u{1b}[0Ksection_end:{at_seconds}:{name}\r\u{1b}[0K")
        };
        Command { line }
    }

    pub fn as_str(&self) -> &str {
        &self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_spelled_as_the_runners_expect() {
        assert_eq!(
            Command::workflow(WorkflowCommand::Error, &[("title", "a:b")], "x\ny").as_str(),
            "::error title=a%3Ab::x%0Ay"
        );
        assert_eq!(
            Command::workflow(WorkflowCommand::EndGroup, &[], "").as_str(),
            "::endgroup::"
        );
        assert_eq!(
            Command::logging(
                LoggingCommand::SetVariable,
                &[("variable", "status"), ("isoutput", "true")],
                "failed"
            )
            .as_str(),
            "##vso[task.setvariable variable=status;isoutput=true]failed"
        );
        assert_eq!(
            Command::logging(LoggingCommand::SetSecret, &[], "s").as_str(),
            "##vso[task.setsecret]s"
        );
        assert_eq!(
            Command::formatting(FormattingCommand::Group, "t\n##vso[x.y]").as_str(),
            "##[group]t ## vso[x.y]"
        );
    }
}
