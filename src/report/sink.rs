//! The trait each CI system's sink implements: how that system is spoken to. The
//! [`super::Reporter`] decides what to say, the same for all of them.

use super::annotations::Annotation;
use super::command::Command;
use super::files::FileError;
use super::output::Output;

/// What a sink says for an annotation: a command of its system, or plain text lines.
pub enum Said {
    Command(Command),
    Text(String),
}

/// How one CI system is spoken to.
pub trait CiSink {
    /// The system's name, for the log.
    fn name(&self) -> &'static str;

    /// Whether the run's lines go to stderr: a system with no commands (plain) keeps stdout
    /// for what a script reads, so every diagnostic goes to stderr. A CI system's lines stay on
    /// stdout with its commands, which its runner parses there and which must stay in order
    /// with them (a GitLab section, a GitHub group).
    fn lines_on_stderr(&self) -> bool {
        false
    }

    /// How a person follows an operation still running, when the system has no outputs for a
    /// later step to read: a shell command to run (plain). `None` in CI, where the
    /// `operation-url` output is what a later step passes on.
    fn follow_up(&self, _operation_url: &str) -> Option<String> {
        None
    }

    /// The command that hides `value` in the log from now on, if the system has one.
    fn mask_command(&self, _value: &str) -> Option<Command> {
        None
    }

    /// Writes one output where the system reads outputs (a file), or returns the log command
    /// that sets it.
    fn set_output(&mut self, name: Output, value: &str) -> Result<Option<Command>, FileError>;

    /// An error or warning as the system displays it. `message` may hold line breaks.
    fn annotation(&self, annotation: &Annotation) -> Said;

    /// A line as shown to the reader: the plain sink adds colour for a terminal.
    fn decorate<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        std::borrow::Cow::Borrowed(line)
    }

    fn group_start(&self, _title: &str) -> Option<Command> {
        None
    }

    fn group_end(&self) -> Option<Command> {
        None
    }

    /// Publishes the Markdown summary, where the system shows one; returns the log command that
    /// uploads it, if the system needs one.
    fn publish_summary(&mut self, _markdown: &str) -> Result<Option<Command>, FileError> {
        Ok(None)
    }

    /// Last writes after every output is set (GitLab writes its dotenv file here).
    fn close(&mut self) -> Result<(), FileError> {
        Ok(())
    }
}
