//! GitLab CI: outputs in a dotenv report file (`artifacts: reports: dotenv:`), collapsible log
//! sections, plain error lines.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::annotations::Annotation;
use super::command::Command;
use super::files::{self, FileError};
use super::output::Output;
use super::plain::plain_annotation;
use super::sink::{CiSink, Said};
use crate::text::single_line;

/// GitLab refuses dotenv reports over 5 KB; each value gets a share well inside that.
const MAX_VALUE_BYTES: usize = 450;

pub struct GitLab {
    dotenv_file: PathBuf,
    values: BTreeMap<Output, String>,
}

impl GitLab {
    pub fn new(dotenv_file: PathBuf) -> Self {
        GitLab {
            dotenv_file,
            values: BTreeMap::new(),
        }
    }

    fn write_dotenv(&self) -> Result<(), FileError> {
        let mut text = String::new();
        for (name, value) in &self.values {
            text.push_str(&variable_name(*name));
            text.push('=');
            text.push_str(value);
            text.push('\n');
        }
        files::replace(&self.dotenv_file, &text)
            .map_err(|error| FileError::new("dotenv-file", &self.dotenv_file, error))
    }
}

/// `operation-id` -> `PUBLISH_OFFER_OPERATION_ID`.
pub fn variable_name(name: Output) -> String {
    format!(
        "PUBLISH_OFFER_{}",
        name.name().to_ascii_uppercase().replace('-', "_")
    )
}

/// Dotenv values hold no line breaks: links are separated by spaces, long values cut.
pub fn dotenv_value(value: &str) -> String {
    let mut value = single_line(value);
    if value.len() > MAX_VALUE_BYTES {
        let mut cut = MAX_VALUE_BYTES;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        value.truncate(cut);
    }
    value
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl CiSink for GitLab {
    fn name(&self) -> &'static str {
        "GitLab CI"
    }

    fn set_output(&mut self, name: Output, value: &str) -> Result<Option<Command>, FileError> {
        self.values.insert(name, dotenv_value(value));
        // Rewritten whole each time, so the file is complete whenever the job stops.
        self.write_dotenv().map(|()| None)
    }

    fn annotation(&self, annotation: &Annotation) -> Said {
        Said::Text(plain_annotation(annotation))
    }

    fn group_start(&self, title: &str) -> Option<Command> {
        Some(Command::gitlab_section(true, now(), "publish_offer", title))
    }

    fn group_end(&self) -> Option<Command> {
        Some(Command::gitlab_section(false, now(), "publish_offer", ""))
    }

    fn close(&mut self) -> Result<(), FileError> {
        self.write_dotenv()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_fit_dotenv() {
        assert_eq!(
            variable_name(Output::OperationId),
            "PUBLISH_OFFER_OPERATION_ID"
        );
        assert_eq!(dotenv_value("https://a\nhttps://b"), "https://a https://b");
        assert!(dotenv_value(&"é".repeat(1000)).len() <= MAX_VALUE_BYTES);
    }
}
