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
