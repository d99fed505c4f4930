//! The boundary with the service (issues 11 and 12): what it sends is hostile until validated.
//! Retry floods, URLs rebuilt rather than passed on, secrets in every spelling, requests that
//! cannot be built, `Operation-Location`.

use std::time::SystemTime;

use serde_json::json;

use crate::support::*;

#[test]
fn a_429_loop_with_zero_retry_after_sends_a_bounded_number_of_requests() {
    let server = FakeServer::start();
    serve_tokens(&server);
    // Every spelling of "again at once" the service can send.
    let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
    server.route_fn("POST", &offer_path("publish"), move |_, call| {
        let throttled = Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        );
        match call % 4 {
            0 => throttled.header("Retry-After", "0"),
            1 => throttled.header("Retry-After", &past),
            2 => throttled.header("retry-after-ms", "0"),
            _ => throttled.header("Retry-After", "-5"),
        }
    });
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "4s")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    let sent = server.requests_to("POST", &offer_path("publish")).len();
    // Before the floor, this loop sent about 40,000 requests in 5 s. Now the pauses are at least
    // 1 s and grow, and the call gives up after 5 tries (well within the minute the calls before
    // a wait always get).
    assert!(
        (2..=5).contains(&sent),
        "{sent} publish requests\n{}",
        run.dump()
    );
    run.assert_stderr_has("not retrying: tried 5 times");
    let warnings = run.stderr.matches("publish offer failed: HTTP 429").count();
    assert!(warnings <= sent + 1, "{warnings} lines\n{}", run.dump());
    assert_no_unexpected(&server);
}

#[test]
fn a_status_read_failing_fast_is_paced_too() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(503, json!({"error": {"message": "down"}})).header("retry-after-ms", "0")],
    );
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "4s")
        .input("on-timeout", "warn")
        .run();
    run.assert_output("status", "unknown");
    let reads = server.requests_to("GET", &operation_path()).len();
    // At most a few per second, not thousands.
    assert!(
        (2..=10).contains(&reads),
        "{reads} status reads\n{}",
        run.dump()
    );
}

fn token_path() -> String {
    format!("/{TENANT}/oauth2/token")
}

#[test]
fn the_secret_echoed_form_encoded_by_the_token_endpoint_is_redacted() {
    let server = FakeServer::start();
    // The spellings the program itself puts on the wire: the form body (`~` as `%7E`), and the
    // same percent-encoded with lower-case hex, or with `%20` for spaces.
    let form: String = url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect();
    assert_ne!(
        form, CLIENT_SECRET,
        "the test secret must change when encoded"
    );
    let lower = form.replace("%7E", "%7e");
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            401,
            json!({
                "error": "invalid_client",
                "error_description": format!(
                    "AADSTS7000215: Invalid client secret provided. Received client_secret={form} (also {lower}, {CLIENT_SECRET})"
                ),
            }),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, &form, &lower]);
    assert_eq!(run.output("status"), "error");
    let error = run.command_starting("::error title=get token from Microsoft Entra ID::");
    assert!(error.contains("AADSTS7000215"), "{}", run.dump());
    assert!(error.contains("client_secret=***"), "{}", run.dump());
    assert!(
        server
            .requests_to("POST", &offer_path("publish"))
            .is_empty()
    );
}

#[test]
fn a_token_too_short_to_be_real_is_a_malformed_answer_and_never_echoed() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "tkn42"}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, "tkn42"]);
    assert_eq!(run.output("status"), "error");
    let error = run.command_starting("::error title=get token from Microsoft Entra ID::");
    assert!(error.contains("too short to be a token"), "{}", run.dump());
    // The authority's answer is final: asked once, and no API request carries the token.
    assert_eq!(server.requests_to("POST", &token_path()).len(), 1);
    assert!(
        server
            .requests_to("POST", &offer_path("publish"))
            .is_empty()
    );
    run.assert_stdout_lacks("::add-mask::tkn42");
}

#[test]
fn a_token_that_holds_a_line_break_is_refused_not_sent() {
    let server = FakeServer::start();
    let token = format!("{TOKEN_PREFIX}1\nX-Injected: yes");
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": token}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    run.assert_stdout_lacks("X-Injected");
    run.assert_stdout_lacks(&format!("::add-mask::{TOKEN_PREFIX}"));
    assert!(
        server
            .requests_to("POST", &offer_path("publish"))
            .is_empty()
    );
}

#[test]
fn a_request_that_cannot_be_built_is_an_error_at_once_not_a_possible_publish() {
    let server = FakeServer::start();
    server.route(
        "GET",
        "/_apis/oidc/token",
        vec![Reply::json(200, json!({"value": "never-asked"}))],
    );
    let started = std::time::Instant::now();
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
        )
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "gh-request-token\nX-Injected: yes",
        )
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    let error = run.command_starting("::error title=get GitHub Actions OIDC token::");
    assert!(
        error.contains("the request cannot be built"),
        "{}",
        run.dump()
    );
    assert!(error.contains("nothing was sent"), "{}", run.dump());
    run.assert_stdout_lacks("may have reached");
    run.assert_stderr_lacks("may have reached");
    assert!(
        !run.stdout
            .lines()
            .any(|line| line.starts_with("X-Injected")),
        "{}",
        run.dump()
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // Not retried, and no search for a running publish: done in far less than the minute a
    // search would take.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// A recorded answer under tests/fixtures/cpp (status line, headers, blank line, body), served as
/// the fake's reply. A documented absolute URL on the real service is moved to the fake's origin.
fn cpp_fixture(name: &str, server: &FakeServer) -> Reply {
    let path = format!("{}/tests/fixtures/cpp/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let text = text.replace("https://cloudpartner.azure.com", &server.url());
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let mut reply = Reply::Respond {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    };
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        reply = reply.header(name.trim(), value.trim());
    }
    reply
}

const NON_MIGRATED_PATH: &str = "/api/operations/contoso$contoso-offer$2$preview";

fn complete_operation() -> serde_json::Value {
    operation(
        "complete",
        json!([cpp_step("cert", "Certification", "complete", 100)]),
    )
}

#[test]
fn publish_follows_both_documented_location_shapes() {
    for (fixture, path, id) in [
        (
            "publish-202-location-migrated.http",
            operation_path(),
            OPERATION_ID,
        ),
        (
            "publish-202-location-non-migrated.http",
            NON_MIGRATED_PATH.to_owned(),
            "contoso$contoso-offer$2$preview",
        ),
    ] {
        let server = FakeServer::start();
        serve_tokens(&server);
        server.route(
            "POST",
            &offer_path("publish"),
            vec![cpp_fixture(fixture, &server)],
        );
        server.route("GET", &path, vec![Reply::json(200, complete_operation())]);
        let run = step().github().against(&server).run();
        run.assert_code(0);
        assert_eq!(run.output("status"), "succeeded", "{fixture}");
        assert_eq!(run.output("operation-id"), id, "{fixture}");
        assert_eq!(
            run.output("operation-url"),
            format!("{}{path}?api-version=2017-10-31", server.url()),
            "{fixture}"
        );
        let polls = server.requests_to("GET", &path);
        assert_eq!(polls.len(), 1, "{fixture}\n{}", run.dump());
        assert_eq!(polls[0].query, "api-version=2017-10-31");
        assert_no_unexpected(&server);
    }
}

#[test]
fn go_live_and_cancel_follow_an_operation_location() {
    for (command, fixture, tail) in [
        ("go-live", "golive-202-operation-location.http", "golive"),
        ("cancel", "cancel-202-operation-location.http", "cancel"),
    ] {
        let server = FakeServer::start();
        serve_tokens(&server);
        server.route(
            "GET",
            &offer_path("status"),
            vec![Reply::json(
                200,
                json!({"status": "WaitingForPublisherReview", "steps": []}),
            )],
        );
        server.route(
            "POST",
            &offer_path(tail),
            vec![cpp_fixture(fixture, &server)],
        );
        let last = if command == "cancel" {
            "canceled"
        } else {
            "complete"
        };
        server.route(
            "GET",
            &operation_path(),
            vec![
                Reply::json(200, operation("running", json!([]))),
                Reply::json(200, operation(last, json!([]))),
            ],
        );
        let run = step()
            .github()
            .against(&server)
            .input("command", command)
            .run();
        run.assert_code(0);
        assert_eq!(
            run.output("status"),
            "succeeded",
            "{command}\n{}",
            run.dump()
        );
        assert_eq!(run.output("operation-id"), OPERATION_ID, "{command}");
        // Followed, not attached through the offer status.
        assert_eq!(
            server.requests_to("GET", &operation_path()).len(),
            2,
            "{command}\n{}",
            run.dump()
        );
        assert_eq!(run.output("attached"), "false");
    }
}

#[test]
fn location_wins_over_operation_location() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![
            Reply::empty(202)
                .header(
                    "Operation-Location",
                    &format!(
                        "{}/api/operations/contoso$contoso-offer$9$preview",
                        server.url()
                    ),
                )
                .header(
                    "Location",
                    &format!("{}?api-version=2017-10-31", operation_path()),
                ),
        ],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, complete_operation())],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("operation-id"), OPERATION_ID);
    assert_no_unexpected(&server);
}

#[test]
fn a_hostile_location_is_rebuilt_not_passed_through() {
    let server = FakeServer::start();
    serve_tokens(&server);
    // Query, fragment and userinfo a later `run:` step would execute or a table would split on.
    let origin = server.url().replace("http://", "http://user:pw@");
    let location = format!(
        "{origin}{}?api-version=2017-10-31&x=$(touch%20pwned)&y=`id`&z='|'{{}}#frag$(id)",
        operation_path()
    );
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::empty(202).header("Location", &location)],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, complete_operation())],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    let url = run.output("operation-url");
    assert_eq!(
        url,
        format!(
            "{}{}?api-version=2017-10-31",
            server.url(),
            operation_path()
        )
    );
    let polls = server.requests_to("GET", &operation_path());
    assert_eq!(polls[0].query, "api-version=2017-10-31");
    for forbidden in ["$(", "`", "'", "|", "{", "#", "pw@"] {
        assert!(
            !run.outputs_raw.contains(forbidden),
            "{forbidden}\n{}",
            run.dump()
        );
    }
    // The summary has backticks and bars of its own; none of the service's got in.
    for forbidden in ["$(", "touch", "'", "{", "frag", "pw@"] {
        assert!(
            !run.summary.contains(forbidden),
            "{forbidden}\n{}",
            run.summary
        );
    }
}

#[test]
fn a_location_of_no_known_shape_is_accepted_without_a_followable_location() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::empty(202).header(
            "Location",
            "/api/publishers/contoso/offers/contoso-offer/operations/x/extra?api-version=1",
        )],
    );
    serve_running_operation(&server);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, complete_operation())],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("attached", "true");
    run.assert_stderr_has("names no operation to follow");
    assert_eq!(server.requests_to("POST", &offer_path("publish")).len(), 1);
}

#[test]
fn wait_rebuilds_its_operation_url_and_refuses_one_of_no_known_shape() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "GET",
        NON_MIGRATED_PATH,
        vec![Reply::json(200, complete_operation())],
    );
    let given = format!(
        "{}{NON_MIGRATED_PATH}?api-version=2017-10-31&extra=$(id)",
        server.url()
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "wait")
        .input("operation-url", &given)
        .run();
    run.assert_code(0);
    assert_eq!(
        run.output("operation-url"),
        format!("{}{NON_MIGRATED_PATH}?api-version=2017-10-31", server.url())
    );
    assert_eq!(
        server.requests_to("GET", NON_MIGRATED_PATH)[0].query,
        "api-version=2017-10-31"
    );

    let server = FakeServer::start();
    serve_tokens(&server);
    let run = step()
        .github()
        .against(&server)
        .input("command", "wait")
        .input(
            "operation-url",
            &format!("{}/api/other/thing", server.url()),
        )
        .run();
    run.assert_code(2);
    assert_eq!(run.output("status"), "invalid-input");
    let error = run.command_starting("::error title=invalid input::");
    assert!(error.contains("operation-url"), "{}", run.dump());
    assert!(error.contains("names no operation"), "{}", run.dump());
    assert!(
        server.requests_to("GET", "/api/").is_empty(),
        "{:?}",
        server.requests()
    );
}

#[test]
fn an_answer_of_70000_steps_keeps_a_bounded_number_and_counts_the_rest() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    let one_step = r#"{"id":"s","stepName":"Step","status":"complete","messages":[{"messageHtml":"m","level":"warning"}]}"#;
    let complete = format!(
        r#"{{"status":"complete","steps":[{}]}}"#,
        vec![one_step; 70_000].join(",")
    );
    assert!(complete.len() < 8 * 1024 * 1024);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::text(200, "application/json", &complete)],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    // 70,000 steps (each with a message) used to print a line each, and more; now a reading
    // keeps 1,000 steps and counts the other 69,000; the log and the summary list 100 and say
    // how many more there were.
    let lines = run.stdout.lines().count() + run.stderr.lines().count();
    assert!(lines < 1_000, "{lines} lines");
    run.assert_stdout_has("… 69900 more steps");
    assert!(
        run.summary.contains("69900 more steps are not listed"),
        "{}",
        run.summary
    );
    assert!(run.summary.len() < 200_000, "{} bytes", run.summary.len());
}

#[test]
fn a_running_operation_listed_with_a_link_of_no_known_shape_is_skipped() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::json(
            409,
            json!({"error": {"code": "Conflict", "message": "An operation is already in progress"}}),
        )],
    );
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![Reply::json(
            200,
            json!([
                {"status": "running", "operationUrl": "/api/operations/x'$(id)"},
                {"status": "running", "operationUrl": "https://elsewhere.example/api/operations/a$b"},
                {"id": OPERATION_ID, "status": "running"},
            ]),
        )],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, complete_operation())],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("attached"), "true");
    assert_eq!(run.output("operation-id"), OPERATION_ID);
    run.assert_outputs_lacks("$(id)");
    assert!(
        server
            .requests()
            .iter()
            .all(|request| !request.path.contains("x'")),
        "{:?}",
        server.requests()
    );
}

/// A Location on the API but naming another offer's operation (either shape) is not followed:
/// the run would report that offer's outcome, and hand on its URL, as this one's.
#[test]
fn a_location_naming_another_offers_operation_is_not_followed() {
    for location in [
        format!("/api/publishers/{PUBLISHER}/offers/other-offer/operations/{OPERATION_ID}"),
        "/api/operations/contoso$other-offer$2$preview".to_owned(),
    ] {
        let server = FakeServer::start();
        serve_tokens(&server);
        server.route(
            "POST",
            &offer_path("publish"),
            vec![Reply::empty(202).header("Location", &location)],
        );
        serve_running_operation(&server);
        server.route(
            "GET",
            &operation_path(),
            vec![Reply::json(200, complete_operation())],
        );
        let run = step().github().against(&server).run();
        run.assert_code(0);
        run.assert_output("attached", "true");
        run.assert_stderr_has("another offer");
        assert!(
            !run.output("operation-url").contains("other-offer"),
            "{}",
            run.dump()
        );
        assert!(
            server
                .requests()
                .iter()
                .all(|request| !request.path.contains("other-offer")),
            "{:?}",
            server.requests()
        );
    }
}

/// A token with a run of blanks (the authority may put spaces in one) echoed by the service is
/// printed on one line, blanks collapsed: that spelling is redacted too.
#[test]
fn a_token_with_a_run_of_blanks_echoed_by_the_service_is_redacted() {
    let token = "eyJ0eXAi  tok_with-a-run-of-blanks";
    let server = FakeServer::start();
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": token}),
        )],
    );
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::json(
            400,
            json!({"error": {"code": "BadRequest", "message": format!("token {token} is bad")}}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1).assert_no_secret(&[
        CLIENT_SECRET,
        token,
        "eyJ0eXAi tok_with-a-run-of-blanks",
    ]);
    let error = run.command_starting("::error title=publish offer::");
    assert!(error.contains("token *** is bad"), "{}", run.dump());
}
