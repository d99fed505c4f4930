//! The publishing lifecycle on both APIs: go-live, cancel, status, validate, wait (resume),
//! if-running, cancel-on-timeout, and the product ingestion API.

use serde_json::{Value, json};

use crate::support::*;

fn offer_status(server: &FakeServer, body: Value) {
    server.route("GET", &offer_path("status"), vec![Reply::json(200, body)]);
}

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
        serve_tokens(&server);
        offer_status(&server, status_body);
        server.route(
            "POST",
            &offer_path("golive"),
            vec![accepted_at(&operation_path())],
        );
        server.route(
            "GET",
            &operation_path(),
            vec![
                Reply::json(200, operation("running", json!([]))),
                Reply::json(200, operation("complete", json!([]))),
            ],
        );
        let run = step()
            .github()
            .against(&server)
            .input("command", "go-live")
            .run();
        run.assert_code(0)
            .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
        assert_eq!(run.output("status"), "succeeded");
        assert_eq!(run.output("operation-id"), OPERATION_ID);
        assert_eq!(server.requests_to("POST", &offer_path("golive")).len(), 1);
        assert!(
            server
                .requests_to("POST", &offer_path("publish"))
                .is_empty()
        );
        assert_no_unexpected(&server);
    }
}

#[test]
fn go_live_is_refused_before_the_preview_is_ready() {
    let server = FakeServer::start();
    serve_tokens(&server);
    offer_status(
        &server,
        json!({"status": "Running", "steps": [cpp_step("cert", "Certification", "inProgress", 20)]}),
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "go-live")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
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
fn cancel_done_at_once_or_followed() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route("POST", &offer_path("cancel"), vec![Reply::empty(200)]);
    let run = step()
        .github()
        .against(&server)
        .input("command", "cancel")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(server.requests_to("POST", &offer_path("cancel")).len(), 1);

    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("cancel"),
        vec![accepted_at(&operation_path())],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![
            Reply::json(200, operation("running", json!([]))),
            Reply::json(200, operation("canceled", json!([]))),
        ],
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "cancel")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("operation-id"), OPERATION_ID);

    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("cancel"),
        vec![Reply::json(
            400,
            json!({"error": {"message": "No operation is running"}}),
        )],
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "cancel")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
}

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
        serve_tokens(&server);
        offer_status(
            &server,
            json!({"status": service, "steps": [cpp_step("cert", "Certification", "complete", 100)], "messages": []}),
        );
        let run = step()
            .github()
            .against(&server)
            .input("command", "status")
            .run();
        run.assert_code(0);
        assert_eq!(run.output("status"), expected, "{service}");
        assert_eq!(run.output("offer-status"), service);
        assert!(
            run.summary.contains("| Certification | complete |"),
            "{}",
            run.summary
        );
        assert!(server.requests_to("POST", "/api/").is_empty());
    }
    // An unreadable status is an error, exit 1.
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "GET",
        &offer_path("status"),
        vec![Reply::json(
            404,
            json!({"error": {"message": "Offer not found"}}),
        )],
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "status")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
}

#[test]
fn validate_proves_credentials_and_offer_without_publishing() {
    let server = FakeServer::start();
    serve_tokens(&server);
    offer_status(&server, json!({"status": "Succeeded", "steps": []}));
    let run = step()
        .github()
        .against(&server)
        .input("command", "validate")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("offer-status"), "Succeeded");
    run.assert_stdout_has("the credentials work and the offer exists");
    assert_eq!(server.requests().len(), 2, "a token and one read");
    assert_no_unexpected(&server);

    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "GET",
        &offer_path("status"),
        vec![Reply::json(
            403,
            json!({"error": {"message": "not a publisher member"}}),
        )],
    );
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
fn publish_with_timeout_0_then_wait_resumes_the_operation() {
    let server = FakeServer::start();
    serve_tokens(&server);
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
        .without("INPUT_PUBLISHER-ID")
        .without("INPUT_OFFER-ID")
        .input("command", "wait")
        .input("operation-url", &url)
        .input("timeout", "5s")
        .input("on-timeout", "warn")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("operation-id"), OPERATION_ID);
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
    assert_eq!(run.output("status"), "invalid-input");
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
fn if_running_fail_and_cancel_and_restart() {
    let conflict = Reply::json(
        409,
        json!({"error": {"code": "Conflict", "message": "An operation is already in progress"}}),
    );
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route("POST", &offer_path("publish"), vec![conflict.clone()]);
    let run = step()
        .github()
        .against(&server)
        .input("if-running", "fail")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
    assert!(
        server.requests_to("GET", "/api/").is_empty(),
        "no attach with if-running: fail"
    );

    let server = FakeServer::start();
    serve_tokens(&server);
    let location = format!("{}?api-version=2017-10-31", operation_path());
    server.route(
        "POST",
        &offer_path("publish"),
        vec![conflict, Reply::empty(202).header("Location", &location)],
    );
    let cancel_path = format!("/api/publishers/{PUBLISHER}/offers/{OFFER}/operations/cancel-op");
    server.route(
        "POST",
        &offer_path("cancel"),
        vec![
            Reply::empty(202).header("Location", &format!("{cancel_path}?api-version=2017-10-31")),
        ],
    );
    server.route(
        "GET",
        &cancel_path,
        vec![
            Reply::json(200, operation("running", json!([]))),
            Reply::json(200, operation("canceled", json!([]))),
        ],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, operation("complete", json!([])))],
    );
    let run = step()
        .github()
        .against(&server)
        .input("if-running", "cancel-and-restart")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("operation-id"), OPERATION_ID);
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
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    let cancelled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = std::sync::Arc::clone(&cancelled);
    server.route_fn("POST", &offer_path("cancel"), move |_, _| {
        seen.store(true, std::sync::atomic::Ordering::SeqCst);
        Reply::empty(200)
    });
    let flag = std::sync::Arc::clone(&cancelled);
    server.route_fn("GET", &operation_path(), move |_, _| {
        let status = if flag.load(std::sync::atomic::Ordering::SeqCst) {
            "canceled"
        } else {
            "running"
        };
        Reply::json(200, operation(status, json!([])))
    });
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "500ms")
        .input("poll-interval", "100ms")
        .input("cancel-on-timeout", "true")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "canceled");
    assert_eq!(run.output("timed-out"), "true");
    assert_eq!(server.requests_to("POST", &offer_path("cancel")).len(), 1);
}

// Product ingestion API.

const PRODUCT: &str = "product/7a7a7a7a-0000-4000-8000-000000000001";
const JOB: &str = "0f0e0d0c-0b0a-4909-8807-060504030201";

fn ingestion_path(tail: &str) -> String {
    format!("/rp/product-ingestion/{tail}")
}

/// Where the ingestion API answers about (or cancels) the job `JOB`.
fn job_path(action: &str) -> String {
    ingestion_path(&format!("configure/{JOB}/{action}"))
}

/// The job's status URL as the program reports it in `operation-url`.
fn job_url(server: &FakeServer) -> String {
    format!(
        "{}{}?%24version=2022-03-01-preview2",
        server.url(),
        job_path("status")
    )
}

fn serve_graph_tokens(server: &FakeServer) {
    server.route_fn("POST", &format!("/{TENANT}/oauth2/token"), |request, call| {
        let resource = request.form().get("resource").cloned().unwrap_or_default();
        let audience = if resource == "https://graph.microsoft.com" { "graph" } else { "cpp" };
        Reply::json(200, json!({"access_token": format!("{TOKEN_PREFIX}{audience}-{call}"), "expires_in": 3599}))
    });
}

fn serve_product(server: &FakeServer) {
    server.route(
        "GET",
        &ingestion_path("product"),
        vec![Reply::json(
            200,
            json!({"value": [{"id": PRODUCT, "identity": {"externalId": OFFER}}]}),
        )],
    );
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

fn job(status: &str, result: &str, errors: Value) -> Reply {
    Reply::json(
        200,
        json!({"jobId": JOB, "jobStatus": status, "jobResult": result, "errors": errors}),
    )
}

#[test]
fn ingestion_publish_to_preview_and_wait_for_the_job() {
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    serve_product(&server);
    server.route(
        "POST",
        &ingestion_path("configure"),
        vec![Reply::json(
            202,
            json!({"jobId": JOB, "jobStatus": "notStarted", "jobResult": "pending"}),
        )],
    );
    server.route(
        "GET",
        &job_path("status"),
        vec![
            job("running", "pending", json!([])),
            job("completed", "succeeded", json!([])),
        ],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    // The preview job is done: the preview is ready and go-live comes next, as with CPP.
    assert_eq!(run.output("status"), "preview-ready");
    assert_eq!(run.output("operation-id"), JOB);
    assert_eq!(run.output("operation-url"), job_url(&server));

    let token = &server.requests_to("POST", &format!("/{TENANT}/oauth2/token"))[0];
    assert_eq!(token.form()["resource"], "https://graph.microsoft.com");
    let lookup = &server.requests_to("GET", &ingestion_path("product"))[0];
    assert_eq!(lookup.query_pairs()["externalId"], OFFER);
    assert_eq!(lookup.query_pairs()["$version"], "2022-03-01-preview2");
    let configure = &server.requests_to("POST", &ingestion_path("configure"))[0];
    assert_eq!(
        configure.json(),
        json!({
            "$schema": "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2",
            "resources": [{
                "$schema": "https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2",
                "product": PRODUCT,
                "target": {"targetType": "preview"}
            }]
        })
    );
    assert_eq!(
        configure.header("authorization"),
        Some(&*format!("Bearer {TOKEN_PREFIX}graph-0"))
    );
    assert!(
        server.requests_to("POST", "/api/").is_empty(),
        "CPP not used"
    );
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_job_failure_maps_errors_to_annotations() {
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    serve_product(&server);
    server.route(
        "POST",
        &ingestion_path("configure"),
        vec![Reply::json(
            200,
            json!({"jobId": JOB, "jobStatus": "running", "jobResult": "pending"}),
        )],
    );
    server.route(
        "GET",
        &job_path("status"),
        vec![job("completed", "failed", json!([{"code": "BusinessValidationError", "message": "The plan 'gen2' has no technical configuration"}]))],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "failed");
    assert!(
        run.commands().contains(
            &"::error title=BusinessValidationError::The plan 'gen2' has no technical configuration"
        ),
        "{}",
        run.dump()
    );
}

fn serve_submissions(server: &FakeServer, submissions: Value) {
    let guid = PRODUCT.trim_start_matches("product/");
    server.route(
        "GET",
        &ingestion_path(&format!("submission/{guid}")),
        vec![Reply::json(200, json!({"value": submissions}))],
    );
}

#[test]
fn ingestion_go_live_uses_the_ready_preview_submission() {
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    serve_product(&server);
    let guid = PRODUCT.trim_start_matches("product/");
    serve_submissions(
        &server,
        json!([{"id": format!("submission/{guid}/3"), "target": {"targetType": "preview"}, "status": "completed", "result": "succeeded"}]),
    );
    server.route(
        "POST",
        &ingestion_path("configure"),
        vec![Reply::json(
            202,
            json!({"jobId": JOB, "jobStatus": "running"}),
        )],
    );
    server.route(
        "GET",
        &job_path("status"),
        vec![job("completed", "succeeded", json!([]))],
    );
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(0);
    let configure = &server.requests_to("POST", &ingestion_path("configure"))[0];
    let resource = &configure.json()["resources"][0];
    assert_eq!(resource["target"]["targetType"], "live");
    assert_eq!(resource["id"], format!("submission/{guid}/3"));

    let server = FakeServer::start();
    serve_graph_tokens(&server);
    serve_product(&server);
    serve_submissions(
        &server,
        json!([{"id": format!("submission/{guid}/4"), "target": {"targetType": "preview"}, "status": "running"}]),
    );
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty()
    );
}

#[test]
fn ingestion_status_lists_the_submissions() {
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    serve_product(&server);
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
    assert_eq!(run.output("status"), "succeeded");
    assert!(
        run.summary.contains("| preview submission 1 | complete |"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("| live submission 2 | complete |"),
        "{}",
        run.summary
    );
}

#[test]
fn ingestion_conflict_attaches_through_the_submissions() {
    // The configure job is refused because a submission is in progress: the run follows the
    // offer's submissions, and says so, since there is no job URL to name.
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    serve_product(&server);
    server.route(
        "POST",
        &ingestion_path("configure"),
        vec![Reply::json(
            409,
            json!({"error": {"code": "Conflict", "message": "a submission is already in progress"}}),
        )],
    );
    let guid = PRODUCT.trim_start_matches("product/");
    serve_submissions(
        &server,
        json!([{"id": format!("submission/{guid}/3"), "target": {"targetType": "preview"}, "status": "running", "result": "pending"}]),
    );
    let run = ingestion_step(&server).input("timeout", "500ms").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "running");
    assert_eq!(run.output("attached"), "true");
    run.assert_stdout_has("attached to the running publish through the offer's status");
    assert!(
        run.command_starting("::warning title=time limit reached::")
            .contains("check it with command: status"),
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
fn ingestion_cancel_and_wait_use_the_job_url() {
    let server = FakeServer::start();
    serve_graph_tokens(&server);
    let url = job_url(&server);
    server.route(
        "POST",
        &job_path("cancel"),
        vec![Reply::json(200, json!({}))],
    );
    server.route(
        "GET",
        &job_path("status"),
        vec![
            job("running", "pending", json!([])),
            job("completed", "cancelled", json!([])),
        ],
    );
    let run = ingestion_step(&server)
        .input("command", "cancel")
        .input("operation-url", &url)
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(server.requests_to("POST", &job_path("cancel")).len(), 1);

    let run = ingestion_step(&server).input("command", "cancel").run();
    run.assert_code(2);
    run.assert_stdout_has("operation-url is missing");

    let server = FakeServer::start();
    serve_graph_tokens(&server);
    server.route(
        "GET",
        &job_path("status"),
        vec![job("completed", "succeeded", json!([]))],
    );
    let url = job_url(&server);
    let run = ingestion_step(&server)
        .without("INPUT_PUBLISHER-ID")
        .without("INPUT_OFFER-ID")
        .input("command", "wait")
        .input("operation-url", &url)
        .run();
    run.assert_code(0);
    assert_eq!(run.output("operation-id"), JOB);
}

#[test]
fn api_auto_picks_the_api_that_has_the_offer_and_keeps_tokens_apart() {
    // Found in the ingestion API: the graph token goes there, the CPP server sees nothing.
    let cpp = FakeServer::start();
    let graph = FakeServer::start();
    serve_graph_tokens(&cpp);
    serve_product(&graph);
    graph.route(
        "POST",
        &ingestion_path("configure"),
        vec![Reply::json(
            202,
            json!({"jobId": JOB, "jobStatus": "running"}),
        )],
    );
    graph.route(
        "GET",
        &job_path("status"),
        vec![job("completed", "succeeded", json!([]))],
    );
    let run = step()
        .github()
        .against(&cpp)
        .input("api", "auto")
        .input(
            "ingestion-url",
            &format!("{}/rp/product-ingestion", graph.url()),
        )
        .run();
    run.assert_code(0);
    assert!(
        cpp.requests_to("GET", "/api/").is_empty() && cpp.requests_to("POST", "/api/").is_empty()
    );
    for request in graph.requests() {
        let auth = request.header("authorization").unwrap_or_default();
        assert!(
            auth.starts_with(&format!("Bearer {TOKEN_PREFIX}graph-")),
            "{auth}"
        );
    }

    // Not found there: CPP, with a CPP token.
    let cpp = simple_server();
    let graph = FakeServer::start();
    graph.route(
        "GET",
        &ingestion_path("product"),
        vec![Reply::json(200, json!({"value": []}))],
    );
    let run = step()
        .github()
        .against(&cpp)
        .input("api", "auto")
        .input(
            "ingestion-url",
            &format!("{}/rp/product-ingestion", graph.url()),
        )
        .run();
    run.assert_code(0);
    assert_eq!(run.output("operation-id"), OPERATION_ID);
    assert_eq!(graph.requests().len(), 1, "only the lookup");

    // With a single access token, auto is refused up front.
    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .input("access-token", "abcdefghijkl")
        .input("api", "auto")
        .run();
    run.assert_code(2);
    assert!(server.requests().is_empty());
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
        serve_tokens(&server);
        serve_publish(&server, vec![]);
        let cancelled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = std::sync::Arc::clone(&cancelled);
        server.route_fn("POST", &offer_path("cancel"), move |_, _| {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
            cancel_answer.clone()
        });
        let flag = std::sync::Arc::clone(&cancelled);
        server.route_fn("GET", &operation_path(), move |_, _| {
            let status = if flag.load(std::sync::atomic::Ordering::SeqCst) {
                "complete"
            } else {
                "running"
            };
            Reply::json(200, operation(status, json!([])))
        });
        let run = step()
            .github()
            .against(&server)
            .input("timeout", "500ms")
            .input("cancel-on-timeout", "true")
            .run();
        run.assert_code(0);
        run.assert_output("status", "succeeded");
        assert_eq!(run.output("timed-out"), "false");
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
    server.route(
        "GET",
        &job_path("status"),
        vec![job("completed", "succeeded", json!([]))],
    );
    let run = ingestion_step(&server)
        .input("command", "cancel")
        .input("operation-url", &url)
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
    run.assert_stdout_has("before the cancel could take effect");
}

#[test]
fn wait_with_cancel_on_timeout_cancels_through_the_offer_the_url_names() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, operation("running", json!([])))],
    );
    server.route("POST", &offer_path("cancel"), vec![Reply::empty(200)]);
    let url = format!(
        "{}{}?api-version=2017-10-31",
        server.url(),
        operation_path()
    );
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_PUBLISHER-ID")
        .without("INPUT_OFFER-ID")
        .input("command", "wait")
        .input("operation-url", &url)
        .input("timeout", "300ms")
        .input("cancel-on-timeout", "true")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "canceled");
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
fn wait_with_timeout_0_reads_the_status_once() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, operation("complete", json!([])))],
    );
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
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 1);
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
