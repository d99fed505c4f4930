//! Retries: gateway errors, 429 with Retry-After, resets and garbage bodies, a service not up yet,
//! absurd hints; and that retries are paced and bounded.

use crate::support::*;
use serde_json::json;
use std::time::{Duration, SystemTime};

#[test]
fn gateway_503_and_429_with_retry_after_are_retried() {
    let server = FakeServer::start();
    server.tokens();
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(1));
    server.publish_answers(vec![
        Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("Retry-After", &date),
        accepted_at(&operation_path()),
    ]);
    server.operation_answers(vec![
        Reply::text(
            503,
            "text/html",
            "<html><h1>503 Service Unavailable</h1></html>",
        )
        .header("Retry-After", "1"),
        Reply::json(200, running()).header("retry-after-ms", "300"),
        Reply::json(200, complete()),
    ]);
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "succeeded");
    // Two publish requests, of which the service accepted one: the 429 was not acted on.
    assert_eq!(publishes(&server), 2);
    let polls = server.requests_to("GET", &operation_path());
    assert_eq!(polls.len(), 3);
    // The pauses the service asked for were kept (poll-interval is 100 ms).
    assert!(
        polls[1].at - polls[0].at >= Duration::from_millis(950),
        "Retry-After: 1 not kept"
    );
    assert!(
        polls[2].at - polls[1].at >= Duration::from_millis(290),
        "retry-after-ms not kept"
    );
    run.assert_stderr_has(
        "get operation status failed: HTTP 503: 503 Service Unavailable; retrying in 1s",
    );
    run.assert_stderr_has("publish offer failed: HTTP 429");
}

#[test]
fn connection_reset_and_garbage_bodies_mid_wait() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
        Reply::json(200, running()),
        Reply::Reset,
        Reply::text(200, "text/html", "<html>proxy login</html>"),
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{\"sta".to_vec()),
        Reply::json(200, json!({"unexpected": true})),
        Reply::json(200, complete()),
    ]);
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "succeeded");
    assert_eq!(server.requests_to("GET", &operation_path()).len(), 6);
    assert_eq!(publishes(&server), 1);
    for reason in ["no answer", "not JSON", "no \\\"status\\\""] {
        assert!(
            run.stderr.contains(reason) || run.stderr.contains(&reason.replace('\\', "")),
            "{reason}\n{}",
            run.dump()
        );
    }
}

#[test]
fn refused_connection_is_retried_until_the_service_comes_up() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("address").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let step = step()
        .github()
        .input("api", "cpp")
        .input("api-url", &url)
        .input("authority-host", &url)
        .input("publisher-id", PUBLISHER)
        .input("offer-id", OFFER)
        .input("tenant-id", TENANT)
        .input("client-id", CLIENT_ID)
        .input("client-secret", CLIENT_SECRET)
        .input("poll-interval", "100ms");
    let child = step.spawn();
    std::thread::sleep(Duration::from_millis(1200));
    let server = FakeServer::start_on(port);
    server.tokens();
    serve_publish(&server, vec![running(), complete()]);
    let run = step.wait(child);
    run.assert_code(0);
    run.assert_stderr_has("could not connect");
    assert_eq!(publishes(&server), 1);
}

#[test]
fn absurd_retry_after_and_token_lifetimes_do_not_crash() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/token"),
        vec![Reply::json(200, json!({"access_token": format!("{TOKEN_PREFIX}1"), "expires_in": 18_446_744_073_709_551_615u64}))],
    );
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
        Reply::json(503, json!({"error": {"message": "later"}}))
            .header("Retry-After", "18446744073709551615"),
    ]);
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .run();
    run.assert_code(1);
    run.assert_output("status", "unknown");
}

#[test]
fn a_429_loop_with_zero_retry_after_sends_a_bounded_number_of_requests() {
    let server = FakeServer::start();
    server.tokens();
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
    run.assert_output("status", "error");
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
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
        Reply::json(503, json!({"error": {"message": "down"}})).header("retry-after-ms", "0"),
    ]);
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
