//! Federated assertions: the short-lived JWT a CI system issues for the job, exchanged at Entra
//! for an access token. Each source is asked afresh for every exchange.

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use crate::api::error::ApiError;
use crate::api::http::{Body, HttpClient, Read, Replay, Request};
use crate::config::AssertionSource;
use crate::secret::Secret;

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
    match serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(|value| value.get(field))
        .and_then(Value::as_str)
        .filter(|jwt| !jwt.is_empty())
    {
        Some(jwt) => Read::Done(Secret::new(jwt)),
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
    }
}

/// The claims of a JWT, read without verifying it (Entra verifies; we only explain).
pub fn jwt_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    serde_json::from_slice(&bytes).ok()
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from(bits >> count).ok()?);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}
