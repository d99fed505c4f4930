//! Wait: resuming an operation (`wait`) by its URL or by the offer (the watch examples), a time
//! limit of 0, and the final status when readings fail or hang at the time limit.

use crate::support::ingestion::*;
use crate::support::reference::*;
use crate::support::*;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[test]
fn publish_with_timeout_0_then_wait_resumes_the_operation() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![
            operation("running", json!([])),
            operation("complete", json!([])),
        ],
    );
    let started = step().github().against(&server).input("timeout", "0").run();
    started.assert_code(0);
    let url = started.output("operation-url");

    // The scheduled job: only the operation URL and credentials, no ids.
    let run = step()
        .github()
        .against(&server)
        .waiting_on(&url)
        .input("timeout", "5s")
        .input("on-timeout", "warn")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", OPERATION_ID);
    assert_eq!(server.requests_to("POST", &offer_path("publish")).len(), 1);
}

#[test]
fn wait_refuses_an_operation_url_on_another_origin() {
    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .input("command", "wait")
        .input(
            "operation-url",
            "https://evil.example.com/api/operations/x?api-version=2017-10-31",
        )
        .run();
    run.assert_code(2);
    run.assert_output("status", "invalid-input");
    run.assert_stdout_has("must be on the API origin");
    assert!(server.requests().is_empty());
}

#[test]
fn wait_with_timeout_0_reads_the_status_once() {
    let server = FakeServer::start();
    server.tokens();
    server.operation(vec![operation("complete", json!([]))]);
    let url = format!(
        "{}{}?api-version=2017-10-31",
        server.url(),
        operation_path()
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "wait")
        .input("operation-url", &url)
        .input("timeout", "0")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 1);
}

#[test]
fn status_failing_until_the_time_limit_is_unknown_not_failed() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
        Reply::json(200, running()),
        Reply::json(503, json!({"error": {"message": "backend down"}})).header("Retry-After", "0"),
    ]);
    // Read once, then failing for 3 s: the status is unknown at the limit.
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "3s")
        .input("on-timeout", "warn")
        .run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "unknown");
    run.assert_output("timed-out", "true");
    let error = run.command_starting("::error title=get operation status::");
    assert!(error.contains("HTTP 503: backend down"), "{}", run.dump());
    run.assert_stdout_has("could not be read before the time limit");
    run.assert_summary_has("last seen running");
}

#[test]
fn one_failed_reading_at_the_limit_does_not_make_the_status_unknown() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    let started = Instant::now();
    server.route_fn("GET", &operation_path(), move |_, _| {
        if started.elapsed() < Duration::from_millis(700) {
            Reply::json(200, running())
        } else {
            Reply::json(503, json!({"error": {"message": "blip"}})).header("Retry-After", "0")
        }
    });
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    run.assert_output("timed-out", "true");
    assert!(
        run.commands()
            .iter()
            .any(|l| l.starts_with("::warning title=get operation status::") && l.contains("blip")),
        "{}",
        run.dump()
    );
}

#[test]
fn a_reading_that_hangs_at_the_limit_does_not_make_the_status_unknown() {
    // The last reading, made at the time limit, hangs until the request gives up (10 s): the
    // status read just before the limit still stands.
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    let started = Instant::now();
    server.route_fn("GET", &operation_path(), move |_, _| {
        if started.elapsed() < Duration::from_millis(700) {
            Reply::json(200, running())
        } else {
            Reply::json(200, running()).after(Duration::from_secs(30))
        }
    });
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    run.assert_output("timed-out", "true");
}

#[test]
fn status_never_read_is_unknown() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![Reply::Reset]);
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .run();
    run.assert_code(1);
    run.assert_output("status", "unknown");
    run.assert_stdout_has("could not be read before the time limit");
}

#[test]
fn cpp_operation_from_the_reference_is_followed_to_its_end() {
    let server = FakeServer::start();
    server.publish_accepted();
    server.operation_answers(vec![
        answer(200, "cpp/operation-running.json"),
        answer(200, "cpp/operation-completed.json"),
    ]);
    let run = reference_cpp_step(&server).run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", OPERATION_ID);
    run.assert_output("offer-version", "1");
    run.assert_output("failed-step", "");
    run.assert_summary_has("Packaging and Lead Generation Registration");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 2);
    assert_no_unexpected(&server);
}

#[test]
fn cpp_operation_from_the_reference_still_running_at_the_time_limit() {
    let server = FakeServer::start();
    server.publish_accepted();
    server.operation_answers(vec![answer(200, "cpp/operation-running.json")]);
    let run = reference_cpp_step(&server).input("timeout", "500ms").run();
    run.assert_code(0);
    run.assert_output("status", "running");
    run.assert_output("timed-out", "true");
    // The blocked step and its error are shown while the operation runs.
    run.assert_stdout_has("No virtual machine image was found for the plan contoso.");
    run.assert_summary_has("Certification");
}

// ---------------------------------------------------------------------------------------------
// Wait by offer: no operation URL, as examples/github-watch.yml, gitlab-watch.yml and
// azure-pipelines-long.yml run it.

/// The watch step of the examples: `command: wait` with the offer's ids and no operation URL.
fn watch(server: &FakeServer) -> Step {
    step()
        .github()
        .against(server)
        .input("command", "wait")
        .input("on-timeout", "warn")
}

#[test]
fn cpp_wait_by_offer_follows_the_running_operation_to_its_end() {
    let server = FakeServer::start();
    server.tokens();
    serve_running_operation(&server);
    server.operation(vec![running(), complete()]);
    let run = watch(&server).run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", OPERATION_ID);
    assert!(
        run.output("operation-url").contains(&operation_path()),
        "{}",
        run.dump()
    );
    run.assert_stdout_has("waiting on the current operation of offer contoso/contoso-offer");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 2);
    assert_eq!(publishes(&server), 0);
    assert!(server.requests_to("GET", &offer_path("status")).is_empty());
    assert_no_unexpected(&server);
}

#[test]
fn cpp_wait_by_offer_with_nothing_running_reports_the_last_outcome_once() {
    let cases = [
        (
            answer(200, "cpp/offer-status-preview-ready.json"),
            "preview-ready",
            0,
        ),
        (
            answer(200, "cpp/offer-status-succeeded.json"),
            "succeeded",
            0,
        ),
        (
            Reply::json(200, offer_ended("Failed", "failed")),
            "failed",
            1,
        ),
    ];
    for (offer_status, expected, code) in cases {
        let server = FakeServer::start();
        server.tokens();
        server.running_operations(vec![Reply::json(200, json!([]))]);
        server.offer_status_answers(vec![offer_status]);
        // A long time limit: with nothing running the run reads once and ends at once.
        let run = watch(&server).input("timeout", "1h").run();
        run.assert_code(code);
        run.assert_output("status", expected);
        run.assert_output("timed-out", "false");
        run.assert_output("operation-id", "");
        run.assert_stdout_has("no operation is running on the offer");
        assert_eq!(
            server.requests_to("GET", &offer_path("status")).len(),
            1,
            "{expected}: {}",
            run.dump()
        );
        if expected == "failed" {
            run.assert_output("failed-step", "cert");
            assert!(
                run.commands().iter().any(|l| l.starts_with("::error")),
                "{}",
                run.dump()
            );
        }
        assert_eq!(publishes(&server), 0);
        assert_no_unexpected(&server);
    }
}

#[test]
fn ingestion_wait_by_offer_follows_the_running_submission_to_its_end() {
    // A go-live ends live; a preview publish ends preview-ready, even with wait-until: complete,
    // since nothing runs once the preview is ready (going live is a job of its own).
    let preview = || submission(3, "preview", "completed", "succeeded");
    let cases = [
        (
            [preview(), submission(4, "live", "running", "pending")],
            [preview(), submission(4, "live", "completed", "succeeded")],
            "succeeded",
        ),
        (
            [preview(), submission(4, "preview", "running", "pending")],
            [
                preview(),
                submission(4, "preview", "completed", "succeeded"),
            ],
            "preview-ready",
        ),
    ];
    for (running, ended, expected) in cases {
        let server = FakeServer::start();
        server.ingestion_product();
        server.route(
            "GET",
            &product_submissions_path(),
            vec![
                Reply::json(200, json!({ "value": running })),
                Reply::json(200, json!({ "value": ended })),
            ],
        );
        let run = ingestion_step(&server)
            .input("command", "wait")
            .input("wait-until", "complete")
            .input("on-timeout", "warn")
            .run();
        run.assert_code(0);
        run.assert_output("status", expected);
        run.assert_output("timed-out", "false");
        run.assert_stdout_has("following the running publish through the offer's status");
        assert!(
            server
                .requests_to("POST", &ingestion_path("configure"))
                .is_empty()
        );
        assert_no_unexpected(&server);
    }
}

#[test]
fn ingestion_wait_by_offer_with_nothing_running_reports_the_last_outcome() {
    let cases = [
        (
            json!([submission(3, "preview", "completed", "succeeded")]),
            "preview-ready",
            0,
        ),
        (
            json!([
                submission(3, "preview", "completed", "succeeded"),
                submission(3, "live", "completed", "succeeded")
            ]),
            "succeeded",
            0,
        ),
        (
            json!([submission(3, "preview", "completed", "failed")]),
            "failed",
            1,
        ),
    ];
    for (submissions, expected, code) in cases {
        let server = FakeServer::start();
        server.ingestion_product();
        serve_submissions(&server, submissions);
        // No publisher-id: the ingestion API finds the product by the offer id alone.
        let run = ingestion_step(&server)
            .without("INPUT_PUBLISHER-ID")
            .input("command", "wait")
            .input("timeout", "1h")
            .run();
        run.assert_code(code);
        run.assert_output("status", expected);
        run.assert_output("timed-out", "false");
        run.assert_stdout_has("no operation is running on the offer");
        assert!(
            server
                .requests_to("POST", &ingestion_path("configure"))
                .is_empty()
        );
        assert_no_unexpected(&server);
    }
}

#[test]
fn wait_without_operation_url_or_offer_is_bad_input() {
    for (api, without, says) in [
        (
            "cpp",
            vec!["INPUT_PUBLISHER-ID", "INPUT_OFFER-ID"],
            "publisher-id and offer-id (to follow the offer's current operation",
        ),
        ("cpp", vec!["INPUT_OFFER-ID"], "offer-id is missing"),
        (
            "auto",
            vec!["INPUT_PUBLISHER-ID"],
            "publisher-id is missing",
        ),
        (
            "ingestion",
            vec!["INPUT_PUBLISHER-ID", "INPUT_OFFER-ID"],
            "or offer-id (to follow",
        ),
    ] {
        let server = FakeServer::start();
        let mut step = step()
            .github()
            .against(&server)
            .input("command", "wait")
            .input("api", api);
        for name in without {
            step = step.without(name);
        }
        let run = step.run();
        run.assert_code(2);
        run.assert_output("status", "invalid-input");
        run.assert_stdout_has("command wait needs operation-url (to follow the operation it names");
        run.assert_stdout_has(says);
        assert!(
            server.requests().is_empty(),
            "{api}: {:?}",
            server.requests()
        );
    }
}

#[test]
fn the_watch_examples_flow_start_then_look_until_the_publish_has_ended() {
    // examples/github-start.yml then github-watch.yml (and the GitLab and Azure Pipelines
    // checks, which read the same outputs): publish with timeout 0; looks while it runs end
    // `running` with a warning; the first look after it ended reports it and exits by it.
    let server = FakeServer::start();
    let ended = serve_watched_publish(&server, offer_ended("Failed", "failed"));

    let started = step().github().against(&server).input("timeout", "0").run();
    started.assert_code(0);
    started.assert_output("status", "running");

    let look = watch(&server).input("timeout", "500ms").run();
    look.assert_code(0);
    look.assert_output("status", "running");
    look.assert_output("timed-out", "true");
    look.assert_output("operation-id", OPERATION_ID);
    assert!(
        look.commands()
            .iter()
            .any(|l| l.starts_with("::warning title=time limit reached::")),
        "{}",
        look.dump()
    );

    // While an operation runs, the offer's status is not what a look reports.
    assert!(server.requests_to("GET", &offer_path("status")).is_empty());

    ended.store(true, Ordering::SeqCst);
    let look = watch(&server).input("timeout", "500ms").run();
    look.assert_code(1);
    look.assert_output("status", "failed");
    look.assert_output("timed-out", "false");
    look.assert_summary_has("no operation is running on the offer");

    // The GitLab watch reads the same outcome from its dotenv report.
    let gitlab = step().env("GITLAB_CI", "true");
    let gitlab = gitlab
        .against(&server)
        .input("command", "wait")
        .input("timeout", "500ms");
    let look = gitlab.run();
    look.assert_code(1);
    let dotenv =
        std::fs::read_to_string(gitlab.dir().join("publish-offer.env")).unwrap_or_default();
    assert!(dotenv.contains("PUBLISH_OFFER_STATUS=failed"), "{dotenv}");
    assert_eq!(publishes(&server), 1);
}

/// The `script` of `job` in examples/gitlab-watch.yml, one shell command a line as GitLab runs it.
fn gitlab_example_script(job: &str) -> String {
    let text = repo_text("examples/gitlab-watch.yml");
    let pipeline = yaml_rust2::YamlLoader::load_from_str(&text).expect("gitlab-watch.yml is YAML");
    let lines = pipeline[0][job]["script"].as_vec().expect("a script list");
    let lines: Vec<&str> = lines.iter().filter_map(|line| line.as_str()).collect();
    assert!(!lines.is_empty(), "{job}: no script");
    lines.join("\n")
}

#[test]
fn the_gitlab_watch_example_reports_an_ended_publish_once() {
    // The example's own scripts, with `publish-offer` the binary under test: its dotenv report
    // and the status the last look saw (the job cache, here the shared working directory).
    let server = FakeServer::start();
    let ended = serve_watched_publish(&server, offer_ended("Failed", "failed"));
    let job = step().env("GITLAB_CI", "true").against(&server);
    let bin = job.dir().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_publish-offer"),
        bin.join("publish-offer"),
    )
    .expect("link the binary");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |script: &str, command: &str, timeout: &str| {
        let mut shell = std::process::Command::new("sh");
        shell
            .arg("-c")
            .arg(script)
            .env_clear()
            .current_dir(job.dir());
        // As the job's variables: `MARKETPLACE_OFFER_ID`, not the action's `INPUT_OFFER-ID`.
        for (name, value) in job.env_pairs() {
            let name = match name.strip_prefix("INPUT_") {
                Some(input) => format!("MARKETPLACE_{}", input.replace('-', "_")),
                None => name.clone(),
            };
            shell.env(name, value);
        }
        shell
            .env("PATH", &path)
            .env("MARKETPLACE_COMMAND", command)
            .env("MARKETPLACE_TIMEOUT", timeout)
            .env("MARKETPLACE_ON_TIMEOUT", "warn");
        let output = shell.output().expect("run sh");
        let said = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), said)
    };
    let (start, watch) = (
        gitlab_example_script("publish-start"),
        gitlab_example_script("publish-watch"),
    );

    let (code, said) = run(&start, "publish", "0");
    assert_eq!(code, Some(0), "the start: {said}");
    let (code, said) = run(&watch, "wait", "500ms");
    assert_eq!(code, Some(0), "a look while it runs: {said}");
    assert!(said.contains("running after"), "{said}");

    ended.store(true, Ordering::SeqCst);
    let (code, said) = run(&watch, "wait", "500ms");
    assert_eq!(
        code,
        Some(1),
        "the first look after it failed reports it: {said}"
    );
    assert!(
        said.contains("no operation is running on the offer"),
        "{said}"
    );
    let (code, said) = run(&watch, "wait", "500ms");
    assert_eq!(code, Some(0), "the next look: {said}");
    assert!(said.contains("was reported before: nothing new"), "{said}");

    // A new publish that fails before any look is reported too: the start job reset the memory.
    let (code, said) = run(&start, "publish", "0");
    assert_eq!(code, Some(0), "the second start: {said}");
    let (code, said) = run(&watch, "wait", "500ms");
    assert_eq!(code, Some(1), "a new publish that failed: {said}");
    assert_eq!(publishes(&server), 2);
}

/// With an operation URL, `api: auto` (the default) takes the API from the URL and asks one
/// of them only: an access token, which is for one API, is enough. (The follow-up command the
/// run prints outside CI is this run: a URL and the credential, no `api`.)
#[test]
fn wait_by_url_with_an_access_token_needs_no_api() {
    let server = FakeServer::start();
    server.operation(vec![operation("complete", json!([]))]);
    let url = format!(
        "{}{}?api-version=2017-10-31",
        server.url(),
        operation_path()
    );
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_API")
        .without("INPUT_TENANT-ID")
        .without("INPUT_CLIENT-ID")
        .without("INPUT_CLIENT-SECRET")
        .input("access-token", "given-access-token-0123456789")
        .input("command", "wait")
        .input("operation-url", &url)
        .input("timeout", "0")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    let reads = server.requests_to("GET", &operation_path());
    assert_eq!(reads.len(), 1, "{}", run.dump());
}
