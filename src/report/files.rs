//! The files the CI system reads after the step (outputs, summary, dotenv report, result file):
//! checked at start, and written so that a file that is not a regular file (a FIFO nobody reads)
//! can never block the run.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
    open(path, true)?.write_all(text.as_bytes())
}

/// Replaces the content of `path` with `text`.
pub fn replace(path: &Path, text: &str) -> io::Result<()> {
    open(path, false)?.write_all(text.as_bytes())
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
