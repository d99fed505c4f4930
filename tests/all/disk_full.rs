//! A full disk: a write to the outputs file cut short must never leave an entry the CI system
//! reads as a value (a cut `operation-url=http://127.0.0.1:…/of` would be taken whole), and the
//! failure is reported as any unwritable file is. Needs a small filesystem of its own, so root
//! (to mount it); skipped with a message otherwise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::runner_parsers::{github_file_commands, gitlab_dotenv};
use crate::support::*;

/// A small filesystem mounted on a temp folder, unmounted when dropped.
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    /// A tmpfs of `bytes` (rounded up to pages), or `None` with the reason printed.
    fn tmpfs(bytes: usize) -> Option<SmallFs> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mount_point = dir.path().join("mnt");
        std::fs::create_dir(&mount_point).expect("mount point");
        let size = format!("size={bytes}");
        let args = ["-t", "tmpfs", "-o", &size, "tmpfs"];
        SmallFs::mount(dir, &args)
    }

    fn mount(dir: tempfile::TempDir, args: &[&str]) -> Option<SmallFs> {
        let mounted = Command::new("mount")
            .args(args)
            .arg(dir.path().join("mnt"))
            .output();
        match mounted {
            Ok(mounted) if mounted.status.success() => Some(SmallFs { dir }),
            other => {
                println!("skipped: cannot mount a small filesystem (needs root): {other:?}");
                None
            }
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join("mnt").join(name)
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg(self.dir.path().join("mnt"))
            .status();
    }
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

#[test]
fn a_cut_github_output_entry_is_rejected_not_read_as_a_value() {
    let server = simple_server();
    // What every output is when nothing is cut, read as the runner reads it.
    let reference = step().github().against(&server).run();
    reference.assert_code(0);
    let (expected, error) = github_file_commands(&reference.outputs_raw);
    assert_eq!(error, None, "{}", reference.dump());
    let expected: HashMap<String, String> = expected.into_iter().collect();

    let mut cut_seen = false;
    // From no room at all to room for all but the last entries, in steps that land inside
    // entries (each is about 60 to 170 bytes).
    for room in (0..1000).step_by(41) {
        let Some(fs) = SmallFs::tmpfs(8192) else {
            return;
        };
        // One page for a filler, one for the outputs file, of which `room` bytes are left.
        std::fs::write(fs.path("filler"), vec![b'x'; 4096]).expect("filler");
        let earlier = format!("earlier<<E\n{}\nE\n", "y".repeat(4096 - room - 14));
        let output = fs.path("github_output");
        std::fs::write(&output, &earlier).expect("prefill");
        let step = step()
            .github()
            .against(&server)
            .env("GITHUB_OUTPUT", &output.display().to_string());
        let run = step.run();
        let written = read(&output);
        let context = format!("room {room}\n{}\n--- file\n{written}", run.dump());
        let (pairs, error) = github_file_commands(&written);
        assert_eq!(
            pairs.first().map(|(name, _)| name.as_str()),
            Some("earlier"),
            "{context}"
        );
        for (name, value) in &pairs[1..] {
            assert_eq!(Some(value), expected.get(name), "{name}: {context}");
        }
        if pairs.len() - 1 < expected.len() {
            cut_seen |= error.is_some();
            run.assert_stdout_has("could not write GITHUB_OUTPUT");
        }
    }
    assert!(
        cut_seen,
        "no room size cut an entry: the test checks nothing"
    );
}

/// GitLab reads any `key=value` line whole, so a cut line can only be prevented by never
/// leaving a cut file: each rewrite goes to a file beside it, renamed over it. With one page
/// free, the first version fits and every later rewrite finds no room: the file keeps that
/// first version, whole (writing in place would have truncated it and lost it, or cut it).
#[test]
fn a_full_disk_leaves_the_dotenv_file_whole() {
    let server = simple_server();
    let gitlab = |dotenv: &Path| {
        step()
            .against(&server)
            .input("ci", "gitlab")
            .input("dotenv-file", &dotenv.display().to_string())
    };
    let reference_step = gitlab(Path::new("vars.env"));
    reference_step.run().assert_code(0);
    let reference = read(&reference_step.dir().join("vars.env"));
    let expected: HashMap<String, String> = gitlab_dotenv(&reference)
        .expect("the whole file parses")
        .into_iter()
        .collect();

    let Some(fs) = SmallFs::tmpfs(8192) else {
        return;
    };
    std::fs::write(fs.path("filler"), vec![b'x'; 4096]).expect("filler");
    let dotenv = fs.path("vars.env");
    let run = gitlab(&dotenv).run();
    let written = read(&dotenv);
    let context = format!("{}\n--- dotenv\n{written}", run.dump());
    let read = gitlab_dotenv(&written).unwrap_or_else(|error| panic!("{error}: {context}"));
    assert!(
        !read.is_empty(),
        "what was written before is lost: {context}"
    );
    for (name, value) in &read {
        assert_eq!(Some(value), expected.get(name), "{name}: {context}");
    }
    assert!(read.len() < expected.len(), "nothing was cut: {context}");
    run.assert_stdout_has("could not write dotenv-file");
}
