//! placeholder: i21-ingestion replaces this file. Putting an image version into a plan's draft
//! through the product ingestion API is written on that branch; until it lands, the change is
//! refused before any request, naming the API that can make it today.

use tokio::time::Instant;

use super::Ingestion;
use crate::api::draft::{DraftError, DraftOutcome, DraftRequest};
use crate::draft::vm::Refusal;

impl Ingestion<'_> {
    pub async fn change_draft(
        &self,
        _request: &DraftRequest,
        _deadline: Instant,
    ) -> Result<DraftOutcome, DraftError> {
        Err(DraftError::Refused(Refusal::NotSupported(
            "the image inputs are not yet supported with the product ingestion API; use api: cpp",
        )))
    }
}
