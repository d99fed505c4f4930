//! The request trace (`RUST_LOG=debug`, `RUNNER_DEBUG=1`, `SYSTEM_DEBUG=true`): one line a
//! request with the service's ids, and never a secret, in any encoding.

use serde_json::json;

use crate::support::*;

fn traced_server() -> FakeServer {
    let server = FakeServer::start();
    server.tokens();
    server.route(
        "GET",
        &operation_path(),
        vec![
            Reply::json(200, operation("running", json!([])))
                .header("x-ms-request-id", "req-7f3a")
                .header("x-ms-correlation-request-id", "corr-91bc"),
            Reply::json(200, operation("complete", json!([]))).header("request-id", "req-2"),
        ],
    );
    server
}

#[test]
fn every_request_is_traced_with_the_services_ids_and_no_secret() {
    for (name, value) in [
        ("RUST_LOG", "debug"),
        ("RUNNER_DEBUG", "1"),
        ("SYSTEM_DEBUG", "true"),
    ] {
        let server = traced_server();
        let url = format!(
            "{}{}?api-version=2017-10-31",
            server.url(),
            operation_path()
        );
        let run = step()
            .github()
            .against(&server)
            .waiting_on(&url)
            .env(name, value)
            .run();
        run.assert_code(0);
        run.assert_output("status", "succeeded");
        // The token request (its body holds the client secret) and each status read.
        run.assert_stderr_has("get token from Microsoft Entra ID: POST ")
            .assert_stderr_has(" -> HTTP 200 in ")
            .assert_stderr_has("x-ms-request-id=req-7f3a x-ms-correlation-request-id=corr-91bc")
            .assert_stderr_has("request-id=req-2")
            .assert_stderr_has("?api-version=2017-10-31 -> HTTP 200")
            .assert_stderr_has("requesting a token for");
        // The client secret (in the token request's body) and the tokens (in a header), in
        // every encoding. A query's values are hidden too: see `transport::trace`'s tests.
        run.assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    }
}

#[test]
fn no_trace_without_debug() {
    let server = traced_server();
    let url = format!(
        "{}{}?api-version=2017-10-31",
        server.url(),
        operation_path()
    );
    let run = step().github().against(&server).waiting_on(&url).run();
    run.assert_code(0);
    run.assert_stderr_lacks("DEBUG")
        .assert_stderr_lacks("-> HTTP");
}
