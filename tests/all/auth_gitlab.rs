//! Federated authentication on GitLab: the job's id token, named by an input or found by `auto`.

use crate::support::oidc::*;
use crate::support::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

// GitLab CI: the JWT of an `id_tokens:` variable.
const GITLAB_SUBJECT: &str = "project_path:contoso/vm-offer:ref_type:branch:ref:main";

fn gitlab_jwt() -> String {
    ci_jwt(
        "https://gitlab.com",
        GITLAB_SUBJECT,
        Duration::from_secs(3600),
        1,
    )
}

/// A GitLab job step: no client secret, the dotenv report in the step's folder.
fn gitlab_step(server: &FakeServer) -> Step {
    step()
        .env("GITLAB_CI", "true")
        .against(server)
        .without("INPUT_CLIENT-SECRET")
}

#[test]
fn gitlab_oidc_sends_the_jobs_id_token_at_every_exchange() {
    // Tokens of 2 s: the wait needs several exchanges, each reading the variable again.
    let server = FakeServer::start();
    let tokens = serve_v2_tokens(&server, 2);
    serve_publish(&server, vec![]);
    let exchanged = Arc::clone(&tokens);
    server.route_fn("GET", &operation_path(), move |_, _| {
        // Running until the token was refreshed twice.
        let status = if exchanged.load(Ordering::SeqCst) < 3 {
            "running"
        } else {
            "complete"
        };
        Reply::json(200, operation(status, json!([])))
    });
    let id_token = gitlab_jwt();
    let step = gitlab_step(&server)
        .env("GITLAB_OIDC_TOKEN", &id_token)
        .input("poll-interval", "200ms")
        .short_tokens();
    let run = step.run();
    run.assert_code(0)
        .assert_no_secret(&["signature-ci-", TOKEN_PREFIX]);
    run.assert_stderr_has("authenticating with gitlab-oidc");
    assert!(tokens.load(Ordering::SeqCst) >= 3, "{}", run.dump());
    let exchanges = server.requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"));
    for exchange in &exchanges {
        let form = exchange.form();
        assert_eq!(form["client_assertion"], id_token);
        assert_eq!(
            form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        assert_eq!(form["client_id"], CLIENT_ID);
        assert_eq!(form["scope"], "https://cloudpartner.azure.com/.default");
        assert!(!form.contains_key("client_secret"));
    }
    let dotenv = std::fs::read_to_string(step.dir().join("publish-offer.env")).unwrap_or_default();
    assert!(
        dotenv.contains("PUBLISH_OFFER_STATUS=succeeded"),
        "{dotenv}"
    );
    assert!(!dotenv.contains("signature-ci-"), "{dotenv}");
    assert_secrets_stay_home(&server);
    assert_no_unexpected(&server);
}

#[test]
fn gitlab_oidc_reads_the_variable_an_input_names() {
    let server = FakeServer::start();
    serve_v2_tokens(&server, 3599);
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let id_token = gitlab_jwt();
    let run = gitlab_step(&server)
        .input("oidc-token-variable", "AZURE_ID_TOKEN")
        .env("AZURE_ID_TOKEN", &id_token)
        .env("GITLAB_OIDC_TOKEN", "not.the.one")
        .run();
    run.assert_code(0);
    run.assert_stderr_has("AZURE_ID_TOKEN");
    assert_eq!(assertions_sent(&server), [id_token]);
}

#[test]
fn gitlab_oidc_is_chosen_by_auto_only_under_gitlab() {
    // Outside GitLab a stray GITLAB_OIDC_TOKEN is not taken for credentials.
    let server = FakeServer::start();
    let run = step()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .env("GITLAB_OIDC_TOKEN", &gitlab_jwt())
        .run();
    run.assert_code(2);
    run.assert_stderr_has("credentials are missing");
    // Asked for by name, it works anywhere.
    serve_v2_tokens(&server, 3599);
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let run = step()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .input("auth", "gitlab-oidc")
        .env("GITLAB_OIDC_TOKEN", &gitlab_jwt())
        .run();
    run.assert_code(0);
    assert_eq!(assertions_sent(&server).len(), 1);
}

#[test]
fn gitlab_oidc_without_the_variable_says_to_declare_it() {
    let server = FakeServer::start();
    for step in [
        gitlab_step(&server).input("auth", "gitlab-oidc"),
        gitlab_step(&server)
            .input("auth", "gitlab-oidc")
            .env("GITLAB_OIDC_TOKEN", "   "),
    ] {
        let run = step.run();
        run.assert_code(2);
        run.assert_stdout_has("GITLAB_OIDC_TOKEN is not set");
        run.assert_stdout_has("id_tokens:");
    }
    let run = gitlab_step(&server)
        .input("auth", "gitlab-oidc")
        .env("GITLAB_OIDC_TOKEN", "secret-but-no-jwt-value")
        .run();
    run.assert_code(2)
        .assert_no_secret(&["secret-but-no-jwt-value"]);
    run.assert_stdout_has("does not hold a JWT");
    let run = gitlab_step(&server)
        .input("auth", "gitlab-oidc")
        .input("oidc-token-variable", "$(id)")
        .run();
    run.assert_code(2);
    assert!(
        run.stdout
            .contains("oidc-token-variable (INPUT_OIDC-TOKEN-VARIABLE="),
        "{}",
        run.dump()
    );
    assert!(server.requests().is_empty());
}
