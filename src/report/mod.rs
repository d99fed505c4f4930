//! Reporting: what the run tells the CI system and the person reading the log. One [`CiSink`] per
//! CI system, chosen at start, speaks that system's language (outputs, annotations, masks, the
//! summary); the [`Reporter`] decides what to say, the same for all of them.
//!
//! Stdout has two doors, both in [`Reporter`]: `line` for text, which redacts every line and
//! makes it inert under the runners' own parsing rules ([`crate::text::inert_line`]), and
//! `command` for a [`Command`], which only the typed constructors of [`command`] can build. So
//! neither a secret nor a forged CI command can reach the log, whatever the service sends; stderr
//! has its own single door in [`crate::logging`]. Summary cells go through
//! [`crate::text::markdown`].

mod annotations;
pub mod azure;
pub mod command;
pub mod files;
pub mod github;
pub mod gitlab;
#[cfg(test)]
mod injection_tests;
pub mod last_words;
pub mod live;
pub mod plain;
#[cfg(test)]
mod redaction_tests;
pub mod result_file;
/// The runners' own parsers (shared with the end-to-end tests), to read the log back in tests.
#[cfg(test)]
#[path = "../../tests/support/runner_parsers.rs"]
pub(crate) mod runner_parsers;
pub mod summary;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use tokio::time::Instant;

use crate::api::backend::OperationRef;
use crate::api::model::{Level, OperationState, Step, StepStatus};
use crate::api::value_kind::ValueKind;
use crate::environment::{CiSystem, Environment};
use crate::outcome::{Outcome, Status};
use crate::secret;
use crate::text::format_elapsed;
use crate::text::{inert, inert_line};

pub use annotations::{Annotation, Severity};
pub use command::Command;
pub use files::FileError;

/// At most this many step lines per poll, then "… N more".
pub const MAX_STEP_LINES_PER_POLL: usize = 20;
/// At most this many progress lines in a whole run: a status flipping on every poll stops being
/// printed here (the summary and the result file still hold the last state).
pub const MAX_PROGRESS_LINES: usize = 500;
/// At most this many steps, and messages, in the closing "steps and messages" group.
pub const MAX_DETAIL_STEPS: usize = 100;
pub const MAX_DETAIL_MESSAGES: usize = 100;
/// Service text on a log line is cut to this many characters for a name (a step's label, its
/// status, an estimate, a message's title) and to [`annotations::MAX_MESSAGE_CHARS`] for a
/// message: a step name of megabytes, flipping on every poll, would otherwise print megabytes
/// each time.
pub const MAX_NAME_CHARS: usize = 200;

/// What a sink says for an annotation: a command of its system, or plain text lines.
pub enum Said {
    Command(Command),
    Text(String),
}

/// The step outputs, one list for every CI system; each system spells the names its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Output {
    Status,
    OperationId,
    OperationUrl,
    TimedOut,
    FailedStep,
    OfferVersion,
    PreviewLinks,
    LiveLinks,
    Attached,
    OfferStatus,
}

impl Output {
    pub const ALL: [Output; 10] = [
        Output::Status,
        Output::OperationId,
        Output::OperationUrl,
        Output::TimedOut,
        Output::FailedStep,
        Output::OfferVersion,
        Output::PreviewLinks,
        Output::LiveLinks,
        Output::Attached,
        Output::OfferStatus,
    ];

    /// The GitHub name: `operation-id`.
    pub fn name(self) -> &'static str {
        match self {
            Output::Status => "status",
            Output::OperationId => "operation-id",
            Output::OperationUrl => "operation-url",
            Output::TimedOut => "timed-out",
            Output::FailedStep => "failed-step",
            Output::OfferVersion => "offer-version",
            Output::PreviewLinks => "preview-links",
            Output::LiveLinks => "live-links",
            Output::Attached => "attached",
            Output::OfferStatus => "offer-status",
        }
    }

    /// What this output holds when its value comes from the service; `None` for the values the
    /// program makes itself (status, timed-out, attached).
    pub fn kind(self) -> Option<ValueKind> {
        match self {
            Output::Status | Output::TimedOut | Output::Attached => None,
            Output::OperationId => Some(ValueKind::OperationId),
            Output::OperationUrl => Some(ValueKind::OperationUrl),
            Output::FailedStep => Some(ValueKind::StepLabel),
            Output::OfferVersion => Some(ValueKind::OfferVersion),
            Output::PreviewLinks | Output::LiveLinks => Some(ValueKind::Link),
            Output::OfferStatus => Some(ValueKind::StatusWord),
        }
    }

    /// `value` as this output may hold it: a value (or, for links, a line) that does not fit
    /// the output's kind is left out, and the log says so without quoting it.
    pub fn confine(self, value: &str) -> String {
        let Some(kind) = self.kind() else {
            return value.to_owned();
        };
        let lines: Vec<&str> = value.lines().filter(|line| !line.is_empty()).collect();
        let kept: Vec<&str> = match kind {
            ValueKind::Link => lines
                .iter()
                .copied()
                .filter(|line| kind.fits(line))
                .collect(),
            _ => kind.accept(value).into_iter().collect(),
        };
        if kept.len() != lines.len() {
            tracing::warn!(
                "output {}: a value from the service is not a {kind:?} and is left out",
                self.name()
            );
        }
        kept.join("\n")
    }

    pub fn description(self) -> &'static str {
        match self {
            Output::Status => {
                "succeeded, preview-ready, running, not-started, failed, canceled, rejected, error, unknown, invalid-input or interrupted"
            }
            Output::OperationId => "id of the operation started, attached to or resumed",
            Output::OperationUrl => "absolute URL of the operation (for command: wait)",
            Output::TimedOut => "true when the time limit passed with the operation still running",
            Output::FailedStep => "id of the step that failed, else empty",
            Output::OfferVersion => "offer version the operation publishes",
            Output::PreviewLinks => "preview links, one per line",
            Output::LiveLinks => "live links, one per line",
            Output::Attached => "true when the run waited on an operation that was already running",
            Output::OfferStatus => {
                "the offer's status as the service reports it (command: status or validate)"
            }
        }
    }
}

/// How one CI system is spoken to.
pub trait CiSink {
    /// The system's name, for the log.
    fn name(&self) -> &'static str;

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

/// Where the run reports: the CI system and the files it writes. Configuration builds it from
/// the `ci`, `result-file` and `dotenv-file` inputs (and checks them with the other inputs), or
/// from what it detects when they are not valid, so that even an invalid input is reported the
/// CI system's way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporting {
    pub ci: CiSystem,
    pub result_file: Option<PathBuf>,
    /// GitLab's dotenv report file.
    pub dotenv_file: PathBuf,
}

/// Sets up reporting, before the other inputs are checked: the destinations are recorded for
/// the panic hook and the CI system's sink is made.
pub fn setup(reporting: &Reporting, environment: &Environment) -> Reporter {
    last_words::record(last_words::Destinations {
        sink: reporting.ci.name(),
        github_output: environment
            .get("GITHUB_OUTPUT")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from),
        dotenv_file: Some(reporting.dotenv_file.clone()),
        result_file: reporting.result_file.clone(),
    });
    let sink: Box<dyn CiSink> = match reporting.ci {
        CiSystem::GitHub => Box::new(github::GitHub::from_environment(environment)),
        CiSystem::AzurePipelines => Box::new(azure::AzurePipelines::from_environment(environment)),
        CiSystem::GitLab => Box::new(gitlab::GitLab::new(reporting.dotenv_file.clone())),
        CiSystem::Plain => Box::new(plain::Plain::new(crate::environment::colour_wanted(
            environment,
            io::stdout().is_terminal(),
        ))),
    };
    Reporter::new(sink, reporting.result_file.clone())
}

/// What the run reports and where. Created at start, before the inputs are validated, so that
/// even an invalid input is reported the CI system's way.
pub struct Reporter {
    sink: Box<dyn CiSink>,
    out: Box<dyn Write>,
    started: Instant,
    /// `contoso/contoso-offer`, or the operation URL for `wait`.
    subject: String,
    command: &'static str,
    written: BTreeMap<Output, String>,
    /// The last status shown for each step, so that only changes are printed.
    step_status: HashMap<String, String>,
    result_file: Option<PathBuf>,
    live: Option<live::Live>,
    /// What the run has seen, for an outcome that must be told without the command's help (a
    /// signal drops the command wherever it is).
    seen_state: Option<OperationState>,
    seen_operation: Option<(OperationRef, bool)>,
    /// Preview and live links already printed.
    printed_links: Vec<String>,
    /// Progress lines printed so far, against [`MAX_PROGRESS_LINES`].
    progress_lines: usize,
    /// Files that could not be written, each with what was lost; told once, at the end.
    failures: Vec<(FileError, Vec<String>)>,
}

/// Every way a sink escapes text before writing it, whichever sink runs: a secret echoed by the
/// service must be redacted however it ends up spelled.
const ESCAPES: [secret::Escape; 6] = [
    crate::text::markdown,
    github::escape_data,
    github::escape_property,
    azure::escape_data,
    azure::escape_property,
    result_file::json_string,
];

impl Reporter {
    pub fn new(sink: Box<dyn CiSink>, result_file: Option<PathBuf>) -> Self {
        secret::redact_escaped_forms(&ESCAPES);
        Reporter {
            sink,
            out: Box::new(io::stdout()),
            started: Instant::now(),
            subject: String::new(),
            command: "publish",
            written: BTreeMap::new(),
            step_status: HashMap::new(),
            result_file,
            live: None,
            seen_state: None,
            seen_operation: None,
            printed_links: Vec::new(),
            progress_lines: 0,
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

    /// The last state read.
    pub fn last_state(&self) -> Option<&OperationState> {
        self.seen_state.as_ref()
    }

    /// The operation started, attached to or resumed.
    pub fn last_operation(&self) -> Option<&OperationRef> {
        self.seen_operation.as_ref().map(|(operation, _)| operation)
    }

    /// Whether the operation was already running when the run found it.
    pub fn attached(&self) -> bool {
        self.seen_operation
            .as_ref()
            .is_some_and(|(_, attached)| *attached)
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
    /// [`inert_line`]); whatever service text it carries stays on this one line. The
    /// indentation is kept.
    pub fn line(&mut self, text: &str) {
        self.mask_new_secrets();
        // Redacted again once inert: dropping ignorable characters and joining blanks can make
        // a secret whole that was split before.
        let line = secret::redact(&inert_line(&secret::redact(text))).into_owned();
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
    fn command(&mut self, command: &Command) {
        self.mask_new_secrets();
        let line = secret::redact(command.as_str()).into_owned();
        self.emit(&line);
    }

    fn emit(&mut self, line: &str) {
        match &self.live {
            Some(live) => live.println(line),
            None => {
                let _ = writeln!(self.out, "{line}");
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
        self.seen_operation = Some((operation.clone(), attached));
        self.output(Output::OperationId, &operation.id);
        self.output(
            Output::OperationUrl,
            operation.url.as_ref().map_or("", |url| url.as_str()),
        );
        self.output(Output::Attached, if attached { "true" } else { "false" });
    }

    /// Prints the steps whose status changed since the last reading. Steps not started yet are
    /// noted silently the first time: they have not changed.
    pub fn progress(&mut self, state: &OperationState) {
        let mut lines = Vec::new();
        let mut changed = 0usize;
        for step in &state.steps {
            if !self.changed(step) {
                continue;
            }
            changed += 1;
            // Only the lines that will be printed are built: a wide answer costs no more.
            if lines.len() < MAX_STEP_LINES_PER_POLL {
                lines.push(progress_line(step));
            }
        }
        if changed > lines.len() {
            lines.push(format!("  … {} more steps changed", changed - lines.len()));
        }
        self.print_progress(lines);
        self.links(state);
        if let Some(live) = &self.live {
            live.set_status(secret::redact(&inert_line(&current_activity(state))).into_owned());
        }
        self.seen_state = Some(state.clone());
    }

    /// Preview and live links as soon as they are known: a heading, then one plain URL per line,
    /// which terminals and CI logs make clickable. Only `https://` URLs are printed; anything else
    /// the service sent stays in the outputs and the summary.
    fn links(&mut self, state: &OperationState) {
        for (heading, links) in [
            ("preview links:", &state.preview_links),
            ("live links:", &state.live_links),
        ] {
            let new: Vec<String> = links
                .iter()
                .filter(|link| is_printable_link(link) && !self.printed_links.contains(link))
                .cloned()
                .collect();
            if new.is_empty() {
                continue;
            }
            self.line(&format!("publish-offer: {heading}"));
            for link in new {
                self.line(&link);
                self.printed_links.push(link);
            }
        }
    }

    /// Whether `step` changed status since the last reading (a step first seen not started has
    /// not).
    fn changed(&mut self, step: &Step) -> bool {
        let key = if step.id.is_empty() {
            step.name.clone()
        } else {
            step.id.clone()
        };
        let previous = self.step_status.insert(key, step.status_text.clone());
        !(previous.as_ref() == Some(&step.status_text)
            || (previous.is_none() && step.status == StepStatus::NotStarted))
    }

    /// Prints progress lines up to [`MAX_PROGRESS_LINES`] in the run, then says once that it
    /// stops.
    fn print_progress(&mut self, lines: Vec<String>) {
        for line in lines {
            match self.progress_lines.cmp(&MAX_PROGRESS_LINES) {
                std::cmp::Ordering::Less => self.line(&line),
                std::cmp::Ordering::Equal => self.line(&format!(
                    "publish-offer: {MAX_PROGRESS_LINES} progress lines printed; no more until \
                     the end (the summary lists every step)"
                )),
                std::cmp::Ordering::Greater => {}
            }
            self.progress_lines = self.progress_lines.saturating_add(1);
        }
    }

    /// The steps and their messages, in a collapsible group of the CI log: the whole story for
    /// systems without a summary page, out of the way for the others.
    fn details(&mut self, state: &OperationState) {
        if state.steps.is_empty() && state.messages.is_empty() {
            return;
        }
        let title = "publish-offer: steps and messages";
        match self.sink.group_start(title) {
            Some(start) => self.command(&start),
            None => self.line(&format!("{title}:")),
        }
        let mut messages_left = MAX_DETAIL_MESSAGES;
        let mut messages_cut = 0usize;
        for step in state.steps.iter().take(MAX_DETAIL_STEPS) {
            let mut line = format!(
                "  {}: {}",
                name_text(step.label()),
                name_text(&step.status_text)
            );
            if let Some(progress) = step.progress {
                line.push_str(&format!(" {progress}%"));
            }
            self.line(&line);
            let shown = step.messages.len().min(messages_left);
            for message in &step.messages[..shown] {
                let about = message
                    .title
                    .as_deref()
                    .map(|title| format!(" ({})", name_text(title)))
                    .unwrap_or_default();
                self.line(&format!(
                    "    {}{about}: {}",
                    level_name(message.level),
                    message_text(&message.text)
                ));
            }
            messages_left -= shown;
            messages_cut += step.messages.len() - shown;
        }
        // The reading itself may have dropped some already (it keeps 1,000 steps, 100 messages).
        let more_steps = state.steps.len().saturating_sub(MAX_DETAIL_STEPS) + state.more_steps;
        if more_steps > 0 {
            self.line(&format!("  … {more_steps} more steps"));
            messages_cut += state
                .steps
                .iter()
                .skip(MAX_DETAIL_STEPS)
                .map(|step| step.messages.len())
                .sum::<usize>();
        }
        messages_cut += state.more_messages;
        let shown = state.messages.len().min(messages_left);
        for message in &state.messages[..shown] {
            self.line(&format!(
                "  operation {}: {}",
                level_name(message.level),
                message_text(&message.text)
            ));
        }
        messages_cut += state.messages.len() - shown;
        if messages_cut > 0 {
            self.line(&format!(
                "  … {messages_cut} more messages (the summary and the result file hold more)"
            ));
        }
        if let Some(end) = self.sink.group_end() {
            self.command(&end);
        }
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Counts the run's time from `started`, the instant its time limit is measured from: a
    /// reporter set up later (after the sandbox started, say) printed `running after 4s: the
    /// time limit of 5s passed`.
    pub fn count_from(&mut self, started: Instant) {
        self.started = self.started.min(started);
    }

    /// Reports the end of the run: every output, the annotations, the closing line, the summary
    /// and the result file.
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

    pub fn finish(&mut self, outcome: &Outcome) {
        if let Some(live) = self.live.take() {
            live.finish();
        }
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
        self.line(&closing_line(outcome, self.elapsed()));

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

/// Every output's final value.
pub fn output_values(outcome: &Outcome) -> Vec<(Output, String)> {
    let state = outcome.state.as_ref();
    let lines =
        |links: Option<&Vec<String>>| links.map(|links| links.join("\n")).unwrap_or_default();
    Output::ALL
        .iter()
        .map(|name| {
            let value = match name {
                Output::Status => outcome.status.as_str().to_owned(),
                Output::OperationId => outcome
                    .operation
                    .as_ref()
                    .map(|o| o.id.clone())
                    .unwrap_or_default(),
                Output::OperationUrl => outcome
                    .operation
                    .as_ref()
                    .and_then(|o| o.url.as_ref())
                    .map(|url| url.to_string())
                    .unwrap_or_default(),
                Output::TimedOut => outcome.timed_out.to_string(),
                Output::FailedStep => match outcome.status {
                    Status::Failed => state
                        .and_then(|s| s.failed_step())
                        .map(|step| {
                            if step.id.is_empty() {
                                step.name.clone()
                            } else {
                                step.id.clone()
                            }
                        })
                        .unwrap_or_default(),
                    _ => String::new(),
                },
                Output::OfferVersion => state
                    .and_then(|s| s.offer_version.clone())
                    .unwrap_or_default(),
                Output::PreviewLinks => lines(state.map(|s| &s.preview_links)),
                Output::LiveLinks => lines(state.map(|s| &s.live_links)),
                Output::Attached => outcome.attached.to_string(),
                Output::OfferStatus => outcome.offer_status.clone().unwrap_or_default(),
            };
            (*name, name.confine(&value))
        })
        .collect()
}

/// A link worth printing on a line of its own: one `https://` URL, no spaces or controls.
fn is_printable_link(link: &str) -> bool {
    link.len() <= 2048
        && !link.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(link).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
}

/// `  step Certification: inProgress 40% (estimated < 1 day)`.
fn progress_line(step: &Step) -> String {
    let mut line = format!(
        "  step {}: {}",
        name_text(step.label()),
        name_text(&step.status_text)
    );
    let open = !matches!(
        step.status,
        StepStatus::Complete | StepStatus::Failed | StepStatus::Rejected | StepStatus::Canceled
    );
    if let Some(progress) = step
        .progress
        .filter(|_| step.status == StepStatus::InProgress)
    {
        line.push_str(&format!(" {progress}%"));
    }
    if let Some(estimate) = step.estimate.as_ref().filter(|_| open) {
        line.push_str(&format!(" (estimated {})", name_text(estimate)));
    }
    line
}

/// A name from the service for a log line: cut, then made inert.
fn name_text(text: &str) -> String {
    inert(&crate::text::truncate(text, MAX_NAME_CHARS))
}

/// A message from the service for a log line: cut, then made inert.
fn message_text(text: &str) -> String {
    inert(&crate::text::truncate(text, annotations::MAX_MESSAGE_CHARS))
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Information => "info",
    }
}

/// What the live display says the operation is doing: the first step under way.
fn current_activity(state: &OperationState) -> String {
    state
        .steps
        .iter()
        .find(|step| !matches!(step.status, StepStatus::Complete | StepStatus::NotStarted))
        .map(|step| {
            let progress = step.progress.map(|p| format!(" {p}%")).unwrap_or_default();
            format!(
                "{}: {}{progress}",
                name_text(step.label()),
                name_text(&step.status_text)
            )
        })
        .unwrap_or_else(|| format!("operation {}", name_text(&state.status_text)))
}

fn closing_line(outcome: &Outcome, elapsed: std::time::Duration) -> String {
    let mut line = format!(
        "publish-offer: {} after {}",
        outcome.status,
        format_elapsed(elapsed)
    );
    if let Some(note) = &outcome.note {
        line.push_str(": ");
        line.push_str(&message_text(note));
    }
    line
}

#[cfg(test)]
mod elapsed_tests {
    use super::*;

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
