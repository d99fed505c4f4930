//! Service-principal authentication (client secret, Entra v1/v2 token answers): refresh before
//! expiry and after a 401, and Entra's refusals.

use crate::support::reference::*;
use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn token_expiring_mid_wait_is_refreshed_once_after_401() {
    let server = FakeServer::start();
    let tokens = serve_tokens(&server);
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
        Reply::json(200, running()),
        Reply::json(
            401,
            json!({"error": {"code": "ExpiredToken", "message": "The token has expired"}}),
        ),
        Reply::json(200, complete()),
    ]);
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
    run.assert_stdout_has(format!("::add-mask::{TOKEN_PREFIX}2"));
}

#[test]
fn a_second_401_is_an_auth_error_naming_the_causes() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![Reply::json(
        401,
        json!({"error": {"message": "Unauthorized"}}),
    )]);
    let run = step().github().against(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "error");
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
        .short_tokens()
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

// ---------------------------------------------------------------------------------------------
// Microsoft Entra ID.

/// The access token of the v1 reference answer (`entra/token-v1.json`).
const V1_TOKEN: &str = "eyJ0eXAiO ... 0X2tnSQLEANnSPHY0gKcgw";

/// The access token of the v2 reference answer (`entra/token-v2.json`).
const V2_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP...";

/// A federated token (GitHub's issuer and a branch subject), for the v2 exchange.
const FEDERATED_JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwic3ViIjoicmVwbzpjb250b3NvL3ZtLW9mZmVyOnJlZjpyZWZzL2hlYWRzL21haW4iLCJhdWQiOiJhcGk6Ly9BenVyZUFEVG9rZW5FeGNoYW5nZSJ9.c2lnbmF0dXJl";

fn serve_documented_offer_status(server: &FakeServer) {
    server.offer_status_answers(vec![answer(200, "cpp/offer-status-succeeded.json")]);
}

fn reference_token_file_step(server: &FakeServer, dir: &tempfile::TempDir) -> Step {
    let file = dir.path().join("azure-identity-token");
    std::fs::write(&file, FEDERATED_JWT).expect("token file");
    step()
        .github()
        .against(server)
        .without("INPUT_CLIENT-SECRET")
        .env("AZURE_FEDERATED_TOKEN_FILE", &file.display().to_string())
        .input("command", "status")
}

#[test]
fn entra_v1_token_answer_from_the_reference_is_used() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/token"),
        vec![answer(200, "entra/token-v1.json")],
    );
    serve_documented_offer_status(&server);
    let run = step()
        .github()
        .against(&server)
        .input("command", "status")
        .run();
    run.assert_code(0)
        .assert_no_secret(&[V1_TOKEN, "0X2tnSQLEANnSPHY0gKcgw", CLIENT_SECRET]);
    run.assert_output("status", "succeeded");
    let status = &server.requests_to("GET", &offer_path("status"))[0];
    assert_eq!(
        status.header("authorization"),
        Some(format!("Bearer {V1_TOKEN}").as_str())
    );
}

#[test]
fn entra_v2_token_answer_from_the_reference_is_used() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        vec![answer(200, "entra/token-v2.json")],
    );
    serve_documented_offer_status(&server);
    let dir = tempfile::tempdir().expect("temp dir");
    let run = reference_token_file_step(&server, &dir).run();
    run.assert_code(0)
        .assert_no_secret(&[V2_TOKEN, "Ik1uQ19WWmNBVGZNNXBP", "c2lnbmF0dXJl"]);
    let exchange = &server.requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"))[0];
    assert_eq!(
        exchange.form().get("client_assertion").map(String::as_str),
        Some(FEDERATED_JWT)
    );
    let status = &server.requests_to("GET", &offer_path("status"))[0];
    assert_eq!(
        status.header("authorization"),
        Some(format!("Bearer {V2_TOKEN}").as_str())
    );
}

#[test]
fn entra_aadsts_error_from_the_reference_is_reported() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        vec![answer(400, "entra/error-aadsts70011.json")],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let run = reference_token_file_step(&server, &dir).run();
    run.assert_code(1).assert_no_secret(&["c2lnbmF0dXJl"]);
    run.assert_output("status", "error");
    let error = run
        .commands()
        .into_iter()
        .find(|line| line.starts_with("::error"))
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("400"), "{}", run.dump());
    assert!(
        error.contains(
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid."
        ),
        "{}",
        run.dump()
    );
    assert!(server.requests_to("GET", &offer_path("status")).is_empty());
}
