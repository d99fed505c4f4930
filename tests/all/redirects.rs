//! Redirects and the one cap of sends per call (issue 22, item 1): a call that starts something
//! is never sent again because of a redirect, and no sequence of answers (redirects, refused
//! tokens, throttling) sends one call more than 5 times. Every count here is of the requests
//! the fake received.

use serde_json::json;

use crate::support::reference::DOCUMENTED_OFFER;
use crate::support::*;

/// How many times one call is sent at most (`RetryPolicy::default().max_attempts`).
const CAP: usize = 5;

fn publishes(server: &FakeServer) -> usize {
    server.requests_to("POST", &offer_path("publish")).len()
}

fn throttled() -> Reply {
    Reply::json(
        429,
        json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
    )
    .header("Retry-After", "0")
}

#[test]
fn a_publish_answered_with_a_redirect_is_sent_once_and_names_only_the_origin() {
    for status in [307, 308, 301, 302, 303] {
        let server = FakeServer::start();
        serve_tokens(&server);
        server.route(
            "POST",
            &offer_path("publish"),
            vec![Reply::empty(status).header(
                "Location",
                "/moved/publish/secret-path?sig=redirect-query-value",
            )],
        );
        serve_nothing_running(&server);
        let run = step().github().against(&server).run();
        run.assert_code(1);
        assert_eq!(run.output("status"), "error", "{}", run.dump());
        assert_eq!(publishes(&server), 1, "HTTP {status}\n{}", run.dump());
        assert!(
            server
                .requests_to("POST", "/moved/publish/secret-path")
                .is_empty()
                && server
                    .requests_to("GET", "/moved/publish/secret-path")
                    .is_empty(),
            "HTTP {status}: the redirect was followed\n{}",
            run.dump()
        );
        // An unclear answer to a start: the run looked for the publish it may have started.
        assert_eq!(
            server.requests_to("GET", &offer_path("submissions/")).len(),
            1,
            "{}",
            run.dump()
        );
        let error = run.command_starting("::error title=publish offer::");
        assert!(
            error.contains(&format!(
                "HTTP {status}: redirected to {}, which is not followed",
                server.url()
            )) && error.contains("may have reached the service"),
            "{}",
            run.dump()
        );
        for place in [&run.stdout, &run.stderr, &run.outputs_raw, &run.summary] {
            assert!(
                !place.contains("secret-path") && !place.contains("redirect-query-value"),
                "the Location's path or query was written\n{}",
                run.dump()
            );
        }
        assert_no_unexpected(&server);
    }
}

#[test]
fn a_redirect_loop_sends_the_publish_once() {
    let server = FakeServer::start();
    serve_tokens(&server);
    let publish = offer_path("publish");
    server.route(
        "POST",
        &publish,
        vec![Reply::empty(308).header("Location", &publish)],
    );
    serve_nothing_running(&server);
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert_eq!(publishes(&server), 1, "{}", run.dump());
    assert_no_unexpected(&server);
}

#[test]
fn a_refused_token_then_throttling_sends_the_publish_at_most_the_cap() {
    let server = FakeServer::start();
    let tokens = serve_tokens(&server);
    server.route_fn("POST", &offer_path("publish"), |_, call| match call {
        0 => Reply::json(401, json!({"error": {"code": "Unauthorized"}})),
        _ => throttled(),
    });
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    // Before: 1 + 5 (a fresh count after the new token).
    assert_eq!(publishes(&server), CAP, "{}", run.dump());
    assert_eq!(tokens.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(
        run.stderr.contains("not retrying: tried 5 times"),
        "{}",
        run.dump()
    );
    assert_no_unexpected(&server);
}

#[test]
fn throttling_then_a_refused_token_does_not_send_past_the_cap() {
    let server = FakeServer::start();
    serve_tokens(&server);
    // 429 four times, then 401: the re-send with a new token would be the sixth.
    server.route_fn("POST", &offer_path("publish"), |_, call| match call {
        0..=3 => throttled(),
        _ => Reply::json(401, json!({"error": {"code": "Unauthorized"}})),
    });
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert_eq!(publishes(&server), CAP, "{}", run.dump());
    assert!(
        run.stderr.contains("not sending it again with a new token"),
        "{}",
        run.dump()
    );
    assert_no_unexpected(&server);
}

#[test]
fn a_status_read_follows_a_redirect_within_its_origin_and_counts_it() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::empty(307).header("Location", "/moved/operation?api-version=2017-10-31")],
    );
    server.route(
        "GET",
        "/moved/operation",
        vec![Reply::json(200, operation("complete", json!([])))],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded", "{}", run.dump());
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 1);
    assert_eq!(server.requests_to("GET", "/moved/operation").len(), 1);
    assert_no_unexpected(&server);
}

#[test]
fn a_status_read_in_a_redirect_loop_stops_at_the_cap() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    // Two addresses pointing at each other: each follow is a send of the one status read.
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::empty(307).header("Location", "/moved/operation")],
    );
    server.route(
        "GET",
        "/moved/operation",
        vec![Reply::empty(302).header("Location", &operation_path())],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    let reads = server.requests_to("GET", &operation_path()).len()
        + server.requests_to("GET", "/moved/operation").len();
    // Before: the client's own 5 follows on each of 5 tries.
    assert_eq!(reads, CAP, "{}", run.dump());
    assert!(
        run.command_starting("::error title=get operation status::")
            .contains("which is not followed: the call was sent 5 times"),
        "{}",
        run.dump()
    );
    assert_no_unexpected(&server);
}

#[test]
fn an_ingestion_configure_answered_with_a_redirect_is_sent_once() {
    let server = FakeServer::start();
    serve_tokens(&server);
    let base = "/rp/product-ingestion";
    server.route(
        "GET",
        &format!("{base}/product"),
        vec![Reply::Respond {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/ingestion/product-list.json"
            ))
            .expect("fixture"),
        }],
    );
    server.route(
        "POST",
        &format!("{base}/configure"),
        vec![Reply::empty(307).header("Location", &format!("{base}/configure-again?x=1"))],
    );
    server.route(
        "GET",
        &format!("{base}/submission/*"),
        vec![Reply::json(200, json!({"value": []}))],
    );
    let run = step()
        .github()
        .against(&server)
        .input("api", "ingestion")
        // The product list fixture names this external id; only a product whose identity
        // matches offer-id is published.
        .input("offer-id", DOCUMENTED_OFFER)
        .input("ingestion-url", &format!("{}{base}", server.url()))
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error", "{}", run.dump());
    assert_eq!(
        server
            .requests_to("POST", &format!("{base}/configure"))
            .len(),
        1,
        "{}",
        run.dump()
    );
    assert!(
        server
            .requests_to("POST", &format!("{base}/configure-again"))
            .is_empty()
    );
    assert!(
        run.stderr.contains("may have reached the service")
            && run.stderr.contains("HTTP 307: redirected to"),
        "{}",
        run.dump()
    );
    assert_no_unexpected(&server);
}
