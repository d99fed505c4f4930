//! Cancel: the `cancel` command, cancel-on-timeout, cancel-on-interrupt and if-running
//! `cancel-and-restart`, on both APIs.

use crate::support::ingestion::*;
use crate::support::reference::*;
use crate::support::*;
use serde_json::json;

#[test]
fn cancel_done_at_once_or_followed() {
    let server = FakeServer::start();
    server.tokens();
    server.cancel_answers(vec![Reply::empty(200)]);
    let run = step()
        .github()
        .against(&server)
        .input("command", "cancel")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    assert_eq!(server.requests_to("POST", &offer_path("cancel")).len(), 1);

    let server = FakeServer::start();
    server.tokens();
    server.cancel_answers(vec![accepted_at(&operation_path())]);
    server.operation(vec![
        operation("running", json!([])),
        operation("canceled", json!([])),
    ]);
    let run = step()
        .github()
        .against(&server)
        .input("command", "cancel")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", OPERATION_ID);

    let server = FakeServer::start();
    server.tokens();
    server.cancel_answers(vec![Reply::json(
        400,
        json!({"error": {"message": "No operation is running"}}),
    )]);
    let run = step()
        .github()
        .against(&server)
        .input("command", "cancel")
        .run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
}

#[test]
fn if_running_fail_and_cancel_and_restart() {
    let conflict = Reply::json(
        409,
        json!({"error": {"code": "Conflict", "message": "An operation is already in progress"}}),
    );
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![conflict.clone()]);
    let run = step()
        .github()
        .against(&server)
        .input("if-running", "fail")
        .run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
    assert!(
        server.requests_to("GET", "/api/").is_empty(),
        "no attach with if-running: fail"
    );

    let server = FakeServer::start();
    server.tokens();
    let location = format!("{}?api-version=2017-10-31", operation_path());
    server.publish_answers(vec![
        conflict,
        Reply::empty(202).header("Location", &location),
    ]);
    let cancel_path = format!("/api/publishers/{PUBLISHER}/offers/{OFFER}/operations/cancel-op");
    server.cancel_answers(vec![
        Reply::empty(202).header("Location", &format!("{cancel_path}?api-version=2017-10-31")),
    ]);
    server.route(
        "GET",
        &cancel_path,
        vec![
            Reply::json(200, operation("running", json!([]))),
            Reply::json(200, operation("canceled", json!([]))),
        ],
    );
    server.operation(vec![operation("complete", json!([]))]);
    let run = step()
        .github()
        .against(&server)
        .input("if-running", "cancel-and-restart")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", OPERATION_ID);
    let requests: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        requests,
        [
            offer_path("publish"),
            offer_path("cancel"),
            offer_path("publish")
        ]
    );
    assert_no_unexpected(&server);
}

#[test]
fn cancel_on_timeout_reports_canceled_once_confirmed() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.cancel_ends_operation(Reply::empty(200), "canceled");
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "500ms")
        .input("poll-interval", "100ms")
        .input("cancel-on-timeout", "true")
        .run();
    run.assert_code(1);
    run.assert_output("status", "canceled");
    run.assert_output("timed-out", "true");
    assert_eq!(server.requests_to("POST", &offer_path("cancel")).len(), 1);
}

#[test]
fn ingestion_cancel_and_wait_use_the_job_url() {
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    let url = job_url(&server);
    server.route(
        "POST",
        &job_path("cancel"),
        vec![Reply::json(200, json!({}))],
    );
    server.job_status(vec![
        job("running", "pending", json!([])),
        job("completed", "cancelled", json!([])),
    ]);
    let run = ingestion_step(&server)
        .input("command", "cancel")
        .input("operation-url", &url)
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    assert_eq!(server.requests_to("POST", &job_path("cancel")).len(), 1);

    let run = ingestion_step(&server).input("command", "cancel").run();
    run.assert_code(2);
    run.assert_stdout_has("operation-url is missing");

    let server = FakeServer::start();
    serve_graph_tokens(&server);
    server.job_status(vec![job("completed", "succeeded", json!([]))]);
    // Where it published, read once it succeeded: no submission (a draft change) is succeeded.
    server.job_detail(None);
    let url = job_url(&server);
    let run = ingestion_step(&server).waiting_on(&url).run();
    run.assert_code(0);
    run.assert_output("operation-id", JOB);
}

#[test]
fn cancel_on_timeout_reports_how_the_operation_really_ended() {
    // The operation completes as the cancel arrives. The service either answers with the
    // operation itself, which then completes anyway, or refuses the cancel because nothing runs
    // any more. Either way the truth is that it succeeded: not canceled, not still running.
    let location = format!("{}?api-version=2017-10-31", operation_path());
    for cancel_answer in [
        Reply::empty(202).header("Location", &location),
        Reply::json(
            409,
            json!({"error": {"code": "Conflict", "message": "no running operation to cancel"}}),
        ),
    ] {
        let server = FakeServer::start();
        server.tokens();
        serve_publish(&server, vec![]);
        server.cancel_ends_operation(cancel_answer, "complete");
        let run = step()
            .github()
            .against(&server)
            .input("timeout", "500ms")
            .input("cancel-on-timeout", "true")
            .run();
        run.assert_code(0);
        run.assert_output("status", "succeeded");
        run.assert_output("timed-out", "false");
        run.assert_stdout_has("ended succeeded before the cancel took effect");
    }
}

#[test]
fn ingestion_cancel_that_comes_too_late_is_rejected() {
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    let url = job_url(&server);
    server.route(
        "POST",
        &job_path("cancel"),
        vec![Reply::json(200, json!({}))],
    );
    server.job_status(vec![job("completed", "succeeded", json!([]))]);
    // It published to preview: ended before the cancel, as a publish would have.
    server.job_detail(Some("preview"));
    let run = ingestion_step(&server)
        .input("command", "cancel")
        .input("operation-url", &url)
        .run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
    run.assert_stdout_has("before the cancel could take effect");
}

#[test]
fn wait_with_cancel_on_timeout_cancels_through_the_offer_the_url_names() {
    let server = FakeServer::start();
    server.tokens();
    server.operation(vec![operation("running", json!([]))]);
    server.cancel_answers(vec![Reply::empty(200)]);
    let url = format!(
        "{}{}?api-version=2017-10-31",
        server.url(),
        operation_path()
    );
    let run = step()
        .github()
        .against(&server)
        .waiting_on(&url)
        .input("timeout", "300ms")
        .input("cancel-on-timeout", "true")
        .run();
    run.assert_code(1);
    run.assert_output("status", "canceled");
    assert_eq!(server.requests_to("POST", &offer_path("cancel")).len(), 1);
    assert_no_unexpected(&server);

    // A URL that names no offer cannot be canceled: refused up front.
    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_PUBLISHER-ID")
        .without("INPUT_OFFER-ID")
        .input("command", "wait")
        .input(
            "operation-url",
            &format!("{}/api/operations/abc?api-version=2017-10-31", server.url()),
        )
        .input("cancel-on-interrupt", "true")
        .run();
    run.assert_code(2);
    assert!(server.requests().is_empty());
}

#[test]
fn cancel_and_restart_is_refused_on_the_ingestion_api() {
    let server = FakeServer::start();
    let run = ingestion_step(&server)
        .input("if-running", "cancel-and-restart")
        .run();
    run.assert_code(2);
    run.assert_stdout_has("cancel-and-restart is not possible with api: ingestion");
    assert!(server.requests().is_empty());
}

#[test]
fn cancel_on_interrupt_asks_the_service_to_cancel() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![running()]);
    server.cancel_answers(vec![accepted_at(&operation_path())]);
    let step = step()
        .github()
        .against(&server)
        .input("poll-interval", "200ms")
        .input("cancel-on-interrupt", "true");
    let child = step.spawn();
    wait_until("the first status read", || {
        !server.requests_to("GET", &operation_path()).is_empty()
    });
    send_signal(&child, "TERM");
    let run = step.wait(child);
    run.assert_code(143);
    assert_eq!(server.requests_to("POST", &offer_path("cancel")).len(), 1);
    run.assert_stdout_has("accepted the cancel request");
}

#[test]
fn cpp_cancel_answered_200_is_done_at_once() {
    let server = FakeServer::start();
    server.cancel_answers(vec![Reply::empty(200)]);
    let run = reference_cpp_step(&server).input("command", "cancel").run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    let cancel = &server.requests_to("POST", &offer_path("cancel"))[0];
    assert!(cancel.json()["metadata"].is_object(), "{:?}", cancel.json());
    assert_no_unexpected(&server);
}

/// The reference answers a cancel that needs an operation of its own with 202 and
/// `Operation-Location`.
#[test]
fn cpp_cancel_answered_202_follows_the_documented_operation_location() {
    let server = FakeServer::start();
    let location = format!("{}{}", server.url(), operation_path());
    server.cancel_answers(vec![
        Reply::empty(202).header("Operation-Location", &location),
    ]);
    server.operation_answers(vec![answer(200, "cpp/operation-completed.json")]);
    let run = reference_cpp_step(&server).input("command", "cancel").run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 1);
    assert_no_unexpected(&server);
}

/// `command: cancel` on the accepted job, the service answering the cancel with
/// `cancel_answer` and the job's status with `status_answer`.
fn cancel_accepted_job(cancel_answer: Reply, status_answer: Reply) -> Finished {
    let server = documented_ingestion_server();
    server.route("POST", &accepted_job_path("cancel"), vec![cancel_answer]);
    server.route("GET", &accepted_job_path("status"), vec![status_answer]);
    let job_url = format!(
        "{}{}?%24version=2022-03-01-preview2",
        server.url(),
        accepted_job_path("status")
    );
    documented_ingestion_step(&server)
        .input("command", "cancel")
        .input("operation-url", &job_url)
        .run()
}

#[test]
fn ingestion_cancel_on_the_documented_answers() {
    // Accepted: the job ends cancelled.
    let run = cancel_accepted_job(
        answer(200, "ingestion/cancel-succeeded.json"),
        answer(200, "ingestion/cancel-succeeded.json"),
    );
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", ACCEPTED_JOB);

    // Refused with the documented 400: the job had completed.
    let run = cancel_accepted_job(
        answer(400, "ingestion/cancel-refused-400.json"),
        answer(200, "ingestion/job-succeeded.json"),
    );
    run.assert_code(1);
    run.assert_output("status", "rejected");
    run.assert_stdout_has("Cannot cancel job, job has already completed.");
}
