//! The request trace, at debug level (`RUST_LOG=debug`, or the runner's debug logging): one line
//! a request, with what support needs to find it on the service's side (method, URL, status,
//! time, the request and correlation ids) and nothing that could be a secret: no header but the
//! service's ids, no body, and no query value but the API version. The line goes through the
//! log writer like any other, which makes it inert and redacts what is left.

use std::time::Duration;

use reqwest::header::HeaderMap;
use url::Url;

use super::Request;
use crate::text::{format_elapsed, single_line, truncate};

/// The headers a service names a request by, as Azure's SDKs log them: ARM and CPP
/// (`x-ms-request-id`, `x-ms-correlation-request-id`), Microsoft Graph and Entra (`request-id`,
/// `client-request-id`).
const ID_HEADERS: [&str; 5] = [
    "x-ms-request-id",
    "x-ms-correlation-request-id",
    "request-id",
    "client-request-id",
    "x-ms-client-request-id",
];

/// Query parameters whose values are shown: a version says nothing secret; any other value may
/// be a signature or a code.
const SHOWN_QUERY: [&str; 2] = ["api-version", "$version"];

/// A service's id is short; anything longer is cut.
const MAX_ID_CHARS: usize = 100;

/// `url` for the trace: no user or password, no fragment, and each query value but a version
/// replaced with `***`. A part with no `=` is all value (a token handed over as `?<token>`):
/// it is hidden whole, name and all.
pub fn traced_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if let Some(query) = url.query() {
        let parts: Vec<String> = query
            .split('&')
            .map(|part| match part.split_once('=') {
                Some((name, _)) if is_shown(name) => part.to_owned(),
                Some((name, _)) => format!("{name}=***"),
                None if part.is_empty() => String::new(),
                None => "***".to_owned(),
            })
            .collect();
        shown.set_query(Some(&parts.join("&")));
    }
    shown.to_string()
}

/// Whether the query parameter `name` (as written in the URL, percent-encoded) has its value
/// shown.
fn is_shown(name: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    SHOWN_QUERY.contains(&decoded.as_ref())
}

/// The service's ids in `headers`, as `name=value` pairs.
fn ids(headers: &HeaderMap) -> String {
    ID_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            // Redacted before it is cut: a cut secret no longer matches itself, and the log
            // writer's redaction would let its first characters through.
            let value = crate::secret::redact(&single_line(value)).into_owned();
            Some(format!(" {name}={}", truncate(&value, MAX_ID_CHARS)))
        })
        .collect()
}

/// A request answered: `final_url` is where a redirect within the origin led.
pub fn answered(
    request: &Request<'_>,
    final_url: &Url,
    status: u16,
    headers: &HeaderMap,
    took: Duration,
) {
    let redirected = if final_url == request.url {
        String::new()
    } else {
        format!(" (redirected to {})", traced_url(final_url))
    };
    tracing::debug!(
        "{}: {} {}{redirected} -> HTTP {status} in {}{}",
        request.call,
        request.method,
        traced_url(request.url),
        format_elapsed(took),
        ids(headers)
    );
}

/// A request that got no answer.
pub fn failed(request: &Request<'_>, error: &super::ApiError, took: Duration) {
    tracing::debug!(
        "{}: {} {} -> no answer after {}: {error}",
        request.call,
        request.method,
        traced_url(request.url),
        format_elapsed(took)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_but_the_version_are_hidden() {
        let url = Url::parse(
            "https://user:pa55@api.example/ops/1?api-version=2017-10-31&sig=s3cr3t&code=abc#frag",
        )
        .expect("url");
        let shown = traced_url(&url);
        assert_eq!(
            shown,
            "https://api.example/ops/1?api-version=2017-10-31&sig=***&code=***"
        );
    }

    /// A query part with no `=` is all value: a token handed over as `?<token>` (or
    /// `&<signature>`) must not be shown as a name.
    #[test]
    fn a_query_part_without_a_name_is_hidden_whole() {
        let url =
            Url::parse("https://api.example/ops/1?eyJhbGciOiJIUzI1NiJ9.s3cr3t&api-version=2&x=1")
                .expect("url");
        let shown = traced_url(&url);
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(shown, "https://api.example/ops/1?***&api-version=2&x=***");
    }

    /// A service that echoes the token in an id header: the id is cut to its first 100
    /// characters, and a cut token no longer matches the registered secret, so it is redacted
    /// before it is cut.
    #[test]
    fn an_id_holding_a_secret_is_redacted_before_it_is_cut() {
        let token = format!("eyJ0eXAiOiJKV1Qi{}", "Xq7".repeat(100));
        crate::secret::register(&token);
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-request-id", token.parse().expect("value"));
        let shown = ids(&headers);
        assert!(!shown.contains(&token[..40]), "{shown}");
        assert_eq!(shown, " x-ms-request-id=***");
    }

    #[test]
    fn ids_are_the_services_only() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-request-id", "abc-123".parse().expect("value"));
        headers.insert("authorization", "Bearer secret".parse().expect("value"));
        headers.insert("request-id", "r1".parse().expect("value"));
        assert_eq!(ids(&headers), " x-ms-request-id=abc-123 request-id=r1");
    }
}
