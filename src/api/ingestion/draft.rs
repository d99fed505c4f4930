//! Putting an image version into a VM plan's draft through product ingestion (issue 21), before
//! a publish. The change itself is pure ([`crate::draft::vm::ingestion`]); this file makes the
//! calls of `crate::draft`'s design note, in its order:
//!
//! 1. the product by external id (the lookup the publish uses: `identity.externalId` checked,
//!    `@nextLink` followed);
//! 2. the plan by its external id within that product: `GET plan?product=product/{guid}&
//!    externalId={plan}`, every page, [`plan_id_in_list`] checking `identity.externalId`;
//! 3. no ETag in this API, so no write while a submission is in progress: `GET submission/
//!    {guid}`, waited for within the time limit, or refused (`if-running: fail`);
//! 4. the technical configuration by the documented direct GET,
//!    `virtual-machine-plan-technical-configuration/{productGuid}/{planGuid}` (the Microsoft
//!    action and Flatcar read it so), not the draft's resource tree: the tree is the whole
//!    product (every plan with all its versions, listings, prices), many times the one resource
//!    sent back, so it would spend the byte cap and memory on what is never written. It is read
//!    whole ([`DOCUMENT_CAP`], never the bounded status reader: a cut list written back would
//!    delete image versions);
//! 5. [`apply`]: already there -> no write; changed -> `POST configure` with the resource alone
//!    ([`configure_body`]), the job followed to its end;
//! 6. the technical configuration read again and [`verify`]d.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::ids::{is_service_id, job_id, product_guid};
use super::jobs::parse_job;
use super::{Ingestion, SUBMISSIONS_CALL, request};
use crate::api::draft::{DraftError, DraftOutcome, DraftRequest};
use crate::api::error::ApiError;
use crate::api::model::{OperationState, OperationStatus, ParseError};
use crate::draft::Change;
use crate::draft::document::{DOCUMENT_CAP, read_whole};
use crate::draft::vm::Refusal;
use crate::draft::vm::ingestion::{apply, configure_body, plan_id_in_list, verify};
use crate::transport::{Read, Replay};

pub const FIND_PLAN_CALL: &str = "find plan";
pub const READ_TECH_CONFIG_CALL: &str = "read technical configuration";
pub const CONFIGURE_DRAFT_CALL: &str = "change draft (configure)";
pub const DRAFT_JOB_CALL: &str = "get draft change job status";

/// The first pause between two reads of something in progress; it doubles up to [`MAX_PAUSE`]
/// unless the service asks for another (`Retry-After`). Configure jobs on a technical
/// configuration take seconds to minutes; a preview submission hours.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(15);

impl Ingestion<'_> {
    /// Puts `request`'s image version into its plan's draft and checks the read-back; see the
    /// module doc for the calls. Nothing is published here.
    pub async fn change_draft(
        &self,
        request: &DraftRequest,
        deadline: Instant,
    ) -> Result<DraftOutcome, DraftError> {
        let product = self.product(deadline).await?.to_owned();
        let product = product_guid(&product).unwrap_or_default().to_owned();
        let plan = self
            .find_plan(&product, &request.image.plan_id, deadline)
            .await?;
        self.no_submission_running(request.wait_for_running, deadline)
            .await?;
        let tech = self
            .technical_configuration(&product, &plan, deadline)
            .await?;
        let changed = match apply(&tech, &request.image).map_err(DraftError::Refused)? {
            // Nothing to write: the caller reports it (draft-changed=false).
            Change::AlreadyPresent => return Ok(DraftOutcome::Unchanged),
            Change::Changed(changed) => changed,
        };
        let body = configure_body(changed, &request.schema);
        self.configure_draft(&body, deadline).await?;
        let back = self
            .technical_configuration(&product, &plan, deadline)
            .await?;
        verify(&back, &request.image).map_err(DraftError::NotVerified)?;
        Ok(DraftOutcome::Changed)
    }

    /// `GET plan?product=product/{guid}&externalId={plan}`, every page: the plan's GUID.
    async fn find_plan(
        &self,
        product: &str,
        plan_id: &str,
        deadline: Instant,
    ) -> Result<String, DraftError> {
        let mut url = self.url("plan");
        url.query_pairs_mut()
            .append_pair("product", &format!("product/{product}"))
            .append_pair("externalId", plan_id);
        let pages = self
            .pages(FIND_PLAN_CALL, url, deadline, |value| {
                if value.get("value").and_then(Value::as_array).is_none() {
                    return Err(ParseError("no \"value\" list of plans".to_owned()));
                }
                Ok(plan_id_in_list(value, plan_id).ok().map(str::to_owned))
            })
            .await?;
        let found = pages.into_iter().flatten().next().ok_or_else(|| {
            DraftError::Refused(Refusal::PlanNotFound {
                plan: plan_id.to_owned(),
            })
        })?;
        // `plan/<product>/<plan>` (or `plan/<plan>`): the GUID goes into a request path.
        let guid = found.rsplit('/').next().unwrap_or_default();
        if !found.starts_with("plan/") || !is_service_id(guid) {
            return Err(ApiError::UnexpectedBody {
                call: FIND_PLAN_CALL,
                status: 200,
                detail: format!(
                    "unexpected plan id {:?}",
                    crate::secret::redact_then_cut(&found, 100)
                ),
            }
            .into());
        }
        Ok(guid.to_owned())
    }

    /// Waits while a submission is in progress (or refuses, with `if-running: fail`): this API
    /// has no ETag, so a configure sent while another change runs could be lost or lose it.
    async fn no_submission_running(&self, wait: bool, deadline: Instant) -> Result<(), DraftError> {
        let mut pause = FIRST_PAUSE;
        loop {
            let Some(running) = self.running_submission(deadline).await? else {
                return Ok(());
            };
            let refuse = |detail: String, help: &str| {
                DraftError::Api(ApiError::Local {
                    call: SUBMISSIONS_CALL,
                    detail,
                    help: Some(help.to_owned()),
                })
            };
            if !wait {
                return Err(refuse(
                    format!("{running} is in progress; the draft is not changed while it runs"),
                    "wait for it to end, or leave if-running at its default to wait for it within the timeout",
                ));
            }
            if Instant::now() + pause >= deadline {
                return Err(refuse(
                    format!(
                        "{running} was still in progress at the time limit; the draft was not changed"
                    ),
                    "run again once it has ended, or raise timeout",
                ));
            }
            tracing::info!("{running} is in progress: waiting for it before changing the draft");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// The submission in progress, named for messages, if one is.
    async fn running_submission(&self, deadline: Instant) -> Result<Option<String>, ApiError> {
        let state = self.offer_state(deadline).await?.state;
        if state.status != OperationStatus::Running {
            return Ok(None);
        }
        let step = state
            .steps
            .iter()
            .find(|step| step.status == crate::api::model::StepStatus::InProgress);
        Ok(Some(step.map_or_else(
            || "a submission".to_owned(),
            |step| format!("the {} ({})", step.name, step.id),
        )))
    }

    /// `GET virtual-machine-plan-technical-configuration/{product}/{plan}`, read whole.
    async fn technical_configuration(
        &self,
        product: &str,
        plan: &str,
        deadline: Instant,
    ) -> Result<Value, ApiError> {
        let url = self.url(&format!(
            "virtual-machine-plan-technical-configuration/{product}/{plan}"
        ));
        let request = crate::transport::Request {
            max_body: DOCUMENT_CAP,
            ..request(READ_TECH_CONFIG_CALL, Method::GET, &url, None)
        };
        self.api
            .call(
                &self.audience,
                request,
                deadline,
                |response| match read_whole("technical configuration", &response.body, DOCUMENT_CAP)
                {
                    Ok(value) if names_plan(&value, plan) => Read::Done(value),
                    Ok(_) => Read::Fail(ApiError::UnexpectedBody {
                        call: READ_TECH_CONFIG_CALL,
                        status: response.status,
                        detail: "the technical configuration read names another plan; nothing is \
                                 changed"
                            .to_owned(),
                    }),
                    Err(error) => Read::Unexpected(error.to_string()),
                },
            )
            .await
    }

    /// `POST configure` with `body`, then the job followed to its end. A failed job is
    /// [`DraftError::JobFailed`] with the service's messages.
    async fn configure_draft(&self, body: &Value, deadline: Instant) -> Result<(), DraftError> {
        let url = self.url("configure");
        let request = crate::transport::Request {
            // Starting a job is not idempotent.
            replay: Replay::OnlyIfNotReceived,
            ..request(CONFIGURE_DRAFT_CALL, Method::POST, &url, Some(body))
        };
        let (job, mut state) = self
            .call(request, deadline, |value| {
                let id =
                    job_id(value).ok_or_else(|| ParseError("no jobId in the answer".to_owned()))?;
                let state = value
                    .get("jobStatus")
                    .map(|_| parse_job(value))
                    .transpose()?;
                Ok((id, state))
            })
            .await
            .map_err(|error| error.with_help(schema_help))?;
        let status_url = self.job_url(&job);
        let mut pause = FIRST_PAUSE;
        loop {
            if let Some(state) = state.take().filter(|state| state.status.is_terminal()) {
                return job_end(state);
            }
            if Instant::now() + pause >= deadline {
                return Err(DraftError::Api(ApiError::Local {
                    call: DRAFT_JOB_CALL,
                    detail: format!(
                        "the configure job {job} that changes the draft was still running at the time limit; nothing is published"
                    ),
                    help: Some("read the draft in Partner Center, then run again (a re-run with the same inputs changes nothing if the job ended well), or raise timeout".to_owned()),
                }));
            }
            tokio::time::sleep(pause).await;
            let polled = self.draft_job(&status_url, deadline).await?;
            pause = polled
                .1
                .unwrap_or((pause * 2).min(MAX_PAUSE))
                .min(MAX_PAUSE);
            state = Some(polled.0);
        }
    }

    /// `GET configure/{jobId}/status` of the draft change.
    async fn draft_job(
        &self,
        url: &Url,
        deadline: Instant,
    ) -> Result<(OperationState, Option<Duration>), ApiError> {
        self.call_hinted(
            request(DRAFT_JOB_CALL, Method::GET, url, None),
            deadline,
            parse_job,
        )
        .await
    }
}

/// Whether a technical configuration is the plan's (`plan` is `plan/<guid>` or
/// `plan/<product>/<guid>`, cloudpub's tree shows both): one of another plan, sent back, would
/// change that plan. A resource without `plan` is left to the service to judge.
fn names_plan(tech: &Value, plan: &str) -> bool {
    match tech.get("plan") {
        None | Some(Value::Null) => true,
        Some(Value::String(id)) => id.starts_with("plan/") && id.rsplit('/').next() == Some(plan),
        Some(_) => false,
    }
}

/// A configure job that ended: succeeded, or its messages as the error.
fn job_end(state: OperationState) -> Result<(), DraftError> {
    match state.status {
        OperationStatus::Succeeded => Ok(()),
        _ => Err(DraftError::JobFailed(Box::new(state))),
    }
}

/// The 400 "Schema https://... could not be accessed" (the service refusing a schema host or
/// version it has retired) names the input that chooses the version sent.
fn schema_help(error: &ApiError) -> Option<String> {
    let ApiError::Status {
        status: 400,
        message,
        ..
    } = error
    else {
        return None;
    };
    let message = message.to_ascii_lowercase();
    (message.contains("schema") && message.contains("could not be accessed")).then(|| {
        format!(
            "the service could not read a schema this request names: set \
             ingestion-configure-schema to a configure schema version it accepts (the default is \
             {}; see https://learn.microsoft.com/partner-center/marketplace/product-ingestion-api)",
            crate::draft::schema::DEFAULT_CONFIGURE_VERSION
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(status: u16, message: &str) -> ApiError {
        ApiError::Status {
            call: CONFIGURE_DRAFT_CALL,
            status,
            code: Some("BadRequest".to_owned()),
            message: message.to_owned(),
            help: None,
        }
    }

    #[test]
    fn a_schema_that_could_not_be_accessed_names_the_input() {
        let error = status(
            400,
            "Schema https://product-ingestion.azureedge.net/schema/configure/2022-03-01-preview2 could not be accessed",
        )
        .with_help(schema_help);
        let help = error.help().expect("help");
        assert!(help.contains("ingestion-configure-schema"), "{help}");
        assert!(help.contains("2022-03-01-preview2"), "{help}");
        // Another 400, or the same text on another status, is not this.
        assert_eq!(schema_help(&status(400, "Invalid versionNumber")), None);
        assert_eq!(
            schema_help(&status(500, "Schema x could not be accessed")),
            None
        );
    }

    #[test]
    fn the_technical_configuration_must_be_the_plans() {
        let plan = "00000000-0000-0000-0000-000000000000";
        let of = |value: Value| names_plan(&json!({ "plan": value }), plan);
        assert!(of(json!(format!("plan/{plan}"))));
        assert!(of(json!(format!(
            "plan/ffffffff-ffff-ffff-ffff-ffffffffffff/{plan}"
        ))));
        assert!(!of(json!("plan/11111111-0000-0000-0000-000000000000")));
        assert!(!of(json!(format!("product/{plan}"))));
        assert!(!of(json!({"externalId": "plan-1"})));
        assert!(names_plan(&json!({}), plan));
    }

    #[test]
    fn only_a_succeeded_job_is_the_end_of_the_change() {
        let state = |status: &str| OperationState::with_status(status);
        assert!(job_end(state("succeeded")).is_ok());
        for failed in ["failed", "cancelled"] {
            assert!(
                matches!(job_end(state(failed)), Err(DraftError::JobFailed(_))),
                "{failed}"
            );
        }
    }
}
