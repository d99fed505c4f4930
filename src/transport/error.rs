//! Errors of HTTP calls. Each names the call, the HTTP status and the service's own message. The
//! `help` line (what to check) is left empty here: the transport does not know what a call is
//! for, so the layer that makes the call fills it in with [`ApiError::with_help`].

use serde_json::Value;

use crate::text::{html_to_text, single_line};

/// The longest service message quoted in an error.
const MESSAGE_LIMIT: usize = 500;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The service answered with an error status.
    #[error("{call} failed: HTTP {status}{}", with_message(.message))]
    Status {
        call: &'static str,
        status: u16,
        /// The service's error code (`error.code`, or Entra's `error`), when it sent one.
        code: Option<String>,
        message: String,
        /// What to check, chosen by the layer that made the call.
        help: Option<String>,
    },
    /// No answer: connection refused or reset, a timeout, a broken body.
    #[error("{call} failed: {detail}")]
    Transport {
        call: &'static str,
        detail: String,
        /// The connection was never made, so the request certainly did not reach the service.
        before_sending: bool,
    },
    /// The server's TLS certificate was refused. Not retried: it will not change by waiting, and
    /// the request never left.
    #[error("{call} failed: {detail}")]
    UntrustedCertificate {
        call: &'static str,
        detail: String,
        help: Option<String>,
    },
    /// A success status with a body that is not what the call returns (a proxy's HTML page).
    #[error("{call}: unexpected answer (HTTP {status}): {detail}")]
    UnexpectedBody {
        call: &'static str,
        status: u16,
        detail: String,
    },
    /// A URL from the service points somewhere the token must not go.
    #[error("{call}: refused to send the token to {url}: it is not on {allowed}")]
    OffOrigin {
        call: &'static str,
        url: String,
        allowed: String,
    },
    /// Failed before any request: a credential file could not be read, or the call cannot be
    /// made with what is known.
    #[error("{call} failed: {detail}")]
    Local {
        call: &'static str,
        detail: String,
        help: Option<String>,
    },
}

fn with_message(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl ApiError {
    pub fn call(&self) -> &'static str {
        match self {
            ApiError::Status { call, .. }
            | ApiError::Transport { call, .. }
            | ApiError::UntrustedCertificate { call, .. }
            | ApiError::UnexpectedBody { call, .. }
            | ApiError::OffOrigin { call, .. }
            | ApiError::Local { call, .. } => call,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } | ApiError::UnexpectedBody { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// What to check, when the caller named a likely cause.
    pub fn help(&self) -> Option<String> {
        match self {
            ApiError::Status { help, .. }
            | ApiError::UntrustedCertificate { help, .. }
            | ApiError::Local { help, .. } => help.clone(),
            _ => None,
        }
    }

    /// The error with `help` (what the caller knows of the likely cause) as its help line, unless
    /// it has one already: the innermost caller knows most.
    pub fn with_help(mut self, help: impl FnOnce(&ApiError) -> Option<String>) -> ApiError {
        if self.help().is_some() {
            return self;
        }
        let chosen = help(&self);
        if let ApiError::Status { help, .. }
        | ApiError::UntrustedCertificate { help, .. }
        | ApiError::Local { help, .. } = &mut self
        {
            *help = chosen;
        }
        self
    }
}

/// The service's message from an error body: the JSON error fields CPP, Entra and the ingestion
/// API use, else the body as text (HTML reduced), cut to a readable length.
pub fn service_message(body: &[u8]) -> (Option<String>, String) {
    if let Ok(value) = super::json::parse(body) {
        let error = value.get("error");
        let code = error
            .and_then(|e| e.get("code"))
            .or(error.filter(|e| e.is_string()))
            .or_else(|| value.get("code"))
            .and_then(Value::as_str)
            .map(|code| crate::secret::redact_then_cut(&single_line(code), 100));
        let message = [
            error.and_then(|e| e.get("message")),
            value.get("error_description"),
            value.get("message"),
            value.get("Message"),
            value
                .get("errors")
                .and_then(|errors| errors.get(0))
                .and_then(|first| first.get("message")),
            value.get("detail"),
            value.get("title"),
        ]
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .map(|text| {
            // The innermost messages of `error.details[]` say what the wrapper only sums up
            // ("Schema validation failed for schema ..." under "Invalid configuration").
            let leaves = detail_leaves(error);
            let text = if leaves.is_empty() {
                text.to_owned()
            } else {
                format!("{text}: {}", leaves.join("; "))
            };
            crate::secret::redact_then_cut(&single_line(&text), MESSAGE_LIMIT)
        })
        .unwrap_or_default();
        if !message.is_empty() || code.is_some() {
            let message = match (&code, message.is_empty()) {
                (Some(code), true) => code.clone(),
                (Some(code), false) if !message.contains(code.as_str()) => {
                    format!("{code}: {message}")
                }
                _ => message,
            };
            return (code, message);
        }
    }
    let text = String::from_utf8_lossy(body);
    (
        None,
        crate::secret::redact_then_cut(&single_line(&html_to_text(&text)), MESSAGE_LIMIT),
    )
}

/// How deep `details[]` is followed, and how many innermost messages are kept: the message is
/// cut to [`MESSAGE_LIMIT`] after them anyway.
const MAX_DETAIL_DEPTH: usize = 8;
const MAX_DETAIL_LEAVES: usize = 10;

/// The innermost items under `error.details[]`, each as `code: message` (or what it has of
/// them), in order.
fn detail_leaves(error: Option<&Value>) -> Vec<String> {
    let mut leaves = Vec::new();
    if let Some(details) = error.and_then(|error| error.get("details")) {
        collect_leaves(details, 0, &mut leaves);
    }
    leaves
}

fn collect_leaves(details: &Value, depth: usize, leaves: &mut Vec<String>) {
    let Some(items) = details.as_array() else {
        return;
    };
    for item in items {
        if leaves.len() >= MAX_DETAIL_LEAVES || depth >= MAX_DETAIL_DEPTH {
            return;
        }
        let before = leaves.len();
        if let Some(inner) = item.get("details") {
            collect_leaves(inner, depth + 1, leaves);
        }
        if leaves.len() > before {
            continue;
        }
        let field = |key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|text| !text.is_empty())
        };
        let leaf = match (field("code"), field("message").or_else(|| item.as_str())) {
            (Some(code), Some(message)) if !message.contains(code) => {
                format!("{code}: {message}")
            }
            (_, Some(message)) => message.to_owned(),
            (Some(code), None) => code.to_owned(),
            (None, None) => continue,
        };
        leaves.push(leaf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_from_each_service_shape() {
        assert_eq!(
            service_message(
                br#"{"error":{"code":"InvalidOffer","message":"The offer is invalid."}}"#
            ),
            (
                Some("InvalidOffer".into()),
                "InvalidOffer: The offer is invalid.".into()
            )
        );
        assert_eq!(
            service_message(br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}"#),
            (
                Some("invalid_client".into()),
                "invalid_client: AADSTS7000215: Invalid client secret provided. Trace ID: x".into()
            )
        );
        assert_eq!(service_message(b""), (None, String::new()));
        // The ingestion API's nested shape (cloudpub's configure_failure_response): the
        // innermost message is part of the message, not only the wrapper's.
        assert_eq!(
            service_message(
                br#"{"error":{"code":"badRequest","message":"Invalid configuration: schema validation failed","details":[{"code":"schemaValidationError","message":"Schema validation failed for schema https://scheme"}]}}"#
            ),
            (
                Some("badRequest".into()),
                "badRequest: Invalid configuration: schema validation failed: schemaValidationError: Schema validation failed for schema https://scheme".into()
            )
        );
        let nested = br#"{"error":{"code":"Oops","message":"outer","details":[{"code":"b","message":"middle","details":[{"message":"leaf one"},"leaf two"]},{"code":"c"}]}}"#;
        assert_eq!(
            service_message(nested).1,
            "Oops: outer: leaf one; leaf two; c"
        );
        assert_eq!(
            service_message(b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
            (None, "502 Bad Gateway".into())
        );
    }

    #[test]
    fn display_names_call_status_and_message() {
        let error = ApiError::Status {
            call: "publish offer",
            status: 422,
            code: None,
            message: "failed validation".into(),
            help: None,
        };
        assert_eq!(
            error.to_string(),
            "publish offer failed: HTTP 422: failed validation"
        );
    }
}
