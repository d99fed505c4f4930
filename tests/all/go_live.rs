//! Go-live: the preview goes live when it is ready and is refused before, on the Cloud Partner Portal
//! (CPP) API and the product ingestion API, on made-up answers and on the documented ones.

use crate::support::ingestion::*;
use crate::support::reference::*;
use crate::support::*;
use serde_json::{Value, json};

fn cpp_steps_preview_ready() -> Value {
    json!([
        cpp_step("cert", "Certification", "complete", 100),
        cpp_step(
            "publisher-signoff",
            "Publisher signoff",
            "waitingForPublisherReview",
            0
        )
    ])
}

#[test]
fn go_live_when_the_preview_is_ready() {
    for status_body in [
        json!({"status": "WaitingForPublisherReview", "steps": []}),
        json!({"status": "running", "steps": cpp_steps_preview_ready()}),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.offer_status(status_body);
        server.go_live_answers(vec![accepted_at(&operation_path())]);
        server.operation(vec![
            operation("running", json!([])),
            operation("complete", json!([])),
        ]);
        let run = step()
            .github()
            .against(&server)
            .input("command", "go-live")
            .run();
        run.assert_code(0)
            .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
        run.assert_output("status", "succeeded");
        run.assert_output("operation-id", OPERATION_ID);
        assert_eq!(server.requests_to("POST", &offer_path("golive")).len(), 1);
        assert!(
            server
                .requests_to("POST", &offer_path("publish"))
                .is_empty()
        );
        assert_no_unexpected(&server);
    }
}

/// With the default `wait-until` (preview), a go-live whose operation first reads as waiting at
/// sign-off is followed to live, not ended as preview-ready.
#[test]
fn go_live_with_the_default_wait_until_waits_for_live() {
    let server = FakeServer::start();
    server.tokens();
    server.offer_status(json!({"status": "WaitingForPublisherReview", "steps": []}));
    server.go_live_answers(vec![accepted_at(&operation_path())]);
    server.operation(vec![
        operation("running", cpp_steps_preview_ready()),
        operation("complete", json!([])),
    ]);
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_WAIT-UNTIL")
        .input("command", "go-live")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
}

#[test]
fn go_live_is_refused_before_the_preview_is_ready() {
    let server = FakeServer::start();
    server.tokens();
    server.offer_status(json!({"status": "Running", "steps": [cpp_step("cert", "Certification", "inProgress", 20)]}),
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "go-live")
        .run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
    assert!(
        server.requests_to("POST", "/api/").is_empty(),
        "no go-live request"
    );
    let error = run.command_starting("::error title=go live::");
    assert!(
        error.contains("not waiting for publisher review (its status is Running)"),
        "{}",
        run.dump()
    );
}

#[test]
fn ingestion_go_live_uses_the_ready_preview_submission() {
    let server = FakeServer::start();
    server.ingestion_product();
    let guid = PRODUCT.trim_start_matches("product/");
    serve_submissions(
        &server,
        json!([{"id": format!("submission/{guid}/3"), "target": {"targetType": "preview"}, "status": "completed", "result": "succeeded"}]),
    );
    server.configure_answers(vec![Reply::json(
        202,
        json!({"jobId": JOB, "jobStatus": "running"}),
    )]);
    server.job_status(vec![job("completed", "succeeded", json!([]))]);
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(0);
    let configure = &server.requests_to("POST", &ingestion_path("configure"))[0];
    let resource = &configure.json()["resources"][0];
    assert_eq!(resource["target"]["targetType"], "live");
    assert_eq!(resource["id"], format!("submission/{guid}/3"));

    let server = FakeServer::start();
    server.ingestion_product();
    serve_submissions(
        &server,
        json!([{"id": format!("submission/{guid}/4"), "target": {"targetType": "preview"}, "status": "running"}]),
    );
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty()
    );
}

/// A server whose offer is preview-ready and whose go-live is answered, as the older reference
/// documents, 202 with an absolute `Operation-Location`.
fn go_live_answered_with_operation_location() -> FakeServer {
    let server = FakeServer::start();
    server.offer_status_answers(vec![answer(200, "cpp/offer-status-preview-ready.json")]);
    let location = format!("{}{}", server.url(), operation_path());
    server.go_live_answers(vec![
        Reply::empty(202).header("Operation-Location", &location),
    ]);
    server
}

/// The older reference answers go-live with `Operation-Location` (an absolute URL). Whether the
/// run follows it or finds the operation in the running list, it goes live and says so.
#[test]
fn cpp_go_live_answered_as_documented_ends_live() {
    let server = go_live_answered_with_operation_location();
    server.running_operations(vec![answer(200, "cpp/running-operations.json")]);
    for path in [operation_path(), listed_operation_path()] {
        server.route(
            "GET",
            &path,
            vec![answer(200, "cpp/operation-completed.json")],
        );
    }
    let run = reference_cpp_step(&server)
        .input("command", "go-live")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    assert_eq!(server.requests_to("POST", &offer_path("golive")).len(), 1);
    assert_no_unexpected(&server);
}

/// Strict form of the go-live contract: the documented `Operation-Location` is followed itself.
#[test]
fn cpp_go_live_follows_the_documented_operation_location() {
    let server = go_live_answered_with_operation_location();
    server.operation_answers(vec![answer(200, "cpp/operation-completed.json")]);
    let run = reference_cpp_step(&server)
        .input("command", "go-live")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("attached", "false");
    run.assert_output("operation-id", OPERATION_ID);
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_go_live_on_the_documented_submissions_sends_the_newest_preview() {
    let server = documented_ingestion_server();
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(200, "ingestion/submissions.json")],
    );
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-succeeded.json")],
    );
    let run = documented_ingestion_step(&server)
        .input("command", "go-live")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    let configure = server.requests_to("POST", &documented_ingestion_path("configure"));
    assert_eq!(configure.len(), 1);
    let resource = &configure[0].json()["resources"][0];
    assert_eq!(resource["id"], DOCUMENTED_PREVIEW);
    assert_eq!(resource["target"]["targetType"], "live");
    assert_eq!(resource["product"], format!("product/{PRODUCT_GUID}"));
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_go_live_is_refused_while_the_only_preview_runs() {
    let server = documented_ingestion_server();
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(
            200,
            "ingestion/submissions-draft-and-one-running.json",
        )],
    );
    let run = documented_ingestion_step(&server)
        .input("command", "go-live")
        .run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
    assert!(
        run.command_starting("::error title=go live::")
            .contains("its status is Running"),
        "{}",
        run.dump()
    );
    assert!(
        server
            .requests_to("POST", &documented_ingestion_path("configure"))
            .is_empty()
    );
}
