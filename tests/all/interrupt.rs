//! Interrupts and the network path: SIGTERM/SIGINT during a run, and HTTPS through a proxy.

use crate::support::*;
use std::time::{Duration, Instant};

#[test]
fn sigterm_and_sigint_during_a_wait_report_interrupted() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let server = FakeServer::start();
        server.tokens();
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
        run.assert_output("status", "interrupted");
        run.assert_output("operation-id", OPERATION_ID);
        run.assert_summary_has(format!("interrupted by SIG{signal}"));
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
fn a_signal_while_the_publish_request_is_in_flight() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![
        Reply::empty(202)
            .header(
                "Location",
                &format!("{}?api-version=2017-10-31", operation_path()),
            )
            .after(Duration::from_secs(5)),
    ]);
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
    run.assert_output("status", "interrupted");
    run.assert_output("operation-url", "");
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
    run.assert_output("status", "succeeded");
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
