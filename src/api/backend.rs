//! One interface over the two publishing APIs (start an operation, read its state, cancel it),
//! so that waiting, reporting and retries are written once.

use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::cpp::{self, Canceled, Cpp, Polled};
use super::draft::{DraftError, DraftOutcome, DraftRequest};
use super::error::ApiError;
use super::ingestion::{self, Ingestion};
use super::model::{OperationState, OperationStatus};

/// The product ingestion API documents no polling interval; real clients poll its job status
/// every 1 to 10 s. Ten seconds loads it no more than the gentlest of them. (A once-a-minute
/// limit in earlier notes had no public source.)
const INGESTION_MIN_POLL: Duration = Duration::from_secs(10);
/// CPP states no limit; faster than once a second only loads it (and counts against throttling).
const CPP_MIN_POLL: Duration = Duration::from_secs(1);

/// The operation a run started, attached to or resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRef {
    /// The operation's id: from the service when it says, else the last segment of its URL.
    pub id: String,
    /// `None` when the run waits on the offer's status because no operation URL is known.
    pub url: Option<Url>,
}

/// What a wait follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handle {
    /// An operation's status URL (CPP `Location`).
    Operation(Url),
    /// The offer's own status, when something runs but no operation URL is known.
    OfferStatus,
    /// A product ingestion `configure` job and its status URL; `live` says whether it targets
    /// live or preview (unknown for a job resumed from its URL).
    IngestionJob {
        id: String,
        url: Url,
        live: Option<bool>,
    },
}

impl Handle {
    /// The id and URL reported as outputs.
    pub fn reference(&self) -> OperationRef {
        match self {
            Handle::Operation(url) => OperationRef {
                // Checked when the URL was accepted; an unchecked one (operation-url) shows none.
                id: cpp::operation_id_from_url(url).unwrap_or_default(),
                url: Some(url.clone()),
            },
            Handle::OfferStatus => OperationRef {
                id: String::new(),
                url: None,
            },
            Handle::IngestionJob { id, url, .. } => OperationRef {
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
    /// Puts the image version the inputs name into the draft (see [`super::draft`]).
    pub async fn change_draft(
        &self,
        request: &DraftRequest,
        deadline: Instant,
    ) -> Result<DraftOutcome, DraftError> {
        match self {
            Backend::Cpp(cpp) => cpp.change_draft(request, deadline).await,
            Backend::Ingestion(ingestion) => ingestion.change_draft(request, deadline).await,
        }
    }

    pub fn api_name(&self) -> &'static str {
        match self {
            Backend::Cpp(_) => "Cloud Partner Portal",
            Backend::Ingestion(_) => "product ingestion",
        }
    }

    /// The name of the request that starts an operation of `kind`: the one request that is not
    /// idempotent. Only its failures can mean that an operation started (or already runs).
    pub fn start_call(&self, kind: StartKind) -> &'static str {
        match (self, kind) {
            (Backend::Cpp(_), StartKind::Publish) => cpp::PUBLISH_CALL,
            (Backend::Cpp(_), StartKind::GoLive) => cpp::GO_LIVE_CALL,
            (Backend::Ingestion(_), _) => ingestion::CONFIGURE_CALL,
        }
    }

    /// The shortest pause between status reads worth making against the real service.
    pub fn min_poll_interval(&self) -> Duration {
        match self {
            Backend::Cpp(_) => CPP_MIN_POLL,
            Backend::Ingestion(_) => INGESTION_MIN_POLL,
        }
    }

    /// What `operation-url` points at, rebuilt from checked parts (see
    /// [`cpp::rebuild_operation_url`]); `None` when it names no operation of this API.
    pub fn handle_for(&self, url: &Url) -> Option<Handle> {
        match self {
            Backend::Ingestion(ingestion) => {
                let id = ingestion.job_id_from_url(url)?;
                Some(Handle::IngestionJob {
                    url: ingestion.job_url(&id),
                    id,
                    live: None,
                })
            }
            Backend::Cpp(cpp) => cpp.operation_url(url).map(Handle::Operation),
        }
    }

    /// The operation URLs `operation-url` may be, for the error that refuses another.
    pub fn operation_url_shapes(&self) -> &'static str {
        match self {
            Backend::Cpp(_) => {
                "{api-url}/api/publishers/{publisher}/offers/{offer}/operations/{id} or \
                 {api-url}/api/operations/{id}"
            }
            Backend::Ingestion(_) => "{ingestion-url}/configure/{jobId}/status",
        }
    }

    /// Starts a publish or go-live: the operation to follow, and its state when the answer
    /// that started it already tells it (an ingestion job may be `completed` in it).
    pub async fn start(
        &self,
        kind: StartKind,
        emails: &[String],
        deadline: Instant,
    ) -> Result<(Handle, Option<OperationState>), ApiError> {
        match self {
            Backend::Cpp(cpp) => Ok((
                Handle::Operation(match kind {
                    StartKind::Publish => cpp.publish(emails, deadline).await?,
                    StartKind::GoLive => cpp.go_live(deadline).await?,
                }),
                None,
            )),
            Backend::Ingestion(ingestion) => {
                let live = kind == StartKind::GoLive;
                let (id, url, state) = ingestion.configure(live, deadline).await?;
                Ok((
                    Handle::IngestionJob {
                        id,
                        url,
                        live: Some(live),
                    },
                    state.map(|state| job_reading(Some(live), state)),
                ))
            }
        }
    }

    /// One reading of the state `handle` points at.
    pub async fn poll(&self, handle: &Handle, deadline: Instant) -> Result<Polled, ApiError> {
        match (self, handle) {
            (Backend::Cpp(_), Handle::OfferStatus) => self.offer_state(deadline).await,
            (Backend::Cpp(cpp), Handle::Operation(url)) => cpp.operation(url, deadline).await,
            (Backend::Ingestion(ingestion), Handle::IngestionJob { id, url, live }) => {
                let mut polled = ingestion.job(url, deadline).await?;
                let mut live = *live;
                // A job resumed from its URL (`command: wait`): its detail says where it
                // published, so that it ends as the run that started it would have.
                if live.is_none() && polled.state.status == OperationStatus::Succeeded {
                    live = resumed_job_target(ingestion, id, deadline).await?;
                }
                polled.state = job_reading(live, polled.state);
                Ok(polled)
            }
            (Backend::Ingestion(ingestion), Handle::OfferStatus) => {
                let mut polled = ingestion.offer_state(deadline).await?;
                // Followed through the submissions (a run attached to one in progress): a
                // preview ready is where a publish through this API ends, as its job would.
                if polled.state.status == OperationStatus::WaitingForPublisherReview {
                    polled.state.status = OperationStatus::PreviewReady;
                }
                Ok(polled)
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
                    (polled.state.status == OperationStatus::Running)
                        .then_some(Handle::OfferStatus),
                )
            }
        }
    }

    /// Asks the service to cancel the running operation (`running`, when known).
    pub async fn cancel(
        &self,
        running: Option<&Handle>,
        emails: &[String],
        deadline: Instant,
    ) -> Result<Cancellation, ApiError> {
        match self {
            Backend::Cpp(cpp) => Ok(match cpp.cancel(emails, deadline).await? {
                Canceled::Done => Cancellation::Done,
                Canceled::Operation(url) if running == Some(&Handle::Operation(url.clone())) => {
                    Cancellation::Operation(Handle::Operation(url))
                }
                Canceled::Operation(url) => Cancellation::Follow(Handle::Operation(url)),
            }),
            Backend::Ingestion(ingestion) => match running {
                Some(handle @ Handle::IngestionJob { id, .. }) => {
                    ingestion.cancel(id, deadline).await?;
                    Ok(Cancellation::Operation(handle.clone()))
                }
                _ => Err(ApiError::Local {
                    call: ingestion::CANCEL_JOB_CALL,
                    detail: "the product ingestion API cancels a configure job, and none is known"
                        .to_owned(),
                    help: Some(
                        "pass the job's status URL (the operation-url output of the publish) as operation-url"
                            .to_owned(),
                    ),
                }),
            },
        }
    }
}

/// Where a job resumed from its URL published (`Some(true)`: live), from its detail. An error
/// that may pass is returned (the wait reads again); any other leaves the target unknown, and
/// the job's own result stands.
async fn resumed_job_target(
    ingestion: &Ingestion<'_>,
    id: &str,
    deadline: Instant,
) -> Result<Option<bool>, ApiError> {
    match ingestion.job_targets_live(id, deadline).await {
        Ok(live) => Ok(live),
        Err(error @ (ApiError::Transport { .. } | ApiError::UnexpectedBody { .. })) => Err(error),
        Err(error)
            if error
                .status()
                .is_some_and(crate::transport::retry::is_transient_status) =>
        {
            Err(error)
        }
        Err(error) => {
            tracing::warn!("{error}; the job succeeded, and where it published is not known");
            Ok(None)
        }
    }
}

/// A reading of an ingestion job on the shared model: a preview job (`live` false) that
/// succeeded has published the preview, and go-live is next. One rule for the job's first answer
/// and for every later reading.
fn job_reading(live: Option<bool>, mut state: OperationState) -> OperationState {
    if live == Some(false) && state.status == OperationStatus::Succeeded {
        state.status = OperationStatus::PreviewReady;
    }
    state
}

/// What a cancel request started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancellation {
    /// The service canceled at once.
    Done,
    /// A cancellation of its own to follow: when it completes, the cancel is done.
    Follow(Handle),
    /// The operation itself, asked to stop: it ends `canceled` if the cancel took effect, and
    /// otherwise as it would have.
    Operation(Handle),
}
