//! The API clients. [`Api`] sends authenticated requests: it refuses to send a token anywhere but
//! its audience's origin, and after a 401 gets a new token and tries once more. [`cpp`] has one
//! function per Cloud Partner Portal endpoint.

pub mod backend;
pub mod cpp;
pub mod error;
pub mod ingestion;
pub mod model;

use tokio::time::Instant;

use crate::auth::{Audience, Tokens};
use crate::transport::{HttpClient, Read, Request, Response, Sends};
use error::{ApiError, api_help};

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
