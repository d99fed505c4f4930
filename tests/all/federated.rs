//! Workload identity federation: GitHub OIDC, Azure Pipelines OIDC and a token file, exchanged at
//! the v2 endpoint, a fresh assertion for every exchange, each secret only where it belongs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

const REQUEST_TOKEN: &str = "gh-oidc-request-token-5a5a5a";
const AZP_ACCESS_TOKEN: &str = "azp-system-access-token-6b6b6b";
const CONNECTION: &str = "99999999-8888-7777-6666-555555555555";
const SUBJECT: &str = "repo:contoso/vm-offer:environment:production";

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// An unsigned-looking JWT whose claims name the subject; `n` makes each one distinct.
fn jwt(n: usize) -> String {
    let header = base64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = json!({"iss": "https://token.actions.githubusercontent.com", "sub": SUBJECT, "aud": "api://AzureADTokenExchange", "jti": n});
    format!(
        "{header}.{}.signature-{n}",
        base64url(claims.to_string().as_bytes())
    )
}

/// The v2 token endpoint: records nothing itself (the server does), issues short tokens.
fn serve_v2_tokens(server: &FakeServer, lifetime: u64) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("POST", &format!("/{TENANT}/oauth2/v2.0/token"), move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(200, json!({"token_type": "Bearer", "expires_in": lifetime, "access_token": format!("{TOKEN_PREFIX}{n}")}))
    });
    issued
}

fn serve_github_oidc(server: &FakeServer) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("GET", "/_apis/oidc/token", move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(200, json!({"count": 1, "value": jwt(n)}))
    });
    issued
}

fn federated_step(server: &FakeServer) -> Step {
    step()
        .github()
        .against(server)
        .without("INPUT_CLIENT-SECRET")
}

fn github_oidc_step(server: &FakeServer) -> Step {
    federated_step(server)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
}

fn assertions_sent(server: &FakeServer) -> Vec<String> {
    server
        .requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"))
        .iter()
        .map(|request| {
            request
                .form()
                .get("client_assertion")
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[track_caller]
fn assert_secrets_stay_home(server: &FakeServer) {
    for request in server.requests() {
        let auth = request
            .header("authorization")
            .unwrap_or_default()
            .to_owned();
        let form = request.form();
        let body = String::from_utf8_lossy(&request.body).into_owned();
        if request.path.starts_with("/_apis/oidc/") {
            assert_eq!(
                auth,
                format!("Bearer {REQUEST_TOKEN}"),
                "{}",
                request.line()
            );
        } else if request.path.starts_with("/azp/") {
            assert_eq!(
                auth,
                format!("Bearer {AZP_ACCESS_TOKEN}"),
                "{}",
                request.line()
            );
        } else if request.path.contains("/oauth2/") {
            assert!(auth.is_empty(), "a bearer token went to the authority");
            assert!(form.contains_key("client_assertion") && !form.contains_key("client_secret"));
        } else {
            assert!(
                auth.starts_with(&format!("Bearer {TOKEN_PREFIX}")),
                "{}: {auth}",
                request.line()
            );
            assert!(!body.contains("signature-"), "an assertion went to the API");
        }
    }
}

#[test]
fn github_oidc_exchanges_a_fresh_assertion_at_the_v2_endpoint() {
    let server = FakeServer::start();
    let oidc = serve_github_oidc(&server);
    serve_v2_tokens(&server, 3599);
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let run = github_oidc_step(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[REQUEST_TOKEN, "signature-", TOKEN_PREFIX]);
    assert!(
        run.stderr.contains("authenticating with github-oidc"),
        "{}",
        run.dump()
    );
    assert_eq!(oidc.load(Ordering::SeqCst), 1);

    let oidc_request = &server.requests_to("GET", "/_apis/oidc/token")[0];
    assert_eq!(
        oidc_request.query_pairs()["audience"],
        "api://AzureADTokenExchange"
    );
    assert_eq!(oidc_request.query_pairs()["api-version"], "2.0");
    let exchange = &server.requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"))[0];
    let form = exchange.form();
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "https://cloudpartner.azure.com/.default");
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(form["client_assertion"], jwt(1));
    assert_secrets_stay_home(&server);
    assert!(
        run.stdout.contains(&format!("::add-mask::{}", jwt(1))),
        "the assertion is masked"
    );
    assert_no_unexpected(&server);
}

#[test]
fn a_custom_oidc_audience_is_asked_for() {
    let server = FakeServer::start();
    serve_github_oidc(&server);
    serve_v2_tokens(&server, 3599);
    serve_publish(&server, vec![operation("complete", json!([]))]);
    github_oidc_step(&server)
        .input("oidc-audience", "api://contoso-publisher")
        .run()
        .assert_code(0);
    assert_eq!(
        server.requests_to("GET", "/_apis/oidc/token")[0].query_pairs()["audience"],
        "api://contoso-publisher"
    );
}

#[test]
fn a_long_wait_refreshes_with_a_new_assertion_each_time() {
    // Tokens of 2 s stand for the hour-long ones: every refresh needs a new OIDC token, as a
    // refresh two hours into a real wait would (GitHub's JWT lives minutes).
    let server = FakeServer::start();
    let oidc = serve_github_oidc(&server);
    let tokens = serve_v2_tokens(&server, 2);
    serve_publish(&server, vec![]);
    let started = Instant::now();
    server.route_fn("GET", &operation_path(), move |_, _| {
        let status = if started.elapsed() < Duration::from_millis(3500) {
            "running"
        } else {
            "complete"
        };
        Reply::json(200, operation(status, json!([])))
    });
    let run = github_oidc_step(&server)
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0)
        .assert_no_secret(&[REQUEST_TOKEN, "signature-", TOKEN_PREFIX]);
    let exchanges = tokens.load(Ordering::SeqCst);
    assert!(exchanges >= 3, "{exchanges} exchanges");
    assert_eq!(
        oidc.load(Ordering::SeqCst),
        exchanges,
        "one fresh assertion per exchange"
    );
    let assertions = assertions_sent(&server);
    let distinct: std::collections::HashSet<&String> = assertions.iter().collect();
    assert_eq!(distinct.len(), assertions.len(), "an assertion was reused");
    assert_secrets_stay_home(&server);
}

#[test]
fn azure_pipelines_oidc() {
    for (how, step_with_id) in [
        (
            "input",
            Box::new(|s: Step| s.input("service-connection-id", CONNECTION))
                as Box<dyn Fn(Step) -> Step>,
        ),
        (
            "variable",
            Box::new(|s: Step| s.env("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", CONNECTION)),
        ),
    ] {
        let server = FakeServer::start();
        let counter = Arc::new(AtomicUsize::new(0));
        let issued = Arc::clone(&counter);
        server.route_fn("POST", "/azp/oidctoken", move |_, _| {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::json(200, json!({"oidcToken": jwt(n)}))
        });
        serve_v2_tokens(&server, 3599);
        serve_publish(&server, vec![operation("complete", json!([]))]);
        let run = step_with_id(
            federated_step(&server)
                .env(
                    "SYSTEM_OIDCREQUESTURI",
                    &format!("{}/azp/oidctoken", server.url()),
                )
                .env("SYSTEM_ACCESSTOKEN", AZP_ACCESS_TOKEN),
        )
        .run();
        run.assert_code(0)
            .assert_no_secret(&[AZP_ACCESS_TOKEN, "signature-", TOKEN_PREFIX]);
        assert!(
            run.stderr
                .contains("authenticating with azure-pipelines-oidc"),
            "{how}\n{}",
            run.dump()
        );
        let request = &server.requests_to("POST", "/azp/oidctoken")[0];
        assert_eq!(request.query_pairs()["api-version"], "7.1");
        assert_eq!(request.query_pairs()["serviceConnectionId"], CONNECTION);
        assert_eq!(assertions_sent(&server), [jwt(1)]);
        assert_secrets_stay_home(&server);
    }
}

#[test]
fn azure_pipelines_oidc_without_the_access_token_says_how_to_map_it() {
    let server = FakeServer::start();
    let run = federated_step(&server)
        .input("auth", "azure-pipelines-oidc")
        .input("service-connection-id", CONNECTION)
        .env(
            "SYSTEM_OIDCREQUESTURI",
            &format!("{}/azp/oidctoken", server.url()),
        )
        .run();
    run.assert_code(2);
    assert!(
        run.stdout
            .contains("SYSTEM_ACCESSTOKEN: $(System.AccessToken)"),
        "{}",
        run.dump()
    );
    assert!(server.requests().is_empty());
}

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
        .run();
    run.assert_code(0)
        .assert_no_secret(&["signature-", TOKEN_PREFIX]);
    assert!(
        run.stderr.contains("authenticating with token-file"),
        "{}",
        run.dump()
    );
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
    assert!(
        run.stderr.contains("authenticating with secret"),
        "{}",
        run.dump()
    );
    assert!(server.requests_to("GET", "/_apis/").is_empty());
}

#[test]
fn github_oidc_without_permission_says_to_add_it() {
    let server = FakeServer::start();
    for step in [
        federated_step(&server).input("auth", "github-oidc"),
        federated_step(&server),
    ] {
        let run = step.run();
        run.assert_code(2);
        assert!(run.stdout.contains("id-token: write"), "{}", run.dump());
    }
    assert!(server.requests().is_empty());
}

fn refused(code: &str, description: &str) -> Value {
    json!({"error": "invalid_client", "error_description": format!("{code}: {description}\r\nTrace ID: 1\r\nTimestamp: 2026-11-24"), "error_codes": [70021]})
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
    assert_eq!(run.output("status"), "error");
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
    assert!(
        run.stdout.contains("check client-id and tenant-id"),
        "{}",
        run.dump()
    );
}
