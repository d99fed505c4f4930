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
    assert!(
        run.stderr.contains("not retrying: tried 5 times"),
        "{}",
        run.dump()
    );
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
    assert_eq!(run.output("status"), "unknown", "{}", run.dump());
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
    assert!(!run.stdout.contains("::add-mask::tkn42"), "{}", run.dump());
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
    assert!(!run.stdout.contains("X-Injected"), "{}", run.dump());
    assert!(
        !run.stdout.contains(&format!("::add-mask::{TOKEN_PREFIX}")),
        "{}",
        run.dump()
    );
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
    assert!(!run.stdout.contains("may have reached"), "{}", run.dump());
    assert!(!run.stderr.contains("may have reached"), "{}", run.dump());
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
