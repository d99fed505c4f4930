//! Plain output for shells and unknown CI systems: readable lines, no CI commands.

use super::command::Command;
use super::files::FileError;
use super::{Annotation, CiSink, Output, Said, Severity};
use crate::text::inert;

pub struct Plain;

/// `error: title: first line`, further lines marked `  | `; every line made inert.
pub fn plain_annotation(annotation: &Annotation) -> String {
    let label = match annotation.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut lines = annotation.message.lines();
    let mut text = format!(
        "{label}: {}: {}",
        inert(&annotation.title),
        inert(lines.next().unwrap_or_default())
    );
    // Continuation lines start with a mark: a runner that trims blanks before looking for a
    // command must not find one there.
    for line in lines {
        text.push_str("\n  | ");
        text.push_str(&inert(line));
    }
    text
}

impl CiSink for Plain {
    fn name(&self) -> &'static str {
        "plain"
    }

    fn set_output(&mut self, _name: Output, _value: &str) -> Result<Option<Command>, FileError> {
        Ok(None)
    }

    fn annotation(&self, annotation: &Annotation) -> Said {
        Said::Text(plain_annotation(annotation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
