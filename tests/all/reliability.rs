//! Fault injection: the network, the gateway, the token and the runner misbehave; the step still
//! reports the truth, starts at most one publish, and leaks nothing.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

fn running() -> serde_json::Value {
    operation(
        "running",
        json!([cpp_step("cert", "Certification", "inProgress", 10)]),
    )
}

fn complete() -> serde_json::Value {
    operation(
        "complete",
        json!([cpp_step("cert", "Certification", "complete", 100)]),
    )
}

fn publishes(server: &FakeServer) -> usize {
    server.requests_to("POST", &offer_path("publish")).len()
}

#[test]
fn gateway_503_and_429_with_retry_after_are_retried() {
    let server = FakeServer::start();
    serve_tokens(&server);
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    server.route(
        "POST",
        &offer_path("publish"),
        vec![
            Reply::json(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
            )
            .header("Retry-After", &date),
            accepted_at(&operation_path()),
        ],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![
            Reply::text(
                503,
                "text/html",
                "<html><h1>503 Service Unavailable</h1></html>",
            )
            .header("Retry-After", "1"),
            Reply::json(200, running()).header("retry-after-ms", "300"),
            Reply::json(200, complete()),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    assert_eq!(run.output("status"), "succeeded");
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
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route(
        "GET",
        &operation_path(),
        vec![
            Reply::json(200, running()),
            Reply::Reset,
            Reply::text(200, "text/html", "<html>proxy login</html>"),
            Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{\"sta".to_vec()),
            Reply::json(200, json!({"unexpected": true})),
            Reply::json(200, complete()),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    assert_eq!(run.output("status"), "succeeded");
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
fn token_expiring_mid_wait_is_refreshed_once_after_401() {
    let server = FakeServer::start();
    let tokens = serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route(
        "GET",
        &operation_path(),
        vec![
            Reply::json(200, running()),
            Reply::json(
                401,
                json!({"error": {"code": "ExpiredToken", "message": "The token has expired"}}),
            ),
            Reply::json(200, complete()),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    assert_eq!(tokens.load(std::sync::atomic::Ordering::SeqCst), 2);
    let polls = server.requests_to("GET", &operation_path());
    assert_eq!(
        polls[1].header("authorization"),
        Some(&*format!("Bearer {TOKEN_PREFIX}1"))
    );
    assert_eq!(
        polls[2].header("authorization"),
        Some(&*format!("Bearer {TOKEN_PREFIX}2"))
    );
    assert!(run.stdout.contains(&format!("::add-mask::{TOKEN_PREFIX}2")));
}

#[test]
fn a_second_401_is_an_auth_error_naming_the_causes() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(
            401,
            json!({"error": {"message": "Unauthorized"}}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    assert_eq!(run.output("status"), "error");
    let error = run.command_starting("::error title=get operation status::");
    assert!(
        error.contains("HTTP 401")
            && error.contains("expired")
            && error.contains("added to the publisher"),
        "{}",
        run.dump()
    );
    assert_eq!(
        server.requests_to("GET", &operation_path()).len(),
        2,
        "one retry after a new token, no more"
    );
}

#[test]
fn tokens_are_refreshed_before_they_expire() {
    let server = FakeServer::start();
    let issued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&issued);
    server.route_fn("POST", &format!("/{TENANT}/oauth2/token"), move |_, _| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Reply::json(
            200,
            json!({"access_token": format!("{TOKEN_PREFIX}{n}"), "expires_in": 2}),
        )
    });
    serve_publish(&server, vec![]);
    let started = Instant::now();
    server.route_fn("GET", &operation_path(), move |_, _| {
        if started.elapsed() < Duration::from_millis(3500) {
            Reply::json(200, running())
        } else {
            Reply::json(200, complete())
        }
    });
    let run = step()
        .github()
        .against(&server)
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    // A 2 s token is renewed after half its life: at least 3 tokens in 3.5 s, and never a 401.
    let count = issued.load(std::sync::atomic::Ordering::SeqCst);
    assert!((3..=6).contains(&count), "{count} tokens");
    let polls = server.requests_to("GET", &operation_path());
    let last = polls
        .last()
        .and_then(|p| p.header("authorization"))
        .unwrap_or_default()
        .to_owned();
    assert_ne!(last, format!("Bearer {TOKEN_PREFIX}1"));
}

#[test]
fn status_failing_until_the_time_limit_is_unknown_not_failed() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route(
        "GET",
        &operation_path(),
        vec![
            Reply::json(200, running()),
            Reply::json(503, json!({"error": {"message": "backend down"}}))
                .header("Retry-After", "0"),
        ],
    );
    // Read once, then failing for 3 s: the status is unknown at the limit.
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "3s")
        .input("on-timeout", "warn")
        .run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    assert_eq!(run.output("status"), "unknown");
    assert_eq!(run.output("timed-out"), "true");
    let error = run.command_starting("::error title=get operation status::");
    assert!(error.contains("HTTP 503: backend down"), "{}", run.dump());
    run.assert_stdout_has("could not be read before the time limit");
    assert!(run.summary.contains("last seen running"), "{}", run.summary);
}

#[test]
fn one_failed_reading_at_the_limit_does_not_make_the_status_unknown() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    let started = Instant::now();
    server.route_fn("GET", &operation_path(), move |_, _| {
        if started.elapsed() < Duration::from_millis(700) {
            Reply::json(200, running())
        } else {
            Reply::json(503, json!({"error": {"message": "blip"}})).header("Retry-After", "0")
        }
    });
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "running");
    assert_eq!(run.output("timed-out"), "true");
    assert!(
        run.commands()
            .iter()
            .any(|l| l.starts_with("::warning title=get operation status::") && l.contains("blip")),
        "{}",
        run.dump()
    );
}

#[test]
fn a_reading_that_hangs_at_the_limit_does_not_make_the_status_unknown() {
    // The last reading, made at the time limit, hangs until the request gives up (10 s): the
    // status read just before the limit still stands.
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    let started = Instant::now();
    server.route_fn("GET", &operation_path(), move |_, _| {
        if started.elapsed() < Duration::from_millis(700) {
            Reply::json(200, running())
        } else {
            Reply::json(200, running()).after(Duration::from_secs(30))
        }
    });
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    assert_eq!(run.output("timed-out"), "true");
}

#[test]
fn status_never_read_is_unknown() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route("GET", &operation_path(), vec![Reply::Reset]);
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "unknown");
    run.assert_stdout_has("could not be read before the time limit");
}

#[test]
fn publish_refused_with_409_attaches_to_the_running_operation() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::json(409, json!({"error": {"code": "Conflict", "message": "An operation is already in progress"}}))],
    );
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![Reply::json(200, json!([{"id": OPERATION_ID, "submissionType": "publish", "submissionState": "running"}]))],
    );
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::json(200, running()), Reply::json(200, complete())],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("attached"), "true");
    assert_eq!(run.output("operation-id"), OPERATION_ID);
    assert_eq!(publishes(&server), 1);
    let list = &server.requests_to("GET", &offer_path("submissions/"))[0];
    assert_eq!(list.query_pairs()["status"], "running");
    run.assert_stdout_has("attached to the operation already running");
    assert_no_unexpected(&server);
}

#[test]
fn a_400_saying_in_progress_also_attaches() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::json(400, json!({"error": {"code": "BadRequest", "message": "Publish is already in progress for offer contoso-offer."}}))],
    );
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![Reply::json(
            200,
            json!({"value": [{"id": OPERATION_ID, "status": "running"}]}),
        )],
    );
    server.route("GET", &operation_path(), vec![Reply::json(200, complete())]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("attached"), "true");
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
        serve_tokens(&server);
        server.route("POST", &offer_path("publish"), vec![lost]);
        serve_running_operation(&server);
        server.route(
            "GET",
            &operation_path(),
            vec![Reply::json(200, running()), Reply::json(200, complete())],
        );
        let run = step().github().against(&server).run();
        run.assert_code(0)
            .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
        assert_eq!(
            publishes(&server),
            1,
            "an ambiguous publish is never sent again"
        );
        assert_eq!(run.output("attached"), "true");
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
    assert_eq!(run.output("status"), "error");
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
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::json(
            502,
            json!({"error": {"message": "bad gateway"}}),
        )],
    );
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![Reply::json(404, json!({"error": {"message": "not found"}}))],
    );
    server.route(
        "GET",
        &offer_path("status"),
        vec![
            Reply::json(200, json!({"status": "Running", "steps": []})),
            Reply::json(200, json!({"status": "Running", "steps": []})),
            Reply::json(200, json!({"status": "Succeeded", "steps": []})),
        ],
    );
    let run = step().github().against(&server).run();
    run.assert_code(0);
    assert_eq!(publishes(&server), 1);
    assert_eq!(run.output("status"), "succeeded");
    assert_eq!(run.output("attached"), "true");
    assert_eq!(run.output("operation-url"), "");
    assert!(server.requests_to("GET", &offer_path("status")).len() >= 3);

    // Still running at the time limit: with no operation URL to resume from, the advice is the
    // status command, not an empty operation-url output.
    server.route(
        "GET",
        &offer_path("status"),
        vec![Reply::json(200, json!({"status": "Running", "steps": []}))],
    );
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "500ms")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "running");
    let warning = run.command_starting("::warning title=time limit reached::");
    assert!(
        warning.contains("check it with command: status") && !warning.contains("operation-url"),
        "{}",
        run.dump()
    );
    run.assert_stdout_has("attached to the running publish through the offer's status");
}

#[test]
fn ambiguous_failure_with_nothing_running_says_a_publish_may_be_running() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route("POST", &offer_path("publish"), vec![Reply::Close]);
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![Reply::json(200, json!([]))],
    );
    server.route(
        "GET",
        &offer_path("status"),
        vec![Reply::json(
            200,
            json!({"status": "Succeeded", "steps": []}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert_eq!(publishes(&server), 1);
    assert_eq!(run.output("status"), "error");
    let error = run.command_starting("::error title=publish offer::");
    assert!(
        error.contains("a publish may be running") && error.contains("command: status"),
        "{}",
        run.dump()
    );
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
    serve_tokens(&server);
    serve_publish(&server, vec![running(), complete()]);
    let run = step.wait(child);
    run.assert_code(0);
    run.assert_stderr_has("could not connect");
    assert_eq!(publishes(&server), 1);
}

#[test]
fn location_on_another_origin_is_refused_and_gets_no_token() {
    let elsewhere = FakeServer::start();
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![Reply::empty(202).header(
            "Location",
            &format!(
                "{}/api/operations/x?api-version=2017-10-31",
                elsewhere.url()
            ),
        )],
    );
    serve_nothing_running(&server);
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    assert!(
        elsewhere.requests().is_empty(),
        "the other origin was contacted"
    );
    let error = run.command_starting("::error title=publish offer::");
    assert!(
        error.contains("refused to send the token to") && error.contains(&elsewhere.url()),
        "{}",
        run.dump()
    );
}

#[test]
fn redirects_to_another_origin_are_not_followed() {
    let elsewhere = FakeServer::start();
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.route(
        "GET",
        &operation_path(),
        vec![Reply::empty(307).header("Location", &format!("{}/steal", elsewhere.url()))],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert!(
        elsewhere.requests().is_empty(),
        "followed a redirect to another origin"
    );
    assert!(
        run.command_starting("::error title=get operation status::")
            .contains("redirected to http://127.0.0.1:"),
        "{}",
        run.dump()
    );
}

fn send_signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_and_sigint_during_a_wait_report_interrupted() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let server = FakeServer::start();
        serve_tokens(&server);
        serve_publish(&server, vec![running()]);
        let step = step()
            .github()
            .against(&server)
            .input("timeout", "30s")
            .input("poll-interval", "200ms");
        let child = step.spawn();
        wait_until("the first status read", || {
            !server.requests_to("GET", &operation_path()).is_empty()
        });
        let sent = Instant::now();
        send_signal(&child, signal);
        let output = wait_bounded(child);
        let took = sent.elapsed();
        let run = step.finished(output);
        run.assert_code(code)
            .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
        assert!(took < Duration::from_secs(2), "SIG{signal} took {took:?}");
        assert_eq!(run.output("status"), "interrupted");
        assert_eq!(run.output("operation-id"), OPERATION_ID);
        assert!(
            run.summary.contains(&format!("interrupted by SIG{signal}")),
            "{}",
            run.summary
        );
        assert!(
            run.command_starting("::error title=interrupted::")
                .contains("follow it with command: wait and the operation-url output"),
            "{}",
            run.dump()
        );
        assert!(server.requests_to("POST", &offer_path("cancel")).is_empty());
    }
}

#[test]
fn cancel_on_interrupt_asks_the_service_to_cancel() {
    let server = FakeServer::start();
    serve_tokens(&server);
    serve_publish(&server, vec![running()]);
    server.route(
        "POST",
        &offer_path("cancel"),
        vec![accepted_at(&operation_path())],
    );
    let step = step()
        .github()
        .against(&server)
        .input("poll-interval", "200ms")
        .input("cancel-on-interrupt", "true");
    let child = step.spawn();
    wait_until("the first status read", || {
        !server.requests_to("GET", &operation_path()).is_empty()
    });
    send_signal(&child, "TERM");
    let run = step.wait(child);
    run.assert_code(143);
    assert_eq!(server.requests_to("POST", &offer_path("cancel")).len(), 1);
    run.assert_stdout_has("accepted the cancel request");
}

#[test]
fn every_bad_input_is_refused_before_any_request() {
    let long = "x".repeat(5000);
    let mut cases: Vec<(&str, String)> = Vec::new();
    // Inputs that must be present: blank is missing.
    for input in [
        "publisher-id",
        "offer-id",
        "tenant-id",
        "client-id",
        "client-secret",
    ] {
        cases.push((input, String::new()));
        cases.push((input, "   \t ".to_owned()));
    }
    // Identifiers, URLs, enums, durations, booleans: wrong type, overlong, unicode, path
    // characters, line breaks.
    let bad_values = |extra: &[&str]| -> Vec<String> {
        let mut values: Vec<String> = vec![
            long.clone(),
            "ünïcode".into(),
            "a/b".into(),
            "..".into(),
            "a?b".into(),
            "a#b".into(),
            "a%2e".into(),
            "a\r\nb".into(),
            "a\nb".into(),
        ];
        values.extend(extra.iter().map(|v| (*v).to_owned()));
        values
    };
    for input in ["publisher-id", "offer-id"] {
        for value in bad_values(&["-x", "a b"]) {
            cases.push((input, value));
        }
    }
    for input in ["tenant-id", "client-id"] {
        for value in bad_values(&["a b", "12"]) {
            cases.push((input, value));
        }
    }
    for input in ["timeout", "poll-interval"] {
        for value in bad_values(&["30", "-1s", "1.5h", "abc", "1M", "10d", "1h 30m", "PT30S"]) {
            cases.push((input, value));
        }
    }
    for input in [
        "wait-until",
        "on-timeout",
        "cancel-on-interrupt",
        "cancel-on-timeout",
        "if-running",
        "api",
        "auth",
        "command",
        "ci",
    ] {
        for value in bad_values(&["yes", "1", "TRUE!"]) {
            cases.push((input, value));
        }
    }
    for input in ["api-url", "authority-host", "ingestion-url"] {
        for value in bad_values(&[
            "cloudpartner.azure.com",
            "http://example.com",
            "https://",
            "file:///etc/passwd",
            "https://a@b.com",
            "https://x.com/?q",
            "https://x.com/#f",
        ]) {
            cases.push((input, value));
        }
    }
    for value in bad_values(&["2017 10 31", ""])
        .into_iter()
        .filter(|v| !v.is_empty() && v != "..")
    {
        cases.push(("api-version", value));
    }
    for value in bad_values(&["a@", "@b", "a@b@c", "<a@b.c>"])
        .into_iter()
        .filter(|v| v != "..")
    {
        cases.push(("notification-emails", value));
    }
    for value in [
        long.repeat(2),
        "a\nb".to_owned(),
        "a\r\nb".to_owned(),
        "ü-secret-value".to_owned(),
    ] {
        cases.push(("client-secret", value));
    }
    for value in [
        long.repeat(4),
        "a b".to_owned(),
        "a\nb".to_owned(),
        "ünïcode".to_owned(),
    ] {
        cases.push(("access-token", value));
    }
    for value in ["a\nb", "a\rb", "a\u{7}b"] {
        cases.push(("result-file", value.to_owned()));
        cases.push(("dotenv-file", value.to_owned()));
    }

    let server = FakeServer::start();
    let mut failures = Vec::new();
    for (input, value) in &cases {
        let run = step().github().against(&server).input(input, value).run();
        let outputs = run.outputs();
        if run.code != 2 || outputs.get("status").map(String::as_str) != Some("invalid-input") {
            failures.push(format!(
                "{input}={value:?}: exit {} status {:?}",
                run.code,
                outputs.get("status")
            ));
        }
    }
    assert!(failures.is_empty(), "accepted:\n{}", failures.join("\n"));
    assert!(
        server.requests().is_empty(),
        "requests were sent: {:?}",
        server.requests().len()
    );
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
    server.route(
        "GET",
        &operation_path(),
        vec![
            Reply::json(503, json!({"error": {"message": "later"}}))
                .header("Retry-After", "18446744073709551615"),
        ],
    );
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "1s")
        .run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "unknown");
}

#[test]
fn a_signal_while_the_publish_request_is_in_flight() {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "POST",
        &offer_path("publish"),
        vec![
            Reply::empty(202)
                .header(
                    "Location",
                    &format!("{}?api-version=2017-10-31", operation_path()),
                )
                .after(Duration::from_secs(5)),
        ],
    );
    let step = step().github().against(&server);
    let child = step.spawn();
    wait_until("the publish request", || {
        !server
            .requests_to("POST", &offer_path("publish"))
            .is_empty()
    });
    send_signal(&child, "TERM");
    let run = step.wait(child);
    run.assert_code(143);
    assert_eq!(run.output("status"), "interrupted");
    assert_eq!(run.output("operation-url"), "");
    run.assert_stdout_has("may have reached the service: check with command: status");
}

#[test]
fn https_proxy_carries_every_call_and_no_proxy_bypasses_it() {
    // Behind a corporate proxy: every call (token, publish, status) goes through a CONNECT tunnel,
    // with TLS end to end to the service.
    let server = serve_simple(FakeServer::start_tls());
    let proxy = FakeProxy::start();
    let service = server.url().replace("https://", "");
    let run = step()
        .github()
        .against(&server)
        .env("SSL_CERT_FILE", TEST_CA)
        .env("HTTPS_PROXY", &proxy.url())
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded");
    let tunnels = proxy.tunnels();
    assert!(
        !tunnels.is_empty(),
        "nothing went through the proxy\n{}",
        run.dump()
    );
    assert!(
        tunnels.iter().all(|target| *target == service),
        "{tunnels:?}"
    );
    assert!(
        server.requests_to("GET", "/api/").len() >= 2,
        "{}",
        run.dump()
    );

    // NO_PROXY names the service: straight there, the proxy sees nothing more.
    let server = serve_simple(FakeServer::start_tls());
    let run = step()
        .github()
        .against(&server)
        .env("SSL_CERT_FILE", TEST_CA)
        .env("HTTPS_PROXY", &proxy.url())
        .env("NO_PROXY", "127.0.0.1")
        .run();
    run.assert_code(0);
    assert_eq!(proxy.tunnels().len(), tunnels.len(), "{}", run.dump());
    assert!(!server.requests().is_empty());
}
