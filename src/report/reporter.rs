//! What the run reports and where: the two doors to the log (`line` for text, `command` for a
//! [`Command`]; stdout, or stderr in plain mode where there are no commands), the outputs, and the end of the run (annotations, summary, result file). The
//! progress lines of a wait are in `reporter/progress.rs`.

mod progress;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use tokio::time::Instant;

use super::annotations::{self, Annotation, Severity};
use super::command::Command;
use super::files::{self, FileError};
use super::output::{Output, output_values};
use super::sink::{CiSink, Said};
use super::{escape, live, result_file, summary};
use crate::api::backend::OperationRef;
use crate::outcome::Outcome;
use crate::secret;
use crate::text::inert_whole_line;

/// What the run reports and where. Created at start, before the inputs are validated, so that
/// even an invalid input is reported the CI system's way.
pub struct Reporter {
    sink: Box<dyn CiSink>,
    /// Stdout, or stderr for a sink whose lines go there (plain); the tests of report/ put a
    /// buffer here to read back exactly what is written.
    pub(super) out: Box<dyn Write>,
    started: Instant,
    /// `contoso/contoso-offer`, or the operation URL for `wait`.
    subject: String,
    command: &'static str,
    written: BTreeMap<Output, String>,
    result_file: Option<PathBuf>,
    live: Option<live::Live>,
    /// What the progress lines have shown so far.
    shown: progress::Shown,
    /// Files that could not be written, each with what was lost; told once, at the end.
    failures: Vec<(FileError, Vec<String>)>,
}

/// Every way a sink escapes text before writing it, whichever sink runs: a secret echoed by the
/// service must be redacted however it ends up spelled.
const ESCAPES: [secret::Escape; 6] = [
    crate::text::markdown,
    escape::github::escape_data,
    escape::github::escape_property,
    escape::azure::escape_data,
    escape::azure::escape_property,
    result_file::json_string,
];

impl Reporter {
    pub fn new(sink: Box<dyn CiSink>, result_file: Option<PathBuf>) -> Self {
        secret::redact_escaped_forms(&ESCAPES);
        let out: Box<dyn Write> = if sink.lines_on_stderr() {
            Box::new(io::stderr())
        } else {
            Box::new(io::stdout())
        };
        Reporter {
            sink,
            out,
            started: Instant::now(),
            subject: String::new(),
            command: "publish",
            written: BTreeMap::new(),
            result_file,
            live: None,
            shown: progress::Shown::default(),
            failures: Vec::new(),
        }
    }

    /// A reporter that writes to `out` instead of stdout, for tests of exactly what is written.
    #[cfg(test)]
    pub(crate) fn writing_to(sink: Box<dyn CiSink>, out: Box<dyn Write>) -> Self {
        Reporter {
            out,
            ..Reporter::new(sink, None)
        }
    }

    /// Shows a live display of the wait, for a person at a terminal (see [`live::Live::wanted`]).
    pub fn show_live(&mut self, timeout: std::time::Duration) {
        self.live = Some(live::Live::start(timeout));
    }

    pub fn sink_name(&self) -> &'static str {
        self.sink.name()
    }

    pub fn set_subject(&mut self, command: &'static str, subject: String) {
        self.command = command;
        self.subject = subject;
    }

    /// `contoso/contoso-offer`, or the operation URL for `wait`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Writes the mask commands for secrets registered since the last call. Called before every
    /// write, so a secret is masked before anything else can print it.
    fn mask_new_secrets(&mut self) {
        for value in secret::take_unmasked() {
            if let Some(command) = self.sink.mask_command(&value) {
                // The one place a secret is written: the command that tells the runner to hide it.
                self.emit(command.as_str());
            }
        }
    }

    /// One line of text on stdout: redacted, then made inert for the runner (see
    /// [`inert_whole_line`]); whatever service text it carries stays on this one line. The
    /// indentation is kept.
    pub fn line(&mut self, text: &str) {
        self.mask_new_secrets();
        // Redacted again once inert: dropping ignorable characters and joining blanks can make
        // a secret whole that was split before.
        let line = secret::redact(&inert_whole_line(&secret::redact(text))).into_owned();
        let line = self.sink.decorate(&line).into_owned();
        self.emit(&line);
    }

    /// Several lines of text (a plain annotation and its `  | ` continuation lines), each made
    /// inert as by [`Reporter::line`].
    fn lines(&mut self, text: &str) {
        for line in text.split('\n') {
            self.line(line);
        }
    }

    /// A command built by the typed constructors of [`command`]: the one way a command reaches
    /// stdout.
    pub(super) fn command(&mut self, command: &Command) {
        self.mask_new_secrets();
        let line = secret::redact(command.as_str()).into_owned();
        self.emit(&line);
    }

    fn emit(&mut self, line: &str) {
        match &self.live {
            Some(live) => live.println(line),
            None => {
                // One write of the whole line: to a pipe (the runner's), a write of at most
                // PIPE_BUF bytes is all or nothing, so a command is never cut, and two writes
                // never mix.
                let _ = self.out.write_all(format!("{line}\n").as_bytes());
                let _ = self.out.flush();
            }
        }
    }

    /// What a sink said for an annotation, written its way.
    fn say(&mut self, said: Said) {
        match said {
            Said::Command(command) => self.command(&command),
            Said::Text(text) => self.lines(&text),
        }
    }

    /// Notes that `lost` could not be written to a file; the first failure of each file is kept
    /// with its reason, and everything lost is told in one error at the end.
    fn lost(&mut self, failure: FileError, lost: String) {
        match self
            .failures
            .iter_mut()
            .find(|(known, _)| known.path == failure.path)
        {
            Some((_, items)) => items.push(lost),
            None => self.failures.push((failure, vec![lost])),
        }
    }

    /// Sets an output as soon as its value is known; a value already written is not repeated.
    pub fn output(&mut self, name: Output, value: &str) {
        self.mask_new_secrets();
        let value = secret::redact(&name.confine(value)).into_owned();
        if self.written.get(&name) == Some(&value) {
            return;
        }
        match self.sink.set_output(name, &value) {
            Ok(Some(command)) => self.command(&command),
            Ok(None) => {}
            Err(failure) => self.lost(failure, format!("output {}", name.name())),
        }
        self.written.insert(name, value);
    }

    pub fn operation(&mut self, operation: &OperationRef, attached: bool) {
        self.output(Output::OperationId, &operation.id);
        self.output(
            Output::OperationUrl,
            operation.url.as_ref().map_or("", |url| url.as_str()),
        );
        self.output(Output::Attached, if attached { "true" } else { "false" });
    }
}

impl Reporter {
    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Counts the run's time from `started`, the instant its time limit is measured from: a
    /// reporter set up later (after the sandbox started, say) printed `running after 4s: the
    /// time limit of 5s passed`.
    pub fn count_from(&mut self, started: Instant) {
        self.started = self.started.min(started);
    }

    /// Writes every output of `outcome` (those already written with the same value are skipped),
    /// `status` last: a reader polling the outputs sees the others complete first.
    pub fn outputs(&mut self, outcome: &Outcome) -> Vec<(Output, String)> {
        let values = output_values(outcome);
        for (name, value) in &values {
            if *name != Output::Status {
                self.output(*name, value);
            }
        }
        self.output(Output::Status, outcome.status.as_str());
        values
    }

    /// Reports the end of the run: every output, the annotations, the closing line, the summary
    /// and the result file.
    pub fn finish(&mut self, outcome: &Outcome) {
        if let Some(live) = self.live.take() {
            live.finish();
        }
        // The warnings held back happened before the end: told before it is.
        crate::logging::flush_repeats();
        let values = self.outputs(outcome);

        let (annotations, dropped) = annotations::select(outcome);
        for annotation in &annotations {
            let said = self.sink.annotation(annotation);
            self.say(said);
        }

        if let Some(state) = &outcome.state {
            self.details(state);
            self.links(state);
        }
        self.line(&progress::closing_line(outcome, self.elapsed()));
        if outcome.status == crate::outcome::Status::Running
            && let Some(url) = outcome.operation.as_ref().and_then(|op| op.url.as_ref())
            && let Some(command) = self.sink.follow_up(url.as_str())
        {
            self.line(&command);
        }

        let markdown = summary::render(
            &summary::Context {
                command: self.command,
                subject: &self.subject,
                elapsed: self.elapsed(),
                dropped,
            },
            outcome,
        );
        let markdown = secret::redact(&markdown).into_owned();
        match self.sink.publish_summary(&markdown) {
            Ok(Some(command)) => self.command(&command),
            Ok(None) => {}
            Err(failure) => self.lost(failure, "the job summary".to_owned()),
        }
        if let Some(path) = self.result_file.clone() {
            let json = result_file::render(outcome, &values, self.elapsed());
            if let Err(error) = files::replace(&path, &secret::redact(&json)) {
                self.lost(
                    FileError::new("result-file", &path, error),
                    "the result".to_owned(),
                );
            }
        }
        if let Err(failure) = self.sink.close() {
            self.lost(failure, "the outputs".to_owned());
        }
        self.report_failures();
        let _ = self.out.flush();
    }

    /// One error per file that could not be written, naming it and what was lost. The exit
    /// code stays the outcome's: the operation's result is what the step reports.
    fn report_failures(&mut self) {
        for (failure, lost) in std::mem::take(&mut self.failures) {
            let mut items: Vec<String> = Vec::new();
            for item in lost {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
            let annotation = Annotation {
                severity: Severity::Error,
                title: format!("could not write {}", failure.file),
                message: format!(
                    "{} ({}): {}; lost: {}",
                    failure.file,
                    failure.path.display(),
                    failure.error,
                    items.join(", ")
                ),
            };
            let said = self.sink.annotation(&annotation);
            self.say(said);
        }
    }
}

/// Stdout as a buffer that a test reads back after the reporter is done (see
/// [`Reporter::writing_to`]): the one copy for the tests of report/.
#[cfg(test)]
#[derive(Clone, Default)]
pub(crate) struct Captured(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

#[cfg(test)]
impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
impl Captured {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

#[cfg(test)]
mod elapsed_tests {
    use super::*;
    use crate::report::plain;

    #[test]
    fn the_closing_line_counts_from_the_start_of_the_run() {
        let run_started = Instant::now();
        // Set up a moment after the run started, as after the sandbox service.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut reporter = Reporter::new(Box::new(plain::Plain::new(false)), None);
        reporter.count_from(run_started);
        let since_start = run_started.elapsed();
        assert!(reporter.elapsed() >= since_start);
    }
}
