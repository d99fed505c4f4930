//! Federated assertions: the short-lived JWT a CI system issues for the job, exchanged at Entra
//! for an access token. Each source is asked afresh for every exchange.

use reqwest::Method;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::time::Instant;

use super::{AssertionSource, AzurePipelinesRenewal};
use crate::secret::Secret;
use crate::transport::error::ApiError;
use crate::transport::{Body, HttpClient, Read, Replay, Request};

const GITHUB_CALL: &str = "get GitHub Actions OIDC token";
const AZURE_PIPELINES_CALL: &str = "get Azure Pipelines OIDC token";
const FILE_CALL: &str = "read federated token file";
const GITLAB_CALL: &str = "read GitLab ID token";

/// A given token with less life left than this is not sent: with clock skew and retries, Entra
/// could find it expired.
const FRESHNESS_MARGIN: Duration = Duration::from_secs(60);

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
                max_body: crate::transport::MAX_BODY,
            };
            http.send(&request, deadline, |response| {
                jwt_field(&response.body, "value")
            })
            .await
        }
        AssertionSource::AzurePipelines { id_token, renewal } => match id_token {
            Some(token) if still_fresh(token, SystemTime::now()) => Ok(token.clone()),
            _ => azure_pipelines_token(http, id_token.is_some(), renewal, deadline).await,
        },
        AssertionSource::GitLab { variable, token } => {
            gitlab_token(variable, token, SystemTime::now())
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

/// Entra's answer to an assertion past its `exp` (or before its `nbf`).
pub fn is_expired_assertion(error: &ApiError) -> bool {
    matches!(error, ApiError::Status { message, .. } if message.contains("AADSTS700024"))
}

/// After Entra found `sent` expired: a newly requested token, when `sent` was one the CI system
/// handed over (AzureCLI@2's idToken) and a new one can be requested; else `None`.
pub async fn renewed(
    http: &HttpClient,
    source: &AssertionSource,
    sent: &Secret,
    deadline: Instant,
) -> Result<Option<Secret>, ApiError> {
    match source {
        AssertionSource::AzurePipelines {
            id_token: Some(given),
            renewal: renewal @ AzurePipelinesRenewal::Request { .. },
        } if given == sent => azure_pipelines_token(http, true, renewal, deadline)
            .await
            .map(Some),
        _ => Ok(None),
    }
}

/// A fresh token from the Azure Pipelines OIDC request endpoint, when it can be asked; `had_id_token`
/// says the AzureCLI@2 token was there but is too old (the error then says so).
async fn azure_pipelines_token(
    http: &HttpClient,
    had_id_token: bool,
    renewal: &AzurePipelinesRenewal,
    deadline: Instant,
) -> Result<Secret, ApiError> {
    let (request_url, access_token, service_connection_id) = match renewal {
        AzurePipelinesRenewal::Request {
            request_url,
            access_token,
            service_connection_id,
        } => (request_url, access_token, service_connection_id),
        AzurePipelinesRenewal::Unavailable { missing } => {
            let detail = if had_id_token {
                "the idToken of AzureCLI@2 has expired or is about to (it lives minutes), and a fresh one cannot be requested"
            } else {
                "no Azure Pipelines OIDC token can be requested"
            };
            return Err(ApiError::Local {
                call: AZURE_PIPELINES_CALL,
                detail: format!("{detail}: {missing}"),
                help: Some(
                    "give the step `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)` (and the \
                     service connection's ID, which AzureCLI@2 sets as \
                     AZURESUBSCRIPTION_SERVICE_CONNECTION_ID), so that fresh tokens are \
                     requested for the whole wait"
                        .to_owned(),
                ),
            });
        }
    };
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
        max_body: crate::transport::MAX_BODY,
    };
    http.send(&request, deadline, |response| {
        jwt_field(&response.body, "oidcToken")
    })
    .await
}

/// The job's ID token, read with the environment at start (the process's variables do not
/// change). GitLab issues it for the job's whole timeout, so the same token serves every
/// exchange; an expired one is refused here rather than by Entra.
fn gitlab_token(variable: &str, token: &Secret, now: SystemTime) -> Result<Secret, ApiError> {
    let token = token.clone();
    match expires_at(&token) {
        Some(expiry) if expiry <= now => Err(ApiError::Local {
            call: GITLAB_CALL,
            detail: format!(
                "the ID token in {variable} expired {}s ago",
                now.duration_since(expiry).unwrap_or_default().as_secs()
            ),
            help: Some(
                "GitLab issues ID tokens for the job's timeout: give the job a `timeout:` longer \
                 than the publish's `timeout`"
                    .to_owned(),
            ),
        }),
        _ => Ok(token),
    }
}

/// The `exp` claim of a JWT, when it has a readable one.
fn expires_at(jwt: &Secret) -> Option<SystemTime> {
    let claims = jwt_claims(jwt.expose())?;
    let seconds = claims.get("exp")?.as_u64()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Whether a token handed over by the CI system still has a useful life. One without a readable
/// `exp` is sent as it is: Entra is the judge.
fn still_fresh(jwt: &Secret, now: SystemTime) -> bool {
    expires_at(jwt).is_none_or(|expiry| {
        now.checked_add(FRESHNESS_MARGIN)
            .is_some_and(|soon| soon < expiry)
    })
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

    /// `{"alg":"none"}.{claims}.sig` with the claims base64url-encoded (no padding).
    fn jwt_with(claims: &str) -> Secret {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut payload = String::new();
        for chunk in claims.as_bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                payload.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        Secret::new(format!("eyJhbGciOiJub25lIn0.{payload}.test-signature"))
    }

    #[test]
    fn a_given_token_is_fresh_until_a_minute_before_it_expires() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let token = jwt_with(r#"{"exp":1800000120,"sub":"sc://contoso/vm/publish"}"#);
        assert_eq!(
            expires_at(&token),
            Some(UNIX_EPOCH + Duration::from_secs(1_800_000_120))
        );
        assert!(still_fresh(&token, now));
        assert!(still_fresh(&token, now + Duration::from_secs(59)));
        assert!(!still_fresh(&token, now + Duration::from_secs(60)));
        assert!(!still_fresh(&token, now + Duration::from_secs(600)));
    }

    #[test]
    fn a_token_without_a_readable_expiry_is_left_to_entra() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for claims in [
            r#"{"sub":"x"}"#,
            r#"{"exp":"soon"}"#,
            r#"{"exp":-5}"#,
            "not json",
        ] {
            let token = jwt_with(claims);
            assert_eq!(expires_at(&token), None, "{claims}");
            assert!(still_fresh(&token, now), "{claims}");
        }
        assert_eq!(expires_at(&Secret::new("no-dots-at-all")), None);
    }
}
