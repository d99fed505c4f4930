//! Diagnostics through `tracing` to stderr, every line redacted. The level comes from `RUST_LOG`
//! (default info for this program, warn for libraries), debug when the runner asks for debug
//! logging (`RUNNER_DEBUG=1`, Azure Pipelines `SYSTEM_DEBUG=true`).

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::Environment;
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
        let line = format!("{}{end}", inert(event));
        io::stderr().lock().write_all(line.as_bytes())?;
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

pub fn init(environment: &Environment) {
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
