//! The HTTP transport: the client and the one loop that sends a request, retrying what the
//! policy in [`retry`] calls transient, within the time the caller allows.
//!
//! It sits beneath both [`crate::auth`] and [`crate::api`] and knows nothing of either: not how
//! tokens are got (a bearer value is just a [`Secret`] header), not the configuration, not what a
//! call is for. The help line of a failed call is chosen by the layer that made it.

pub mod error;
pub mod json;
pub mod redirect;
pub mod retry;

use std::error::Error;
use std::path::Path;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Certificate, Method};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::secret::Secret;
use crate::text::format_elapsed;
use error::{ApiError, service_message};
use redirect::Redirect;
use retry::{RetryPolicy, is_not_processed_status, is_transient_status, retry_after};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// A request close to the time limit still gets this long to answer.
const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Status answers are small JSON documents; anything this large is not one. A document read to
/// be changed and sent back (an offer, a technical configuration) is read whole up to its own,
/// larger cap instead ([`Request::max_body`], `draft::document::DOCUMENT_CAP`): cutting it would
/// lose what was cut when it is written back.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads and token requests: sending twice does no harm.
    Safe,
    /// Requests that start something (publish): sent again only when the first certainly did
    /// not reach the service (the connection was refused, or the service said 429), and never
    /// to where a redirect points.
    OnlyIfNotReceived,
}

/// How many times one call has been sent, counted across the sends that make it up (see
/// [`HttpClient::send_counted`]).
#[derive(Debug, Default)]
pub struct Sends(u32);

/// What one send's result means for the call.
enum Next<T> {
    Done(Result<T, ApiError>),
    Follow(Url),
    Retry(ApiError, Option<Duration>),
}

#[derive(Clone, Copy)]
pub enum Body<'a> {
    Empty,
    Json(&'a Value),
    /// Form fields; values may be secrets, exposed only here.
    Form(&'a [(&'static str, &'a str)]),
}

#[derive(Clone)]
pub struct Request<'a> {
    /// What the call is, for messages: `publish offer`.
    pub call: &'static str,
    pub method: Method,
    pub url: &'a Url,
    pub bearer: Option<&'a Secret>,
    pub headers: &'a [(&'static str, &'a str)],
    pub body: Body<'a>,
    pub replay: Replay,
    /// The largest answer body read: [`MAX_BODY`], or a document's own cap. A larger one is
    /// refused, never cut.
    pub max_body: usize,
}

/// A response read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// How long the service asks to wait before the next request, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers, SystemTime::now())
    }
}

/// What a caller's reader makes of a success response.
pub enum Read<T> {
    Done(T),
    /// Not the expected document (a proxy's page): retried when the request is safe to repeat.
    Unexpected(String),
    /// Final: an error that another try will not mend.
    Fail(ApiError),
}

/// Why the client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read {path}: {source}")]
    UnreadableRoots {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("no PEM certificates in {path} (expected -----BEGIN CERTIFICATE----- blocks)")]
    NoCertificates { path: std::path::PathBuf },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl HttpClient {
    /// Builds the client: rustls with the built-in Mozilla roots (a `FROM scratch` image has no CA
    /// bundle), plus the PEM certificates in `extra_roots` for TLS-inspecting proxies. Proxies
    /// come from `HTTPS_PROXY` / `NO_PROXY`.
    pub fn new(extra_roots: Option<&Path>, policy: RetryPolicy) -> Result<HttpClient, SetupError> {
        // Another provider may already be installed (tests, embedding); either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let mut roots: Vec<Certificate> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| Certificate::from_der(der).ok())
            .collect();
        if let Some(path) = extra_roots {
            let pem = std::fs::read(path).map_err(|source| SetupError::UnreadableRoots {
                path: path.to_owned(),
                source,
            })?;
            let extra = Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| SetupError::NoCertificates {
                    path: path.to_owned(),
                })?;
            roots.extend(extra);
        }

        let client = reqwest::Client::builder()
            .user_agent(concat!("publish-offer/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .tls_certs_only(roots)
            // Redirects are followed (or not) by the send loop, by the rule of [`redirect`].
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| SetupError::Client(error.to_string()))?;
        Ok(HttpClient { client, policy })
    }

    /// Sends `request` as a call of its own, retrying transient failures until `deadline`.
    /// `read` turns a success response into the call's result. Error statuses come back as
    /// [`ApiError::Status`].
    pub async fn send<T>(
        &self,
        request: &Request<'_>,
        deadline: Instant,
        read: impl Fn(&Response) -> Read<T>,
    ) -> Result<T, ApiError> {
        self.send_counted(request, deadline, read, &mut Sends::default())
            .await
    }

    /// Sends `request` as part of a call already sent `sends` times, and counts each send: a
    /// retry, a followed redirect and a re-send with a new token all count toward the one cap of
    /// the retry policy, so no sequence of answers sends one call more often than that.
    pub async fn send_counted<T>(
        &self,
        request: &Request<'_>,
        deadline: Instant,
        read: impl Fn(&Response) -> Read<T>,
        sends: &mut Sends,
    ) -> Result<T, ApiError> {
        // Where the request goes: a followed redirect moves it (within its origin).
        let mut url = request.url.clone();
        loop {
            let current = Request {
                url: &url,
                ..request.clone()
            };
            sends.0 = sends.0.saturating_add(1);
            let result = self.send_once(&current, deadline).await;
            let (error, hint) = match self.next_step(&current, result, &read, sends) {
                Next::Done(result) => return result,
                Next::Follow(next) => {
                    tracing::info!("{}: redirected within its origin; following", request.call);
                    url = next;
                    continue;
                }
                Next::Retry(error, hint) => (error, hint),
            };
            if !self.may_send_again(sends) {
                tracing::warn!("{error}; not retrying: tried {} times", sends.0);
                return Err(error);
            }
            let delay = self.policy.delay(sends.0 - 1, hint);
            let now = Instant::now();
            if now.checked_add(delay).is_none_or(|next| next >= deadline) {
                // The next try would come after the time limit: wait out the limit (the user asked
                // for that long) and report the last failure.
                tracing::warn!("{error}; not retrying: the time limit is reached");
                tokio::time::sleep_until(deadline).await;
                return Err(error);
            }
            tracing::warn!("{error}; retrying in {}", format_elapsed(delay));
            tokio::time::sleep(delay).await;
        }
    }

    /// Whether a call sent `sends` times may be sent once more.
    pub fn may_send_again(&self, sends: &Sends) -> bool {
        self.policy.may_retry(sends.0)
    }

    /// What one send's result means: the call's result, a redirect to follow, or a failure that
    /// another try may mend (with the service's hint of when).
    fn next_step<T>(
        &self,
        request: &Request<'_>,
        result: Result<Response, ApiError>,
        read: &impl Fn(&Response) -> Read<T>,
        sends: &Sends,
    ) -> Next<T> {
        let safe = request.replay == Replay::Safe;
        match result {
            Ok(response) if redirect::is_redirect(response.status) => {
                match redirect::judge(request, &response, sends.0, self.may_send_again(sends)) {
                    Redirect::Follow(url) => Next::Follow(url),
                    Redirect::Refuse(error) => Next::Done(Err(error)),
                }
            }
            Ok(response) if (200..300).contains(&response.status) => match read(&response) {
                Read::Done(value) => Next::Done(Ok(value)),
                Read::Fail(error) => Next::Done(Err(error)),
                Read::Unexpected(detail) => {
                    let error = ApiError::UnexpectedBody {
                        call: request.call,
                        status: response.status,
                        detail,
                    };
                    if safe {
                        Next::Retry(error, response.retry_after())
                    } else {
                        Next::Done(Err(error))
                    }
                }
            },
            Ok(response) => {
                let error = status_error(request, &response);
                let retry = is_transient_status(response.status)
                    && (safe || is_not_processed_status(response.status));
                if retry {
                    Next::Retry(error, response.retry_after())
                } else {
                    Next::Done(Err(error))
                }
            }
            Err(error) => match &error {
                ApiError::Transport { before_sending, .. } if *before_sending || safe => {
                    Next::Retry(error, None)
                }
                _ => Next::Done(Err(error)),
            },
        }
    }

    async fn send_once(
        &self,
        request: &Request<'_>,
        deadline: Instant,
    ) -> Result<Response, ApiError> {
        check_headers(request)?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .timeout(remaining.clamp(MIN_REQUEST_TIMEOUT, REQUEST_TIMEOUT))
            .header(header::ACCEPT, "application/json");
        if let Some(token) = request.bearer {
            builder = builder.bearer_auth(token.expose());
        }
        for (name, value) in request.headers {
            builder = builder.header(*name, *value);
        }
        builder = match &request.body {
            Body::Empty if request.method == Method::POST => {
                builder.header(header::CONTENT_LENGTH, "0")
            }
            Body::Empty => builder,
            Body::Json(value) => builder.json(value),
            Body::Form(fields) => builder.form(fields),
        };

        let transport = |error| transport_error(request.call, &error);
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let too_large = || ApiError::UnexpectedBody {
            call: request.call,
            status,
            detail: format!(
                "the body is larger than {} MiB, the most this call reads; it was not read (and \
                 nothing read was cut)",
                request.max_body / (1024 * 1024)
            ),
        };
        if response
            .content_length()
            .is_some_and(|len| len > request.max_body as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > request.max_body {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body: Bytes::from(body),
        })
    }
}

/// The error for an answer with an error status: the service's code and message. (A redirect
/// that is not followed gets its error from [`redirect::judge`].)
fn status_error(request: &Request<'_>, response: &Response) -> ApiError {
    let (code, message) = service_message(&response.body);
    ApiError::Status {
        call: request.call,
        status: response.status,
        code,
        message,
        help: None,
    }
}

/// The error for a request the client failed to send or whose answer it failed to read: whether
/// anything reached the service decides whether it may be sent again.
fn transport_error(call: &'static str, error: &reqwest::Error) -> ApiError {
    let detail = describe(error);
    if error.is_builder() {
        // Nothing was sent: a request that cannot be built never reaches the service.
        ApiError::Local {
            call,
            detail: format!("the request cannot be built: {detail}; nothing was sent"),
            help: None,
        }
    } else if is_certificate_refusal(error) {
        ApiError::UntrustedCertificate {
            call,
            detail,
            help: None,
        }
    } else {
        ApiError::Transport {
            call,
            before_sending: error.is_connect(),
            detail,
        }
    }
}

/// Refuses, before anything is sent, a request whose headers cannot be written: a bearer value
/// or a header holding a line break would otherwise fail inside the client as if the request had
/// been sent, and an ambiguous send of a publish leads to a search for it. The value is never
/// quoted: it may be a secret.
fn check_headers(request: &Request<'_>) -> Result<(), ApiError> {
    let unsendable = |what: String| ApiError::Local {
        call: request.call,
        detail: format!(
            "the request cannot be built: {what} holds characters an HTTP header cannot carry \
             (a line break or another control character); nothing was sent"
        ),
        help: None,
    };
    if let Some(bearer) = request.bearer
        && HeaderValue::from_str(&format!("Bearer {}", bearer.expose())).is_err()
    {
        return Err(unsendable(
            "the bearer credential of the Authorization header".to_owned(),
        ));
    }
    for (name, value) in request.headers {
        if HeaderValue::from_str(value).is_err() {
            return Err(unsendable(format!("the value of the {name} header")));
        }
    }
    Ok(())
}

/// Whether the TLS handshake failed because the server's certificate was refused (unknown issuer,
/// wrong name, expired).
fn is_certificate_refusal(error: &reqwest::Error) -> bool {
    let mut source = error.source();
    while let Some(cause) = source {
        if matches!(
            tls_error(cause),
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::UnsupportedNameType)
        ) {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The rustls error in `cause`. The connector wraps it in `io::Error`s (two deep), whose
/// `source()` skips the wrapped error, so they are opened with `get_ref`.
fn tls_error<'a>(mut cause: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cause = cause.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

/// A transport error in words, from its source chain (`connection refused`), without the URL.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "no answer"
    };
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    match causes.last() {
        Some(root) => format!("{kind} ({root})"),
        None => kind.to_owned(),
    }
}
