//! One interface over the two publishing APIs (start an operation, read its state, cancel it),
//! so that waiting, reporting and retries are written once.

use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::cpp::{self, Cpp, Polled, Started};
use super::error::ApiError;
use super::ingestion::{self, Ingestion};
use crate::outcome::OperationRef;

/// The product ingestion API asks to be polled at most once a minute.
const INGESTION_MIN_POLL: Duration = Duration::from_secs(60);

/// What a wait follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handle {
    /// An operation's status URL (CPP `Location`).
    Operation(Url),
    /// The offer's own status, when something runs but no operation URL is known.
    OfferStatus,
    /// A product ingestion `configure` job and its status URL.
    IngestionJob { id: String, url: Url },
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
            Handle::IngestionJob { id, url } => OperationRef {
                id: id.clone(),
                url: Some(url.clone()),
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
    Ingestion(Ingestion<'a>),
}

impl Backend<'_> {
    pub fn api_name(&self) -> &'static str {
        match self {
            Backend::Cpp(_) => "Cloud Partner Portal",
            Backend::Ingestion(_) => "product ingestion",
        }
    }

    /// The shortest pause between status reads the service accepts, if it asks for one.
    pub fn min_poll_interval(&self) -> Option<Duration> {
        match self {
            Backend::Cpp(_) => None,
            Backend::Ingestion(_) => Some(INGESTION_MIN_POLL),
        }
    }

    /// What `operation-url` points at.
    pub fn handle_for(&self, url: &Url) -> Handle {
        match self {
            Backend::Ingestion(ingestion) => match ingestion.job_id_from_url(url) {
                Some(id) => Handle::IngestionJob {
                    id,
                    url: url.clone(),
                },
                None => Handle::Operation(url.clone()),
            },
            Backend::Cpp(_) => Handle::Operation(url.clone()),
        }
    }

    /// Starts a publish or go-live: the operation to follow.
    pub async fn start(
        &self,
        kind: StartKind,
        emails: &[String],
        deadline: Instant,
    ) -> Result<Handle, ApiError> {
        match self {
            Backend::Cpp(cpp) => Ok(Handle::Operation(match kind {
                StartKind::Publish => cpp.publish(emails, deadline).await?,
                StartKind::GoLive => cpp.go_live(deadline).await?,
            })),
            Backend::Ingestion(ingestion) => {
                let (id, url) = ingestion
                    .configure(kind == StartKind::GoLive, deadline)
                    .await?;
                Ok(Handle::IngestionJob { id, url })
            }
        }
    }

    /// One reading of the state `handle` points at.
    pub async fn poll(&self, handle: &Handle, deadline: Instant) -> Result<Polled, ApiError> {
        match (self, handle) {
            (_, Handle::OfferStatus) => self.offer_state(deadline).await,
            (Backend::Cpp(cpp), Handle::Operation(url)) => cpp.operation(url, deadline).await,
            (Backend::Ingestion(ingestion), Handle::IngestionJob { url, .. }) => {
                ingestion.job(url, deadline).await
            }
            (Backend::Ingestion(_), Handle::Operation(url))
            | (Backend::Cpp(_), Handle::IngestionJob { url, .. }) => Err(ApiError::OffOrigin {
                call: "get operation status",
                url: url.to_string(),
                allowed: "the API in use".to_owned(),
            }),
        }
    }

    /// The offer's current state.
    pub async fn offer_state(&self, deadline: Instant) -> Result<Polled, ApiError> {
        match self {
            Backend::Cpp(cpp) => cpp.offer_status(deadline).await,
            Backend::Ingestion(ingestion) => ingestion.offer_state(deadline).await,
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
            // Submissions are not jobs: a running one is followed through the offer's state.
            Backend::Ingestion(ingestion) => {
                let polled = ingestion.offer_state(deadline).await?;
                Ok(
                    (polled.state.status == super::model::OperationStatus::Running)
                        .then_some(Handle::OfferStatus),
                )
            }
        }
    }

    /// Asks the service to cancel the running operation (`running`, when known); returns what
    /// to wait on, if anything.
    pub async fn cancel(
        &self,
        running: Option<&Handle>,
        emails: &[String],
        deadline: Instant,
    ) -> Result<Option<Handle>, ApiError> {
        match self {
            Backend::Cpp(cpp) => Ok(match cpp.cancel(emails, deadline).await? {
                Started::Operation(url) => Some(Handle::Operation(url)),
                Started::Done => None,
            }),
            Backend::Ingestion(ingestion) => match running {
                Some(handle @ Handle::IngestionJob { id, .. }) => {
                    ingestion.cancel(id, deadline).await?;
                    Ok(Some(handle.clone()))
                }
                _ => Err(ApiError::Local {
                    call: ingestion::CANCEL_JOB_CALL,
                    detail: "the product ingestion API cancels a configure job, and none is known".to_owned(),
                    help: Some("pass the job's status URL (the operation-url output of the publish) as operation-url".to_owned()),
                }),
            },
        }
    }
}
