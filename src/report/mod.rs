//! Reporting: what the run tells the CI system and the person reading the log. One [`CiSink`] per
//! CI system, chosen at start, speaks that system's language (outputs, annotations, masks, the
//! summary); the [`Reporter`] decides what to say, the same for all of them.
//!
//! Everything written passes through [`crate::secret::redact`], and every piece of service text
//! through [`crate::text::inert`] or [`crate::text::markdown`], so neither a secret nor a forged
//! CI command can reach the log.

mod annotations;
pub mod azure;
pub mod github;
pub mod gitlab;
pub mod live;
pub mod plain;
pub mod result_file;
pub mod summary;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::PathBuf;

use tokio::time::Instant;

use crate::api::model::{Level, OperationState, StepStatus};
use crate::config::duration::format_elapsed;
use crate::config::{ConfigError, Environment, MergedInputs};
use crate::outcome::{OperationRef, Outcome, Status};
use crate::secret;
use crate::text::inert;

pub use annotations::{Annotation, Severity};

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
            Output::OfferStatus => "the offer's status as the service reports it (command: status)",
        }
    }
}

/// How one CI system is spoken to.
pub trait CiSink {
    /// The system's name, for the log.
    fn name(&self) -> &'static str;

    /// The command that hides `value` in the log from now on, if the system has one.
    fn mask_command(&self, _value: &str) -> Option<String> {
        None
    }

    /// Writes one output where the system reads outputs (a file, or a log command).
    fn set_output(&mut self, out: &mut dyn Write, name: Output, value: &str) -> io::Result<()>;

    /// An error or warning as the system displays it. `message` may hold line breaks.
    fn annotation(&self, annotation: &Annotation) -> String;

    fn group_start(&self, _title: &str) -> Option<String> {
        None
    }

    fn group_end(&self) -> Option<String> {
        None
    }

    /// Publishes the Markdown summary, where the system shows one.
    fn publish_summary(&mut self, _out: &mut dyn Write, _markdown: &str) -> io::Result<()> {
        Ok(())
    }

    /// Last writes after every output is set (GitLab writes its dotenv file here).
    fn close(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

/// Sets up reporting from the raw inputs, before they are validated, so that even an invalid
/// input is reported the CI system's way: the system is the `ci` input, else detected from the
/// environment. A bad `ci`, `result-file` or `dotenv-file` is returned as the error to report
/// (and not used).
pub fn setup(inputs: &MergedInputs, environment: &Environment) -> (Reporter, Option<ConfigError>) {
    let mut error = None;
    let chosen = inputs.get("ci");
    let name = match chosen
        .map(|value| value.value.to_ascii_lowercase())
        .as_deref()
    {
        Some(name @ ("github" | "azure-pipelines" | "gitlab" | "plain")) => name.to_owned(),
        Some(_) => {
            error = Some(ConfigError::new(format!(
                "invalid input ci ({}): must be one of github, azure-pipelines, gitlab, plain",
                chosen.map_or("ci", |value| value.source.as_str())
            )));
            detect(environment).to_owned()
        }
        None => detect(environment).to_owned(),
    };

    // A path is checked where it is used: the dotenv file only matters on GitLab.
    let mut path = |name: &str, written: bool| -> Option<PathBuf> {
        let value = inputs.get(name)?;
        if value.value.len() > 4096 || value.value.chars().any(char::is_control) {
            error.get_or_insert_with(|| {
                ConfigError::new(format!(
                    "invalid input {name} ({}): must be a file path on one line, at most 4096 bytes",
                    value.source
                ))
            });
            return None;
        }
        let path = PathBuf::from(&value.value);
        // Found out now rather than after an hour's wait, when the file cannot be written.
        if written
            && let Some(directory) = path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
            && !directory.is_dir()
        {
            error.get_or_insert_with(|| {
                ConfigError::new(format!(
                    "invalid input {name} ({}): {} is not an existing folder; create it in an \
                     earlier step or choose a path in an existing folder",
                    value.source,
                    directory.display()
                ))
            });
            return None;
        }
        Some(path)
    };
    let result_file = path("result-file", true);
    let dotenv_file =
        path("dotenv-file", name == "gitlab").unwrap_or_else(|| PathBuf::from("publish-offer.env"));
    let sink: Box<dyn CiSink> = match name.as_str() {
        "github" => Box::new(github::GitHub::from_environment(environment)),
        "azure-pipelines" => Box::new(azure::AzurePipelines::from_environment(environment)),
        "gitlab" => Box::new(gitlab::GitLab::new(dotenv_file)),
        _ => Box::new(plain::Plain),
    };
    (Reporter::new(sink, result_file), error)
}

fn detect(environment: &Environment) -> &'static str {
    if environment.is_true("GITHUB_ACTIONS") {
        "github"
    } else if environment.is_true("TF_BUILD") {
        "azure-pipelines"
    } else if environment.is_true("GITLAB_CI") {
        "gitlab"
    } else {
        "plain"
    }
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
                let _ = writeln!(self.out, "{command}");
            }
        }
    }

    /// A line of progress on stdout. Lines are built by this program and start with its own
    /// words; service text inside them has been made inert.
    pub fn line(&mut self, text: &str) {
        // Whatever service text a line carries stays on this one line and cannot hold a marker;
        // the indentation is ours and is kept.
        let body = text.trim_start_matches(' ');
        let indent = &text[..text.len() - body.len()];
        self.write(&format!("{indent}{}", inert(body)));
    }

    /// A CI command built by a sink (annotation, group), already escaped its system's way.
    fn command(&mut self, command: &str) {
        self.write(command);
    }

    fn write(&mut self, text: &str) {
        self.mask_new_secrets();
        let text = secret::redact(text);
        match &self.live {
            Some(live) => live.println(&text),
            None => {
                let _ = writeln!(self.out, "{text}");
                let _ = self.out.flush();
            }
        }
    }

    /// Sets an output as soon as its value is known; a value already written is not repeated.
    pub fn output(&mut self, name: Output, value: &str) {
        self.mask_new_secrets();
        let value = secret::redact(value).into_owned();
        if self.written.get(&name) == Some(&value) {
            return;
        }
        if let Err(error) = self.sink.set_output(&mut *self.out, name, &value) {
            tracing::error!("could not write output {}: {error}", name.name());
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
        for step in &state.steps {
            let key = if step.id.is_empty() {
                step.name.clone()
            } else {
                step.id.clone()
            };
            let previous = self.step_status.insert(key, step.status_text.clone());
            if previous.as_ref() == Some(&step.status_text)
                || (previous.is_none() && step.status == StepStatus::NotStarted)
            {
                continue;
            }
            let mut line = format!(
                "  step {}: {}",
                inert(step.label()),
                inert(&step.status_text)
            );
            let open = !matches!(
                step.status,
                StepStatus::Complete
                    | StepStatus::Failed
                    | StepStatus::Rejected
                    | StepStatus::Canceled
            );
            if let Some(progress) = step
                .progress
                .filter(|_| step.status == StepStatus::InProgress)
            {
                line.push_str(&format!(" {progress}%"));
            }
            if let Some(estimate) = step.estimate.as_ref().filter(|_| open) {
                line.push_str(&format!(" (estimated {})", inert(estimate)));
            }
            self.line(&line);
        }
        if let Some(live) = &self.live {
            live.set_status(current_activity(state));
        }
        self.seen_state = Some(state.clone());
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
        for step in &state.steps {
            let mut line = format!("  {}: {}", inert(step.label()), inert(&step.status_text));
            if let Some(progress) = step.progress {
                line.push_str(&format!(" {progress}%"));
            }
            self.line(&line);
            for message in &step.messages {
                let about = message
                    .title
                    .as_deref()
                    .map(|title| format!(" ({})", inert(title)))
                    .unwrap_or_default();
                self.line(&format!(
                    "    {}{about}: {}",
                    level_name(message.level),
                    inert(&message.text)
                ));
            }
        }
        for message in &state.messages {
            self.line(&format!(
                "  operation {}: {}",
                level_name(message.level),
                inert(&message.text)
            ));
        }
        if let Some(end) = self.sink.group_end() {
            self.command(&end);
        }
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
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
            let text = self.sink.annotation(annotation);
            self.command(&text);
        }

        if let Some(state) = &outcome.state {
            self.details(state);
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
        if let Err(error) = self.sink.publish_summary(&mut *self.out, &markdown) {
            tracing::error!("could not write the job summary: {error}");
        }
        if let Some(path) = &self.result_file {
            let json = result_file::render(outcome, &values, self.elapsed());
            if let Err(error) = std::fs::write(path, secret::redact(&json).as_bytes()) {
                tracing::error!("could not write result-file {}: {error}", path.display());
            }
        }
        if let Err(error) = self.sink.close(&mut *self.out) {
            tracing::error!("could not write the outputs: {error}");
        }
        let _ = self.out.flush();
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
            (*name, value)
        })
        .collect()
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
                inert(step.label()),
                inert(&step.status_text)
            )
        })
        .unwrap_or_else(|| format!("operation {}", inert(&state.status_text)))
}

fn closing_line(outcome: &Outcome, elapsed: std::time::Duration) -> String {
    let mut line = format!(
        "publish-offer: {} after {}",
        outcome.status,
        format_elapsed(elapsed)
    );
    if let Some(note) = &outcome.note {
        line.push_str(": ");
        line.push_str(&inert(note));
    }
    line
}
