//! The configuration error: every problem of the inputs, one line each, and one hint.

use std::fmt;

use crate::outcome::Problem;

/// A configuration error: exit code 2, no request sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
    help: Option<String>,
}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError {
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A hint saying what to do, shown on its own line after the message.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// This problem and `other`, one line each; each hint is kept once.
    #[must_use]
    pub fn and(mut self, other: ConfigError) -> ConfigError {
        self.message.push('\n');
        self.message.push_str(&other.message);
        if let Some(help) = other.help {
            match &mut self.help {
                Some(helps) if helps.contains(&help) => {}
                Some(helps) => {
                    helps.push_str("; ");
                    helps.push_str(&help);
                }
                None => self.help = Some(help),
            }
        }
        self
    }

    /// Every problem in one error, or `None` when there is none.
    pub fn combine(errors: Vec<ConfigError>) -> Option<ConfigError> {
        errors.into_iter().reduce(ConfigError::and)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl From<&ConfigError> for Problem {
    fn from(error: &ConfigError) -> Self {
        Problem::invalid_input(error.to_string(), error.help().map(str::to_owned))
    }
}
