//! A live display for someone running the binary by hand in a terminal: a spinner with the
//! current step, the time elapsed and the time left, redrawn while the run waits. Never in CI
//! logs, where it would be noise: it is used only when stdout is a terminal and no CI system is
//! detected.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::config::Environment;
use crate::config::duration::format_elapsed;

pub struct Live {
    bar: ProgressBar,
}

impl Live {
    /// Whether a person is watching: stdout is a terminal and no CI system says it runs this.
    pub fn wanted(environment: &Environment) -> bool {
        std::io::stdout().is_terminal()
            && !environment.is_true("CI")
            && environment.get("TERM") != Some("dumb")
    }

    /// Starts the display; `timeout` is the time limit of the run, counted from now.
    pub fn start(timeout: Duration) -> Live {
        let remaining = move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(
                out,
                "{}",
                format_elapsed(timeout.saturating_sub(state.elapsed()))
            );
        };
        let elapsed = |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{}", format_elapsed(state.elapsed()));
        };
        let style = ProgressStyle::with_template(
            "{spinner} {msg}  ({elapsed_human} elapsed, {remaining} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("remaining", remaining)
        .with_key("elapsed_human", elapsed);
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout()).with_style(style);
        bar.set_message("starting");
        bar.enable_steady_tick(Duration::from_millis(200));
        Live { bar }
    }

    /// A line above the display.
    pub fn println(&self, line: &str) {
        self.bar.println(line);
    }

    pub fn set_status(&self, status: String) {
        self.bar.set_message(status);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
