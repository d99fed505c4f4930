//! Federated authentication with GitHub's OIDC token: a fresh assertion each exchange, the
//! audience, the permission it needs.

use crate::support::oidc::*;
use crate::support::*;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[test]
fn github_oidc_exchanges_a_fresh_assertion_at_the_v2_endpoint() {
    let server = FakeServer::start();
    let oidc = serve_github_oidc(&server);
    serve_v2_tokens(&server, 3599);
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let run = github_oidc_step(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[REQUEST_TOKEN, "signature-", TOKEN_PREFIX]);
    run.assert_stderr_has("authenticating with github-oidc");
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
        .short_tokens()
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
fn github_oidc_without_permission_says_to_add_it() {
    let server = FakeServer::start();
    for step in [
        federated_step(&server).input("auth", "github-oidc"),
        federated_step(&server),
    ] {
        let run = step.run();
        run.assert_code(2);
        run.assert_stdout_has("id-token: write");
    }
    assert!(server.requests().is_empty());
}
