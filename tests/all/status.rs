//! Status and validate: reading where an offer stands without publishing, on both APIs.

use crate::support::ingestion::*;
use crate::support::reference::*;
use crate::support::*;
use serde_json::json;

#[test]
fn status_reports_every_state_and_exits_0() {
    for (service, expected) in [
        ("Running", "running"),
        ("Succeeded", "succeeded"),
        ("Failed", "failed"),
        ("Canceled", "canceled"),
        ("WaitingForPublisherReview", "preview-ready"),
        ("NeverPublished", "not-started"),
        ("NotStarted", "not-started"),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.offer_status(json!({"status": service, "steps": [cpp_step("cert", "Certification", "complete", 100)], "messages": []}),
        );
        let run = step()
            .github()
            .against(&server)
            .input("command", "status")
            .run();
        run.assert_code(0);
        assert_eq!(run.output("status"), expected, "{service}");
        run.assert_output("offer-status", service);
        run.assert_summary_has("| Certification | complete |");
        assert!(server.requests_to("POST", "/api/").is_empty());
    }
    // An unreadable status is an error, exit 1.
    let server = FakeServer::start();
    server.tokens();
    server.offer_status_answers(vec![Reply::json(
        404,
        json!({"error": {"message": "Offer not found"}}),
    )]);
    let run = step()
        .github()
        .against(&server)
        .input("command", "status")
        .run();
    run.assert_code(1);
    run.assert_output("status", "error");
}

#[test]
fn status_of_a_failed_offer_warns_and_does_not_raise_errors() {
    let server = FakeServer::start();
    server.tokens();
    server.offer_status(json!({"status": "Failed", "steps": [{"id": "cert", "stepName": "Certification", "status": "failed",
        "messages": [{"messageHtml": "<p>the disk is full</p>", "level": "error"}]}]}));
    let run = step()
        .github()
        .against(&server)
        .input("command", "status")
        .run();
    // Exit 0, as status always does when it can read the state: so warnings, not errors.
    run.assert_code(0);
    run.assert_output("status", "failed");
    assert!(
        run.commands()
            .iter()
            .any(|line| line.starts_with("::warning title=Certification::")
                && line.contains("the disk is full")),
        "{}",
        run.dump()
    );
    assert!(
        !run.commands()
            .iter()
            .any(|line| line.starts_with("::error")),
        "{}",
        run.dump()
    );
}

#[test]
fn validate_proves_credentials_and_offer_without_publishing() {
    let server = FakeServer::start();
    server.tokens();
    server.offer_status(json!({"status": "Succeeded", "steps": []}));
    let run = step()
        .github()
        .against(&server)
        .input("command", "validate")
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("offer-status", "Succeeded");
    run.assert_stdout_has("the credentials work and the offer exists");
    assert_eq!(server.requests().len(), 2, "a token and one read");
    assert_no_unexpected(&server);

    let server = FakeServer::start();
    server.tokens();
    server.offer_status_answers(vec![Reply::json(
        403,
        json!({"error": {"message": "not a publisher member"}}),
    )]);
    let run = step()
        .github()
        .against(&server)
        .input("command", "validate")
        .run();
    run.assert_code(1);
    assert!(
        run.stdout.contains("added it in Partner Center")
            || run.stdout.contains("add it in Partner Center"),
        "{}",
        run.dump()
    );
}

#[test]
fn ingestion_status_lists_the_submissions() {
    let server = FakeServer::start();
    server.ingestion_product();
    let guid = PRODUCT.trim_start_matches("product/");
    serve_submissions(
        &server,
        json!([
            {"id": format!("submission/{guid}/1"), "target": {"targetType": "preview"}, "status": "completed", "result": "succeeded"},
            {"id": format!("submission/{guid}/2"), "target": {"targetType": "live"}, "status": "completed", "result": "succeeded"}
        ]),
    );
    let run = ingestion_step(&server).input("command", "status").run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_summary_has("| preview submission 1 | complete |");
    run.assert_summary_has("| live submission 2 | complete |");
}

#[test]
fn cpp_offer_status_from_the_reference() {
    let server = FakeServer::start();
    server.offer_status_answers(vec![answer(200, "cpp/offer-status-succeeded.json")]);
    let run = reference_cpp_step(&server).input("command", "status").run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("offer-status", "succeeded");
    run.assert_summary_has("Publisher signoff");

    let server = FakeServer::start();
    server.offer_status_answers(vec![answer(200, "cpp/offer-status-preview-ready.json")]);
    let run = reference_cpp_step(&server).input("command", "status").run();
    run.assert_code(0);
    run.assert_output("status", "preview-ready");
    run.assert_output("offer-status", "WaitingForPublisherReview");
}

#[test]
fn ingestion_status_on_the_documented_submissions_is_preview_ready() {
    let server = documented_ingestion_server();
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(200, "ingestion/submissions.json")],
    );
    let run = documented_ingestion_step(&server)
        .input("command", "status")
        .run();
    run.assert_code(0);
    // A preview newer than the live submission; the draft entry is not an operation.
    run.assert_output("status", "preview-ready");
    run.assert_output("offer-status", "WaitingForPublisherReview");
    run.assert_summary_has("| live submission 1152921515689847470 | complete |");
    run.assert_summary_has("| preview submission 1152921515689848683 | complete |");
    run.assert_summary_lacks("submission 0 ");
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_status_with_only_the_draft_entry_is_not_started() {
    let server = documented_ingestion_server();
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(200, "ingestion/submissions-draft-only.json")],
    );
    let run = documented_ingestion_step(&server)
        .input("command", "status")
        .run();
    run.assert_code(0);
    run.assert_output("status", "not-started");
    run.assert_output("offer-status", "NeverPublished");
}
