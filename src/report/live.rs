//! A live display for someone running the binary by hand in a terminal: a spinner with the
//! current step, the time elapsed and the time left, redrawn while the run waits. Never in CI
//! logs, where it would be noise: it is used only when stderr is a terminal and no CI system is
//! detected.
//!
//! While it shows, every other line goes above it: the run's own lines through [`Live::println`],
//! log lines (stderr) through [`crate::terminal::suspend`], which clears the display, writes, and redraws it, so
//! the two never share a line and no spinner frame is left behind.

use std::io::IsTerminal;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, TermLike};

use crate::environment::Environment;
use crate::text::format_elapsed;

pub struct Live {
    bar: ProgressBar,
}

impl Live {
    /// Whether a person is watching: stderr, where the plain mode's lines go, is a terminal and
    /// no CI system says it runs this.
    pub fn wanted(environment: &Environment) -> bool {
        std::io::stderr().is_terminal()
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
        let target = ProgressDrawTarget::term_like_with_hz(
            Box::new(ShortOfTheEdge::new(console::Term::stderr())),
            20,
        );
        let bar = ProgressBar::with_draw_target(None, target).with_style(style);
        bar.set_message("starting");
        bar.enable_steady_tick(Duration::from_millis(200));
        crate::terminal::showing(Some(bar.clone()));
        Live { bar }
    }

    /// A line above the display.
    pub fn println(&self, line: &str) {
        self.bar.println(line);
    }

    /// What the run is doing, cut so that the display stays shorter than the terminal is wide.
    pub fn set_status(&self, status: String) {
        let room = usize::from(console::Term::stderr().size().1)
            .saturating_sub(40)
            .max(10);
        let status = if status.chars().count() > room {
            let cut: String = status.chars().take(room.saturating_sub(3)).collect();
            format!("{cut}...")
        } else {
            status
        };
        self.bar.set_message(status);
    }

    /// Removes the display from the screen, leaving only the lines printed above it.
    pub fn finish(&self) {
        crate::terminal::showing(None);
        self.bar.finish_and_clear();
    }
}

impl Drop for Live {
    /// However the run ends (an early return, a signal), the display does not stay behind.
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.finish();
        }
    }
}

/// The terminal, with one change to how indicatif draws on it: indicatif pads every line with
/// spaces to the right edge and lets the terminal wrap there. The display's own line then leaves
/// the cursor at the very edge, where the `^C` the terminal echoes on Ctrl-C wraps onto a new
/// line; clearing the display then clears that line and leaves a frozen frame above it. Here the
/// padding becomes "clear to the end of the line", plus a line break where the terminal would have
/// wrapped, so the cursor stays just after the display's text.
#[derive(Debug)]
struct ShortOfTheEdge {
    term: console::Term,
    drawing: Mutex<Drawing>,
}

/// Where a redraw is: indicatif writes each line as its text and then its padding.
#[derive(Debug, Default)]
struct Drawing {
    /// The next write is a line's padding.
    padding_next: bool,
    /// A line was written and padded: it ends when the next line starts, or at the flush.
    line_open: bool,
}

/// Clear from the cursor to the end of the line.
const CLEAR_TO_END: &str = "\x1b[K";

impl ShortOfTheEdge {
    fn new(term: console::Term) -> Self {
        ShortOfTheEdge {
            term,
            drawing: Mutex::new(Drawing::default()),
        }
    }

    fn drawing(&self) -> std::sync::MutexGuard<'_, Drawing> {
        self.drawing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Before the cursor moves or a line is cleared: a new redraw starts.
    fn restart(&self) {
        *self.drawing() = Drawing::default();
    }
}

impl TermLike for ShortOfTheEdge {
    fn width(&self) -> u16 {
        self.term.size().1
    }

    fn height(&self) -> u16 {
        self.term.size().0
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.restart();
        self.term.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.restart();
        self.term.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.restart();
        self.term.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.restart();
        self.term.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.restart();
        self.term.write_line(s)
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        let mut drawing = self.drawing();
        if drawing.padding_next {
            drawing.padding_next = false;
            drawing.line_open = true;
            return Ok(());
        }
        if drawing.line_open {
            self.term.write_str(&format!("{CLEAR_TO_END}\r\n"))?;
        }
        drawing.padding_next = true;
        drawing.line_open = false;
        self.term.write_str(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.restart();
        self.term.clear_line()
    }

    fn flush(&self) -> std::io::Result<()> {
        if std::mem::take(&mut *self.drawing()).line_open {
            self.term.write_str(CLEAR_TO_END)?;
        }
        self.term.flush()
    }
}
