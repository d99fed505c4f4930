//! What the run writes where the CI system reads it, against a hostile service: only the
//! commands the program means (read back with the runners' own parsers), command files checked
//! at start, a file that cannot be written told once, a panic still leaving a status, repeated
//! warnings counted, progress bounded.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::runner_parsers::{self, ParsedCommand};
use crate::support::*;

/// A failed publish whose steps are named and numbered like workflow commands, as in issue 11.
fn hostile_steps_server() -> FakeServer {
    let server = FakeServer::start();
    server.tokens();
    let steps = json!([
        {"id": "::add-mask::x", "stepName": "::error::pwned", "status": "failed",
         "progressPercentage": 40, "estimatedTimeFrame": "::warning::soon", "messages": []},
        {"id": "::set-output name=status::succeeded", "stepName": "", "status": "complete",
         "messages": []},
        {"id": "s3", "stepName": " \u{a0}::stop-commands::tok", "status": "inProgress",
         "estimatedTimeFrame": "##[error]x", "messages": [
            {"messageHtml": "::add-matcher::m.json\n  ::error::y", "level": "error"}
         ]},
    ]);
    serve_publish(
        &server,
        vec![
            operation("running", steps.clone()),
            json!({"status": "failed", "offerVersion": "::error::v", "steps": steps}),
        ],
    );
    server
}

/// The workflow commands in `stdout`, masks set aside (checked to hide a secret of the run).
fn github_commands(stdout: &str) -> Vec<ParsedCommand> {
    runner_parsers::github_commands(stdout)
        .into_iter()
        .filter(|command| {
            if command.name == "add-mask" {
                assert!(
                    command.data == CLIENT_SECRET || command.data.starts_with(TOKEN_PREFIX),
                    "mask of something not secret: {command:?}"
                );
                false
            } else {
                true
            }
        })
        .collect()
}

#[test]
fn a_step_named_like_a_workflow_command_stays_text_on_github() {
    let server = hostile_steps_server();
    let step = step().github().against(&server);
    let run = step.run();
    run.assert_code(1);
    run.assert_output("status", "failed");
    run.assert_stdout_has("  : :error::pwned: failed");
    let commands = github_commands(&run.stdout);
    let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["error", "group", "endgroup"],
        "only the annotation and the group are commands\n{}",
        run.dump()
    );
    // The step with the error message names the annotation; name and message are its values.
    assert_eq!(
        commands[0].properties.get("title").map(String::as_str),
        Some("::stop-commands::tok")
    );
    assert_eq!(commands[0].data, "::add-matcher::m.json\n::error::y");
    assert_eq!(commands[1].data, "publish-offer: steps and messages");
    // The stderr log is read for commands too.
    assert_eq!(
        github_commands(&run.stderr),
        Vec::new(),
        "stderr holds commands\n{}",
        run.dump()
    );
}

#[test]
fn a_step_named_like_a_logging_command_stays_text_on_azure_pipelines() {
    let server = hostile_steps_server();
    let temp = tempfile::tempdir().expect("temp dir");
    let step = step()
        .env("TF_BUILD", "True")
        .env("AGENT_TEMPDIRECTORY", &temp.path().display().to_string())
        .against(&server)
        .input("offer-id", OFFER);
    let run = step.run();
    run.assert_code(1);
    let commands = runner_parsers::azure_commands(&run.stdout);
    for command in &commands {
        match command.name.as_str() {
            "task.setsecret" => assert!(
                command.data == CLIENT_SECRET || command.data.starts_with(TOKEN_PREFIX),
                "{command:?}"
            ),
            "task.setvariable" => assert_eq!(
                command.properties.get("isoutput").map(String::as_str),
                Some("true")
            ),
            "task.logissue" | "task.uploadsummary" | "##[group]" | "##[endgroup]" => {}
            other => panic!("unexpected command {other}: {command:?}\n{}", run.dump()),
        }
    }
    let status = commands
        .iter()
        .rfind(|command| command.name == "task.setvariable")
        .expect("a variable");
    assert_eq!(
        status.properties.get("variable").map(String::as_str),
        Some("status")
    );
    assert_eq!(status.data, "failed");
    assert!(
        runner_parsers::azure_commands(&run.stderr).is_empty(),
        "{}",
        run.dump()
    );
}

#[track_caller]
fn assert_invalid_before_any_request(step: &Step, server: &FakeServer, names: &[&str]) {
    let run = step.run();
    run.assert_code(2);
    let everything = format!("{}{}", run.stdout, run.stderr);
    for name in names {
        assert!(
            everything.contains(name),
            "{name} not named\n{}",
            run.dump()
        );
    }
    assert!(
        server.requests().is_empty(),
        "requests were sent: {:?}",
        server.requests()
    );
}

#[test]
fn command_files_in_missing_folders_or_at_folders_are_invalid_input() {
    let server = simple_server();
    let base = step().github().against(&server);
    let missing = base.dir().join("missing").join("output");
    let missing_text = missing.display().to_string();
    let step = base.env("GITHUB_OUTPUT", &missing_text);
    assert_invalid_before_any_request(
        &step,
        &server,
        &[
            "GITHUB_OUTPUT",
            &missing.parent().expect("folder").display().to_string(),
        ],
    );

    let base = crate::support::step().github().against(&server);
    let folder = base.dir().display().to_string();
    let step = base.env("GITHUB_STEP_SUMMARY", &folder);
    assert_invalid_before_any_request(
        &step,
        &server,
        &["GITHUB_STEP_SUMMARY", &folder, "is a folder"],
    );

    let base = crate::support::step()
        .env("TF_BUILD", "True")
        .against(&server);
    let missing = base.dir().join("no-such-temp").display().to_string();
    let step = base.env("AGENT_TEMPDIRECTORY", &missing);
    assert_invalid_before_any_request(&step, &server, &["AGENT_TEMPDIRECTORY", &missing]);

    let base = crate::support::step()
        .env("GITLAB_CI", "true")
        .against(&server);
    let folder = base.dir().display().to_string();
    let step = base.input("dotenv-file", &folder);
    assert_invalid_before_any_request(&step, &server, &["dotenv-file", "is a folder"]);
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `step`, killing it if it has not ended within a generous bound.
fn run_bounded(step: &Step) -> Finished {
    let mut child = step.spawn();
    let started = Instant::now();
    loop {
        if child.try_wait().expect("poll the child").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the run blocked");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    step.finished(child.wait_with_output().expect("collect the output"))
}

#[test]
fn a_summary_fifo_without_reader_never_blocks_and_is_told_once() {
    let server = simple_server();
    let base = step().github().against(&server);
    let fifo = base.dir().join("summary-fifo");
    mkfifo(&fifo);
    let step = base.env("GITHUB_STEP_SUMMARY", &fifo.display().to_string());
    let run = run_bounded(&step);
    // The exit code is the outcome's: the publish succeeded.
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    let errors: Vec<&str> = run.stdout_lines_starting("::error");
    assert_eq!(errors.len(), 1, "{}", run.dump());
    assert!(
        errors[0].contains("GITHUB_STEP_SUMMARY")
            && errors[0].contains(&fifo.display().to_string())
            && errors[0].contains("the job summary"),
        "{}",
        run.dump()
    );
}

#[test]
fn an_output_file_that_cannot_be_written_gives_one_error_naming_what_was_lost() {
    let server = simple_server();
    let base = step().github().against(&server);
    // A FIFO nobody reads: every write fails at once (a read-only file would not do: root, as
    // in a container, may write it anyway).
    let fifo = base.dir().join("output-fifo");
    mkfifo(&fifo);
    let step = base.env("GITHUB_OUTPUT", &fifo.display().to_string());
    let run = run_bounded(&step);
    run.assert_code(0);
    let errors: Vec<&str> = run.stdout_lines_starting("::error");
    assert_eq!(errors.len(), 1, "{}", run.dump());
    for lost in ["GITHUB_OUTPUT", "output status", "output operation-id"] {
        assert!(errors[0].contains(lost), "{lost} not named\n{}", run.dump());
    }
    assert!(
        !run.stderr.contains("could not write"),
        "one error only\n{}",
        run.dump()
    );
}

#[test]
fn a_panic_still_leaves_status_error() {
    let server = simple_server();
    let step = step()
        .github()
        .against(&server)
        .input("result-file", "result.json")
        .env("PUBLISH_OFFER_TEST_PANIC", "1");
    let run = step.run();
    assert_ne!(run.code, 0, "{}", run.dump());
    run.assert_output("status", "error");
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.contains("internal error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.dump());
    assert!(
        run.stdout
            .lines()
            .any(|line| line.starts_with("::error title=publish-offer internal error::")),
        "{}",
        run.dump()
    );
    let result: Value = serde_json::from_str(
        &std::fs::read_to_string(step.dir().join("result.json")).expect("result file"),
    )
    .expect("result JSON");
    assert_eq!(result["status"], "error");
    assert!(server.requests().is_empty());
}

#[test]
fn a_panic_on_azure_pipelines_sets_the_status_variable() {
    let server = simple_server();
    let step = step()
        .env("TF_BUILD", "True")
        .against(&server)
        .env("PUBLISH_OFFER_TEST_PANIC", "1");
    let run = step.run();
    assert_ne!(run.code, 0, "{}", run.dump());
    let commands = runner_parsers::azure_commands(&run.stdout);
    assert!(
        commands
            .iter()
            .any(|command| command.name == "task.setvariable"
                && command.properties.get("variable").map(String::as_str) == Some("status")
                && command.data == "error"),
        "{}",
        run.dump()
    );
}

#[test]
fn repeated_retry_warnings_are_counted_not_printed_each_time() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_accepted();
    server.operation_answers(vec![
        Reply::json(503, json!({"error": {"message": "busy"}})).header("retry-after-ms", "300"),
    ]);
    // Retry pauses are at least 1 s and grow (1 s, then up to 2 s, then up to 4 s): 7 s holds
    // at least three reads.
    let step = step().github().against(&server).input("timeout", "7s");
    let run = step.run();
    let polls = server.requests_to("GET", &operation_path()).len();
    let retry_lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.contains("retrying in"))
        .collect();
    assert!(polls >= 3, "{polls} polls\n{}", run.dump());
    // The first warning, then one line with the count at the end of the run.
    assert!(retry_lines.len() <= 2, "{}", run.dump());
    assert!(
        retry_lines
            .iter()
            .any(|line| line.contains("more like it, not printed")),
        "{}",
        run.dump()
    );
}

#[test]
fn progress_is_bounded_per_poll_and_per_run() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_accepted();
    // 300 steps whose statuses flip on every poll, then the end.
    let states: Vec<Value> = (0..40)
        .map(|poll| {
            let status = if poll % 2 == 0 {
                "inProgress"
            } else {
                "blocked"
            };
            let steps: Vec<Value> = (0..300)
                .map(|n| cpp_step(&format!("s{n}"), &format!("step {n}"), status, 10))
                .collect();
            operation("running", Value::Array(steps))
        })
        .chain(std::iter::once(operation("complete", json!([]))))
        .collect();
    server.route(
        "GET",
        &operation_path(),
        states
            .into_iter()
            .map(|state| Reply::json(200, state))
            .collect(),
    );
    let step = step()
        .github()
        .against(&server)
        .input("poll-interval", "10ms");
    let run = step.run();
    run.assert_code(0);
    let step_lines = run.stdout_lines_starting("  step ").len();
    assert!(step_lines <= 500, "{step_lines} step lines");
    run.assert_stdout_has("… 280 more steps changed");
    run.assert_stdout_has("progress lines printed; no more until the end");
}

#[test]
fn a_panic_on_gitlab_leaves_the_status_in_the_dotenv_report() {
    let server = simple_server();
    let step = step()
        .env("GITLAB_CI", "true")
        .against(&server)
        .env("PUBLISH_OFFER_TEST_PANIC", "1");
    let run = step.run();
    assert_ne!(run.code, 0, "{}", run.dump());
    let dotenv =
        std::fs::read_to_string(step.dir().join("publish-offer.env")).expect("dotenv report");
    assert!(
        dotenv
            .lines()
            .any(|line| line == "PUBLISH_OFFER_STATUS=error"),
        "{dotenv}\n{}",
        run.dump()
    );
}

/// Without `GITHUB_OUTPUT` the outputs cannot be written: said once, not once per output.
#[test]
fn a_missing_github_output_is_warned_of_once() {
    let server = simple_server();
    let run = step()
        .github()
        .without("GITHUB_OUTPUT")
        .against(&server)
        .run();
    run.assert_code(0);
    let warnings = run
        .stderr
        .lines()
        .filter(|line| line.contains("GITHUB_OUTPUT is not set"))
        .count();
    assert_eq!(warnings, 1, "{}", run.dump());
}

/// A service inventing a new status at every reading: each is told once, and at most 16 of them.
#[test]
fn unknown_statuses_are_told_once_each_and_at_most_sixteen() {
    let server = FakeServer::start();
    server.tokens();
    let step_json = json!([cpp_step("validation", "Validate", "inProgress", 10)]);
    let mut states: Vec<Value> = (0..20)
        .flat_map(|n| {
            let state = operation(&format!("invented-{n:02}"), step_json.clone());
            [state.clone(), state]
        })
        .collect();
    states.push(operation("complete", step_json));
    serve_publish(&server, states);
    let run = step()
        .github()
        .against(&server)
        .input("poll-interval", "1ms")
        .run();
    run.assert_code(0);
    let told: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.contains("which is not known here"))
        .collect();
    assert_eq!(told.len(), 16, "{}", run.dump());
    for n in 0..16 {
        let status = format!("invented-{n:02}");
        assert_eq!(
            told.iter().filter(|line| line.contains(&status)).count(),
            1,
            "{status}\n{}",
            run.dump()
        );
    }
}
