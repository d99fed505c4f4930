//! Reporting: what the run tells the CI system and the person reading the log. One [`CiSink`] per
//! CI system, chosen at start, speaks that system's language (outputs, annotations, masks, the
//! summary); the [`Reporter`] decides what to say, the same for all of them.
//!
//! The files: [`sink`] (the trait each CI system implements) and the sinks ([`github`],
//! [`azure`], [`gitlab`], [`plain`]); [`output`] (the step outputs and their values); [`reporter`]
//! (what is said, and the two doors to the log); [`setup()`] (choosing the sink from the inputs);
//! [`command`] and [`escape`] (the runners' command lines), `annotations`, [`summary`],
//! [`result_file`], [`files`], [`live`] and [`last_words`] (after a panic).
//!
//! Stdout has two doors, both in [`Reporter`]: `line` for text, which redacts every line and
//! makes it inert under the runners' own parsing rules ([`crate::text::inert_whole_line`]), and
//! `command` for a [`Command`], which only the typed constructors of [`command`] can build. So
//! neither a secret nor a forged CI command can reach the log, whatever the service sends; stderr
//! has its own single door in [`crate::logging`]. Summary cells go through
//! [`crate::text::markdown`].

mod annotations;
pub mod azure;
pub mod command;
pub mod escape;
pub mod files;
pub mod github;
pub mod gitlab;
#[cfg(test)]
mod injection_tests;
pub mod last_words;
pub mod limits;
pub mod live;
pub mod output;
pub mod plain;
#[cfg(test)]
mod redaction_tests;
pub mod reporter;
pub mod result_file;
/// The runners' own parsers (shared with the end-to-end tests), to read the log back in tests.
#[cfg(test)]
#[path = "../../tests/support/runner_parsers.rs"]
pub(crate) mod runner_parsers;
pub mod setup;
pub mod sink;
pub mod summary;

pub use annotations::{Annotation, Severity};
pub use command::Command;
pub use files::FileError;
pub use limits::{
    MAX_DETAIL_MESSAGES, MAX_DETAIL_STEPS, MAX_NAME_CHARS, MAX_PROGRESS_LINES,
    MAX_STEP_LINES_PER_POLL,
};
pub use output::{Output, output_values};
pub use reporter::Reporter;
pub use setup::{Reporting, setup};
pub use sink::{CiSink, Said};
