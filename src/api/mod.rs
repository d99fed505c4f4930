//! The API clients. [`Api`] sends authenticated requests: it refuses to send a token anywhere but
//! its audience's origin, and after a 401 gets a new token and tries once more. [`cpp`] has one
//! function per Cloud Partner Portal endpoint.

pub mod backend;
pub mod cpp;
pub mod cpp_draft;
pub mod draft;
pub mod error;
pub mod ingestion;
pub mod model;
pub mod value_kind;

use tokio::time::Instant;

use crate::auth::{Audience, Tokens};
use crate::transport::{HttpClient, Read, Request, Response, Sends};
use error::{ApiError, api_help};

/// Publisher and offer ids are short in practice (CPP allows 50); anything near this is a paste
/// gone wrong, or not an id the service gave.
pub const MAX_ID_LEN: usize = 100;

/// The one identifier rule, for ids from the user and from the service alike:
/// `[A-Za-z0-9][A-Za-z0-9._-]*`, at most [`MAX_ID_LEN`]. Ids go into URL paths, so anything else
/// is refused, not encoded ([`value_kind::ValueKind::Identifier`] is this rule).
pub fn is_identifier(value: &str) -> bool {
    let mut chars = value.chars();
    value.len() <= MAX_ID_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The offer a run is about. The publisher id is empty with the product ingestion API, which
/// finds the product by offer id within the token's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRef {
    pub publisher_id: String,
    pub offer_id: String,
}

pub struct Api {
    pub http: HttpClient,
    pub tokens: Tokens,
}

impl Api {
    pub fn new(http: HttpClient, tokens: Tokens) -> Self {
        Api { http, tokens }
    }

    /// Sends `request` with a bearer token for `audience`. A failure of the call itself gets the
    /// help of [`api_help`]; a failure to get the token keeps the token call's own.
    pub async fn call<T>(
        &self,
        audience: &Audience,
        request: Request<'_>,
        deadline: Instant,
        read: impl Fn(&Response) -> Read<T>,
    ) -> Result<T, ApiError> {
        self.call_unexplained(audience, request, deadline, read)
            .await
            .map_err(|error| error.with_help(api_help))
    }

    async fn call_unexplained<T>(
        &self,
        audience: &Audience,
        request: Request<'_>,
        deadline: Instant,
        read: impl Fn(&Response) -> Read<T>,
    ) -> Result<T, ApiError> {
        if request.url.origin() != audience.origin {
            return Err(ApiError::OffOrigin {
                call: request.call,
                url: request.url.to_string(),
                allowed: audience.origin.ascii_serialization(),
            });
        }
        let token = self.tokens.get(&self.http, audience, deadline).await?;
        let first = Request {
            bearer: Some(&token),
            ..request.clone()
        };
        // One count for both sends: a re-send with a new token is a send of the same call.
        let mut sends = Sends::default();
        match self
            .http
            .send_counted(&first, deadline, &read, &mut sends)
            .await
        {
            Err(error @ ApiError::Status { status: 401, .. })
                if self.tokens.source().can_refresh() =>
            {
                if !self.http.may_send_again(&sends) {
                    tracing::warn!(
                        "{error}; not sending it again with a new token: sent as often as one call is"
                    );
                    return Err(error);
                }
                tracing::info!(
                    "{}: the token was refused (HTTP 401); getting a new one and trying once more",
                    request.call
                );
                self.tokens.invalidate(audience);
                let token = self.tokens.get(&self.http, audience, deadline).await?;
                let second = Request {
                    bearer: Some(&token),
                    ..request
                };
                self.http
                    .send_counted(&second, deadline, &read, &mut sends)
                    .await
            }
            other => other,
        }
    }
}
