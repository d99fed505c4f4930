//! Federated authentication on Azure Pipelines: the OIDC endpoint of the service connection and
//! the id token of an AzureCLI task, renewed when stale.

use crate::support::oidc::*;
use crate::support::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CONNECTION: &str = "99999999-8888-7777-6666-555555555555";

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
        .short_tokens()
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
        .short_tokens()
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
