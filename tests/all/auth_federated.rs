//! Federated authentication in general: a token file read again each time, `auth: auto` and
//! what Entra's refusals of an assertion tell the user to configure.

use crate::support::oidc::*;
use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn token_file_is_read_again_for_every_exchange() {
    let server = FakeServer::start();
    serve_v2_tokens(&server, 2);
    serve_publish(&server, vec![]);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("azure-identity-token");
    std::fs::write(&file, format!("{}\n", jwt(1))).expect("write token file");
    let started = Instant::now();
    let rotating = file.clone();
    server.route_fn("GET", &operation_path(), move |_, call| {
        // The kubelet rotates the projected token meanwhile.
        let _ = std::fs::write(&rotating, jwt(call + 100));
        let status = if started.elapsed() < Duration::from_millis(2500) {
            "running"
        } else {
            "complete"
        };
        Reply::json(200, operation(status, json!([])))
    });
    let run = federated_step(&server)
        .env("AZURE_FEDERATED_TOKEN_FILE", &file.display().to_string())
        .input("poll-interval", "200ms")
        .short_tokens()
        .run();
    run.assert_code(0)
        .assert_no_secret(&["signature-", TOKEN_PREFIX]);
    run.assert_stderr_has("authenticating with token-file");
    let assertions = assertions_sent(&server);
    assert!(assertions.len() >= 2, "{assertions:?}");
    assert_eq!(assertions[0], jwt(1));
    assert_ne!(assertions[1], jwt(1), "the file was not read again");
}

#[test]
fn auto_prefers_a_given_secret_and_says_which_it_chose() {
    let server = simple_server();
    let run = github_oidc_step(&server)
        .input("client-secret", CLIENT_SECRET)
        .run();
    run.assert_code(0);
    run.assert_stderr_has("authenticating with secret");
    assert!(server.requests_to("GET", "/_apis/").is_empty());
}

#[test]
fn entra_refusals_explain_what_to_configure() {
    let server = FakeServer::start();
    serve_github_oidc(&server);
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        vec![Reply::json(
            400,
            refused(
                "AADSTS70021",
                "No matching federated identity record found for presented assertion.",
            ),
        )],
    );
    let run = github_oidc_step(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[REQUEST_TOKEN, "signature-"]);
    run.assert_output("status", "error");
    let error = run.command_starting("::error title=get token from Microsoft Entra ID::");
    assert!(
        error.contains("AADSTS70021: No matching federated identity record"),
        "{}",
        run.dump()
    );
    assert!(
        error.contains(&format!("subject '{SUBJECT}'")),
        "{}",
        run.dump()
    );
    assert!(
        error.contains("issuer 'https://token.actions.githubusercontent.com'"),
        "{}",
        run.dump()
    );

    let server = FakeServer::start();
    serve_github_oidc(&server);
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        vec![Reply::json(
            400,
            refused(
                "AADSTS700016",
                "Application with identifier 'x' was not found in the directory.",
            ),
        )],
    );
    let run = github_oidc_step(&server).run();
    run.assert_code(1);
    run.assert_stdout_has("check client-id and tenant-id");
}
