//! The open-file limit, checked at start. The async runtime and its signal handlers take a few
//! descriptors, and tokio's signal setup panics (aborts, in a release build) rather than fail
//! when it finds none: so a run that has too few is refused, saying why, before any of them.

/// What a run needs beyond stdin, stdout, stderr and the kept outputs file: the runtime's poller
/// and waker, the signal pipe (two), a connection, a certificate or token file being read, and
/// room for a second connection while the first closes. Measured (tests/all/starved.rs, before
/// this check): a publish succeeded with 7 free and failed, cleanly, with "could not connect"
/// with 6; with 3 to 4 free tokio's signal setup panicked.
const NEEDED: usize = 7;

/// Why the run cannot start, when fewer than [`NEEDED`] descriptors are free.
pub fn too_few() -> Option<String> {
    let free = free_up_to(NEEDED);
    (free < NEEDED).then(|| {
        format!(
            "too few file descriptors: {free} free, {NEEDED} needed (the open-file limit, \
             `ulimit -n`, is too low for the runner); raise it to at least 32"
        )
    })
}

/// How many descriptors can still be opened, counting up to `enough`. They are closed again at
/// once; nothing else runs yet, so the count holds for the start that follows.
fn free_up_to(enough: usize) -> usize {
    let mut opened = Vec::with_capacity(enough);
    while opened.len() < enough {
        match std::fs::File::open(NULL_DEVICE) {
            Ok(file) => opened.push(file),
            Err(_) => break,
        }
    }
    opened.len()
}

#[cfg(unix)]
const NULL_DEVICE: &str = "/dev/null";
#[cfg(windows)]
const NULL_DEVICE: &str = "NUL";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_with_descriptors_to_spare_is_not_refused() {
        assert_eq!(free_up_to(3), 3);
        assert_eq!(too_few(), None);
    }
}
