//! One interface over the two publishing APIs (start an operation, read its state, cancel it),
//! so that waiting, reporting and retries are written once.

use tokio::time::Instant;
use url::Url;

use super::cpp::{self, Cpp, Polled, Started};
use super::error::ApiError;
use crate::outcome::OperationRef;

/// What a wait follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handle {
    /// An operation's status URL (CPP `Location`).
    Operation(Url),
    /// The offer's own status, when a running operation exists but its URL is not known.
    OfferStatus,
}

impl Handle {
    /// The id and URL reported as outputs.
    pub fn reference(&self) -> OperationRef {
        match self {
            Handle::Operation(url) => OperationRef {
                id: cpp::operation_id_from_url(url),
                url: Some(url.clone()),
            },
            Handle::OfferStatus => OperationRef {
                id: String::new(),
                url: None,
            },
        }
    }
}

/// What starting an operation can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartKind {
    Publish,
    GoLive,
}

pub enum Backend<'a> {
    Cpp(Cpp<'a>),
}

impl Backend<'_> {
    pub fn api_name(&self) -> &'static str {
        match self {
            Backend::Cpp(_) => "Cloud Partner Portal",
        }
    }

    /// Starts a publish or go-live; `Ok(None)` when the service finished at once.
    pub async fn start(
        &self,
        kind: StartKind,
        emails: &[String],
        deadline: Instant,
    ) -> Result<Option<Handle>, ApiError> {
        let started = match (self, kind) {
            (Backend::Cpp(cpp), StartKind::Publish) => cpp.publish(emails, deadline).await?,
            (Backend::Cpp(cpp), StartKind::GoLive) => cpp.go_live(deadline).await?,
        };
        Ok(match started {
            Started::Operation(url) => Some(Handle::Operation(url)),
            Started::Done => None,
        })
    }

    /// One reading of the state `handle` points at.
    pub async fn poll(&self, handle: &Handle, deadline: Instant) -> Result<Polled, ApiError> {
        match (self, handle) {
            (Backend::Cpp(cpp), Handle::Operation(url)) => cpp.operation(url, deadline).await,
            (Backend::Cpp(cpp), Handle::OfferStatus) => cpp.offer_status(deadline).await,
        }
    }

    /// The offer's current state.
    pub async fn offer_state(&self, deadline: Instant) -> Result<Polled, ApiError> {
        match self {
            Backend::Cpp(cpp) => cpp.offer_status(deadline).await,
        }
    }

    /// The operation running now, if the service says. `Ok(None)`: none found, or the service
    /// cannot list them.
    pub async fn find_running(&self, deadline: Instant) -> Result<Option<Handle>, ApiError> {
        match self {
            Backend::Cpp(cpp) => Ok(cpp
                .running_operations(deadline)
                .await?
                .and_then(|urls| urls.into_iter().next())
                .map(Handle::Operation)),
        }
    }

    /// Asks the service to cancel the running operation; returns what to wait on, if anything.
    pub async fn cancel(
        &self,
        emails: &[String],
        deadline: Instant,
    ) -> Result<Option<Handle>, ApiError> {
        match self {
            Backend::Cpp(cpp) => Ok(match cpp.cancel(emails, deadline).await? {
                Started::Operation(url) => Some(Handle::Operation(url)),
                Started::Done => None,
            }),
        }
    }
}
