//! The same failed publish reported to each CI system, compared with snapshots of exactly what
//! each one gets (`UPDATE_EXPECT=1 cargo test` rewrites them after a deliberate change).

use expect_test::expect_file;
use serde_json::json;

use crate::support::*;

fn scenario() -> FakeServer {
    let server = FakeServer::start();
    server.tokens();
    let failing = json!({
        "id": "displaycertify",
        "stepName": "Certification",
        "status": "failed",
        "progressPercentage": 40,
        "estimatedTimeFrame": "< 5 days",
        "messages": [
            {"messageHtml": "<p>Disk <b>os</b> is 100% full: resize, then retry</p>\r\nsee ##vso[task.complete]", "level": "error"},
            {"messageHtml": "Description; short]", "level": "warning"}
        ]
    });
    serve_publish(
        &server,
        vec![
            operation(
                "running",
                json!([cpp_step(
                    "validation",
                    "Validate Pre-Requisites",
                    "inProgress",
                    50
                )]),
            ),
            json!({
                "status": "failed",
                "offerVersion": 7,
                "steps": [cpp_step("validation", "Validate Pre-Requisites", "complete", 100), failing],
                "previewLinks": ["https://preview.example/a", "https://preview.example/b"],
            }),
        ],
    );
    server
}

/// Replaces what changes from run to run: ports, durations, temp paths, random names, times.
fn normalise(text: &str, step: &Step) -> String {
    let mut text = text.replace(&step.dir().display().to_string(), "<tmp>");
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (r"after \d+(ms|s)", "after <elapsed>"),
        (r"\| Duration \| [0-9a-z]+ \|", "| Duration | <elapsed> |"),
        (r"ghadelimiter_[0-9a-f]+", "ghadelimiter_<random>"),
        (
            r"publish-offer-summary-[0-9a-f]+\.md",
            "publish-offer-summary-<random>.md",
        ),
        (r"section_(start|end):\d+", "section_$1:<time>"),
        (
            r#""durationSeconds": [0-9.e-]+"#,
            r#""durationSeconds": <elapsed>"#,
        ),
    ] {
        text = regex_replace(&text, pattern, replacement);
    }
    text.replace('\u{1b}', "<ESC>").replace('\r', "<CR>")
}

fn regex_replace(text: &str, pattern: &str, replacement: &str) -> String {
    regex_lite::Regex::new(pattern)
        .expect("valid pattern")
        .replace_all(text, replacement)
        .into_owned()
}

fn run_as(step: Step, server: &FakeServer) -> (Finished, Step) {
    let step = step.against(server).input("result-file", "result.json");
    let run = step.run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    (run, step)
}

#[test]
fn github_actions() {
    let server = scenario();
    let (run, step) = run_as(step().github(), &server);
    let snapshot = format!(
        "--- stdout\n{}--- $GITHUB_OUTPUT\n{}--- $GITHUB_STEP_SUMMARY\n{}",
        run.stdout, run.outputs_raw, run.summary
    );
    expect_file!["../snapshots/github.txt"].assert_eq(&normalise(&snapshot, &step));
}

#[test]
fn azure_pipelines() {
    let server = scenario();
    let step = step().env("TF_BUILD", "True");
    let temp = step.dir().join("agent-temp");
    std::fs::create_dir_all(&temp).expect("agent temp dir");
    let step = step.env("AGENT_TEMPDIRECTORY", &temp.display().to_string());
    let (run, step) = run_as(step, &server);
    let summaries: Vec<_> = std::fs::read_dir(&temp)
        .expect("temp dir")
        .flatten()
        .collect();
    assert_eq!(summaries.len(), 1, "one summary file uploaded");
    let summary = std::fs::read_to_string(summaries[0].path()).expect("summary");
    run.assert_stdout_has(format!(
        "##vso[task.uploadsummary]{}",
        summaries[0].path().display()
    ));
    let snapshot = format!("--- stdout\n{}--- uploaded summary\n{summary}", run.stdout);
    expect_file!["../snapshots/azure-pipelines.txt"].assert_eq(&normalise(&snapshot, &step));
    // The secret is hidden the Azure Pipelines way, and no GitHub command appears.
    run.assert_stdout_has(format!("##vso[task.setsecret]{CLIENT_SECRET}"));
    assert!(run.commands().is_empty());
}

#[test]
fn gitlab_ci() {
    let server = scenario();
    let (run, step) = run_as(step().env("GITLAB_CI", "true"), &server);
    let dotenv =
        std::fs::read_to_string(step.dir().join("publish-offer.env")).expect("dotenv report");
    let snapshot = format!("--- stdout\n{}--- publish-offer.env\n{dotenv}", run.stdout);
    expect_file!["../snapshots/gitlab.txt"].assert_eq(&normalise(&snapshot, &step));
    assert!(dotenv.len() < 5 * 1024);
    for line in dotenv.lines() {
        let (name, _) = line.split_once('=').expect("NAME=value");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "{name}"
        );
    }
}

#[test]
fn plain_with_result_file() {
    let server = scenario();
    let (run, step) = run_as(step(), &server);
    let result = std::fs::read_to_string(step.dir().join("result.json")).expect("result file");
    // Plain mode: stdout is left to what a script reads; every line of the run is on stderr.
    let snapshot = format!(
        "--- stdout\n{}--- stderr\n{}--- result.json\n{result}",
        run.stdout, run.stderr
    );
    expect_file!["../snapshots/plain.txt"].assert_eq(&normalise(&snapshot, &step));
    let parsed: serde_json::Value = serde_json::from_str(&result).expect("JSON");
    assert_eq!(parsed["status"], "failed");
    assert_eq!(parsed["exitCode"], 1);
}

#[test]
fn the_ci_input_overrides_detection() {
    let server = simple_server();
    let run = step().github().against(&server).input("ci", "plain").run();
    run.assert_code(0);
    assert!(run.commands().is_empty(), "{}", run.dump());
    assert!(run.outputs_raw.is_empty());

    let server = simple_server();
    let step = step()
        .against(&server)
        .input("ci", "gitlab")
        .input("dotenv-file", "out/vars.env");
    std::fs::create_dir_all(step.dir().join("out")).expect("dir");
    step.run().assert_code(0);
    let dotenv = std::fs::read_to_string(step.dir().join("out/vars.env")).expect("dotenv");
    assert!(
        dotenv.contains("PUBLISH_OFFER_STATUS=succeeded\n"),
        "{dotenv}"
    );
}

#[test]
fn no_live_display_when_not_a_terminal() {
    let server = simple_server();
    let run = step().against(&server).run();
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stdout.contains("left)"),
        "{}",
        run.dump()
    );
}

/// Runs the binary in a pseudo-terminal (script(1)), as a person at a shell would; `None` when
/// script(1) is not installed.
fn run_in_a_terminal(extra: &[(&str, &str)]) -> Option<(bool, String)> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("script(1) is not installed; the terminal test cannot run");
        return None;
    }
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![
            operation(
                "running",
                json!([cpp_step("cert", "Certification", "inProgress", 10)]),
            ),
            operation(
                "running",
                json!([cpp_step("cert", "Certification", "inProgress", 60)]),
            ),
            operation(
                "complete",
                json!([cpp_step("cert", "Certification", "complete", 100)]),
            ),
        ],
    );
    let step = step().against(&server).input("poll-interval", "400ms");
    let binary = env!("CARGO_BIN_EXE_publish-offer");
    let mut command = step.command();
    let command = command.env_remove("CI").env("TERM", "xterm");
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut script = std::process::Command::new("script");
    script.args(["-qec", binary, "/dev/null"]);
    // script(1) starts the binary through $SHELL, and dash drops variables whose names hold a
    // hyphen (INPUT_OFFER-ID), so the inputs go in their underscore form, which the runner's
    // hyphen form is read as anyway; SHELL is pinned so the test does not depend on the machine.
    script.env("SHELL", "/bin/sh");
    for (name, value) in command.get_envs() {
        if let (Some(value), Some(name)) = (value, name.to_str()) {
            script.env(name.replace('-', "_"), value);
        }
    }
    let child = script
        .env_remove("CI")
        .current_dir(step.dir())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script");
    let output = wait_bounded(child);
    Some((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

#[test]
fn live_display_in_a_terminal() {
    let Some((success, text)) = run_in_a_terminal(&[]) else {
        return;
    };
    assert!(success, "{text}");
    assert!(text.contains("Certification: "), "{text}");
    assert!(text.contains("left)"), "no time left shown: {text}");
    assert!(
        text.contains("succeeded\x1b[0m after"),
        "no colour: {text:?}"
    );
    // Log lines (stderr, INFO) print above the display, never on its line: what stays visible
    // of each line after the display is cleared (`\r`) holds one or the other.
    for line in text.split('\n') {
        let visible = line.rsplit('\r').next().unwrap_or_default();
        assert!(
            !(visible.contains("INFO") && visible.contains("elapsed,")),
            "a log line on the display's line: {line:?}"
        );
    }
    // Nothing stays behind: after the display is cleared for the last time, it is not drawn
    // again.
    let after_last_clear = text.rsplit("\r\x1b[2K").next().unwrap_or_default();
    assert!(
        !after_last_clear.contains("elapsed,"),
        "the display stayed: {after_last_clear:?}"
    );
    assert!(after_last_clear.contains("after"), "{after_last_clear:?}");

    // NO_COLOR: the display still shows, without colour.
    let Some((_, plain)) = run_in_a_terminal(&[("NO_COLOR", "1")]) else {
        return;
    };
    assert!(plain.contains("left)"), "{plain}");
    assert!(
        !plain.contains("\x1b[1;3"),
        "colour despite NO_COLOR: {plain:?}"
    );
}

#[test]
fn no_escape_codes_when_piped() {
    let run = step().arg("--sandbox=failed").env("TERM", "xterm").run();
    run.assert_code(1);
    assert!(
        !run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'),
        "{}",
        run.dump()
    );
    // CLICOLOR_FORCE asks for colour even in a pipe (a pager that shows it, say).
    let run = step()
        .arg("--sandbox=failed")
        .env("CLICOLOR_FORCE", "1")
        .run();
    run.assert_stderr_has("\x1b[1;31merror:");
}
