//! The rules of the inputs, through the whole check (merge, settings, credentials).

use super::*;
use crate::auth::{AssertionSource, AzurePipelinesRenewal, Credential};
use crate::config::env::{Environment, merge_inputs};
use crate::outcome::OnTimeout;
use crate::wait::WaitUntil;
use std::time::Duration;

const CLIENT: &str = "00000000-0000-0000-0000-0000000000c1";

fn settings_from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let environment = Environment::from_pairs(pairs.iter().copied());
    Settings::from_inputs(&merge_inputs(&environment), &environment)
}

fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("INPUT_PUBLISHER-ID", "contoso"),
        ("INPUT_OFFER-ID", "contoso-offer"),
        ("INPUT_TENANT-ID", "contoso.onmicrosoft.com"),
        ("INPUT_CLIENT-ID", CLIENT),
        ("INPUT_CLIENT-SECRET", "very-secret-value"),
    ]
}

fn error_with(extra: &[(&'static str, &'static str)]) -> String {
    let mut pairs = base();
    pairs.extend_from_slice(extra);
    match settings_from(&pairs) {
        Ok(_) => panic!("accepted {extra:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn defaults() {
    let settings = settings_from(&base()).expect("valid");
    assert_eq!(settings.command, Command::Publish);
    assert_eq!(settings.timeout, Duration::from_secs(3600));
    assert_eq!(settings.poll_interval, Duration::from_secs(30));
    // What a publish reaches by itself, on whichever API the offer is found.
    assert_eq!(settings.wait_until, WaitUntil::Preview);
    assert_eq!(settings.api, ApiChoice::Auto);
    assert_eq!(settings.on_timeout, OnTimeout::Warn);
    assert_eq!(settings.api_url.as_str(), "https://cloudpartner.azure.com/");
    assert_eq!(
        settings.authority_host.as_str(),
        "https://login.microsoftonline.com/"
    );
    assert_eq!(settings.api_version, "2017-10-31");
    assert!(matches!(
        settings.credential,
        Credential::ClientSecret { .. }
    ));
    assert!(settings.notification_emails.is_empty());
}

#[test]
fn debug_of_settings_hides_credentials() {
    let mut pairs = base();
    pairs.push(("INPUT_ACCESS-TOKEN", "token-value-that-is-secret"));
    pairs.push(("INPUT_API", "cpp"));
    let settings = settings_from(&pairs).expect("valid");
    let debug = format!("{settings:?}");
    assert!(!debug.contains("token-value-that-is-secret"), "{debug}");
    let settings = settings_from(&base()).expect("valid");
    let debug = format!("{settings:?}");
    assert!(
        !debug.contains("very-secret-value") && debug.contains("***"),
        "{debug}"
    );
}

#[test]
fn errors_name_the_input_and_variable() {
    let message = error_with(&[("INPUT_TIMEOUT", "30")]);
    assert!(
        message.contains("timeout (INPUT_TIMEOUT='30')"),
        "{message}"
    );
    assert!(message.contains("30s"), "{message}");

    let message = error_with(&[("MARKETPLACE_WAIT_UNTIL", "later")]);
    assert!(
        message.contains("wait-until (MARKETPLACE_WAIT_UNTIL='later')"),
        "{message}"
    );
    assert!(message.contains("complete, preview"), "{message}");
}

#[test]
fn ids_are_refused_not_encoded() {
    for bad in ["a/b", "..", "a?b", "a#b", "a%2F", "-lead", "a b", "ü"] {
        let mut pairs = base();
        pairs.push(("INPUT_OFFER_ID", bad));
        pairs.retain(|(name, _)| *name != "INPUT_OFFER-ID");
        assert!(settings_from(&pairs).is_err(), "{bad} accepted");
    }
}

#[test]
fn http_only_for_loopback() {
    for ok in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
        "https://example.com",
    ] {
        let mut pairs = base();
        pairs.push(("INPUT_API-URL", ok));
        assert!(settings_from(&pairs).is_ok(), "{ok} refused");
    }
    for bad in [
        "http://example.com",
        "ftp://127.0.0.1",
        "https://example.com/path",
        "https://user:pw@example.com",
        "https://example.com?x=1",
        "not a url",
    ] {
        let mut pairs = base();
        pairs.push(("INPUT_API-URL", bad));
        assert!(settings_from(&pairs).is_err(), "{bad} accepted");
    }
}

#[test]
fn secrets_are_not_echoed() {
    let mut pairs = base();
    pairs.push(("INPUT_ACCESS-TOKEN", "has space in-the-token"));
    let message = settings_from(&pairs)
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("access-token (INPUT_ACCESS-TOKEN)"),
        "{message}"
    );
    assert!(!message.contains("in-the-token"), "{message}");
}

#[test]
fn missing_credentials_say_what_to_set() {
    let pairs = [("INPUT_PUBLISHER-ID", "p"), ("INPUT_OFFER-ID", "o")];
    let message = settings_from(&pairs)
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("AZURE_CLIENT_SECRET") && message.contains("MARKETPLACE_ACCESS_TOKEN"),
        "{message}"
    );
    let github = settings_from(&[
        ("INPUT_PUBLISHER-ID", "p"),
        ("INPUT_OFFER-ID", "o"),
        ("GITHUB_ACTIONS", "true"),
    ])
    .map(|_| ())
    .expect_err("refused")
    .to_string();
    assert!(
        github.contains("client-secret") && github.contains("access-token"),
        "{github}"
    );

    let pairs = [
        ("INPUT_PUBLISHER-ID", "p"),
        ("INPUT_OFFER-ID", "o"),
        ("INPUT_CLIENT-SECRET", "very-secret-value"),
    ];
    let message = settings_from(&pairs)
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(message.contains("tenant-id is missing"), "{message}");
}

#[test]
fn access_token_wins_and_bearer_prefix_is_dropped() {
    let mut pairs = base();
    pairs.push(("INPUT_ACCESS-TOKEN", "Bearer abc.def.ghi"));
    pairs.push(("INPUT_API", "cpp"));
    let settings = settings_from(&pairs).expect("valid");
    match settings.credential {
        Credential::AccessToken(token) => assert_eq!(token.expose(), "abc.def.ghi"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn emails_are_split_and_checked() {
    let mut pairs = base();
    pairs.push((
        "INPUT_NOTIFICATION-EMAILS",
        " a@contoso.com , b@contoso.com,",
    ));
    let settings = settings_from(&pairs).expect("valid");
    assert_eq!(
        settings.notification_emails,
        ["a@contoso.com", "b@contoso.com"]
    );
    assert!(
        error_with(&[("INPUT_NOTIFICATION-EMAILS", "a@contoso.com b@x.com")])
            .contains("not an email")
    );
}

#[test]
fn poll_interval_must_be_positive() {
    assert!(error_with(&[("INPUT_POLL-INTERVAL", "0")]).contains("longer than zero"));
    let mut pairs = base();
    pairs.push(("INPUT_POLL-INTERVAL", "500ms"));
    assert_eq!(
        settings_from(&pairs).expect("valid").poll_interval,
        Duration::from_millis(500)
    );
}

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

fn without_secret(extra: &[(&'static str, &'static str)]) -> Result<Settings, ConfigError> {
    let mut pairs = base();
    pairs.retain(|(name, _)| *name != "INPUT_CLIENT-SECRET");
    pairs.extend_from_slice(extra);
    settings_from(&pairs)
}

#[test]
fn auto_takes_azure_cli_id_token_and_says_what_renewal_lacks() {
    let settings = without_secret(&[
        ("idToken", JWT),
        (
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
            "99999999-8888-7777-6666-555555555555",
        ),
        (
            "SYSTEM_OIDCREQUESTURI",
            "https://dev.azure.com/contoso/_apis/oidc",
        ),
    ])
    .expect("valid");
    match settings.credential {
        Credential::Federated {
            assertion:
                AssertionSource::AzurePipelines {
                    id_token: Some(token),
                    renewal: AzurePipelinesRenewal::Unavailable { missing },
                },
            ..
        } => {
            assert_eq!(token.expose(), JWT);
            assert!(missing.contains("SYSTEM_ACCESSTOKEN"), "{missing}");
        }
        other => panic!("{other:?}"),
    }
    // A value given but invalid is refused, idToken or not.
    let message = without_secret(&[("idToken", JWT), ("INPUT_SERVICE-CONNECTION-ID", "conn")])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("service-connection-id (INPUT_SERVICE-CONNECTION-ID="),
        "{message}"
    );
    let message = without_secret(&[("idToken", "not-a-jwt-at-all")])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(message.contains("idToken does not hold a JWT"), "{message}");
    assert!(!message.contains("not-a-jwt-at-all"), "{message}");
}

#[test]
fn auto_takes_the_gitlab_id_token_only_under_gitlab_and_after_a_secret() {
    let gitlab =
        without_secret(&[("GITLAB_CI", "true"), ("GITLAB_OIDC_TOKEN", JWT)]).expect("valid");
    assert_eq!(gitlab.credential.kind(), "gitlab-oidc");
    assert!(without_secret(&[("GITLAB_OIDC_TOKEN", JWT)]).is_err());
    let mut pairs = base();
    pairs.extend([("GITLAB_CI", "true"), ("GITLAB_OIDC_TOKEN", JWT)]);
    assert_eq!(
        settings_from(&pairs).expect("valid").credential.kind(),
        "secret"
    );
    let renamed = without_secret(&[
        ("GITLAB_CI", "true"),
        ("INPUT_OIDC-TOKEN-VARIABLE", "AZURE_ID_TOKEN"),
        ("AZURE_ID_TOKEN", JWT),
    ])
    .expect("valid");
    assert!(
        matches!(&renamed.credential, Credential::Federated { assertion: AssertionSource::GitLab { variable, .. }, .. } if variable == "AZURE_ID_TOKEN"),
        "{:?}",
        renamed.credential
    );
}

#[test]
fn github_oidc_without_permission_says_what_to_add() {
    let pairs = [
        ("INPUT_PUBLISHER-ID", "p"),
        ("INPUT_OFFER-ID", "o"),
        ("INPUT_TENANT-ID", "contoso.onmicrosoft.com"),
        ("INPUT_CLIENT-ID", CLIENT),
        ("INPUT_AUTH", "github-oidc"),
    ];
    let error = settings_from(&pairs).map(|_| ()).expect_err("refused");
    assert!(
        error
            .help()
            .is_some_and(|help| help.contains("id-token: write")),
        "{error:?}"
    );
}

#[test]
fn every_problem_is_reported_at_once_one_line_each() {
    let error = settings_from(&[
        ("MARKETPLACE_TIMEOUT", "30"),
        ("MARKETPLACE_WAIT_UNTIL", "later"),
        ("MARKETPLACE_TENANT_ID", "not a tenant"),
    ])
    .map(|_| ())
    .expect_err("refused");
    let message = error.to_string();
    let lines: Vec<&str> = message.lines().collect();
    for (start, variable) in [
        ("offer-id is missing", "MARKETPLACE_OFFER_ID"),
        ("publisher-id is missing", "MARKETPLACE_PUBLISHER_ID"),
        ("timeout (MARKETPLACE_TIMEOUT='30')", "30s"),
        (
            "wait-until (MARKETPLACE_WAIT_UNTIL='later')",
            "complete, preview",
        ),
        ("credentials are missing", "MARKETPLACE_ACCESS_TOKEN"),
    ] {
        let line = lines
            .iter()
            .find(|line| line.starts_with(start))
            .unwrap_or_else(|| panic!("no line for {start}: {message}"));
        assert!(line.contains(variable), "{line}");
    }
    assert!(!message.contains("invalid input"), "{message}");
    // A bad URL does not hide the inputs checked after it.
    let message = settings_from(&[
        ("MARKETPLACE_API_URL", "ftp://example.com"),
        ("MARKETPLACE_PUBLISHER_ID", "p"),
    ])
    .map(|_| ())
    .expect_err("refused")
    .to_string();
    assert!(
        message.contains("api-url (MARKETPLACE_API_URL=")
            && message.contains("offer-id is missing"),
        "{message}"
    );
    // In a shell, the hint points at --help and the sandbox.
    let help = error.help().unwrap_or_default();
    assert!(
        help.contains("--help") && help.contains("--sandbox"),
        "{help}"
    );
}

#[test]
fn missing_inputs_are_named_the_way_the_run_sets_them() {
    let shell = settings_from(&[("INPUT_PUBLISHER-ID", "p")])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(shell.contains("set MARKETPLACE_OFFER_ID"), "{shell}");
    assert!(!shell.contains("with:"), "{shell}");
    let github = settings_from(&[("INPUT_PUBLISHER-ID", "p"), ("GITHUB_ACTIONS", "true")])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(github.contains("set `offer-id:` under `with:`"), "{github}");
    let tenant = settings_from(&[
        ("INPUT_PUBLISHER-ID", "p"),
        ("INPUT_OFFER-ID", "o"),
        ("INPUT_CLIENT-SECRET", "very-secret-value"),
        ("GITHUB_ACTIONS", "true"),
    ])
    .map(|_| ())
    .expect_err("refused")
    .to_string();
    assert!(
        tenant.contains("tenant-id is missing")
            && tenant.contains("AZURE_TENANT_ID")
            && tenant.contains("client-id is missing"),
        "{tenant}"
    );
}
