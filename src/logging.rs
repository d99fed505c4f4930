//! Diagnostics through `tracing` to stderr, every line redacted. The level comes from `RUST_LOG`
//! (default info for this program, warn for libraries), debug when the runner asks for debug
//! logging (`RUNNER_DEBUG=1`, Azure Pipelines `SYSTEM_DEBUG=true`).

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::environment::Environment;
use crate::secret;
use crate::terminal;
use crate::text::inert_whole_line;

/// An identical warning is printed at most once in this window; the repeats are counted.
const REPEAT_WINDOW: Duration = Duration::from_secs(30);
/// Distinct warnings remembered for counting; beyond this, the oldest are forgotten.
const MAX_REMEMBERED: usize = 256;

/// A warning seen recently: when it was last printed, how many times it came again since
/// without being printed, and its latest wording.
struct Seen {
    printed: Instant,
    held: u64,
    latest: String,
}

/// Warnings seen recently, by [`repeat_key`].
static REPEATS: Mutex<Option<HashMap<String, Seen>>> = Mutex::new(None);

/// Warnings that differ only in a duration (`retrying in 1s`, `retrying in 2s`) are the same
/// warning repeated: each run of digits directly followed by a unit letter becomes `#`.
fn repeat_key(line: &str) -> String {
    let mut key = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            key.push(c);
            continue;
        }
        let mut digits = String::from(c);
        while let Some(&next) = chars.peek() {
            if next.is_ascii_digit() || next == '.' {
                digits.push(next);
                chars.next();
            } else {
                break;
            }
        }
        match chars.peek() {
            Some('m' | 's' | 'h' | 'd') => key.push('#'),
            _ => key.push_str(&digits),
        }
    }
    key
}

/// What to print for the warning `line` arriving `now`: the line (with the count of repeats held
/// back since it was last printed), or nothing when the same warning was printed less than
/// [`REPEAT_WINDOW`] ago.
fn admit(line: &str, now: Instant) -> Option<String> {
    let mut guard = REPEATS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let seen = guard.get_or_insert_with(HashMap::new);
    let key = repeat_key(line);
    match seen.get_mut(&key) {
        Some(known) if now.duration_since(known.printed) < REPEAT_WINDOW => {
            known.held = known.held.saturating_add(1);
            line.clone_into(&mut known.latest);
            None
        }
        Some(known) => {
            let text = match known.held {
                0 => line.to_owned(),
                held => format!("{line} (and {held} more like it since it was last printed)"),
            };
            known.printed = now;
            known.held = 0;
            Some(text)
        }
        None => {
            if seen.len() >= MAX_REMEMBERED
                && let Some(oldest) = seen
                    .iter()
                    .min_by_key(|(_, known)| known.printed)
                    .map(|(key, _)| key.clone())
            {
                seen.remove(&oldest);
            }
            seen.insert(
                key,
                Seen {
                    printed: now,
                    held: 0,
                    latest: line.to_owned(),
                },
            );
            Some(line.to_owned())
        }
    }
}

/// The counts of warnings held back and not yet told, one line each: for the end of the run.
fn held_back() -> Vec<String> {
    let mut guard = REPEATS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(seen) = guard.as_mut() else {
        return Vec::new();
    };
    let mut lines: Vec<String> = seen
        .values_mut()
        .filter(|known| known.held > 0)
        .map(|known| {
            // Told as a count, not as if the last one were happening now.
            let latest = known.latest.trim_start();
            let text = match latest.strip_prefix("WARN") {
                Some(rest) => format!(
                    " WARN {} more like it, not printed; the last: {}",
                    known.held,
                    rest.trim_start()
                ),
                None => format!(
                    "{} more like it, not printed; the last: {latest}",
                    known.held
                ),
            };
            known.held = 0;
            text
        })
        .collect();
    lines.sort();
    lines
}

/// The line to print for one formatted (and redacted) event, made inert; none for a warning
/// repeated too soon. The formatter starts a warning's line with its level.
fn event_line(event: &str, now: Instant) -> Option<String> {
    // Redacted again once inert: dropping ignorable characters and joining blanks can make a
    // secret whole that was split before.
    let line = secret::redact(&inert_whole_line(event)).into_owned();
    if line.trim_start().starts_with("WARN") {
        // The repeats held back are told before a new warning, not at the end of the run:
        // "3 more like it ... retrying in 6s" came after "not retrying: tried 5 times".
        let line = admit(&line, now)?;
        let mut lines = held_back();
        lines.push(line);
        Some(lines.join("\n"))
    } else {
        Some(line)
    }
}

/// The one way text reaches stderr: every line redacted and made inert for the runner.
pub fn stderr_line(text: &str) {
    let text = secret::redact(text);
    // Above the live display, never across it.
    terminal::suspend(|| {
        let mut stderr = io::stderr().lock();
        for line in text.split('\n') {
            let _ = writeln!(stderr, "{}", secret::redact(&inert_whole_line(line)));
        }
    });
}

/// Tells how many times each warning held back came again: before the run's last lines, and at
/// the very end. Nothing before [`init`] (the unit tests of the reporter share the counts).
pub fn flush_repeats() {
    if STDERR_COLOUR.get().is_none() {
        return;
    }
    for line in held_back() {
        stderr_line(&line);
    }
}

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
        if let Some(mut line) = event_line(event, Instant::now()) {
            if STDERR_COLOUR.get() == Some(&true) {
                line = colour_level(&line);
            }
            // Above the live display, never across it.
            terminal::suspend(|| {
                io::stderr()
                    .lock()
                    .write_all(format!("{line}{end}").as_bytes())
            })?;
        }
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

/// Whether stderr is coloured (a person at a terminal; see [`crate::environment::colour_wanted`]).
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
    let _ = STDERR_COLOUR.set(crate::environment::colour_wanted(
        environment,
        io::stderr().is_terminal(),
    ));
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
        // The builder stops at INFO unless told otherwise, and the filter below could then
        // only narrow it: `RUST_LOG=debug` printed nothing more.
        .with_max_level(tracing::Level::TRACE)
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
    use super::*;
    use proptest::prelude::*;
    use tracing::Level;
    use tracing_subscriber::filter::LevelFilter;

    use crate::report::runner_parsers;

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

    proptest! {
        #[test]
        fn log_lines_hold_no_command(
            event in "( INFO | WARN |ERROR )?([ \\t\u{a0}\u{200b}\n\r]|::|##\\[|##vso\\[|\\]|error|add-mask|task\\.complete|\\PC){0,40}"
        ) {
            let _turn = REPEATS_IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(line) = event_line(&event, Instant::now()) {
                prop_assert!(runner_parsers::github_commands(&line).is_empty(), "{:?}", line);
                prop_assert!(runner_parsers::azure_commands(&line).is_empty(), "{:?}", line);
            }
        }
    }

    /// The repeats are the process's: the tests that count them take turns.
    static REPEATS_IN_USE: Mutex<()> = Mutex::new(());
    use std::sync::PoisonError;

    #[test]
    fn held_repeats_are_told_before_the_next_warning() {
        let _turn = REPEATS_IN_USE
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let start = Instant::now();
        let retry = " WARN order-test: HTTP 503; retrying in 1s";
        assert_eq!(event_line(retry, start).as_deref(), Some(retry));
        for seconds in 2..=4 {
            let later = format!(" WARN order-test: HTTP 503; retrying in {seconds}s");
            assert_eq!(event_line(&later, start), None);
        }
        let gave_up = " WARN order-test: HTTP 503; not retrying: tried 5 times";
        assert_eq!(
            event_line(gave_up, start).as_deref(),
            Some(
                " WARN 3 more like it, not printed; the last: order-test: HTTP 503; retrying in \
                 4s\n WARN order-test: HTTP 503; not retrying: tried 5 times"
            )
        );
        assert!(held_back().is_empty());
    }

    #[test]
    fn identical_warnings_are_counted_not_repeated() {
        let _turn = REPEATS_IN_USE
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let start = Instant::now();
        let line = " WARN unit-test warning: service busy; still waiting";
        assert_eq!(admit(line, start).as_deref(), Some(line));
        for seconds in 1..=5 {
            assert_eq!(admit(line, start + Duration::from_secs(seconds)), None);
        }
        let other = " WARN unit-test warning: another";
        assert_eq!(admit(other, start).as_deref(), Some(other));
        let again = admit(line, start + REPEAT_WINDOW + Duration::from_secs(1));
        assert_eq!(
            again.as_deref(),
            Some(
                " WARN unit-test warning: service busy; still waiting (and 5 more like it since \
                 it was last printed)"
            )
        );
        assert_eq!(
            admit(line, start + REPEAT_WINDOW + Duration::from_secs(2)),
            None
        );

        // A different delay is the same warning; a different status is not.
        let retry = " WARN unit-test warning: HTTP 503; retrying in 1s";
        assert!(admit(retry, start).is_some());
        let later = " WARN unit-test warning: HTTP 503; retrying in 2.5s";
        assert_eq!(admit(later, start), None);
        assert!(admit(" WARN unit-test warning: HTTP 429; retrying in 1s", start).is_some());

        let held = held_back();
        assert!(
            held.contains(&" WARN 1 more like it, not printed; the last: unit-test warning: service busy; still waiting".to_owned()),
            "{held:?}"
        );
        assert!(
            held.contains(&" WARN 1 more like it, not printed; the last: unit-test warning: HTTP 503; retrying in 2.5s".to_owned()),
            "{held:?}"
        );
    }
}
