//! What the step tells GitHub: outputs, summary, masks, and that service text cannot forge a
//! workflow command.

use serde_json::json;

use crate::support::*;

#[test]
fn service_text_cannot_inject_workflow_commands() {
    let server = FakeServer::start();
    server.tokens();
    let evil = json!({
        "id": "evil\n::error::forged-id",
        "stepName": "Cert\n::add-mask::x\r\n::error::forged-name",
        "status": "failed\n::set-output name=status::succeeded",
        "estimatedTimeFrame": "soon\n::warning::forged-estimate",
        "messages": [
            {"messageHtml": "bad\n::add-mask::x\n::error::forged-message ##vso[task.complete result=Succeeded]", "level": "error"},
            {"messageHtml": "<p>para</p>\n::stop-commands::token", "level": "warning"}
        ]
    });
    serve_publish(
        &server,
        vec![
            operation("running", json!([evil.clone()])),
            json!({"status": "failed", "steps": [evil], "offerVersion": "7\n::error::forged-version", "previewLinks": ["https://p\n::error::x"]}),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    for line in run.stdout.lines() {
        let command = line.trim_start();
        if command.starts_with("::") {
            assert!(
                command.starts_with("::error title=")
                    || command.starts_with("::warning title=")
                    || command.starts_with("::add-mask::")
                    || command == "::group::publish-offer: steps and messages"
                    || command == "::endgroup::",
                "forged command: {line}\n{}",
                run.dump()
            );
            assert!(!command.starts_with("::add-mask::x"), "forged mask: {line}");
        }
        assert!(
            !line.contains("##vso["),
            "Azure Pipelines command in {line}"
        );
    }
    // Outputs: a value that is not an offer version is left out, a line that is not a link is
    // dropped from the links; no forged output appears.
    let outputs = run.outputs();
    assert_eq!(outputs["status"], "failed");
    assert_eq!(outputs["offer-version"], "");
    assert_eq!(outputs["preview-links"], "https://p");
    assert!(!outputs.contains_key("::error::forged-version"));
    // The summary table stays a table: the step is one row.
    let rows: Vec<&str> = run
        .summary
        .lines()
        .filter(|line| line.starts_with("| Cert"))
        .collect();
    assert_eq!(rows.len(), 1, "{}", run.summary);
}

#[test]
fn summary_tells_offer_status_duration_steps_and_messages() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![operation(
            "failed",
            json!([
                cpp_step("validation", "Validate Pre-Requisites", "complete", 100),
                {"id": "cert", "stepName": "Certification", "status": "failed", "progressPercentage": 30, "estimatedTimeFrame": "< 5 day",
                 "messages": [{"messageHtml": "No image for plan <b>gen2</b> | see docs", "level": "error"}]}
            ]),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    let summary = &run.summary;
    for text in [
        "### publish-offer publish `contoso/contoso-offer`: failed",
        "| Status | **failed** |",
        &format!("| Operation | {OPERATION_ID} |"),
        "| Duration |",
        "| Timed out | no |",
        "| Step | Status | Progress | Estimate |",
        "| Validate Pre-Requisites | complete | 100% | &lt; 1 day |",
        "| Certification | failed | 30% | &lt; 5 day |",
        "- **Certification** (error): No image for plan gen2 \\| see docs",
    ] {
        assert!(
            summary.contains(text),
            "{text:?} not in summary:\n{summary}"
        );
    }
    assert!(summary.len() < 64 * 1024);
}

#[test]
fn many_messages_are_capped_and_counted() {
    let server = FakeServer::start();
    server.tokens();
    let messages: Vec<_> = (0..25)
        .map(|n| json!({"messageHtml": format!("error number {n} {}", "x".repeat(5000)), "level": "error"}))
        .collect();
    serve_publish(
        &server,
        vec![operation(
            "failed",
            json!([{"id": "cert", "stepName": "Certification", "status": "failed", "messages": messages}]),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    let errors: Vec<&str> = run
        .commands()
        .into_iter()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 10, "{}", run.dump());
    for error in &errors {
        let message = error
            .split_once("::")
            .and_then(|(_, rest)| rest.split_once("::"))
            .map(|(_, m)| m)
            .unwrap_or("");
        assert!(
            message.chars().count() <= 4096,
            "annotation of {} characters",
            message.chars().count()
        );
    }
    run.assert_summary_has("15 more errors");
    assert!(
        run.summary.len() < 64 * 1024,
        "summary of {} bytes",
        run.summary.len()
    );
}

#[test]
fn masks_come_first_and_no_secret_leaks_even_at_trace_level() {
    let server = simple_server();
    let run = step()
        .github()
        .against(&server)
        .env("RUST_LOG", "trace")
        .run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!("::add-mask::{CLIENT_SECRET}"),
        "{}",
        run.dump()
    );
    let token_mask = run
        .stdout
        .lines()
        .position(|line| line == format!("::add-mask::{TOKEN_PREFIX}1"))
        .unwrap_or_else(|| panic!("token not masked\n{}", run.dump()));
    let first_other = run
        .stdout
        .lines()
        .position(|line| !line.starts_with("::add-mask::"))
        .unwrap_or(usize::MAX);
    assert!(first_other > 0 && token_mask < run.stdout.lines().count());
}

#[test]
fn plain_output_has_no_workflow_commands() {
    let server = simple_server();
    let run = step().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    assert!(run.commands().is_empty(), "{}", run.dump());
    run.assert_stdout_lacks("add-mask");
    run.assert_stderr_has("publish-offer: publish started: operation");
    run.assert_stderr_has("publish-offer: succeeded after");
}

#[test]
fn outputs_are_written_as_soon_as_known() {
    // With the wait still going, the operation outputs are already in the file.
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![operation("running", json!([]))]);
    let step = step()
        .github()
        .against(&server)
        .input("timeout", "5s")
        .input("poll-interval", "100ms");
    let mut child = step.spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let outputs =
            parse_github_output(&std::fs::read_to_string(step.output_file()).unwrap_or_default());
        if outputs.get("operation-id").map(String::as_str) == Some(OPERATION_ID) {
            assert!(!outputs.contains_key("status"), "status is written last");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "operation-id not written during the wait"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn sandbox_runs_the_whole_flow_without_credentials() {
    // Every step, up to live: as if someone went live during the run.
    let run = step()
        .github()
        .input("api", "cpp")
        .input("wait-until", "complete")
        .arg("--sandbox=succeeded")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_stdout_has("step Certification: complete");
    run.assert_summary_has("| Live | complete |");

    let run = step()
        .github()
        .input("api", "cpp")
        .arg("--sandbox=failed")
        .run();
    run.assert_code(1);
    run.assert_output("status", "failed");
    run.assert_output("failed-step", "certification");
    run.assert_stdout_has(
        "::error title=Certification::The VHD of plan contoso-gen2 failed certification",
    );

    // As the README runs it: no inputs, and it ends at the ready preview.
    let run = step().github().arg("--sandbox").run();
    run.assert_code(0);
    run.assert_output("status", "preview-ready");
}

/// Lines a GitHub runner would take as commands: it trims leading blanks before looking.
fn command_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("::"))
        .collect()
}

#[test]
fn a_location_cannot_forge_commands() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::empty(202).header(
        "Location",
        "/api/operations/x%0A::error%20title=FORGED::injected",
    )]);
    serve_nothing_running(&server);
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_output("status", "error");
    for line in command_lines(&run.stdout) {
        assert!(
            !line.contains("FORGED") || line.starts_with("::error title=publish offer::"),
            "forged: {line}\n{}",
            run.dump()
        );
    }
    assert!(run.outputs()["operation-id"].is_empty());
    assert!(
        server.requests_to("GET", "/api/operations").is_empty(),
        "the Location was not followed"
    );
}

#[test]
fn stderr_cannot_carry_commands_either() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
            Reply::json(503, json!({"error": {"code": "Busy", "message": "##vso[task.complete result=Succeeded;]forged ##[error]legacy\n::error title=F::x"}}))
                .header("Retry-After", "0"),
            Reply::json(200, operation("complete", json!([]))),
        ]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_stderr_has("retrying");
    assert!(
        !run.stderr.contains("##vso[") && !run.stderr.contains("##["),
        "{}",
        run.stderr
    );
    assert!(command_lines(&run.stderr).is_empty(), "{}", run.stderr);
}

#[test]
fn plain_multi_line_messages_cannot_start_commands() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![operation(
            "failed",
            json!([{"id": "cert", "stepName": "Certification", "status": "failed",
                    "messages": [{"messageHtml": "<p>first</p><p>::error title=FORGED::from-service</p>", "level": "error"}]}]),
        )],
    );
    for ci in ["plain", "gitlab"] {
        let run = step().against(&server).input("ci", ci).run();
        run.assert_code(1);
        assert!(
            command_lines(&run.stdout).is_empty(),
            "{ci}: {}",
            run.dump()
        );
        // Plain mode's lines are on stderr, GitLab's on stdout with its sections.
        let log = if ci == "plain" {
            &run.stderr
        } else {
            &run.stdout
        };
        assert!(
            log.contains("| ::error title=FORGED::from-service"),
            "{ci}: {}",
            run.dump()
        );
    }
}

#[test]
fn secrets_echoed_by_the_service_are_redacted_however_escaped() {
    // The service quotes the token back in its error. Each output escapes the message its own way
    // (Markdown `\_`, `%25` in commands, JSON); the token must be `***` in every one of them.
    let token = "eyJ0eXAi_tok~en%with:odd,chars]and;more_AAAA";
    let echo = |server: &FakeServer| {
        server.publish_answers(vec![Reply::json(
                400,
                json!({"error": {"code": "BadRequest", "message": format!("bad header: Bearer {token}")}}),
            )]);
    };
    let server = FakeServer::start();
    echo(&server);
    let run = step()
        .github()
        .against(&server)
        .input("access-token", token)
        .without("INPUT_CLIENT-SECRET")
        .run();
    run.assert_code(1);
    run.assert_summary_has("bad header: Bearer \\*\\*\\*");
    run.assert_no_secret(&[token]);

    let server = FakeServer::start();
    echo(&server);
    let step = step()
        .env("TF_BUILD", "True")
        .against(&server)
        .input("access-token", token)
        .without("INPUT_CLIENT-SECRET")
        .input("result-file", "result.json");
    let temp = step.dir().join("agent-temp");
    std::fs::create_dir_all(&temp).expect("agent temp dir");
    let step = step.env("AGENT_TEMPDIRECTORY", &temp.display().to_string());
    let run = step.run();
    run.assert_code(1);
    let masks: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| !line.starts_with("##vso[task.setsecret]"))
        .collect();
    assert_no_secret_in("stdout", &masks.join("\n"), &[token], &run.dump());
    let summaries: Vec<_> = std::fs::read_dir(&temp)
        .expect("temp dir")
        .flatten()
        .collect();
    assert_eq!(summaries.len(), 1, "one summary uploaded\n{}", run.dump());
    let summary = std::fs::read_to_string(summaries[0].path()).expect("summary");
    assert!(summary.contains("Bearer \\*\\*\\*"), "{summary}");
    assert_no_secret_in("uploaded summary", &summary, &[token], &summary);
    let result = std::fs::read_to_string(step.dir().join("result.json")).expect("result file");
    assert!(result.contains("bad header: Bearer ***"), "{result}");
    assert_no_secret_in("result file", &result, &[token], &result);
}

#[test]
fn long_service_text_never_makes_a_long_log_line() {
    let long = |what: &str| format!("{what}{}", "y".repeat(200_000));
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
        Reply::json(
            503,
            json!({"error": {"code": "Busy", "message": long("busy")}}),
        )
        .header("Retry-After", "0"),
        Reply::json(200, operation(&long("odd"), json!([]))),
        Reply::json(200, operation(&long("odder"), json!([]))),
        Reply::json(200, operation("complete", json!([]))),
    ]);
    let run = step()
        .github()
        .against(&server)
        .input("poll-interval", "10ms")
        .run();
    run.assert_code(0);
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let longest = text.lines().map(str::len).max().unwrap_or_default();
        assert!(
            longest <= 16 * 1024,
            "{stream} has a line of {longest} bytes: {}",
            text.lines()
                .map(|line| line.chars().take(100).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn plain_mode_writes_every_diagnostic_to_stderr_and_ci_commands_stay_on_stdout() {
    let failing = || {
        let server = FakeServer::start();
        server.tokens().publish_accepted().operation(vec![operation(
            "failed",
            json!([{"id": "cert", "stepName": "Certification", "status": "failed",
                    "messages": [{"messageHtml": "<p>disk full</p>", "level": "error"}]}]),
        )]);
        server
    };
    // Plain: stdout is left to what a script reads; errors, steps, INFO and the closing line
    // are on stderr.
    let server = failing();
    let run = step().against(&server).run();
    run.assert_code(1);
    assert_eq!(run.stdout, "", "{}", run.dump());
    run.assert_stderr_has("error: Certification: disk full")
        .assert_stderr_has("  step Certification: failed")
        .assert_stderr_has(" INFO reporting to plain")
        .assert_stderr_has("publish-offer: failed after");
    // GitHub: the runner parses its commands on stdout, with the run's lines between them.
    let server = failing();
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_stdout_has("::error title=Certification::disk full")
        .assert_stdout_has("publish-offer: failed after")
        .assert_stderr_lacks("::error")
        .assert_stderr_has(" INFO reporting to GitHub Actions");
}
