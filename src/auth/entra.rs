//! Token requests to Microsoft Entra ID: the v1 endpoint with a client secret (what CPP clients
//! have always used), and the v2 endpoint with a federated assertion.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::{AccessToken, token_from_authority};
use crate::secret::Secret;
use crate::transport::error::ApiError;
use crate::transport::{Body, HttpClient, Read, Replay, Request};

pub const TOKEN_CALL: &str = "get token from Microsoft Entra ID";

/// A token without a stated lifetime is assumed to live this long (Entra's shortest).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// Entra tokens live a day at most; a longer stated lifetime is not believed.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

fn token_url(authority: &Url, tenant_id: &str, path: &str) -> Url {
    let mut url = authority.clone();
    // The tenant was validated to letters, digits, '.' and '-': safe as a path segment.
    url.set_path(&format!("/{tenant_id}/{path}"));
    url
}

pub async fn client_secret_token(
    http: &HttpClient,
    authority: &Url,
    tenant_id: &str,
    client_id: &str,
    secret: &Secret,
    resource: &str,
    deadline: Instant,
) -> Result<AccessToken, ApiError> {
    let url = token_url(authority, tenant_id, "oauth2/token");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret.expose()),
        ("resource", resource),
    ];
    request_token(http, &url, &form, deadline).await
}

pub async fn federated_token(
    http: &HttpClient,
    authority: &Url,
    tenant_id: &str,
    client_id: &str,
    assertion: &Secret,
    resource: &str,
    deadline: Instant,
) -> Result<AccessToken, ApiError> {
    let url = token_url(authority, tenant_id, "oauth2/v2.0/token");
    let scope = format!("{resource}/.default");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("scope", scope.as_str()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.expose()),
    ];
    request_token(http, &url, &form, deadline).await
}

async fn request_token(
    http: &HttpClient,
    url: &Url,
    form: &[(&'static str, &str)],
    deadline: Instant,
) -> Result<AccessToken, ApiError> {
    let request = Request {
        call: TOKEN_CALL,
        method: Method::POST,
        url,
        bearer: None,
        headers: &[],
        body: Body::Form(form),
        replay: Replay::Safe,
        max_body: crate::transport::MAX_BODY,
    };
    http.send(&request, deadline, |response| parse_token(&response.body))
        .await
        .map_err(|error| error.with_help(token_help))
}

/// What to check when the token call fails: chosen here, where the call is made.
fn token_help(error: &ApiError) -> Option<String> {
    match error {
        ApiError::Status { message, .. } => Some(
            help_for(message)
                .unwrap_or("check tenant-id, client-id and the credential (secret or federated)")
                .to_owned(),
        ),
        ApiError::UntrustedCertificate { .. } => Some(super::UNTRUSTED_CERTIFICATE_HELP.to_owned()),
        _ => None,
    }
}

/// `{"access_token": "...", "expires_in": 3599}`; `expires_in` may be a string.
fn parse_token(body: &[u8]) -> Read<AccessToken> {
    let Ok(value) = crate::transport::json::parse(body) else {
        return Read::Unexpected("the token answer is not JSON".to_owned());
    };
    let token = match token_from_authority(
        value
            .get("access_token")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        "access_token",
    ) {
        Ok(token) => token,
        // A proxy's page has no token at all: worth another try. A token that cannot be one is
        // the authority's own answer, and asking again gets the same.
        Err(detail) if value.get("access_token").is_none() => return Read::Unexpected(detail),
        Err(detail) => {
            return Read::Fail(ApiError::UnexpectedBody {
                call: TOKEN_CALL,
                status: 200,
                detail,
            });
        }
    };
    let expires_in = match value.get("expires_in") {
        Some(Value::Number(seconds)) => seconds.as_u64(),
        Some(Value::String(seconds)) => seconds.parse::<u64>().ok(),
        _ => None,
    }
    .map_or(DEFAULT_LIFETIME, Duration::from_secs)
    .min(MAX_LIFETIME);
    Read::Done(AccessToken {
        token,
        expires_in: Some(expires_in),
    })
}

/// What to check for the Entra errors people meet most, by AADSTS code.
pub fn help_for(message: &str) -> Option<&'static str> {
    const HINTS: [(&str, &str); 7] = [
        (
            "AADSTS7000215",
            "the client secret is wrong: copy the secret's value (not its ID) from the app registration",
        ),
        (
            "AADSTS7000222",
            "the client secret has expired: create a new one in the app registration (Certificates & secrets)",
        ),
        (
            "AADSTS700016",
            "no application with this client-id in this tenant: check client-id and tenant-id",
        ),
        ("AADSTS90002", "the tenant was not found: check tenant-id"),
        (
            "AADSTS70021",
            "no federated identity credential of the app registration matches the token's issuer, subject and audience",
        ),
        (
            "AADSTS700024",
            "the federated token has expired or is not yet valid: check the runner's clock",
        ),
        (
            "AADSTS50049",
            "unknown or invalid authority: check authority-host",
        ),
    ];
    HINTS
        .iter()
        .find(|(code, _)| message.contains(code))
        .map(|(_, hint)| *hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_as_number_or_string() {
        for body in [
            &br#"{"access_token":"tok-1234567890abcdef","expires_in":"3599"}"#[..],
            br#"{"access_token":"tok-1234567890abcdef","expires_in":3599}"#,
        ] {
            match parse_token(body) {
                Read::Done(token) => {
                    assert_eq!(token.expires_in, Some(Duration::from_secs(3599)));
                    assert_eq!(token.token.expose(), "tok-1234567890abcdef");
                }
                _ => panic!("not parsed"),
            }
        }
        match parse_token(
            br#"{"access_token":"tok-1234567890abcdef","expires_in":18446744073709551615}"#,
        ) {
            Read::Done(token) => assert_eq!(token.expires_in, Some(MAX_LIFETIME)),
            _ => panic!("not parsed"),
        }
        assert!(matches!(parse_token(b"<html>"), Read::Unexpected(_)));
        assert!(matches!(parse_token(b"{}"), Read::Unexpected(_)));
        // The authority's own answer, with a token that cannot be one: final, and not quoted.
        match parse_token(br#"{"access_token":"tiny","expires_in":3599}"#) {
            Read::Fail(error) => assert!(!error.to_string().contains("tiny"), "{error}"),
            _ => panic!("a four-letter token was accepted"),
        }
    }

    #[test]
    fn token_url_keeps_the_authority_origin() {
        let authority = Url::parse("https://login.microsoftonline.com").expect("valid");
        assert_eq!(
            token_url(&authority, "contoso.onmicrosoft.com", "oauth2/v2.0/token").as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }
}
