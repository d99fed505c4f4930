//! Changing an offer's draft through either API before a publish: what the call is given and
//! what it comes to. The change itself is pure ([`crate::draft`]); each API's calls (read the
//! document whole, write it back safely, read it back) live with that API: CPP in
//! `api/cpp_draft.rs`, product ingestion in `api/ingestion/draft.rs`, and [`Backend::change_draft`]
//! chooses.
//!
//! [`Backend::change_draft`]: super::backend::Backend::change_draft

use crate::draft::schema::SchemaVersions;
use crate::draft::vm::{ImageRequest, NotVerified, Refusal};

use super::error::ApiError;

/// A draft change asked for by the inputs, validated.
#[derive(Debug, Clone)]
pub struct DraftRequest {
    pub image: ImageRequest,
    /// Ingestion: the schema versions of the resources sent to `configure`.
    pub schema: SchemaVersions,
    /// Ingestion (no ETag): while a submission is in progress, wait for it within the time
    /// limit (`true`), or refuse (`if-running: fail`).
    pub wait_for_running: bool,
}

/// What a change came to, once the read-back showed the version and its sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftOutcome {
    /// The draft already held the version with these sources: nothing was written.
    Unchanged,
    /// The draft was written and the read-back shows the change.
    Changed,
}

/// Why the draft was not changed. Nothing is published after any of these.
#[derive(Debug)]
pub enum DraftError {
    /// The change cannot be made (conflicting source, unknown plan or image type, ...):
    /// `rejected`, or invalid input where [`Refusal::is_bad_input`] says so.
    Refused(Refusal),
    /// The write was accepted but the read-back does not show it: `error`.
    NotVerified(NotVerified),
    /// A call failed (its name, status and the service's message are in the error).
    Api(ApiError),
    /// Ingestion: the configure job that changes the draft ended without succeeding; its
    /// steps carry the service's messages (nested `errors[].details[]`, e.g. "Cannot delete
    /// image ... already published"), reported as a failed operation's are. `error`.
    JobFailed(Box<crate::api::model::OperationState>),
}

impl From<ApiError> for DraftError {
    fn from(error: ApiError) -> Self {
        DraftError::Api(error)
    }
}
