//! Attach: a publish the service refuses because one is running (409, a 400 saying so) or whose
//! answer is lost attaches to the running operation instead of publishing again.

use crate::support::ingestion::*;
use crate::support::reference::*;
use crate::support::*;
use serde_json::json;

#[test]
fn ingestion_conflict_attaches_through_the_submissions() {
    // The configure job is refused because a submission is in progress: the run follows the
    // offer's submissions, and says so, since there is no job URL to name.
    let server = FakeServer::start();
    server.ingestion_product();
    server.configure_answers(vec![Reply::json(
        409,
        json!({"error": {"code": "Conflict", "message": "a submission is already in progress"}}),
    )]);
    let guid = PRODUCT.trim_start_matches("product/");
    serve_submissions(
        &server,
        json!([{"id": format!("submission/{guid}/3"), "target": {"targetType": "preview"}, "status": "running", "result": "pending"}]),
    );
    let run = ingestion_step(&server).input("timeout", "500ms").run();
    run.assert_code(0);
    run.assert_output("status", "running");
    run.assert_output("attached", "true");
    run.assert_stdout_has("attached to the running publish through the offer's status");
    assert!(
        run.command_starting("::warning title=time limit reached::")
            .contains("follow it with command: wait and the offer's ids"),
        "{}",
        run.dump()
    );
    assert_eq!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .len(),
        1
    );
}

#[test]
fn publish_refused_with_409_attaches_to_the_running_operation() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::json(
        409,
        json!({"error": {"code": "Conflict", "message": "An operation is already in progress"}}),
    )]);
    server.running_operations(vec![Reply::json(
        200,
        json!([{"id": OPERATION_ID, "submissionType": "publish", "submissionState": "running"}]),
    )]);
    server.operation(vec![running(), complete()]);
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "succeeded");
    run.assert_output("attached", "true");
    run.assert_output("operation-id", OPERATION_ID);
    assert_eq!(publishes(&server), 1);
    let list = &server.requests_to("GET", &offer_path("submissions/"))[0];
    assert_eq!(list.query_pairs()["status"], "running");
    run.assert_stdout_has("attached to the operation already running");
    assert_no_unexpected(&server);
}

#[test]
fn a_400_saying_in_progress_also_attaches() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::json(400, json!({"error": {"code": "BadRequest", "message": "Publish is already in progress for offer contoso-offer."}}))]);
    server.running_operations(vec![Reply::json(
        200,
        json!({"value": [{"id": OPERATION_ID, "status": "running"}]}),
    )]);
    server.operation(vec![complete()]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("attached", "true");
}

#[test]
fn ambiguous_publish_failure_attaches_instead_of_publishing_again() {
    // The request reaches the service, which starts the publish, but the answer is lost, or a
    // gateway gives up waiting for it (408) after passing the request on.
    for lost in [
        Reply::Reset,
        Reply::json(408, json!({"error": {"message": "request timeout"}})),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.publish_answers(vec![lost]);
        serve_running_operation(&server);
        server.operation(vec![running(), complete()]);
        let run = step().github().against(&server).run();
        run.assert_code(0)
            .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
        assert_eq!(
            publishes(&server),
            1,
            "an ambiguous publish is never sent again"
        );
        run.assert_output("attached", "true");
        run.assert_stderr_has("may have reached the service");
    }
}

#[test]
fn a_failure_before_the_publish_request_is_not_taken_for_a_publish() {
    // The token request fails with a 5xx that is not retried: nothing was published, so there
    // is nothing to look for and no "a publish may be running".
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/token"),
        vec![Reply::json(501, json!({"error": "not_implemented"}))],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_output("status", "error");
    assert!(
        server.requests_to("GET", "/api/").is_empty() && publishes(&server) == 0,
        "{}",
        run.dump()
    );
    run.assert_stdout_lacks("may have reached");
    assert!(
        run.command_starting("::error title=get token from Microsoft Entra ID::")
            .contains("HTTP 501"),
        "{}",
        run.dump()
    );
}

#[test]
fn ambiguous_5xx_without_operation_list_waits_on_the_offer_status() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::json(
        502,
        json!({"error": {"message": "bad gateway"}}),
    )]);
    server.running_operations(vec![Reply::json(
        404,
        json!({"error": {"message": "not found"}}),
    )]);
    server.offer_status_answers(vec![
        Reply::json(200, json!({"status": "Running", "steps": []})),
        Reply::json(200, json!({"status": "Running", "steps": []})),
        Reply::json(200, json!({"status": "Succeeded", "steps": []})),
    ]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(publishes(&server), 1);
    run.assert_output("status", "succeeded");
    run.assert_output("attached", "true");
    run.assert_output("operation-url", "");
    assert!(server.requests_to("GET", &offer_path("status")).len() >= 3);

    // Still running at the time limit: with no operation URL to resume from, the advice is the
    // status command, not an empty operation-url output.
    server.offer_status(json!({"status": "Running", "steps": []}));
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "500ms")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    let warning = run.command_starting("::warning title=time limit reached::");
    assert!(
        warning.contains("follow it with command: wait and the offer's ids")
            && !warning.contains("operation-url"),
        "{}",
        run.dump()
    );
    run.assert_stdout_has("attached to the running publish through the offer's status");
}

#[test]
fn ambiguous_failure_with_nothing_running_says_a_publish_may_be_running() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::Close]);
    server.running_operations(vec![Reply::json(200, json!([]))]);
    server.offer_status(json!({"status": "Succeeded", "steps": []}));
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert_eq!(publishes(&server), 1);
    run.assert_output("status", "error");
    let error = run.command_starting("::error title=publish offer::");
    assert!(
        error.contains("a publish may be running") && error.contains("command: status"),
        "{}",
        run.dump()
    );
}

#[test]
fn cpp_conflict_attaches_to_the_operation_the_documented_list_names() {
    let server = FakeServer::start();
    server.publish_answers(vec![answer(409, "cpp/error-409.json")]);
    server.running_operations(vec![answer(200, "cpp/running-operations.json")]);
    server.route(
        "GET",
        &listed_operation_path(),
        vec![
            answer(200, "cpp/operation-running.json"),
            answer(200, "cpp/operation-completed.json"),
        ],
    );
    let run = reference_cpp_step(&server).run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("attached", "true");
    run.assert_output("operation-id", LISTED_OPERATION);
    assert_eq!(server.requests_to("POST", &offer_path("publish")).len(), 1);
    let listed = &server.requests_to("GET", &offer_path("submissions/"))[0];
    assert_eq!(
        listed.query_pairs().get("status").map(String::as_str),
        Some("running")
    );
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_publish_refused_409_on_the_documented_list_does_not_wait() {
    // Nothing runs on the documented list: the run says a publish may be running and stops,
    // instead of following the draft entry until the time limit.
    let server = documented_ingestion_server();
    serve_configure(&server, answer(409, "ingestion/error-409.json"));
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(200, "ingestion/submissions.json")],
    );
    let run = documented_ingestion_step(&server)
        .input("timeout", "1h")
        .run();
    run.assert_code(1);
    run.assert_output("status", "error");
    assert_eq!(
        run.outputs().get("attached").map(String::as_str),
        Some("false")
    );
    let error = run.command_starting("::error title=submit configure job::");
    assert!(error.contains("no running operation was found"), "{error}");
    assert!(error.contains("WaitingForPublisherReview"), "{error}");
    assert!(
        server
            .requests_to("POST", &documented_ingestion_path("configure"))
            .len()
            == 1,
        "the job is not submitted again"
    );
    assert_no_unexpected(&server);

    // With a preview submission running, the run attaches to it.
    let server = documented_ingestion_server();
    serve_configure(&server, answer(409, "ingestion/error-409.json"));
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(
            200,
            "ingestion/submissions-draft-and-one-running.json",
        )],
    );
    let run = documented_ingestion_step(&server)
        .input("timeout", "500ms")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    run.assert_output("attached", "true");
    run.assert_output("timed-out", "true");
}
