//! Wait: resuming an operation (`wait`), a time limit of 0, and the final status when readings fail
//! or hang at the time limit.

use crate::support::reference::*;
use crate::support::*;
use serde_json::json;
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

    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .input("command", "wait")
        .run();
    run.assert_code(2);
    run.assert_stdout_has("operation-url is missing");
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
