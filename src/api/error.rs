//! Errors of API calls. Each names the call, the HTTP status and the service's own message, and
//! where a common cause is known, a `help` line saying what to check.

use serde_json::Value;

use crate::text::{html_to_text, one_line, truncate};

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
    UntrustedCertificate { call: &'static str, detail: String },
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

    /// What to check, for the causes that are common enough to name.
    pub fn help(&self) -> Option<String> {
        if let ApiError::Status { call, message, .. } = self
            && *call == crate::auth::entra::TOKEN_CALL
        {
            return Some(
                crate::auth::entra::help_for(message)
                    .unwrap_or(
                        "check tenant-id, client-id and the credential (secret or federated)",
                    )
                    .to_owned(),
            );
        }
        match self {
            ApiError::Status { status: 401, .. } => Some(
                "the token was refused: check that the client secret (or federated credential) \
                 has not expired and belongs to this tenant, and that the service principal \
                 was added to the publisher in Partner Center (Account settings > User management)"
                    .to_owned(),
            ),
            ApiError::Status { status: 403, .. } => Some(
                "the service principal may not act for this publisher: add it in Partner \
                 Center (Account settings > User management) with the Manager or Developer \
                 role, and check publisher-id"
                    .to_owned(),
            ),
            ApiError::Status { status: 404, .. } => {
                Some("check publisher-id and offer-id (and api-url)".to_owned())
            }
            ApiError::UntrustedCertificate { .. } => Some(
                "the server's certificate is not trusted: when a TLS-inspecting proxy sits \
                 between the runner and the service, set SSL_CERT_FILE to a PEM file with its \
                 root certificate; otherwise check api-url and authority-host"
                    .to_owned(),
            ),
            ApiError::Local { help, .. } => help.clone(),
            _ => None,
        }
    }
}

/// The service's message from an error body: the JSON error fields CPP, Entra and the ingestion
/// API use, else the body as text (HTML reduced), cut to a readable length.
pub fn service_message(body: &[u8]) -> (Option<String>, String) {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let error = value.get("error");
        let code = error
            .and_then(|e| e.get("code"))
            .or(error.filter(|e| e.is_string()))
            .or_else(|| value.get("code"))
            .and_then(Value::as_str)
            .map(|code| truncate(&one_line(code), 100));
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
        .map(|text| truncate(&one_line(text), MESSAGE_LIMIT))
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
        truncate(&one_line(&html_to_text(&text)), MESSAGE_LIMIT),
    )
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
        };
        assert_eq!(
            error.to_string(),
            "publish offer failed: HTTP 422: failed validation"
        );
    }
}
