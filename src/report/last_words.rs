//! What a panic leaves behind. The release profile aborts on panic, so no reporter gets to
//! finish; the panic hook writes `status=error` where the CI system reads the status (and the
//! Azure, GitLab and result-file equivalents), best effort, and one line of error, so that a
//! later step never reads a missing status as a pass.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use super::command::{Command, LoggingCommand, WorkflowCommand};
use super::output::Output;
use super::{files, gitlab};

/// Where the status goes, recorded by [`super::setup()`] once the CI system is known.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    pub sink: &'static str,
    pub github_output: Option<PathBuf>,
    pub dotenv_file: Option<PathBuf>,
    pub result_file: Option<PathBuf>,
}

/// Opens the outputs file the CI system gave (`GITHUB_OUTPUT`) and keeps it open for the run, so
/// that the status, from the reporter or from the panic hook, needs no new descriptor.
pub fn keep_outputs_open(environment: &crate::environment::Environment) {
    if let Some(path) = environment
        .get("GITHUB_OUTPUT")
        .filter(|path| !path.is_empty())
    {
        files::keep_open(std::path::Path::new(path));
    }
}

static DESTINATIONS: Mutex<Option<Destinations>> = Mutex::new(None);

pub fn record(destinations: Destinations) {
    if let Ok(mut guard) = DESTINATIONS.lock() {
        *guard = Some(destinations);
    }
}

/// Installs the hook. Before [`record`] is called, only the stderr line is written.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        let at = info
            .location()
            .map(|location| format!(" at {}:{}", location.file(), location.line()))
            .unwrap_or_default();
        let message = format!(
            "publish-offer: internal error (a bug in publish-offer): {what}{at}; status is error"
        );
        // `try_lock`: a panic while the destinations are being recorded must not deadlock here.
        let destinations = DESTINATIONS
            .try_lock()
            .ok()
            .and_then(|guard| guard.clone())
            .unwrap_or_default();
        leave_status(&destinations);
        tell(destinations, message);
    }));
}

/// Writes `status=error` wherever the CI system reads it. Constant text only: nothing here
/// needs a lock that the panicking code might hold.
fn leave_status(destinations: &Destinations) {
    let mut out = std::io::stdout().lock();
    match destinations.sink {
        "github" => {
            if let Some(path) = &destinations.github_output {
                let entry = super::github::output_entry(Output::Status.name(), "error");
                let _ = files::append(path, &entry);
            }
        }
        "azure-pipelines" => {
            let command = Command::logging(
                LoggingCommand::SetVariable,
                &[
                    ("variable", &super::azure::variable_name(Output::Status)),
                    ("isoutput", "true"),
                ],
                "error",
            );
            let _ = writeln!(out, "{}", command.as_str());
        }
        "gitlab" => {
            if let Some(path) = &destinations.dotenv_file {
                let _ = files::append(
                    path,
                    &format!("{}=error\n", gitlab::variable_name(Output::Status)),
                );
            }
        }
        _ => {}
    }
    let _ = out.flush();
    if let Some(path) = &destinations.result_file {
        let _ = files::replace(path, &result_document("internal error"));
    }
}

/// The result file after a panic.
fn result_document(message: &str) -> String {
    let document = serde_json::json!({
        "status": "error",
        "outputs": { Output::Status.name(): "error" },
        "problem": { "title": "internal error", "message": message },
    });
    format!("{document:#}\n")
}

/// Tells `message` (which may hold service text: it is redacted and made inert) as an error
/// annotation, in the result file and on stderr. Redaction takes the secrets' lock, which the
/// panicking code may hold: so this runs on a thread of its own, given a few seconds, and a run
/// never hangs on it.
fn tell(destinations: Destinations, message: String) {
    let (done, finished) = mpsc::channel();
    let teller = std::thread::Builder::new().spawn(move || {
        let redacted = crate::secret::redact(&message).into_owned();
        let command = match destinations.sink {
            "github" => Some(Command::workflow(
                WorkflowCommand::Error,
                &[("title", "publish-offer internal error")],
                &redacted,
            )),
            "azure-pipelines" => Some(Command::logging(
                LoggingCommand::LogIssue,
                &[("type", "error")],
                &redacted,
            )),
            _ => None,
        };
        if let Some(command) = command {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", command.as_str());
            let _ = out.flush();
        }
        if let Some(path) = &destinations.result_file {
            let _ = files::replace(path, &result_document(&redacted));
        }
        crate::logging::stderr_line(&redacted);
        let _ = done.send(());
    });
    let told = teller.is_ok() && finished.recv_timeout(Duration::from_secs(5)).is_ok();
    if !told {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "publish-offer: internal error; status is error");
    }
}
