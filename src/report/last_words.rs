//! What a panic leaves behind. The release profile aborts on panic, so no reporter gets to
//! finish; the panic hook writes `status=error` where the CI system reads the status (and the
//! Azure, GitLab and result-file equivalents), best effort, and one line of error, so that a
//! later step never reads a missing status as a pass.

use std::path::PathBuf;
use std::sync::Mutex;

use super::command::{Command, LoggingCommand, WorkflowCommand};
use super::{Output, files, gitlab};

/// Where the status goes, recorded by [`super::setup`] once the CI system is known.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    pub sink: &'static str,
    pub github_output: Option<PathBuf>,
    pub dotenv_file: Option<PathBuf>,
    pub result_file: Option<PathBuf>,
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
        leave_status(&format!(
            "publish-offer: internal error (a bug in publish-offer): {what}{at}; status is error"
        ));
    }));
}

/// Writes `status=error` wherever the CI system reads it, then `message` on stderr.
fn leave_status(message: &str) {
    // `try_lock`: a panic while the destinations are being recorded must not deadlock here.
    let destinations = DESTINATIONS
        .try_lock()
        .ok()
        .and_then(|guard| guard.clone())
        .unwrap_or_default();
    let mut commands = Vec::new();
    match destinations.sink {
        "github" => {
            if let Some(path) = &destinations.github_output {
                let _ = files::append(path, &format!("{}=error\n", Output::Status.name()));
            }
            commands.push(Command::workflow(
                WorkflowCommand::Error,
                &[("title", "publish-offer internal error")],
                message,
            ));
        }
        "azure-pipelines" => {
            commands.push(Command::logging(
                LoggingCommand::SetVariable,
                &[
                    ("variable", &super::azure::variable_name(Output::Status)),
                    ("isoutput", "true"),
                ],
                "error",
            ));
            commands.push(Command::logging(
                LoggingCommand::LogIssue,
                &[("type", "error")],
                message,
            ));
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
    if let Some(path) = &destinations.result_file {
        let document = serde_json::json!({
            "status": "error",
            "outputs": { Output::Status.name(): "error" },
            "problem": { "title": "internal error", "message": message },
        });
        let _ = files::replace(path, &format!("{document:#}\n"));
    }
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        for command in commands {
            let line = crate::secret::redact(command.as_str()).into_owned();
            let _ = writeln!(stdout, "{line}");
        }
        let _ = stdout.flush();
    }
    crate::logging::stderr_line(message);
}
