//! GitLab CI: outputs in a dotenv report file (`artifacts: reports: dotenv:`), collapsible log
//! sections, plain error lines.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use super::plain::plain_annotation;
use super::{Annotation, CiSink, Output};
use crate::text::one_line;

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

    fn write_dotenv(&self) -> io::Result<()> {
        let mut text = String::new();
        for (name, value) in &self.values {
            text.push_str(&variable_name(*name));
            text.push('=');
            text.push_str(value);
            text.push('\n');
        }
        std::fs::write(&self.dotenv_file, text)
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
    let mut value = one_line(value);
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

    fn set_output(&mut self, _out: &mut dyn Write, name: Output, value: &str) -> io::Result<()> {
        self.values.insert(name, dotenv_value(value));
        // Rewritten whole each time, so the file is complete whenever the job stops.
        self.write_dotenv()
    }

    fn annotation(&self, annotation: &Annotation) -> String {
        plain_annotation(annotation)
    }

    fn group_start(&self, title: &str) -> Option<String> {
        let name = "publish_offer";
        Some(format!(
            "\u{1b}[0Ksection_start:{}:{name}[collapsed=true]\r\u{1b}[0K{}",
            now(),
            crate::text::inert(title)
        ))
    }

    fn group_end(&self) -> Option<String> {
        Some(format!(
            "\u{1b}[0Ksection_end:{}:publish_offer\r\u{1b}[0K",
            now()
        ))
    }

    fn close(&mut self, _out: &mut dyn Write) -> io::Result<()> {
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
