//! Diagnostics through `tracing` to stderr, every line redacted. The level comes from `RUST_LOG`
//! (default info for this program, warn for libraries), debug when the runner asks for debug
//! logging (`RUNNER_DEBUG=1`, Azure Pipelines `SYSTEM_DEBUG=true`).

use std::io::{self, Write};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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
        Some(directives) => filter_from(directives),
        None if debug => filter_from("publish_offer=debug,warn"),
        None => filter_from("publish_offer=info,warn"),
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(RedactedStderrMaker)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .finish()
        .with(filter)
        .try_init();
}

/// `RUST_LOG` as comma-separated `target=level` and bare `level` directives (a target matches
/// itself and its modules: `publish_offer=debug,warn`). A directive that does not parse, such
/// as EnvFilter's span and field forms, is skipped as EnvFilter's lossy parsing did; Targets
/// needs no regex engine, which keeps the binary smaller.
fn filter_from(directives: &str) -> Targets {
    directives
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .filter_map(|directive| directive.parse::<Targets>().ok())
        .fold(Targets::new(), |filter, parsed| {
            let filter = match parsed.default_level() {
                Some(level) => filter.with_default(level),
                None => filter,
            };
            filter.with_targets(parsed)
        })
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::filter::LevelFilter;

    use super::*;

    #[test]
    fn the_default_is_info_for_the_program_and_warn_for_libraries() {
        let filter = filter_from("publish_offer=info,warn");
        assert!(filter.would_enable("publish_offer::api::http", &Level::INFO));
        assert!(!filter.would_enable("publish_offer::api::http", &Level::DEBUG));
        assert!(filter.would_enable("hyper_util::client", &Level::WARN));
        assert!(!filter.would_enable("hyper_util::client", &Level::INFO));
    }

    #[test]
    fn a_bare_level_sets_every_target() {
        let filter = filter_from("DEBUG");
        assert_eq!(filter.default_level(), Some(LevelFilter::DEBUG));
        assert!(filter.would_enable("reqwest::connect", &Level::DEBUG));
        assert!(!filter.would_enable("reqwest::connect", &Level::TRACE));
        assert!(!filter_from("off").would_enable("publish_offer", &Level::ERROR));
    }

    #[test]
    fn targets_and_levels_combine_and_bad_directives_are_skipped() {
        let filter =
            filter_from(" publish_offer::wait=trace, reqwest[span{x=1}]=debug ,,error,h2=nonsense");
        assert!(filter.would_enable("publish_offer::wait", &Level::TRACE));
        assert!(!filter.would_enable("publish_offer::api", &Level::WARN));
        assert!(filter.would_enable("publish_offer::api", &Level::ERROR));
        assert!(!filter.would_enable("reqwest", &Level::DEBUG));
        assert_eq!(filter.default_level(), Some(LevelFilter::ERROR));
    }
}
