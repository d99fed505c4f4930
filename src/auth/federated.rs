//! Federated assertions: the short-lived JWT a CI system issues for the job, exchanged at Entra
//! for an access token. Each source is asked afresh for every exchange.

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use crate::config::AssertionSource;
use crate::secret::Secret;
use crate::transport::error::ApiError;
use crate::transport::{Body, HttpClient, Read, Replay, Request};

const GITHUB_CALL: &str = "get GitHub Actions OIDC token";
const AZURE_PIPELINES_CALL: &str = "get Azure Pipelines OIDC token";
const FILE_CALL: &str = "read federated token file";

/// A fresh assertion from `source`. The request token goes only to the request URL the CI system
/// gave; the assertion is returned as a [`Secret`] (and so masked).
pub async fn assertion(
    http: &HttpClient,
    source: &AssertionSource,
    deadline: Instant,
) -> Result<Secret, ApiError> {
    match source {
        AssertionSource::GitHub {
            request_url,
            request_token,
            audience,
        } => {
            let mut url = request_url.clone();
            url.query_pairs_mut().append_pair("audience", audience);
            let request = Request {
                call: GITHUB_CALL,
                method: Method::GET,
                url: &url,
                bearer: Some(request_token),
                headers: &[],
                body: Body::Empty,
                replay: Replay::Safe,
            };
            http.send(&request, deadline, |response| {
                jwt_field(&response.body, "value")
            })
            .await
        }
        AssertionSource::AzurePipelines {
            request_url,
            access_token,
            service_connection_id,
        } => {
            let mut url = request_url.clone();
            url.query_pairs_mut()
                .append_pair("api-version", "7.1")
                .append_pair("serviceConnectionId", service_connection_id);
            let request = Request {
                call: AZURE_PIPELINES_CALL,
                method: Method::POST,
                url: &url,
                bearer: Some(access_token),
                headers: &[("content-type", "application/json")],
                body: Body::Empty,
                // Issuing a token has no lasting effect: safe to ask twice.
                replay: Replay::Safe,
            };
            http.send(&request, deadline, |response| {
                jwt_field(&response.body, "oidcToken")
            })
            .await
        }
        AssertionSource::TokenFile(path) => {
            // A few hundred bytes on local disk: not worth a blocking-pool hop.
            let text = std::fs::read_to_string(path).map_err(|error| ApiError::Local {
                call: FILE_CALL,
                detail: format!("{}: {error}", path.display()),
                help: Some(
                    "AZURE_FEDERATED_TOKEN_FILE must name a readable file holding the JWT"
                        .to_owned(),
                ),
            })?;
            let jwt = text.trim();
            if jwt.is_empty() {
                return Err(ApiError::Local {
                    call: FILE_CALL,
                    detail: format!("{} is empty", path.display()),
                    help: None,
                });
            }
            Ok(Secret::new(jwt))
        }
    }
}

fn jwt_field(body: &[u8], field: &str) -> Read<Secret> {
    match crate::transport::json::parse(body)
        .ok()
        .as_ref()
        .and_then(|value| value.get(field))
        .and_then(Value::as_str)
        .filter(|jwt| !jwt.is_empty())
    {
        Some(jwt) => match super::token_from_authority(jwt, &format!("\"{field}\"")) {
            Ok(jwt) => Read::Done(jwt),
            Err(detail) => Read::Unexpected(detail),
        },
        None => Read::Unexpected(format!("the answer has no \"{field}\"")),
    }
}

/// Adds what to configure when Entra refuses the assertion.
pub fn explain(error: ApiError, assertion: &Secret) -> ApiError {
    let ApiError::Status {
        call,
        status,
        code,
        message,
        help,
    } = error
    else {
        return error;
    };
    let hint = if message.contains("AADSTS70021") {
        let claims = jwt_claims(assertion.expose());
        let claim = |name: &str| {
            claims
                .as_ref()
                .and_then(|claims| claims.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match (claim("iss"), claim("sub")) {
            (Some(issuer), Some(subject)) => format!(
                " (no federated credential matches: add one to the app registration with issuer \
                 '{issuer}', subject '{subject}' and audience '{}')",
                claim("aud").unwrap_or_else(|| "api://AzureADTokenExchange".to_owned())
            ),
            _ => " (no federated credential matches the token's issuer, subject and audience)"
                .to_owned(),
        }
    } else {
        String::new()
    };
    ApiError::Status {
        call,
        status,
        code,
        message: format!("{message}{hint}"),
        help,
    }
}

/// The claims of a JWT, read without verifying it (Entra verifies; we only explain).
pub fn jwt_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    serde_json::from_slice(&bytes).ok()
}

/// A JWT segment's bytes. JWTs use the URL-safe alphabet without padding (RFC 7515); a token
/// with padding or the standard alphabet is read too, since only a hint depends on it.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

    let lenient = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(&URL_SAFE, lenient)
        .decode(text)
        .or_else(|_| GeneralPurpose::new(&STANDARD, lenient).decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_from_a_jwt_payload_in_either_alphabet() {
        let payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"iss":"https://i","sub":"repo:o/r:ref:refs/heads/main??>"}"#,
        );
        assert!(
            payload.contains(['-', '_']),
            "the test needs URL-safe characters"
        );
        let claims = jwt_claims(&format!("h.{payload}.s")).expect("claims");
        assert_eq!(claims["sub"], "repo:o/r:ref:refs/heads/main??>");
        let standard = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            br#"{"iss":"https://i","sub":"repo:o/r:ref:refs/heads/main??>"}"#,
        );
        assert_eq!(jwt_claims(&format!("h.{standard}.s")), Some(claims));
        assert_eq!(jwt_claims("h.%%%.s"), None);
        assert_eq!(jwt_claims("no-dots"), None);
    }
}
