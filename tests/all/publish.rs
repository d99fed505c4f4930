//! The core flow: token, publish, wait, outcome and exit code.

use serde_json::json;

use crate::support::*;

#[test]
fn publish_succeeds_with_migrated_location_and_object_body() {
    let server = simple_server();
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", OPERATION_ID);
    run.assert_output(
        "operation-url",
        format!(
            "{}{}?api-version=2017-10-31",
            server.url(),
            operation_path()
        ),
    );
    run.assert_output("timed-out", "false");
    run.assert_output("failed-step", "");
    run.assert_output("offer-version", "7");

    let token = &server.requests_to("POST", &format!("/{TENANT}/oauth2/token"))[0];
    let form = token.form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert_eq!(form["resource"], "https://cloudpartner.azure.com");

    let publish = &server.requests_to("POST", &offer_path("publish"))[0];
    assert_eq!(publish.query_pairs()["api-version"], "2017-10-31");
    assert_eq!(publish.json(), json!({"metadata": {}}));
    assert_eq!(
        publish.header("authorization"),
        Some(&*format!("Bearer {TOKEN_PREFIX}1"))
    );
    assert_eq!(publish.header("content-type"), Some("application/json"));
    assert!(
        publish
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("publish-offer/"))
    );
    // Compressed answers are welcome where the service offers them.
    let poll = &server.requests_to("GET", &operation_path())[0];
    assert!(
        poll.header("accept-encoding")
            .is_some_and(|e| e.contains("gzip")),
        "{poll:?}"
    );
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 2);
    assert_no_unexpected(&server);
}

#[test]
fn notification_emails_go_into_the_body() {
    let server = simple_server();
    step()
        .github()
        .against(&server)
        .input("notification-emails", "a@contoso.com, b@contoso.com")
        .run()
        .assert_code(0);
    let publish = &server.requests_to("POST", &offer_path("publish"))[0];
    assert_eq!(
        publish.json(),
        json!({"metadata": {"notification-emails": "a@contoso.com,b@contoso.com"}})
    );
}

#[test]
fn non_migrated_location_with_dollars_and_array_body() {
    let server = FakeServer::start();
    server.tokens();
    let legacy = format!("/api/operations/{PUBLISHER}${OFFER}$2$preview");
    server.publish_answers(vec![
        Reply::empty(202).header("Location", &format!("{legacy}?api-version=2017-10-31")),
    ]);
    server.route_fn("GET", "/api/operations/*", |_, call| {
        let status = if call == 0 { "running" } else { "completed" };
        Reply::json(200, json!([operation(status, json!([]))]))
    });
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    run.assert_output("operation-id", format!("{PUBLISHER}${OFFER}$2$preview"));
    let polls = server.requests_to("GET", "/api/operations/");
    assert_eq!(polls.len(), 2);
    assert!(polls[0].path.ends_with("$2$preview"), "{}", polls[0].path);
    assert_eq!(polls[0].query_pairs()["api-version"], "2017-10-31");
    assert_no_unexpected(&server);
}

#[test]
fn failed_operation_exits_1_with_escaped_annotations() {
    let server = FakeServer::start();
    server.tokens();
    let failed_step = json!({
        "id": "displaycertify",
        "stepName": "Certification: VM, plan A",
        "status": "failed",
        "progressPercentage": 40,
        "messages": [
            {"messageHtml": "<p>Disk is 100% full, see: a,b</p>\r\n<b>second</b> line &amp; more", "level": "error"},
            {"messageHtml": "Plan description is short", "level": "warning"},
            {"messageHtml": "Step started", "level": "information"}
        ]
    });
    serve_publish(
        &server,
        vec![operation(
            "failed",
            json!([
                cpp_step("validation", "Validate", "complete", 100),
                failed_step
            ]),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "failed");
    run.assert_output("failed-step", "displaycertify");
    let commands = run.commands();
    assert!(
        commands.contains(
            &"::error title=Certification%3A VM%2C plan A::Disk is 100%25 full, see: a,b%0Asecond line & more"
        ),
        "{}",
        run.dump()
    );
    assert!(
        commands
            .contains(&"::warning title=Certification%3A VM%2C plan A::Plan description is short")
    );
    assert!(
        !run.commands()
            .iter()
            .any(|line| line.contains("Step started")),
        "information is not an annotation"
    );
    run.assert_summary_has("Disk is 100% full");
    run.assert_summary_has("| Certification: VM, plan A | failed | 40% |");
}

#[test]
fn failed_without_messages_still_raises_an_error() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![operation(
            "Failed",
            json!([cpp_step("cert", "Certification", "failed", 10)]),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert!(
        run.commands()
            .iter()
            .any(|line| line.starts_with("::error title=publish failed::")
                && line.contains("at step Certification")),
        "{}",
        run.dump()
    );
}

#[test]
fn canceled_operation_exits_1() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![
            operation("running", json!([])),
            operation("Cancelled", json!([])),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_output("status", "canceled");
    assert!(
        run.commands()
            .iter()
            .any(|line| line.starts_with("::error title=operation canceled::"))
    );
}

#[test]
fn refusals_of_the_publish_request() {
    for (status, body, expected_status, expected_text) in [
        (
            400,
            json!({"error": {"code": "BadRequest", "message": "Malformed body"}}),
            "rejected",
            "HTTP 400: BadRequest: Malformed body",
        ),
        (
            404,
            json!({"error": {"code": "NotFound", "message": "Offer not found"}}),
            "rejected",
            "HTTP 404: NotFound: Offer not found",
        ),
        (
            422,
            json!({"error": {"code": "ValidationFailed", "message": "The offer failed validation"}}),
            "rejected",
            "The offer failed validation",
        ),
        (
            401,
            json!({"error": {"code": "Unauthorized", "message": "Token expired"}}),
            "error",
            "HTTP 401",
        ),
        (
            403,
            json!({"error": {"code": "Forbidden", "message": "Not a member of publisher contoso"}}),
            "error",
            "Not a member of publisher contoso",
        ),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.publish_answers(vec![Reply::json(status, body)]);
        let run = step().github().against(&server).run();
        run.assert_code(1)
            .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
        assert_eq!(run.output("status"), expected_status, "HTTP {status}");
        assert!(
            run.commands().iter().any(|line| line
                .starts_with("::error title=publish offer::publish offer failed")
                && line.contains(expected_text)),
            "HTTP {status}\n{}",
            run.dump()
        );
        // A refusal is final: one publish request, no status reads.
        assert_eq!(
            server.requests_to("POST", &offer_path("publish")).len(),
            if status == 401 { 2 } else { 1 }
        );
        assert!(server.requests_to("GET", "/api/").is_empty());
        assert_no_unexpected(&server);
    }
}

#[test]
fn accepted_without_a_location_to_follow_attaches_to_the_running_operation() {
    // The service took the publish but its answer names no operation to follow: the publish is
    // running, so the run finds it as it would after a lost answer, and does not publish again.
    for accepted in [
        Reply::empty(202),
        Reply::empty(202).header("Location", "/api/operations/not%20an%20id"),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.publish_answers(vec![accepted]);
        serve_running_operation(&server);
        server.operation(vec![operation("complete", json!([]))]);
        let run = step().github().against(&server).run();
        run.assert_code(0);
        run.assert_output("status", "succeeded");
        run.assert_output("attached", "true");
        run.assert_output("operation-id", OPERATION_ID);
        assert_eq!(server.requests_to("POST", &offer_path("publish")).len(), 1);
    }

    // Nothing to be found: the run says that the publish is probably running.
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::empty(202)]);
    serve_nothing_running(&server);
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_output("status", "error");
    run.assert_stdout_has("sent no Location header");
    run.assert_stdout_has("a publish may be running");
}

#[test]
fn token_endpoint_refusal_quotes_entra_and_not_the_secret() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/token"),
        vec![Reply::json(
            401,
            json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value."}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1).assert_no_secret(&[CLIENT_SECRET]);
    run.assert_output("status", "error");
    let error = run.command_starting("::error title=get token from Microsoft Entra ID::");
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(
        error.contains("AADSTS7000215: Invalid client secret provided"),
        "{error}"
    );
    assert!(
        error.contains("help: the client secret is wrong"),
        "{error}"
    );
    assert!(
        server.requests_to("POST", "/api/").is_empty(),
        "no publish without a token"
    );
}

#[test]
fn access_token_skips_the_token_request() {
    let server = FakeServer::start();
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .input("access-token", "given-access-token-abcdef")
        .run();
    run.assert_code(0)
        .assert_no_secret(&["given-access-token-abcdef"]);
    run.assert_stdout_has("::add-mask::given-access-token-abcdef");
    let publish = &server.requests_to("POST", &offer_path("publish"))[0];
    assert_eq!(
        publish.header("authorization"),
        Some("Bearer given-access-token-abcdef")
    );
    assert_no_unexpected(&server);
}

#[test]
fn timeout_with_on_timeout_warn_exits_0_and_fail_exits_3() {
    for (on_timeout, code, command) in [("warn", 0, "::warning"), ("fail", 3, "::error")] {
        let server = FakeServer::start();
        server.tokens();
        serve_publish(
            &server,
            vec![operation(
                "running",
                json!([cpp_step("cert", "Certification", "inProgress", 10)]),
            )],
        );
        let started = std::time::Instant::now();
        let run = step()
            .github()
            .against(&server)
            .input("timeout", "500ms")
            .input("poll-interval", "200ms")
            .input("on-timeout", on_timeout)
            .run();
        run.assert_code(code);
        run.assert_output("status", "running");
        run.assert_output("timed-out", "true");
        assert!(
            run.commands()
                .iter()
                .any(|line| line.starts_with(&format!("{command} title=time limit reached::"))),
            "{}",
            run.dump()
        );
        // Polls at about 0, 200, 400 and the last at the limit; generous bounds for busy machines.
        let polls = server.requests_to("GET", &operation_path()).len();
        assert!((2..=6).contains(&polls), "{polls} polls");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}

#[test]
fn timeout_zero_returns_at_once_without_polling() {
    let server = simple_server();
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "0")
        .input("on-timeout", "fail")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    run.assert_output("timed-out", "false");
    run.assert_output("operation-id", OPERATION_ID);
    assert!(server.requests_to("GET", "/api/").is_empty());
}

#[test]
fn wait_until_preview_stops_at_publisher_signoff() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![
            operation(
                "running",
                json!([
                    cpp_step("cert", "Certification", "inProgress", 50),
                    cpp_step("publisher-signoff", "Publisher signoff", "notStarted", 0)
                ]),
            ),
            json!({
                "status": "running",
                "steps": [cpp_step("cert", "Certification", "complete", 100), cpp_step("publisher-signoff", "Publisher signoff", "waitingForPublisherReview", 0)],
                "previewLinks": ["https://preview/a", "https://preview/b"],
            }),
        ],
    );
    let run = step()
        .github()
        .against(&server)
        .input("wait-until", "preview")
        .run();
    run.assert_code(0);
    run.assert_output("status", "preview-ready");
    run.assert_output("preview-links", "https://preview/a\nhttps://preview/b");
    run.assert_outputs_has("preview-links<<ghadelimiter_");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 2);
}

#[test]
fn without_wait_until_preview_a_preview_ready_operation_keeps_running() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![operation(
            "running",
            json!([cpp_step(
                "publisher-signoff",
                "Publisher signoff",
                "waitingForPublisherReview",
                0
            )]),
        )],
    );
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "500ms")
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    run.assert_output("timed-out", "true");
}

#[test]
fn unknown_status_is_never_success() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![
            operation("Succeededish", json!([])),
            operation("Succeededish", json!([])),
            operation("complete", json!([])),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 3);
    assert_eq!(
        run.stderr.matches("Succeededish").count(),
        1,
        "logged once\n{}",
        run.dump()
    );
}

#[test]
fn progress_lines_only_when_a_step_changes() {
    let running = operation(
        "running",
        json!([
            cpp_step("cert", "Certification", "inProgress", 10),
            cpp_step("live", "Live", "notStarted", 0)
        ]),
    );
    let server = FakeServer::start();
    server.tokens();
    serve_publish(
        &server,
        vec![
            running.clone(),
            running.clone(),
            running,
            operation(
                "complete",
                json!([
                    cpp_step("cert", "Certification", "complete", 100),
                    cpp_step("live", "Live", "complete", 100)
                ]),
            ),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    let steps: Vec<&str> = run.stdout_lines_starting("  step ");
    assert_eq!(
        steps,
        [
            "  step Certification: inProgress 10% (estimated < 1 day)",
            "  step Certification: complete",
            "  step Live: complete",
        ],
        "{}",
        run.dump()
    );
}

#[test]
fn gzip_answers_are_decoded() {
    use std::io::Write;
    let body = operation(
        "complete",
        json!([cpp_step("cert", "Certification", "complete", 100)]),
    )
    .to_string();
    let mut gzip = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip(1)");
    gzip.stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    let compressed = gzip.wait_with_output().expect("gzip").stdout;

    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![Reply::Respond {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Encoding".into(), "gzip".into()),
        ],
        body: compressed,
    }]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
}

#[test]
fn a_cpp_404_names_api_ingestion() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::json(
        404,
        serde_json::json!({"error": {"code": "NotFound", "message": "offer not found"}}),
    )]);
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_stdout_has("use api: ingestion");
}
