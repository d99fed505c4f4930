//! The files the CI system reads after the step (outputs, summary, dotenv report, result file):
//! checked at start, and written so that a file that is not a regular file (a FIFO nobody reads)
//! can never block the run.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Files opened at start and kept open for the run: the outputs file, so that the status
/// reaches it even when every other descriptor is taken (a starved runner, a socket leak) and
/// from the panic hook, which must not need a new descriptor.
static KEPT: Mutex<Vec<(PathBuf, File)>> = Mutex::new(Vec::new());

/// Opens `path` now, in append mode, and keeps it for [`append`] and [`replace`]. A path that
/// cannot be opened (a FIFO with no reader, a folder) is left to fail, as before, when written.
pub fn keep_open(path: &Path) {
    let Ok(file) = open(path, true) else {
        return;
    };
    KEPT.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((path.to_owned(), file));
}

/// Writes through the kept descriptor of `path`, if one was kept; `None` otherwise. `try_lock`:
/// the panic hook may run while a write holds the lock, and must not wait on it.
fn with_kept(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Option<io::Result<()>> {
    let mut kept = match KEPT.try_lock() {
        Ok(kept) => kept,
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return None,
    };
    let (_, file) = kept.iter_mut().find(|(kept, _)| kept == path)?;
    Some(write(file))
}

/// A command file that could not be written: which one, and why.
#[derive(Debug)]
pub struct FileError {
    /// What the file is, as the user configured it: `GITHUB_OUTPUT`, `result-file`.
    pub file: &'static str,
    pub path: PathBuf,
    pub error: io::Error,
}

impl FileError {
    pub fn new(file: &'static str, path: &Path, error: io::Error) -> Self {
        FileError {
            file,
            path: path.to_owned(),
            error,
        }
    }
}

/// Opens `path` for writing without ever waiting: `O_NONBLOCK` makes opening a FIFO with no
/// reader fail at once (ENXIO) instead of hanging, and a full pipe fail instead of stalling.
fn open(path: &Path, append: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Appends `text` to `path`, creating it.
pub fn append(path: &Path, text: &str) -> io::Result<()> {
    if let Some(written) = with_kept(path, |file| file.write_all(text.as_bytes())) {
        return written;
    }
    open(path, true)?.write_all(text.as_bytes())
}

/// Replaces the content of `path` with `text`. A regular file (or a new one) is replaced whole,
/// through a file beside it renamed over it, so that a write cut short (a full disk) leaves the
/// old content or none, never a prefix: a cut dotenv line `NAME=http://12` would read as a value
/// (GitLab's parser accepts any `key=value` line), a cut result file as broken JSON.
pub fn replace(path: &Path, text: &str) -> io::Result<()> {
    // A kept file is in append mode: emptied, its end is its start.
    if let Some(written) = with_kept(path, |file| {
        file.set_len(0)?;
        file.write_all(text.as_bytes())
    }) {
        return written;
    }
    let regular = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata.file_type().is_file(),
        Err(error) => error.kind() == io::ErrorKind::NotFound,
    };
    if regular {
        return replace_whole(path, text);
    }
    // A FIFO, a device or a link: written in place, as the user pointed it there.
    open(path, false)?.write_all(text.as_bytes())
}

/// Writes `text` to a new file beside `path`, flushed to disk (where a full disk may only show
/// itself), then renames it over `path`.
fn replace_whole(path: &Path, text: &str) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let beside = path.with_file_name(format!(
        ".{}.{:08x}.tmp",
        name.to_string_lossy(),
        fastrand::u32(..)
    ));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&beside)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_data()
        })
        .and_then(|()| std::fs::rename(&beside, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&beside);
    }
    written
}

/// Why `path` (named `name`, from `source`) cannot be the file the run writes: its folder does
/// not exist, or it is a folder itself. Checked at start so that an hour's wait does not end in
/// lost outputs.
pub fn check_writable(name: &str, source: &str, path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!(
            "{name} ({source}): {} is a folder, not a file",
            path.display()
        ));
    }
    if let Some(directory) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        && !directory.is_dir()
    {
        return Err(format!(
            "{name} ({source}): {} is not an existing folder; create it in an earlier \
             step or choose a path in an existing folder",
            directory.display()
        ));
    }
    Ok(())
}

/// Why `path` (named `name`, from `source`) cannot be the folder the run writes a file in.
pub fn check_folder(name: &str, source: &str, path: &Path) -> Result<(), String> {
    if path.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "{name} ({source}): {} is not an existing folder",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_or_a_missing_folder_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(check_writable("x", "env", &dir.path().join("file")).is_ok());
        let error = check_writable("GITHUB_OUTPUT", "environment", dir.path()).unwrap_err();
        assert!(error.contains("GITHUB_OUTPUT") && error.contains("is a folder"));
        let missing = dir.path().join("missing/file");
        let error = check_writable("GITHUB_OUTPUT", "environment", &missing).unwrap_err();
        assert!(error.contains(&dir.path().join("missing").display().to_string()));
        assert!(check_folder("AGENT_TEMPDIRECTORY", "environment", dir.path()).is_ok());
        assert!(check_folder("AGENT_TEMPDIRECTORY", "environment", &missing).is_err());
    }

    #[test]
    fn a_kept_file_is_written_through_its_descriptor() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("kept");
        keep_open(&path);
        // Moved away: a write by path would create a new file; the kept descriptor does not.
        let moved = dir.path().join("moved");
        std::fs::rename(&path, &moved).expect("rename");
        append(&path, "a=1\n").expect("append");
        append(&path, "b=2\n").expect("append");
        assert_eq!(std::fs::read_to_string(&moved).expect("read"), "a=1\nb=2\n");
        replace(&path, "c=3\n").expect("replace");
        assert_eq!(std::fs::read_to_string(&moved).expect("read"), "c=3\n");
        assert!(!path.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_without_reader_fails_at_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        assert!(append(&fifo, "x").is_err());
    }
}
