//! The terminal that stdout and stderr share on a person's screen: the live display
//! ([`crate::report::live`]) that both streams write above. Below both the reporter (stdout) and
//! [`crate::logging`] (stderr), so that neither imports the other for it. Whether to colour it is
//! decided with the CI system, in [`crate::environment::colour_wanted`].

use std::sync::{Mutex, PoisonError};

use indicatif::ProgressBar;

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
