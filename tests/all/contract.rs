//! Contract tests: the service's documented answers, and real clients' test data, served as they
//! are (`tests/fixtures/`, each body's source and any repair in `tests/fixtures/SOURCES`), and the
//! outcome the program reaches on them: exit code, outputs, annotations, summary, result file.

use serde_json::Value;

use crate::support::*;

/// A fixture body, byte for byte.
fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).expect("fixture is JSON")
}

/// `status` with a fixture as its JSON body.
fn answer(status: u16, path: &str) -> Reply {
    Reply::Respond {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: fixture(path),
    }
}

// ---------------------------------------------------------------------------------------------
// Cloud Partner Portal.

/// The operation id of the documented list of running operations (`running-operations.json`).
const LISTED_OPERATION: &str = "5a63deb5-925b-4ee0-938b-7c86fbf287c5";

fn listed_operation_path() -> String {
    offer_path(&format!("operations/{LISTED_OPERATION}"))
}

fn cpp_step(server: &FakeServer) -> Step {
    serve_tokens(server);
    step().github().against(server)
}

#[test]
fn cpp_operation_from_the_reference_is_followed_to_its_end() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &offer_path("publish"),
        vec![accepted_at(&operation_path())],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![
            answer(200, "cpp/operation-running.json"),
            answer(200, "cpp/operation-completed.json"),
        ],
    );
    let run = cpp_step(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("operation-id"), OPERATION_ID);
    assert_eq!(run.output("offer-version"), "1");
    assert_eq!(run.output("failed-step"), "");
    run.assert_summary_has("Packaging and Lead Generation Registration");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 2);
    assert_no_unexpected(&server);
}

#[test]
fn cpp_operation_from_the_reference_still_running_at_the_time_limit() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &offer_path("publish"),
        vec![accepted_at(&operation_path())],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![answer(200, "cpp/operation-running.json")],
    );
    let run = cpp_step(&server).input("timeout", "500ms").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "running");
    assert_eq!(run.output("timed-out"), "true");
    // The blocked step and its error are shown while the operation runs.
    run.assert_stdout_has("No virtual machine image was found for the plan contoso.");
    assert!(run.summary.contains("Certification"), "{}", run.summary);
}

#[test]
fn cpp_offer_status_from_the_reference() {
    let server = FakeServer::start();
    server.route(
        "GET",
        &offer_path("status"),
        vec![answer(200, "cpp/offer-status-succeeded.json")],
    );
    let run = cpp_step(&server).input("command", "status").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("offer-status"), "succeeded");
    assert!(run.summary.contains("Publisher signoff"), "{}", run.summary);

    let server = FakeServer::start();
    server.route(
        "GET",
        &offer_path("status"),
        vec![answer(200, "cpp/offer-status-preview-ready.json")],
    );
    let run = cpp_step(&server).input("command", "status").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "preview-ready");
    assert_eq!(run.output("offer-status"), "WaitingForPublisherReview");
}

#[test]
fn cpp_conflict_attaches_to_the_operation_the_documented_list_names() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &offer_path("publish"),
        vec![answer(409, "cpp/error-409.json")],
    );
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![answer(200, "cpp/running-operations.json")],
    );
    server.route(
        "GET",
        &listed_operation_path(),
        vec![
            answer(200, "cpp/operation-running.json"),
            answer(200, "cpp/operation-completed.json"),
        ],
    );
    let run = cpp_step(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("attached"), "true");
    assert_eq!(run.output("operation-id"), LISTED_OPERATION);
    assert_eq!(server.requests_to("POST", &offer_path("publish")).len(), 1);
    let listed = &server.requests_to("GET", &offer_path("submissions/"))[0];
    assert_eq!(
        listed.query_pairs().get("status").map(String::as_str),
        Some("running")
    );
    assert_no_unexpected(&server);
}

#[test]
fn cpp_refusals_name_the_call_the_status_and_the_service_message() {
    for (status, message) in [
        (400, "The request body is malformed."),
        (
            404,
            "The offer 'contoso-offer' of publisher 'contoso' was not found.",
        ),
        (
            422,
            "The offer failed validation: the plan contoso has no virtual machine image.",
        ),
    ] {
        let server = FakeServer::start();
        server.route(
            "POST",
            &offer_path("publish"),
            vec![answer(status, &format!("cpp/error-{status}.json"))],
        );
        let run = cpp_step(&server).run();
        run.assert_code(1);
        assert_eq!(run.output("status"), "rejected", "{status}");
        let error = run.command_starting("::error title=publish offer::");
        assert!(error.contains(&status.to_string()), "{error}");
        assert!(error.contains(message), "{error}");
        // Refused: nothing was started, so nothing is followed or looked for.
        assert_eq!(
            server.requests().len(),
            2,
            "{status}: token and publish only"
        );
    }

    // 409 with if-running: fail is refused the same way.
    let server = FakeServer::start();
    server.route(
        "POST",
        &offer_path("publish"),
        vec![answer(409, "cpp/error-409.json")],
    );
    let run = cpp_step(&server).input("if-running", "fail").run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
    assert!(
        run.command_starting("::error title=publish offer::")
            .contains("An operation is already in progress for this offer."),
        "{}",
        run.dump()
    );
}

/// A server whose offer is preview-ready and whose go-live is answered, as the older reference
/// documents, 202 with an absolute `Operation-Location`.
fn go_live_answered_with_operation_location() -> FakeServer {
    let server = FakeServer::start();
    server.route(
        "GET",
        &offer_path("status"),
        vec![answer(200, "cpp/offer-status-preview-ready.json")],
    );
    let location = format!("{}{}", server.url(), operation_path());
    server.route(
        "POST",
        &offer_path("golive"),
        vec![Reply::empty(202).header("Operation-Location", &location)],
    );
    server
}

/// The older reference answers go-live with `Operation-Location` (an absolute URL). Whether the
/// run follows it or finds the operation in the running list, it goes live and says so.
#[test]
fn cpp_go_live_answered_as_documented_ends_live() {
    let server = go_live_answered_with_operation_location();
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![answer(200, "cpp/running-operations.json")],
    );
    for path in [operation_path(), listed_operation_path()] {
        server.route(
            "GET",
            &path,
            vec![answer(200, "cpp/operation-completed.json")],
        );
    }
    let run = cpp_step(&server).input("command", "go-live").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(server.requests_to("POST", &offer_path("golive")).len(), 1);
    assert_no_unexpected(&server);
}

/// Strict form of the go-live contract: the documented `Operation-Location` is followed itself.
#[test]
fn cpp_go_live_follows_the_documented_operation_location() {
    let server = go_live_answered_with_operation_location();
    server.route(
        "GET",
        &operation_path(),
        vec![answer(200, "cpp/operation-completed.json")],
    );
    let run = cpp_step(&server).input("command", "go-live").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("attached"), "false");
    assert_eq!(run.output("operation-id"), OPERATION_ID);
    assert_no_unexpected(&server);
}

#[test]
fn cpp_cancel_answered_200_is_done_at_once() {
    let server = FakeServer::start();
    server.route("POST", &offer_path("cancel"), vec![Reply::empty(200)]);
    let run = cpp_step(&server).input("command", "cancel").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
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
    server.route(
        "POST",
        &offer_path("cancel"),
        vec![Reply::empty(202).header("Operation-Location", &location)],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![answer(200, "cpp/operation-completed.json")],
    );
    let run = cpp_step(&server).input("command", "cancel").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 1);
    assert_no_unexpected(&server);
}

// ---------------------------------------------------------------------------------------------
// Product ingestion API.

/// The product of `product-list.json` (SUSE's and Red Hat's clients use such all-`f` GUIDs).
const PRODUCT_GUID: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";
/// The job of `configure-accepted.json`.
const ACCEPTED_JOB: &str = "d4261631-c583-4949-a612-5150882632e9";
/// The newest preview submission of the documented list (`submissions.json`).
const DOCUMENTED_PREVIEW: &str =
    "submission/12345678-abcd-efgh-1234-12345678901/1152921515689848683";

fn ingestion_path(tail: &str) -> String {
    format!("/rp/product-ingestion/{tail}")
}

fn accepted_job_path(action: &str) -> String {
    ingestion_path(&format!("configure/{ACCEPTED_JOB}/{action}"))
}

fn submissions_path() -> String {
    ingestion_path(&format!("submission/{PRODUCT_GUID}"))
}

/// Tokens for both APIs (v1, as the client-secret flow asks), and the documented product.
fn ingestion_server() -> FakeServer {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "GET",
        &ingestion_path("product"),
        vec![answer(200, "ingestion/product-list.json")],
    );
    server
}

fn ingestion_step(server: &FakeServer) -> Step {
    step()
        .github()
        .against(server)
        .input("api", "ingestion")
        .input(
            "ingestion-url",
            &format!("{}/rp/product-ingestion", server.url()),
        )
}

fn serve_configure(server: &FakeServer, reply: Reply) {
    server.route("POST", &ingestion_path("configure"), vec![reply]);
}

#[test]
fn ingestion_publish_on_the_documented_answers_reaches_preview() {
    let server = ingestion_server();
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![
            answer(200, "ingestion/job-running.json"),
            answer(200, "ingestion/job-succeeded.json"),
        ],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "preview-ready");
    // `jobID`, as the reference spells it in this answer.
    assert_eq!(run.output("operation-id"), ACCEPTED_JOB);
    assert!(
        run.output("operation-url").ends_with(&format!(
            "configure/{ACCEPTED_JOB}/status?%24version=2022-03-01-preview2"
        )),
        "{}",
        run.dump()
    );
    let lookup = &server.requests_to("GET", &ingestion_path("product"))[0];
    assert_eq!(
        lookup.query_pairs().get("externalId").map(String::as_str),
        Some(OFFER)
    );
    let configure = &server.requests_to("POST", &ingestion_path("configure"))[0];
    let resource = &configure.json()["resources"][0];
    assert_eq!(resource["product"], format!("product/{PRODUCT_GUID}"));
    assert_eq!(resource["target"]["targetType"], "preview");
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_nested_job_errors_from_a_real_client_become_annotations() {
    let server = ingestion_server();
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-failed-certification.json")],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let result_file = dir.path().join("result.json");
    let run = ingestion_step(&server)
        .input("result-file", &result_file.display().to_string())
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "failed");
    // The innermost message, titled with its code and the resource named above it; not the
    // wrappers ("Operation failed", "Certification").
    let errors: Vec<&str> = run
        .commands()
        .into_iter()
        .filter(|line| line.starts_with("::error"))
        .collect();
    assert_eq!(
        errors,
        ["::error title=invalidState (submission/2d541119)::Issues found during Certification."],
        "{}",
        run.dump()
    );
    assert!(
        run.summary.contains(
            "invalidState (submission/2d541119)** (error): Issues found during Certification."
        ),
        "{}",
        run.summary
    );
    let result: Value =
        serde_json::from_str(&std::fs::read_to_string(&result_file).expect("result file"))
            .expect("JSON");
    let messages = &result["state"]["steps"][0]["messages"];
    assert_eq!(messages[0]["text"], "Issues found during Certification.");
    assert_eq!(messages[0]["title"], "invalidState (submission/2d541119)");

    let server = ingestion_server();
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-failed-conflict.json")],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    assert!(
        run.commands()
            .contains(&"::error title=invalidResource::Failure for resource"),
        "{}",
        run.dump()
    );
}

/// `command: cancel` on the accepted job, the service answering the cancel with
/// `cancel_answer` and the job's status with `status_answer`.
fn cancel_accepted_job(cancel_answer: Reply, status_answer: Reply) -> Finished {
    let server = ingestion_server();
    server.route("POST", &accepted_job_path("cancel"), vec![cancel_answer]);
    server.route("GET", &accepted_job_path("status"), vec![status_answer]);
    let job_url = format!(
        "{}{}?%24version=2022-03-01-preview2",
        server.url(),
        accepted_job_path("status")
    );
    ingestion_step(&server)
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
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("operation-id"), ACCEPTED_JOB);

    // Refused with the documented 400: the job had completed.
    let run = cancel_accepted_job(
        answer(400, "ingestion/cancel-refused-400.json"),
        answer(200, "ingestion/job-succeeded.json"),
    );
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
    run.assert_stdout_has("Cannot cancel job, job has already completed.");
}

#[test]
fn ingestion_status_on_the_documented_submissions_is_preview_ready() {
    let server = ingestion_server();
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(200, "ingestion/submissions.json")],
    );
    let run = ingestion_step(&server).input("command", "status").run();
    run.assert_code(0);
    // A preview newer than the live submission; the draft entry is not an operation.
    assert_eq!(run.output("status"), "preview-ready");
    assert_eq!(run.output("offer-status"), "WaitingForPublisherReview");
    assert!(
        run.summary
            .contains("| live submission 1152921515689847470 | complete |"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("| preview submission 1152921515689848683 | complete |"),
        "{}",
        run.summary
    );
    assert!(!run.summary.contains("submission 0 "), "{}", run.summary);
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_status_with_only_the_draft_entry_is_not_started() {
    let server = ingestion_server();
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(200, "ingestion/submissions-draft-only.json")],
    );
    let run = ingestion_step(&server).input("command", "status").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "not-started");
    assert_eq!(run.output("offer-status"), "NeverPublished");
}

#[test]
fn ingestion_go_live_on_the_documented_submissions_sends_the_newest_preview() {
    let server = ingestion_server();
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
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    let configure = server.requests_to("POST", &ingestion_path("configure"));
    assert_eq!(configure.len(), 1);
    let resource = &configure[0].json()["resources"][0];
    assert_eq!(resource["id"], DOCUMENTED_PREVIEW);
    assert_eq!(resource["target"]["targetType"], "live");
    assert_eq!(resource["product"], format!("product/{PRODUCT_GUID}"));
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_go_live_is_refused_while_the_only_preview_runs() {
    let server = ingestion_server();
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(
            200,
            "ingestion/submissions-draft-and-one-running.json",
        )],
    );
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
    assert!(
        run.command_starting("::error title=go live::")
            .contains("its status is Running"),
        "{}",
        run.dump()
    );
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty()
    );
}

#[test]
fn ingestion_publish_refused_409_on_the_documented_list_does_not_wait() {
    // Nothing runs on the documented list: the run says a publish may be running and stops,
    // instead of following the draft entry until the time limit.
    let server = ingestion_server();
    serve_configure(&server, answer(409, "ingestion/error-409.json"));
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(200, "ingestion/submissions.json")],
    );
    let run = ingestion_step(&server).input("timeout", "1h").run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    assert_eq!(
        run.outputs().get("attached").map(String::as_str),
        Some("false")
    );
    let error = run.command_starting("::error title=submit configure job::");
    assert!(error.contains("no running operation was found"), "{error}");
    assert!(error.contains("WaitingForPublisherReview"), "{error}");
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .len()
            == 1,
        "the job is not submitted again"
    );
    assert_no_unexpected(&server);

    // With a preview submission running, the run attaches to it.
    let server = ingestion_server();
    serve_configure(&server, answer(409, "ingestion/error-409.json"));
    server.route(
        "GET",
        &submissions_path(),
        vec![answer(
            200,
            "ingestion/submissions-draft-and-one-running.json",
        )],
    );
    let run = ingestion_step(&server).input("timeout", "500ms").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "running");
    assert_eq!(run.output("attached"), "true");
    assert_eq!(run.output("timed-out"), "true");
}

#[test]
fn ingestion_ids_that_could_change_a_request_are_a_malformed_answer() {
    // A product id with a path in it is a malformed answer: read again (as a proxy's page would
    // be), never used. The next, documented, answer is.
    let server = FakeServer::start();
    serve_tokens(&server);
    let mut hostile = fixture_json("ingestion/product-list.json");
    hostile["value"][0]["id"] = "product/../configure".into();
    server.route(
        "GET",
        &ingestion_path("product"),
        vec![
            Reply::json(200, hostile),
            answer(200, "ingestion/product-list.json"),
        ],
    );
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-succeeded.json")],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(0);
    assert_eq!(
        server.requests_to("GET", &ingestion_path("product")).len(),
        2
    );
    let configure = &server.requests_to("POST", &ingestion_path("configure"))[0];
    assert_eq!(
        configure.json()["resources"][0]["product"],
        format!("product/{PRODUCT_GUID}")
    );
    run.assert_stderr_has("unexpected product id");

    // A submission id with a query in it: go-live never sends it.
    let server = ingestion_server();
    let mut hostile = fixture_json("ingestion/submissions.json");
    hostile["value"][2]["id"] = format!("{DOCUMENTED_PREVIEW}?x=1").into();
    server.route(
        "GET",
        &submissions_path(),
        vec![
            Reply::json(200, hostile),
            answer(200, "ingestion/submissions.json"),
        ],
    );
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-succeeded.json")],
    );
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(0);
    let configure = server.requests_to("POST", &ingestion_path("configure"));
    assert_eq!(configure.len(), 1);
    assert_eq!(
        configure[0].json()["resources"][0]["id"],
        DOCUMENTED_PREVIEW
    );
    assert!(
        !run.stdout.contains("?x=1") && !run.summary.contains("?x=1"),
        "{}",
        run.dump()
    );
}

// ---------------------------------------------------------------------------------------------
// Microsoft Entra ID.

/// The access token of the v1 reference answer (`entra/token-v1.json`).
const V1_TOKEN: &str = "eyJ0eXAiO ... 0X2tnSQLEANnSPHY0gKcgw";
/// The access token of the v2 reference answer (`entra/token-v2.json`).
const V2_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP...";
/// A federated token (GitHub's issuer and a branch subject), for the v2 exchange.
const FEDERATED_JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwic3ViIjoicmVwbzpjb250b3NvL3ZtLW9mZmVyOnJlZjpyZWZzL2hlYWRzL21haW4iLCJhdWQiOiJhcGk6Ly9BenVyZUFEVG9rZW5FeGNoYW5nZSJ9.c2lnbmF0dXJl";

fn serve_offer_status(server: &FakeServer) {
    server.route(
        "GET",
        &offer_path("status"),
        vec![answer(200, "cpp/offer-status-succeeded.json")],
    );
}

fn token_file_step(server: &FakeServer, dir: &tempfile::TempDir) -> Step {
    let file = dir.path().join("azure-identity-token");
    std::fs::write(&file, FEDERATED_JWT).expect("token file");
    step()
        .github()
        .against(server)
        .without("INPUT_CLIENT-SECRET")
        .env("AZURE_FEDERATED_TOKEN_FILE", &file.display().to_string())
        .input("command", "status")
}

#[test]
fn entra_v1_token_answer_from_the_reference_is_used() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/token"),
        vec![answer(200, "entra/token-v1.json")],
    );
    serve_offer_status(&server);
    let run = step()
        .github()
        .against(&server)
        .input("command", "status")
        .run();
    run.assert_code(0)
        .assert_no_secret(&[V1_TOKEN, "0X2tnSQLEANnSPHY0gKcgw", CLIENT_SECRET]);
    assert_eq!(run.output("status"), "succeeded");
    let status = &server.requests_to("GET", &offer_path("status"))[0];
    assert_eq!(
        status.header("authorization"),
        Some(format!("Bearer {V1_TOKEN}").as_str())
    );
}

#[test]
fn entra_v2_token_answer_from_the_reference_is_used() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        vec![answer(200, "entra/token-v2.json")],
    );
    serve_offer_status(&server);
    let dir = tempfile::tempdir().expect("temp dir");
    let run = token_file_step(&server, &dir).run();
    run.assert_code(0)
        .assert_no_secret(&[V2_TOKEN, "Ik1uQ19WWmNBVGZNNXBP", "c2lnbmF0dXJl"]);
    let exchange = &server.requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"))[0];
    assert_eq!(
        exchange.form().get("client_assertion").map(String::as_str),
        Some(FEDERATED_JWT)
    );
    let status = &server.requests_to("GET", &offer_path("status"))[0];
    assert_eq!(
        status.header("authorization"),
        Some(format!("Bearer {V2_TOKEN}").as_str())
    );
}

#[test]
fn entra_aadsts_error_from_the_reference_is_reported() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        vec![answer(400, "entra/error-aadsts70011.json")],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let run = token_file_step(&server, &dir).run();
    run.assert_code(1).assert_no_secret(&["c2lnbmF0dXJl"]);
    assert_eq!(run.output("status"), "error");
    let error = run
        .commands()
        .into_iter()
        .find(|line| line.starts_with("::error"))
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("400"), "{}", run.dump());
    assert!(
        error.contains(
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid."
        ),
        "{}",
        run.dump()
    );
    assert!(server.requests_to("GET", &offer_path("status")).is_empty());
}
