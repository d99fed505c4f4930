//! A starved runner: an open-file limit from 3 (stdin, stdout and stderr only) up. Whatever the
//! limit, the status reaches `GITHUB_OUTPUT` or stderr says why it could not, and nothing panics.

use std::process::{Command, Stdio};

use crate::support::*;

/// `step` run under `prlimit --nofile=limit:limit` (util-linux): the limit is set before the
/// binary starts, as a runner's `ulimit -n` would, without a shell (which would drop the
/// `INPUT_OFFER-ID` style variables, whose names hold a dash).
fn run_with_fd_limit(step: &Step, limit: u32) -> Finished {
    let direct = step.command();
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={limit}:{limit}"))
        .arg("--")
        .arg(direct.get_program())
        .env_clear()
        .current_dir(step.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in direct.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    step.finished(wait_bounded(command.spawn().expect("start prlimit")))
}

#[test]
fn every_fd_limit_leaves_a_status_or_says_why() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        println!("skipped: prlimit (util-linux) is not installed");
        return;
    }
    for limit in 3..=16 {
        let server = simple_server();
        let step = step().github().against(&server);
        let run = run_with_fd_limit(&step, limit);
        let context = format!("open-file limit {limit}\n{}", run.dump());
        assert!(
            !run.stderr.contains("internal error") && run.code != 101 && run.code != -1,
            "a panic or a signal: {context}"
        );
        match run.outputs().get("status").map(String::as_str) {
            Some("succeeded") => assert_eq!(run.code, 0, "{context}"),
            Some("error") => {
                assert_eq!(run.code, 1, "{context}");
                assert!(
                    run.stderr.contains("too few file descriptors")
                        || run.stderr.contains("Too many open files"),
                    "an error that does not say why: {context}"
                );
            }
            Some(other) => panic!("status {other}: {context}"),
            // Only when not even the outputs file can be opened: the dynamic loader, before
            // any of our code runs, says so itself (it cannot open libgcc_s).
            None => assert!(
                run.code != 0 && run.stderr.contains("cannot open shared object file"),
                "no status and no reason: {context}"
            ),
        }
    }
}
