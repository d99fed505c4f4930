//! The terminal that stdout and stderr share on a person's screen: whether to colour it, and the
//! live display ([`crate::report::live`]) that both streams write above. Below both the reporter
//! (stdout) and [`crate::logging`] (stderr), so that neither imports the other for it.

use std::sync::{Mutex, PoisonError};

use indicatif::ProgressBar;

use crate::config::Environment;

/// Whether to colour a stream, as cargo and ripgrep decide: `NO_COLOR` (non-empty) never; in
/// CI never; `CLICOLOR_FORCE` (not `0`) always; `CLICOLOR=0` never; else only on a terminal that
/// is not `TERM=dumb`.
pub fn colour_wanted(environment: &Environment, is_terminal: bool) -> bool {
    if environment.get("NO_COLOR").is_some() {
        return false;
    }
    // CI logs never get an escape code, even when asked for: the runners store and show them
    // as text, and their parsers read the lines.
    let in_ci = ["CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI"]
        .iter()
        .any(|name| environment.is_true(name));
    if in_ci {
        return false;
    }
    if environment
        .get("CLICOLOR_FORCE")
        .is_some_and(|value| value != "0")
    {
        return true;
    }
    environment.get("CLICOLOR") != Some("0")
        && is_terminal
        && environment.get("TERM") != Some("dumb")
}

/// The display showing now, for the log writer. At most one per process.
static SHOWING: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `write` with the display cleared from the screen (it is redrawn afterwards), or directly
/// when no display shows.
pub fn suspend<T>(write: impl FnOnce() -> T) -> T {
    let showing = SHOWING
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match showing {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Registers the display now showing (`None` once it is gone), for [`suspend`].
pub fn showing(bar: Option<ProgressBar>) {
    *SHOWING.lock().unwrap_or_else(PoisonError::into_inner) = bar;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn colour_follows_the_conventions() {
        assert!(colour_wanted(&environment(&[]), true));
        assert!(!colour_wanted(&environment(&[]), false), "a pipe or file");
        assert!(!colour_wanted(&environment(&[("NO_COLOR", "1")]), true));
        assert!(colour_wanted(&environment(&[("NO_COLOR", "")]), true));
        assert!(!colour_wanted(&environment(&[("TERM", "dumb")]), true));
        assert!(!colour_wanted(&environment(&[("CI", "true")]), true));
        assert!(!colour_wanted(
            &environment(&[("GITHUB_ACTIONS", "true")]),
            true
        ));
        assert!(!colour_wanted(&environment(&[("CLICOLOR", "0")]), true));
        assert!(colour_wanted(
            &environment(&[("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(!colour_wanted(
            &environment(&[("CLICOLOR_FORCE", "0")]),
            false
        ));
        assert!(
            !colour_wanted(
                &environment(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
                true
            ),
            "NO_COLOR wins, as in cargo"
        );
        for ci in ["CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI"] {
            let value = if ci == "TF_BUILD" { "True" } else { "true" };
            assert!(
                !colour_wanted(&environment(&[("CLICOLOR_FORCE", "1"), (ci, value)]), true),
                "no escape code in a CI log under {ci}, even when asked for"
            );
        }
    }
}
