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
    run.assert_stdout_has("SYSTEM_ACCESSTOKEN: $(System.AccessToken)");
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
    run.assert_stdout_has("check client-id and tenant-id");
}

// GitLab CI: the JWT of an `id_tokens:` variable.

const GITLAB_SUBJECT: &str = "project_path:contoso/vm-offer:ref_type:branch:ref:main";

/// A JWT as GitLab or AzureCLI@2 hands it over, expiring `lifetime` from now.
fn ci_jwt(issuer: &str, subject: &str, lifetime: Duration, n: usize) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .saturating_add(lifetime)
        .as_secs();
    let header = base64url(br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
    let claims = json!({"iss": issuer, "sub": subject, "aud": "api://AzureADTokenExchange", "exp": exp, "jti": n});
    format!(
        "{header}.{}.signature-ci-{n}",
        base64url(claims.to_string().as_bytes())
    )
}

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
        .input("poll-interval", "200ms");
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
    run.assert_stdout_has("credentials are missing");
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

// Azure Pipelines: AzureCLI@2 with `addSpnToEnvironment: true` and a workload identity service
// connection runs the script with idToken, servicePrincipalId and tenantId, and sets the
// AZURESUBSCRIPTION_* variables.

fn azure_cli_jwt(lifetime: Duration, n: usize) -> String {
    ci_jwt(
        "https://vstoken.dev.azure.com/00000000-0000-0000-0000-00000000000a",
        "sc://contoso/vm-offer/marketplace",
        lifetime,
        n,
    )
}

/// An AzureCLI@2 script step: the ids only from the task's variables, no secret.
fn azure_cli_step(server: &FakeServer, id_token: &str) -> Step {
    let step = step().env("TF_BUILD", "True");
    let temp = step.dir().display().to_string();
    step.env("AGENT_TEMPDIRECTORY", &temp)
        .against(server)
        .without("INPUT_CLIENT-SECRET")
        .without("INPUT_TENANT-ID")
        .without("INPUT_CLIENT-ID")
        .env("idToken", id_token)
        .env("servicePrincipalId", CLIENT_ID)
        .env("tenantId", TENANT)
        .env("AZURESUBSCRIPTION_CLIENT_ID", CLIENT_ID)
        .env("AZURESUBSCRIPTION_TENANT_ID", TENANT)
        .env("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", CONNECTION)
        .env(
            "SYSTEM_OIDCREQUESTURI",
            &format!("{}/azp/oidctoken", server.url()),
        )
}

fn serve_azure_pipelines_oidc(server: &FakeServer) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("POST", "/azp/oidctoken", move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(
            200,
            json!({"oidcToken": azure_cli_jwt(Duration::from_secs(600), 100 + n)}),
        )
    });
    issued
}

#[test]
fn azure_cli_id_token_is_exchanged_with_the_task_ids() {
    for (how, drop) in [
        ("AZURESUBSCRIPTION_*", ["servicePrincipalId", "tenantId"]),
        (
            "servicePrincipalId and tenantId",
            ["AZURESUBSCRIPTION_CLIENT_ID", "AZURESUBSCRIPTION_TENANT_ID"],
        ),
    ] {
        let server = FakeServer::start();
        let endpoint = serve_azure_pipelines_oidc(&server);
        serve_v2_tokens(&server, 3599);
        serve_publish(&server, vec![operation("complete", json!([]))]);
        let id_token = azure_cli_jwt(Duration::from_secs(600), 1);
        let run = azure_cli_step(&server, &id_token)
            .without(drop[0])
            .without(drop[1])
            .run();
        run.assert_code(0)
            .assert_no_secret(&["signature-ci-", TOKEN_PREFIX]);
        assert!(
            run.stderr
                .contains("authenticating with azure-pipelines-oidc"),
            "{how}\n{}",
            run.dump()
        );
        assert!(
            !run.stderr.contains("cannot be renewed"),
            "{how}: no warning for a short wait\n{}",
            run.dump()
        );
        let exchange = &server.requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"))[0];
        assert_eq!(exchange.form()["client_id"], CLIENT_ID, "{how}");
        assert_eq!(assertions_sent(&server), [id_token], "{how}");
        assert_eq!(
            endpoint.load(Ordering::SeqCst),
            0,
            "{how}: a fresh idToken serves"
        );
        assert_no_unexpected(&server);
    }
}

#[test]
fn a_stale_azure_cli_id_token_is_renewed_through_the_oidc_endpoint() {
    // The idToken goes stale (a minute before its expiry) 3 to 4 s from now; access tokens of
    // 2 s make the wait exchange again after that, as an hour-long wait would. What each
    // exchange sent is judged by when it came, so a slow start of the binary changes nothing.
    let server = FakeServer::start();
    let endpoint = serve_azure_pipelines_oidc(&server);
    let tokens = serve_v2_tokens(&server, 2);
    serve_publish(&server, vec![]);
    let started = Instant::now();
    let id_token = azure_cli_jwt(Duration::from_secs(64), 1);
    let stale_from = started + Duration::from_secs(3);
    let stale_by = started + Duration::from_secs(4);
    server.route_fn("GET", &operation_path(), move |_, _| {
        let status = if Instant::now() < stale_by + Duration::from_secs(2) {
            "running"
        } else {
            "complete"
        };
        Reply::json(200, operation(status, json!([])))
    });
    let run = azure_cli_step(&server, &id_token)
        .env("SYSTEM_ACCESSTOKEN", AZP_ACCESS_TOKEN)
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(0)
        .assert_no_secret(&["signature-ci-", AZP_ACCESS_TOKEN, TOKEN_PREFIX]);
    assert!(tokens.load(Ordering::SeqCst) >= 3, "{}", run.dump());
    let exchanges = server.requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"));
    for exchange in &exchanges {
        let sent = &exchange.form()["client_assertion"];
        if exchange.at < stale_from {
            assert_eq!(*sent, id_token, "a fresh idToken serves");
        } else if exchange.at > stale_by {
            assert_ne!(*sent, id_token, "a stale idToken was sent");
        }
    }
    assert!(
        exchanges.iter().any(|exchange| exchange.at > stale_by),
        "no exchange after the idToken went stale"
    );
    let renewed = endpoint.load(Ordering::SeqCst);
    assert!(renewed >= 1, "{}", run.dump());
    let assertions = assertions_sent(&server);
    assert_eq!(
        assertions.iter().filter(|a| **a != id_token).count(),
        renewed,
        "each other assertion came from the endpoint"
    );
    let request = &server.requests_to("POST", "/azp/oidctoken")[0];
    assert_eq!(request.query_pairs()["serviceConnectionId"], CONNECTION);
    assert_eq!(request.query_pairs()["api-version"], "7.1");
    assert_secrets_stay_home(&server);
}

#[test]
fn a_stale_azure_cli_id_token_without_system_accesstoken_fails_saying_how_to_renew() {
    let server = FakeServer::start();
    serve_v2_tokens(&server, 2);
    serve_publish(&server, vec![]);
    server.route_fn("GET", &operation_path(), move |_, _| {
        Reply::json(200, operation("running", json!([])))
    });
    let id_token = azure_cli_jwt(Duration::from_secs(62), 1);
    let run = azure_cli_step(&server, &id_token)
        .input("poll-interval", "200ms")
        .run();
    run.assert_code(1)
        .assert_no_secret(&["signature-ci-", TOKEN_PREFIX]);
    let error = run
        .stdout
        .lines()
        .find(|line| line.contains("task.logissue type=error") && line.contains("idToken"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.contains("has expired") && error.contains("SYSTEM_ACCESSTOKEN"),
        "{}",
        run.dump()
    );
    run.assert_stdout_has("SYSTEM_ACCESSTOKEN: $(System.AccessToken)");
    assert!(server.requests_to("POST", "/azp/oidctoken").is_empty());
    // While it was fresh (unless the binary started late), the idToken served.
    assert!(
        assertions_sent(&server)
            .iter()
            .all(|sent| *sent == id_token)
    );
}

#[test]
fn a_long_wait_on_an_azure_cli_id_token_that_cannot_be_renewed_is_warned_of() {
    let server = FakeServer::start();
    serve_v2_tokens(&server, 3599);
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let run = azure_cli_step(&server, &azure_cli_jwt(Duration::from_secs(600), 1))
        .input("timeout", "2h")
        .run();
    run.assert_code(0);
    let warning = run
        .stderr
        .lines()
        .find(|line| line.contains("WARN"))
        .unwrap_or_default();
    assert!(
        warning.contains("cannot be renewed") && warning.contains("SYSTEM_ACCESSTOKEN"),
        "{}",
        run.dump()
    );
}

#[test]
fn an_azure_cli_id_token_entra_finds_expired_is_replaced_by_a_requested_one() {
    // The runner's clock is behind Entra's: the idToken looks fresh here but is refused.
    let server = FakeServer::start();
    let endpoint = serve_azure_pipelines_oidc(&server);
    server.route_fn(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        move |request, _| {
            if request.form()["client_assertion"].ends_with("signature-ci-1") {
                Reply::json(
                    400,
                    refused(
                        "AADSTS700024",
                        "Client assertion is not within its valid time range.",
                    ),
                )
            } else {
                Reply::json(
                    200,
                    json!({"expires_in": 3599, "access_token": format!("{TOKEN_PREFIX}1")}),
                )
            }
        },
    );
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let id_token = azure_cli_jwt(Duration::from_secs(600), 1);
    let run = azure_cli_step(&server, &id_token)
        .env("SYSTEM_ACCESSTOKEN", AZP_ACCESS_TOKEN)
        .run();
    run.assert_code(0)
        .assert_no_secret(&["signature-ci-", AZP_ACCESS_TOKEN, TOKEN_PREFIX]);
    assert_eq!(endpoint.load(Ordering::SeqCst), 1, "{}", run.dump());
    let assertions = assertions_sent(&server);
    assert_eq!(assertions.len(), 2);
    assert_eq!(assertions[0], id_token);
    assert!(
        assertions[1].ends_with(".signature-ci-101"),
        "the endpoint's token is sent"
    );

    // Without a way to request one, Entra's refusal is the error, with what to check.
    let server = FakeServer::start();
    server.route(
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        vec![Reply::json(
            400,
            refused(
                "AADSTS700024",
                "Client assertion is not within its valid time range.",
            ),
        )],
    );
    let run = azure_cli_step(&server, &id_token).run();
    run.assert_code(1);
    run.assert_stdout_has("AADSTS700024");
    assert!(server.requests_to("POST", "/azp/oidctoken").is_empty());
}
