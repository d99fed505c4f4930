//! Authentication: where tokens come from ([`TokenSource`]) and the cache in front of them.
//!
//! Tokens are cached per audience (the CPP API and the product ingestion API each need their
//! own) and refreshed min(5 minutes, half their lifetime) before they expire, so a wait of many
//! hours never sends an expired token. A failed refresh is tolerated while the old token is still
//! valid. After a 401 the caller drops the cached token and asks once more.

mod credential;
pub mod entra;
mod federated;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use url::{Origin, Url};

use crate::secret::Secret;
use crate::transport::HttpClient;
use crate::transport::error::ApiError;
pub use credential::{AssertionSource, AzurePipelinesRenewal, Credential};

/// What to check when a server's certificate is refused, on the token calls and the API calls
/// alike (the API layer sits above this one and reuses it).
pub const UNTRUSTED_CERTIFICATE_HELP: &str = "the server's certificate is not trusted: when a \
     TLS-inspecting proxy sits between the runner and the service, set SSL_CERT_FILE to a PEM \
     file with its root certificate; otherwise check api-url and authority-host";

/// No token an authority issues is shorter: Entra access tokens and OIDC assertions are JWTs of
/// hundreds of characters. A shorter one is a malformed answer, and so is never registered as a
/// secret (redacting a two-letter value would mangle every line), masked or echoed.
const MIN_TOKEN_LEN: usize = 16;

/// A token from an authority's answer, registered for redaction and masking once it is known to
/// be one: at least [`MIN_TOKEN_LEN`] printable ASCII characters, no line break (a header value,
/// and a line of its own in a mask command). `what` names the token in the error, which never quotes it.
pub(crate) fn token_from_authority(value: &str, what: &str) -> Result<Secret, String> {
    if value.is_empty() {
        return Err(format!("the answer has no {what}"));
    }
    // Printable ASCII: what a header value and a one-line mask command can carry. Spaces are
    // let through (the reference's own example token has them); line breaks are not.
    if !value
        .bytes()
        .all(|byte| byte == b' ' || byte.is_ascii_graphic())
        || value.starts_with(' ')
        || value.ends_with(' ')
    {
        return Err(format!(
            "the {what} in the answer holds characters no token has (a line break, a control or \
             non-ASCII character); it is not used or shown"
        ));
    }
    if value.len() < MIN_TOKEN_LEN {
        return Err(format!(
            "the {what} in the answer is {} characters long, too short to be a token; it is not \
             used or shown",
            value.len()
        ));
    }
    Ok(Secret::expiring(value))
}

/// Refresh this long before expiry at most...
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A token that lives less than this is a malformed answer, not used: no Entra access token
/// lives under 10 minutes (the shortest a token lifetime policy allows), a shorter one cannot
/// carry one call through its retries, and honouring it would mean a token request, a new
/// secret and a mask command every few polls, without bound over a wait of hours. With this
/// floor and the refresh at half the lifetime, tokens are renewed at most every 30 seconds.
const MIN_LIFETIME: Duration = Duration::from_secs(60);

/// A wait shorter than this needs no token refresh: Entra's access tokens live an hour or more
/// and are refreshed at most 5 minutes early.
const SHORTEST_TOKEN_LIFE: Duration = Duration::from_secs(50 * 60);

/// An API a token is for: the resource Entra issues it for, and the only origin it is sent to.
#[derive(Debug, Clone)]
pub struct Audience {
    /// `https://cloudpartner.azure.com` (v1 `resource`; v2 scope is this + `/.default`).
    pub resource: &'static str,
    /// Where requests carrying this token may go.
    pub origin: Origin,
}

impl Audience {
    pub fn new(resource: &'static str, api: &Url) -> Self {
        Audience {
            resource,
            origin: api.origin(),
        }
    }
}

#[derive(Clone)]
pub struct AccessToken {
    pub token: Secret,
    /// `None` for a token given as input: its lifetime is not ours to know.
    pub expires_in: Option<Duration>,
}

/// Where tokens come from: the configured credential, asked at the configured authority.
pub struct TokenSource {
    credential: Credential,
    authority: Url,
}

impl TokenSource {
    pub fn new(credential: Credential, authority: Url) -> Self {
        TokenSource {
            credential,
            authority,
        }
    }

    /// What the log says about the credential: its kind, and where a federated one comes from.
    pub fn describe(&self) -> String {
        match &self.credential {
            Credential::Federated { assertion, .. } => {
                format!("{} ({})", assertion.kind(), assertion.describe())
            }
            credential => credential.kind().to_owned(),
        }
    }

    /// A warning for a wait that may outlive the credential: AzureCLI@2's idToken lives minutes,
    /// and without the OIDC request endpoint the first token refresh (after about an hour: Entra's
    /// tokens live an hour or more) cannot get a new one.
    pub fn lifetime_warning(&self, wait: Duration) -> Option<String> {
        let Credential::Federated {
            assertion:
                AssertionSource::AzurePipelines {
                    renewal: AzurePipelinesRenewal::Unavailable { missing },
                    ..
                },
            ..
        } = &self.credential
        else {
            return None;
        };
        (wait > SHORTEST_TOKEN_LIFE).then(|| {
            format!(
                "the idToken of AzureCLI@2 lives minutes and cannot be renewed, so a wait past the \
                 first access token's life (about an hour) will fail: {missing}"
            )
        })
    }

    /// Whether asking again can give a different token (not so for a given access token).
    pub fn can_refresh(&self) -> bool {
        !matches!(self.credential, Credential::AccessToken(_))
    }

    async fn fetch(
        &self,
        http: &HttpClient,
        audience: &Audience,
        deadline: Instant,
    ) -> Result<AccessToken, ApiError> {
        match &self.credential {
            Credential::AccessToken(token) => Ok(AccessToken {
                token: token.clone(),
                expires_in: None,
            }),
            Credential::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => {
                entra::client_secret_token(
                    http,
                    &self.authority,
                    tenant_id,
                    client_id,
                    secret,
                    audience.resource,
                    deadline,
                )
                .await
            }
            Credential::Federated {
                tenant_id,
                client_id,
                assertion,
            } => {
                // A fresh assertion for every exchange: OIDC tokens live minutes, a wait hours.
                let jwt = federated::assertion(http, assertion, deadline).await?;
                let exchange = |jwt| {
                    entra::federated_token(
                        http,
                        &self.authority,
                        tenant_id,
                        client_id,
                        jwt,
                        audience.resource,
                        deadline,
                    )
                };
                match exchange(&jwt).await {
                    // A token the CI system handed over that Entra finds expired (its clock is
                    // ahead of the runner's): once more with a freshly requested one, if possible.
                    Err(error) if federated::is_expired_assertion(&error) => {
                        match federated::renewed(http, assertion, &jwt, deadline).await? {
                            Some(fresh) => exchange(&fresh)
                                .await
                                .map_err(|error| federated::explain(error, &fresh)),
                            None => Err(federated::explain(error, &jwt)),
                        }
                    }
                    result => result.map_err(|error| federated::explain(error, &jwt)),
                }
            }
        }
    }
}

struct Cached {
    token: Secret,
    obtained: Instant,
    expires: Option<Instant>,
}

impl Cached {
    /// When to get a new one: min(`margin`, half the lifetime) before expiry.
    fn refresh_at(&self, margin: Duration) -> Option<Instant> {
        let expires = self.expires?;
        let lifetime = expires.saturating_duration_since(self.obtained);
        Some(expires - margin.min(lifetime / 2))
    }

    fn is_valid(&self, now: Instant) -> bool {
        self.expires.is_none_or(|expires| now < expires)
    }
}

/// The token cache, keyed by audience resource.
pub struct Tokens {
    source: TokenSource,
    cache: Mutex<HashMap<&'static str, Cached>>,
    /// Divides [`REFRESH_MARGIN`] and [`MIN_LIFETIME`]: 1, but for the benchmark that plays a
    /// day's wait in minutes with every duration shrunk by the same factor (see
    /// [`Tokens::time_scaled`]).
    scale: u32,
}

impl Tokens {
    pub fn new(source: TokenSource) -> Self {
        Tokens {
            source,
            cache: Mutex::new(HashMap::new()),
            scale: 1,
        }
    }

    /// The cache with its own durations divided by `factor`, as the benchmark divides the
    /// token lifetime, the poll interval and the time limit (`PUBLISH_OFFER_TEST_TIME_SCALE`):
    /// the same number of refreshes, polls and mask commands as the unscaled wait.
    pub fn time_scaled(self, factor: u32) -> Self {
        Tokens {
            scale: factor.max(1),
            ..self
        }
    }

    fn refresh_margin(&self) -> Duration {
        REFRESH_MARGIN / self.scale
    }

    fn min_lifetime(&self) -> Duration {
        MIN_LIFETIME / self.scale
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// A token for `audience`, from the cache while it is fresh.
    pub async fn get(
        &self,
        http: &HttpClient,
        audience: &Audience,
        deadline: Instant,
    ) -> Result<Secret, ApiError> {
        let now = Instant::now();
        let stale = {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            match cache.get(audience.resource) {
                Some(cached)
                    if cached
                        .refresh_at(self.refresh_margin())
                        .is_none_or(|at| now < at) =>
                {
                    return Ok(cached.token.clone());
                }
                Some(cached) if cached.is_valid(now) => {
                    Some((cached.token.clone(), cached.expires))
                }
                _ => None,
            }
        };
        // While the current token is valid, an early refresh is tried once, without retries: if
        // it fails the current token serves, and the next call tries again.
        let fetch_deadline = if stale.is_some() { now } else { deadline };
        tracing::debug!(
            "{} a token for {}",
            if stale.is_some() {
                "refreshing, early and once,"
            } else {
                "requesting"
            },
            audience.resource
        );

        let fetched = self.source.fetch(http, audience, fetch_deadline).await;
        self.take(audience, stale, fetched)
    }

    /// What a fetch comes to: the fresh token (cached), or the current one while it is valid
    /// when the fetch failed or brought a token too short-lived to use.
    fn take(
        &self,
        audience: &Audience,
        stale: Option<(Secret, Option<Instant>)>,
        fetched: Result<AccessToken, ApiError>,
    ) -> Result<Secret, ApiError> {
        match fetched {
            Ok(fresh)
                if fresh
                    .expires_in
                    .is_some_and(|life| life < self.min_lifetime()) =>
            {
                // Never used, so never masked nor counted among the tokens held; unless the
                // authority answered with the token in use, with less of its life left.
                if stale
                    .as_ref()
                    .is_none_or(|(token, _)| token.expose() != fresh.token.expose())
                {
                    crate::secret::forget_expiring(fresh.token.expose());
                }
                let error = self.too_short(fresh.expires_in.unwrap_or_default());
                match stale {
                    Some((token, _)) => {
                        tracing::warn!("{error}; the current token is still valid and is used");
                        Ok(token)
                    }
                    None => Err(error),
                }
            }
            Ok(fresh) => {
                let obtained = Instant::now();
                let cached = Cached {
                    token: fresh.token.clone(),
                    obtained,
                    expires: fresh
                        .expires_in
                        .and_then(|lifetime| obtained.checked_add(lifetime)),
                };
                if let Some(lifetime) = fresh.expires_in {
                    tracing::debug!(
                        "new token for {} valid for {}s",
                        audience.resource,
                        lifetime.as_secs()
                    );
                }
                self.cache
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(audience.resource, cached);
                Ok(fresh.token)
            }
            Err(error) => match stale {
                Some((token, expires)) if expires.is_none_or(|at| Instant::now() < at) => {
                    tracing::warn!(
                        "{error}; the current token is still valid and is used meanwhile"
                    );
                    Ok(token)
                }
                _ => Err(error),
            },
        }
    }

    /// The error for a token that lives less than [`MIN_LIFETIME`] (the value is not quoted).
    fn too_short(&self, lifetime: Duration) -> ApiError {
        ApiError::UnexpectedBody {
            call: entra::TOKEN_CALL,
            status: 200,
            detail: format!(
                "the token in the answer expires in {} ms, under the {} s any token lives; \
                 it is not used",
                lifetime.as_millis(),
                self.min_lifetime().as_secs_f64()
            ),
        }
    }

    /// Forgets the token for `audience` after the service refused it.
    pub fn invalidate(&self, audience: &Audience) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(audience.resource);
    }
}

impl AssertionSource {
    /// Where the assertion's request goes (for the log; never with the request token).
    pub fn describe(&self) -> String {
        match self {
            AssertionSource::GitHub { audience, .. } => {
                format!("GitHub Actions OIDC token (audience {audience})")
            }
            AssertionSource::AzurePipelines { id_token, renewal } => match renewal {
                AzurePipelinesRenewal::Request {
                    service_connection_id,
                    ..
                } => {
                    let given = match id_token {
                        Some(_) => "the idToken of AzureCLI@2, then ",
                        None => "",
                    };
                    format!(
                        "Azure Pipelines OIDC token: {given}from service connection {service_connection_id}"
                    )
                }
                AzurePipelinesRenewal::Unavailable { .. } => {
                    "Azure Pipelines OIDC token: the idToken of AzureCLI@2, not renewable"
                        .to_owned()
                }
            },
            AssertionSource::GitLab { variable, .. } => format!("GitLab ID token from {variable}"),
            AssertionSource::TokenFile(path) => {
                format!("federated token file {}", path.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_an_authority_are_checked_before_they_are_registered() {
        let token = token_from_authority("eyJ0eXAi.payload-part.signature", "access_token")
            .expect("a token");
        assert_eq!(token.expose(), "eyJ0eXAi.payload-part.signature");
        assert_eq!(
            crate::secret::redact("x eyJ0eXAi.payload-part.signature"),
            "x ***"
        );
        for (value, expected) in [
            ("", "has no access_token"),
            ("short-tok3n", "11 characters long, too short"),
            (
                "eyJ0eXAi.payload\nInjected: yes",
                "holds characters no token has",
            ),
            ("eyJ0eXAi.payload\ttab", "holds characters no token has"),
            (
                "eyJ0eXAi.payload-é-unicode",
                "holds characters no token has",
            ),
        ] {
            let error = token_from_authority(value, "access_token").expect_err(value);
            assert!(error.contains(expected), "{error}");
            if !value.is_empty() {
                assert!(!error.contains(value), "echoed: {error}");
            }
        }
    }

    /// An early refresh answered too short-lived: a new token is forgotten (never used, so
    /// never masked nor counted), but the token in use, sent again with less life left, stays
    /// redacted.
    #[test]
    fn a_token_too_short_to_use_is_forgotten_unless_it_is_the_one_in_use() {
        let tokens = Tokens::new(TokenSource::new(
            Credential::AccessToken(Secret::new("t-given-token-0000")),
            Url::parse("https://login.example/").expect("url"),
        ));
        let audience = Audience::new(
            "https://api.example",
            &Url::parse("https://api.example/").expect("url"),
        );
        let in_use = "eyJ0eXAi.in-use-token.signature-7f3a";
        let stale = || {
            Some((
                Secret::expiring(in_use),
                Some(Instant::now() + Duration::from_secs(30)),
            ))
        };
        let answer = |value: &str| {
            Ok(AccessToken {
                token: Secret::expiring(value),
                expires_in: Some(Duration::from_secs(10)),
            })
        };
        let kept = tokens
            .take(&audience, stale(), answer(in_use))
            .expect("token");
        assert_eq!(kept.expose(), in_use);
        assert_eq!(crate::secret::redact(in_use), "***");

        let unused = "eyJ0eXAi.unused-token.signature-9c2b";
        let kept = tokens
            .take(&audience, stale(), answer(unused))
            .expect("token");
        assert_eq!(kept.expose(), in_use);
        assert_eq!(crate::secret::redact(in_use), "***");
        assert_eq!(crate::secret::redact(unused), unused);
    }

    #[test]
    fn refresh_margin_is_five_minutes_or_half_the_lifetime() {
        let obtained = Instant::now();
        let hour = Cached {
            token: Secret::new("t-hour-token"),
            obtained,
            expires: Some(obtained + Duration::from_secs(3600)),
        };
        assert_eq!(
            hour.refresh_at(REFRESH_MARGIN),
            Some(obtained + Duration::from_secs(3600 - 300))
        );
        let short = Cached {
            token: Secret::new("t-short-token"),
            obtained,
            expires: Some(obtained + Duration::from_secs(4)),
        };
        assert_eq!(
            short.refresh_at(REFRESH_MARGIN),
            Some(obtained + Duration::from_secs(2))
        );
        let given = Cached {
            token: Secret::new("t-given-token"),
            obtained,
            expires: None,
        };
        assert_eq!(given.refresh_at(REFRESH_MARGIN), None);
        assert!(given.is_valid(obtained + Duration::from_secs(1_000_000)));
    }
}
