//! How much service text the log takes: a service sending too much, or changing it at every
//! reading, must not flood the log.

/// At most this many step lines per poll, then "… N more".
pub const MAX_STEP_LINES_PER_POLL: usize = 20;
/// At most this many progress lines in a whole run: a status flipping on every poll stops being
/// printed here (the summary and the result file still hold the last state).
pub const MAX_PROGRESS_LINES: usize = 500;
/// At most this many steps, and messages, in the closing "steps and messages" group.
pub const MAX_DETAIL_STEPS: usize = 100;
pub const MAX_DETAIL_MESSAGES: usize = 100;
/// Service text on a log line is cut to this many characters for a name (a step's label, its
/// status, an estimate, a message's title) and to `annotations::MAX_MESSAGE_CHARS` for a
/// message: a step name of megabytes, flipping on every poll, would otherwise print megabytes
/// each time.
pub const MAX_NAME_CHARS: usize = 200;
