//! Federated credentials: JWTs, the CI systems' OIDC endpoints and Entra's v2 token endpoint, shared
//! by the `auth_*` tests.

use super::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const REQUEST_TOKEN: &str = "gh-oidc-request-token-5a5a5a";

pub const AZP_ACCESS_TOKEN: &str = "azp-system-access-token-6b6b6b";

pub const SUBJECT: &str = "repo:contoso/vm-offer:environment:production";

pub fn base64url(bytes: &[u8]) -> String {
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
pub fn jwt(n: usize) -> String {
    let header = base64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = json!({"iss": "https://token.actions.githubusercontent.com", "sub": SUBJECT, "aud": "api://AzureADTokenExchange", "jti": n});
    format!(
        "{header}.{}.signature-{n}",
        base64url(claims.to_string().as_bytes())
    )
}

/// The v2 token endpoint: records nothing itself (the server does), issues short tokens.
pub fn serve_v2_tokens(server: &FakeServer, lifetime: u64) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("POST", &format!("/{TENANT}/oauth2/v2.0/token"), move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(200, json!({"token_type": "Bearer", "expires_in": lifetime, "access_token": format!("{TOKEN_PREFIX}{n}")}))
    });
    issued
}

pub fn serve_github_oidc(server: &FakeServer) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("GET", "/_apis/oidc/token", move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(200, json!({"count": 1, "value": jwt(n)}))
    });
    issued
}

pub fn federated_step(server: &FakeServer) -> Step {
    step()
        .github()
        .against(server)
        .without("INPUT_CLIENT-SECRET")
}

pub fn github_oidc_step(server: &FakeServer) -> Step {
    federated_step(server)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
}

pub fn assertions_sent(server: &FakeServer) -> Vec<String> {
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
pub fn assert_secrets_stay_home(server: &FakeServer) {
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

pub fn refused(code: &str, description: &str) -> Value {
    json!({"error": "invalid_client", "error_description": format!("{code}: {description}\r\nTrace ID: 1\r\nTimestamp: 2026-11-24"), "error_codes": [70021]})
}

/// A JWT as GitLab or AzureCLI@2 hands it over, expiring `lifetime` from now.
pub fn ci_jwt(issuer: &str, subject: &str, lifetime: Duration, n: usize) -> String {
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
