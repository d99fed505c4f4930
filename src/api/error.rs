//! What to check when a call to the publishing APIs fails, for the causes common enough to name.
//! The error type itself belongs to the transport beneath ([`crate::transport::error`]).

pub use crate::transport::error::{ApiError, service_message};

/// Help for a failed call to the CPP or product ingestion API: chosen here, where those calls are
/// made, because only here is it known that a 401 means the service principal was refused.
/// `on_cpp`: the call went to the CPP API, where a 404 is most often an offer that lives in
/// Partner Center only.
pub fn api_help(error: &ApiError, on_cpp: bool) -> Option<String> {
    match error {
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
        ApiError::Status { status: 404, .. } if on_cpp => Some(
            "check publisher-id and offer-id (and api-url); an offer created in Partner Center \
             is not in the Cloud Partner Portal API: use api: ingestion (or auto, the default)"
                .to_owned(),
        ),
        ApiError::Status { status: 404, .. } => {
            Some("check publisher-id and offer-id (and api-url)".to_owned())
        }
        ApiError::UntrustedCertificate { .. } => {
            Some(crate::auth::UNTRUSTED_CERTIFICATE_HELP.to_owned())
        }
        _ => None,
    }
}
