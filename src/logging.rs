//! Diagnostics through `tracing` to stderr, every line redacted. The level comes from `RUST_LOG`
//! (default info for this program, warn for libraries), debug when the runner asks for debug
//! logging (`RUNNER_DEBUG=1`, Azure Pipelines `SYSTEM_DEBUG=true`).

use std::io::{self, IsTerminal, Write};
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::Environment;
use crate::report::plain;
use crate::secret;
use crate::text::inert;

/// Stderr, with every registered secret replaced by `***` and every event kept to one inert line
/// (runners read stderr for commands too). The formatter writes each event in one call, so
/// neither a secret nor a marker is ever split across writes.
struct RedactedStderr;

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let text = secret::redact(&text);
        let (event, end) = match text.strip_suffix('\n') {
            Some(event) => (event, "\n"),
            None => (text.as_ref(), ""),
        };
        let mut line = format!("{}{end}", inert(event));
        if STDERR_COLOUR.get() == Some(&true) {
            line = colour_level(&line);
        }
        // Above the live display, never across it.
        crate::report::live::suspend(|| io::stderr().lock().write_all(line.as_bytes()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for RedactedStderrMaker {
    type Writer = RedactedStderr;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedStderr
    }
}

struct RedactedStderrMaker;

/// Whether stderr is coloured (a person at a terminal; see [`plain::colour_wanted`]).
static STDERR_COLOUR: OnceLock<bool> = OnceLock::new();

/// ` WARN message` -> the level in colour (after the line was made inert, so the codes are ours).
fn colour_level(line: &str) -> String {
    for (level, colour) in [("ERROR", "\x1b[1;31m"), ("WARN", "\x1b[1;33m")] {
        let body = line.trim_start_matches(' ');
        if let Some(rest) = body.strip_prefix(level) {
            let indent = &line[..line.len() - body.len()];
            return format!("{indent}{colour}{level}\x1b[0m{rest}");
        }
    }
    line.to_owned()
}

pub fn init(environment: &Environment) {
    let _ = STDERR_COLOUR.set(plain::colour_wanted(
        environment,
        io::stderr().is_terminal(),
    ));
    let debug = environment.get("RUNNER_DEBUG") == Some("1") || environment.is_true("SYSTEM_DEBUG");
    let filter = match environment.get("RUST_LOG") {
        Some(directives) => EnvFilter::builder().parse_lossy(directives),
        None if debug => EnvFilter::new("publish_offer=debug,warn"),
        None => EnvFilter::new("publish_offer=info,warn"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactedStderrMaker)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .try_init();
}
