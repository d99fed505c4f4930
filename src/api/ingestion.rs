//! Partner Center product ingestion API, for offers created in Partner Center (CPP cannot publish
//! them). Publishing is a `configure` job with a submission resource targeting `preview` or
//! `live`; the job is followed at `configure/{jobId}/status`. The offer's state is read from its
//! submissions, the way existing clients do: a preview submission running = publishing;
//! completed + failed = publish failed; completed + succeeded = preview ready; a live submission
//! running = going live, completed = its result. The documented list begins with the draft entry
//! (`submission/<product>/0`, target `draft`, no status): the working copy, never an operation.
//!
//! Every id the service sends (product, submission, job) goes into request paths and outputs, so
//! it is checked against a strict shape first; anything else makes the answer malformed.

use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use super::Api;
use super::cpp::Polled;
use super::error::ApiError;
use super::model::{
    Level, Message, OperationState, OperationStatus, ParseError, Step, StepStatus, scalar,
};
use crate::auth::Audience;
use crate::transport::{Body, Read, Replay, Request};

/// The token resource (v1) for the ingestion API; its v2 scope is this + `/.default`.
pub const RESOURCE: &str = "https://graph.microsoft.com";
pub const VERSION: &str = "2022-03-01-preview2";
const SCHEMA: &str = "https://schema.mp.microsoft.com/schema";
/// Ids are GUIDs in every documented answer; the documentation's own examples use letters past
/// `f` (`12345678-abcd-efgh-...`), so the check is on characters and length, not on hex.
const MAX_SERVICE_ID_LEN: usize = 64;
/// How deep `errors[].details[]` is followed: real answers nest two or three levels.
const MAX_ERROR_DEPTH: usize = 8;
/// How many leaf errors of one job are kept (the annotations show 10; the summary and the result
/// file list the rest).
const MAX_ERROR_LEAVES: usize = 100;

pub const FIND_PRODUCT_CALL: &str = "find product";
pub const CONFIGURE_CALL: &str = "submit configure job";
pub const JOB_STATUS_CALL: &str = "get configure job status";
pub const CANCEL_JOB_CALL: &str = "cancel configure job";
pub const SUBMISSIONS_CALL: &str = "list submissions";

pub struct Ingestion<'a> {
    api: &'a Api,
    audience: Audience,
    /// `https://graph.microsoft.com/rp/product-ingestion`, without a trailing slash.
    base: Url,
    offer_id: Option<String>,
    product: tokio::sync::OnceCell<String>,
}

/// What `GET product?externalId=` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(String),
    NotFound,
}

impl<'a> Ingestion<'a> {
    pub fn new(api: &'a Api, base: Url, offer_id: Option<String>) -> Self {
        let mut base = base;
        let trimmed = base.path().trim_end_matches('/').to_owned();
        base.set_path(&trimmed);
        Ingestion {
            api,
            audience: Audience::new(RESOURCE, &base),
            base,
            offer_id,
            product: tokio::sync::OnceCell::new(),
        }
    }

    /// `{base}/{path}?$version=...`
    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}/{path}", self.base.path()));
        url.query_pairs_mut().append_pair("$version", VERSION);
        url
    }

    /// The status URL of a job: the `operation-url` output, and what `wait` resumes.
    pub fn job_url(&self, job_id: &str) -> Url {
        self.url(&format!("configure/{job_id}/status"))
    }

    /// The job id in a status URL under this base (`.../configure/{jobId}/status`).
    pub fn job_id_from_url(&self, url: &Url) -> Option<String> {
        let rest = url.path().strip_prefix(self.base.path())?;
        let id = rest.strip_prefix("/configure/")?.strip_suffix("/status")?;
        is_service_id(id).then(|| id.to_owned())
    }

    /// Sends `request` with the ingestion token and reads the JSON answer with `read`.
    async fn call<T>(
        &self,
        request: Request<'_>,
        deadline: Instant,
        read: impl Fn(&Value) -> Result<T, ParseError>,
    ) -> Result<T, ApiError> {
        self.call_hinted(request, deadline, read)
            .await
            .map(|(value, _)| value)
    }

    /// As [`Self::call`], with the pause the service asked for before the next request.
    async fn call_hinted<T>(
        &self,
        request: Request<'_>,
        deadline: Instant,
        read: impl Fn(&Value) -> Result<T, ParseError>,
    ) -> Result<(T, Option<std::time::Duration>), ApiError> {
        self.api
            .call(
                &self.audience,
                request,
                deadline,
                |response| match crate::transport::json::parse(&response.body)
                    .map_err(|error| ParseError(format!("not JSON ({error})")))
                    .and_then(|value| read(&value))
                {
                    Ok(value) => Read::Done((value, response.retry_after())),
                    Err(error) => Read::Unexpected(error.to_string()),
                },
            )
            .await
    }

    /// `GET product?externalId={offer}`: the product's durable id (`product/<guid>`).
    pub async fn lookup(&self, deadline: Instant) -> Result<Lookup, ApiError> {
        let offer = self.offer_id.clone().unwrap_or_default();
        let mut url = self.url("product");
        url.query_pairs_mut().append_pair("externalId", &offer);
        self.call(
            request(FIND_PRODUCT_CALL, Method::GET, &url, None),
            deadline,
            |value| {
                let items = value
                    .get("value")
                    .and_then(Value::as_array)
                    .ok_or_else(|| ParseError("no \"value\" list".to_owned()))?;
                match items
                    .iter()
                    .find_map(|item| item.get("id").and_then(Value::as_str))
                {
                    None => Ok(Lookup::NotFound),
                    // The id goes into request paths: a GUID after `product/`, nothing else.
                    Some(id) if product_guid(id).is_some() => Ok(Lookup::Found(id.to_owned())),
                    Some(id) => Err(ParseError(format!("unexpected product id {id:?}"))),
                }
            },
        )
        .await
    }

    /// The product id, looked up once.
    async fn product(&self, deadline: Instant) -> Result<&str, ApiError> {
        self.product
            .get_or_try_init(|| async {
                match self.lookup(deadline).await? {
                    Lookup::Found(id) => Ok(id),
                    Lookup::NotFound => Err(ApiError::Local {
                        call: FIND_PRODUCT_CALL,
                        detail: format!(
                            "no product with external id '{}' in the product ingestion API",
                            self.offer_id.as_deref().unwrap_or_default()
                        ),
                        help: Some(
                            "check offer-id, or use api: cpp for an offer published through the Cloud Partner Portal"
                                .to_owned(),
                        ),
                    }),
                }
            })
            .await
            .map(String::as_str)
    }

    /// `POST configure` with a submission to `preview`, or to `live` from the preview submission.
    pub async fn configure(
        &self,
        live: bool,
        deadline: Instant,
    ) -> Result<(String, Url), ApiError> {
        let product = self.product(deadline).await?.to_owned();
        let mut resource = json!({
            "$schema": format!("{SCHEMA}/submission/{VERSION}"),
            "product": product,
            "target": { "targetType": if live { "live" } else { "preview" } },
        });
        if live {
            let submissions = self.submissions(deadline).await?;
            let Some(preview) = ready_preview(&submissions) else {
                return Err(ApiError::Local {
                    call: CONFIGURE_CALL,
                    detail: "no preview submission is ready to go live".to_owned(),
                    help: Some("publish to preview first (command: publish)".to_owned()),
                });
            };
            resource["id"] = Value::String(preview);
        }
        let body = json!({
            "$schema": format!("{SCHEMA}/configure/{VERSION}"),
            "resources": [resource],
        });
        let url = self.url("configure");
        let job_id = self
            .call(
                request(CONFIGURE_CALL, Method::POST, &url, Some(&body)),
                deadline,
                |value| {
                    job_id(value).ok_or_else(|| ParseError("no jobId in the answer".to_owned()))
                },
            )
            .await?;
        let status_url = self.job_url(&job_id);
        Ok((job_id, status_url))
    }

    /// `GET configure/{jobId}/status`.
    pub async fn job(&self, url: &Url, deadline: Instant) -> Result<Polled, ApiError> {
        let (state, retry_after) = self
            .call_hinted(
                request(JOB_STATUS_CALL, Method::GET, url, None),
                deadline,
                parse_job,
            )
            .await?;
        Ok(Polled { state, retry_after })
    }

    /// `POST configure/{jobId}/cancel`.
    pub async fn cancel(&self, job_id: &str, deadline: Instant) -> Result<(), ApiError> {
        let url = self.url(&format!("configure/{job_id}/cancel"));
        self.call(
            request(CANCEL_JOB_CALL, Method::POST, &url, None),
            deadline,
            |_| Ok(()),
        )
        .await
    }

    /// `GET submission/{product-guid}`: the product's submissions.
    async fn submissions(&self, deadline: Instant) -> Result<Vec<Submission>, ApiError> {
        let product = self.product(deadline).await?.to_owned();
        let guid = product_guid(&product).unwrap_or_default();
        let url = self.url(&format!("submission/{guid}"));
        self.call(
            request(SUBMISSIONS_CALL, Method::GET, &url, None),
            deadline,
            parse_submissions,
        )
        .await
    }

    /// The offer's state from its submissions, each shown as a step.
    pub async fn offer_state(&self, deadline: Instant) -> Result<Polled, ApiError> {
        let submissions = self.submissions(deadline).await?;
        Ok(Polled {
            state: state_from_submissions(&submissions),
            retry_after: None,
        })
    }
}

fn request<'r>(
    call: &'static str,
    method: Method,
    url: &'r Url,
    body: Option<&'r Value>,
) -> Request<'r> {
    Request {
        call,
        // Starting a job is not idempotent; everything else here is.
        replay: if call == CONFIGURE_CALL {
            Replay::OnlyIfNotReceived
        } else {
            Replay::Safe
        },
        method,
        url,
        bearer: None,
        headers: &[],
        body: body.map_or(Body::Empty, Body::Json),
    }
}

/// An id the service made (a GUID, a job id): letters, digits, `-` and `_`, starting with a
/// letter or digit, at most 64 characters. Nothing that could change a URL's path or query.
fn is_service_id(id: &str) -> bool {
    id.len() <= MAX_SERVICE_ID_LEN
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// `product/<guid>` -> `<guid>`, when it is one.
fn product_guid(product: &str) -> Option<&str> {
    let guid = product.strip_prefix("product/")?;
    is_service_id(guid).then_some(guid)
}

/// `submission/<guid>/<number>` -> the number, when the id has that shape.
fn submission_number(id: &str) -> Option<u64> {
    let (guid, number) = id.strip_prefix("submission/")?.split_once('/')?;
    let digits =
        !number.is_empty() && number.len() <= 20 && number.bytes().all(|b| b.is_ascii_digit());
    if !is_service_id(guid) || !digits {
        return None;
    }
    number.parse().ok()
}

fn job_id(value: &Value) -> Option<String> {
    scalar(value.get("jobId").or_else(|| value.get("jobID"))).filter(|id| is_service_id(id))
}

/// A job's status on the shared model: `completed` + `succeeded` -> succeeded, `failed` ->
/// failed, `cancelled` -> canceled; `notStarted`/`running` -> running. `errors[]` become error
/// messages.
pub fn parse_job(value: &Value) -> Result<OperationState, ParseError> {
    let job_status = value
        .get("jobStatus")
        .and_then(Value::as_str)
        .ok_or_else(|| ParseError("no \"jobStatus\" in the body".to_owned()))?;
    let job_result = value
        .get("jobResult")
        .and_then(Value::as_str)
        .unwrap_or("pending");
    let status_text = if job_status.eq_ignore_ascii_case("completed") {
        job_result
    } else {
        job_status
    };
    let status = match OperationStatus::parse(job_status) {
        OperationStatus::Succeeded => match OperationStatus::parse(job_result) {
            OperationStatus::Unknown(_)
            | OperationStatus::Running
            | OperationStatus::NotStarted => {
                OperationStatus::Unknown(format!("{job_status}/{job_result}"))
            }
            result => result,
        },
        other => other,
    };
    let mut leaves = Leaves::default();
    // The bounded reader leaves a count after a cut list: counted with the leaves cut here.
    let errors = value.get("errors").and_then(Value::as_array);
    let (errors, cut) = errors.map_or((&[][..], 0), |items| {
        crate::transport::json::take_more(items)
    });
    leaves.dropped += cut;
    for error in errors {
        error_leaves(error, None, 0, &mut leaves);
    }
    let mut messages = leaves.kept;
    if leaves.dropped > 0 {
        // Counted, not lost without a word.
        messages.push(Message {
            level: Level::Error,
            text: format!(
                "… {} more errors from the service, not shown",
                leaves.dropped
            ),
            title: None,
        });
    }
    // The job as one step, so that its progress shows like CPP's steps do.
    let step = Step {
        id: job_id(value).unwrap_or_default(),
        name: "configure job".to_owned(),
        status: match &status {
            OperationStatus::Succeeded => StepStatus::Complete,
            OperationStatus::Failed => StepStatus::Failed,
            OperationStatus::Canceled => StepStatus::Canceled,
            OperationStatus::NotStarted => StepStatus::NotStarted,
            OperationStatus::Running => StepStatus::InProgress,
            _ => StepStatus::Unknown,
        },
        status_text: status_text.to_owned(),
        progress: None,
        estimate: None,
        messages,
    };
    Ok(OperationState {
        id: job_id(value),
        status,
        status_text: status_text.to_owned(),
        steps: vec![step],
        ..OperationState::with_status(status_text)
    })
}

/// The leaf messages found in a job's errors: the first [`MAX_ERROR_LEAVES`] kept, the rest
/// counted.
#[derive(Default)]
struct Leaves {
    kept: Vec<Message>,
    dropped: usize,
}

impl Leaves {
    fn found(&self) -> usize {
        self.kept.len() + self.dropped
    }
}

/// Adds the leaves under `error` (an item of `errors[]` or of a `details[]`) to `leaves`: each
/// leaf message with a title from its code and the resource it (or the nearest item above it)
/// names. The text of the items above a leaf is context the leaf repeats more precisely; an
/// item whose `details` holds nothing usable is a leaf itself.
fn error_leaves(error: &Value, resource: Option<&str>, depth: usize, leaves: &mut Leaves) {
    let Value::Object(object) = error else {
        // Older answers (and some clients' test data) list errors as plain strings.
        if let Some(text) = error.as_str() {
            push_leaf(leaves, None, resource, text);
        }
        return;
    };
    let text_of = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
    };
    let resource = text_of("resourceId").or(resource);
    // The bounded reader leaves a count after a cut list: counted with the leaves cut here.
    let (details, cut): (&[Value], usize) = object
        .get("details")
        .and_then(Value::as_array)
        .map_or((&[], 0), |items| crate::transport::json::take_more(items));
    leaves.dropped += cut;
    let before = leaves.found();
    if depth + 1 < MAX_ERROR_DEPTH {
        for detail in details {
            error_leaves(detail, resource, depth + 1, leaves);
        }
    }
    if leaves.found() == before {
        let code = text_of("code");
        if let Some(text) = text_of("message").or(code) {
            push_leaf(leaves, code, resource, text);
        }
    }
}

fn push_leaf(leaves: &mut Leaves, code: Option<&str>, resource: Option<&str>, text: &str) {
    let text = crate::text::html_to_text(text);
    if text.is_empty() {
        return;
    }
    if leaves.kept.len() >= MAX_ERROR_LEAVES {
        leaves.dropped += 1;
        return;
    }
    let title = match (code, resource) {
        (Some(code), Some(resource)) => Some(format!("{code} ({resource})")),
        (Some(code), None) => Some(code.to_owned()),
        (None, Some(resource)) => Some(resource.to_owned()),
        (None, None) => None,
    };
    leaves.kept.push(Message {
        level: Level::Error,
        text,
        title: title.map(|title| crate::text::html_to_text(&title)),
    });
}

/// Where a submission is published to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Preview,
    Live,
}

/// A submission's documented `status`: `notStarted`, `running` or `completed`; absent on the
/// draft entry, which is not a submission in this sense and never reaches here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Running,
    Completed,
    /// Absent, or a value the documentation does not list: not running, not an outcome.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Submission {
    id: String,
    number: u64,
    target: Target,
    progress: Progress,
    /// `result`, lower-cased: `succeeded`, `failed`, `pending`...; empty when absent.
    result: String,
}

/// `GET submission/{product}`: the submissions, without the draft entry. A submission whose id
/// or target is not of the documented shape makes the whole answer malformed.
fn parse_submissions(value: &Value) -> Result<Vec<Submission>, ParseError> {
    let items = value
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError("no \"value\" list of submissions".to_owned()))?;
    let mut submissions = Vec::new();
    for item in items {
        if let Some(submission) = Submission::parse(item)? {
            submissions.push(submission);
        }
    }
    Ok(submissions)
}

impl Submission {
    /// `Ok(None)` for the draft entry.
    fn parse(value: &Value) -> Result<Option<Submission>, ParseError> {
        let target = value
            .get("target")
            .and_then(|target| target.get("targetType"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target = match target.to_ascii_lowercase().as_str() {
            "draft" => return Ok(None),
            "preview" => Target::Preview,
            "live" => Target::Live,
            _ => {
                return Err(ParseError(format!(
                    "a submission with target {:?}, neither draft, preview nor live",
                    crate::text::truncate(&crate::secret::redact(target), 40)
                )));
            }
        };
        let id = value.get("id").and_then(Value::as_str).unwrap_or_default();
        let number = submission_number(id).ok_or_else(|| {
            ParseError(format!(
                "unexpected submission id {:?}",
                crate::text::truncate(&crate::secret::redact(id), 100)
            ))
        })?;
        let status = scalar(value.get("status")).unwrap_or_default();
        let progress = match status.to_ascii_lowercase().as_str() {
            "notstarted" | "running" => Progress::Running,
            "completed" => Progress::Completed,
            _ => Progress::Unknown(status),
        };
        Ok(Some(Submission {
            id: id.to_owned(),
            number,
            target,
            progress,
            result: scalar(value.get("result"))
                .unwrap_or_default()
                .to_ascii_lowercase(),
        }))
    }

    fn is_running(&self) -> bool {
        self.progress == Progress::Running
    }

    fn completed_with(&self, result: &str) -> bool {
        self.progress == Progress::Completed && self.result == result
    }
}

/// The number of the newest live submission (0 when none).
fn newest_live(submissions: &[Submission]) -> u64 {
    submissions
        .iter()
        .filter(|s| s.target == Target::Live)
        .map(|s| s.number)
        .max()
        .unwrap_or(0)
}

/// The newest preview submission that completed and succeeded, when no live one is as new.
fn ready_preview(submissions: &[Submission]) -> Option<String> {
    let newest_live = newest_live(submissions);
    submissions
        .iter()
        .filter(|s| {
            s.target == Target::Preview && s.completed_with("succeeded") && s.number > newest_live
        })
        .max_by_key(|s| s.number)
        .map(|s| s.id.clone())
}

/// The offer's status from its submissions: `Running` while one runs; otherwise from the newest
/// completed one: a preview newer than every live one that succeeded is waiting for go-live, a
/// live one that succeeded is published, a failed one failed. None completed: never published
/// (or, when some have a status we do not know, that status).
fn offer_status(submissions: &[Submission]) -> String {
    if submissions.iter().any(Submission::is_running) {
        return "Running".to_owned();
    }
    // On a tie the live entry wins: a preview pushed live is the same submission.
    let newest_completed = submissions
        .iter()
        .filter(|s| s.progress == Progress::Completed)
        .max_by_key(|s| (s.number, s.target == Target::Live));
    let Some(newest) = newest_completed else {
        return submissions
            .iter()
            .find_map(|s| match &s.progress {
                Progress::Unknown(status) if !status.is_empty() => Some(status.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "NeverPublished".to_owned());
    };
    match (newest.target, newest.result.as_str()) {
        (Target::Preview, "succeeded") if newest.number > newest_live(submissions) => {
            "WaitingForPublisherReview".to_owned()
        }
        (Target::Preview, "succeeded") => "Succeeded".to_owned(),
        (Target::Live, "succeeded") => "Succeeded".to_owned(),
        (_, "failed") => "Failed".to_owned(),
        (_, "cancelled" | "canceled") => "Canceled".to_owned(),
        (_, other) => format!("completed/{other}"),
    }
}

fn state_from_submissions(submissions: &[Submission]) -> OperationState {
    let mut sorted: Vec<&Submission> = submissions.iter().collect();
    sorted.sort_by_key(|s| s.number);
    let steps = sorted
        .iter()
        .map(|s| {
            let (status, text) = match (&s.progress, s.result.as_str()) {
                (Progress::Completed, "succeeded") => (StepStatus::Complete, "complete"),
                (Progress::Completed, "failed") => (StepStatus::Failed, "failed"),
                (Progress::Completed, "cancelled" | "canceled") => {
                    (StepStatus::Canceled, "canceled")
                }
                (Progress::Completed, _) => (StepStatus::Unknown, "completed"),
                (Progress::Running, _) => (StepStatus::InProgress, "inProgress"),
                (Progress::Unknown(_), _) => (StepStatus::Unknown, "unknown"),
            };
            Step {
                id: s.id.clone(),
                name: format!(
                    "{} submission {}",
                    match s.target {
                        Target::Live => "live",
                        Target::Preview => "preview",
                    },
                    s.number
                ),
                status,
                status_text: text.to_owned(),
                progress: None,
                estimate: None,
                messages: Vec::new(),
            }
        })
        .collect();
    OperationState {
        steps,
        ..OperationState::with_status(&offer_status(submissions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "12345678-abcd-efgh-1234-12345678901";

    fn submission(number: u64, target: &str, status: &str, result: &str) -> Submission {
        Submission::parse(&json!({"id": format!("submission/{P}/{number}"),
            "target": {"targetType": target}, "status": status, "result": result}))
        .expect("valid")
        .expect("not the draft")
    }

    fn draft() -> Value {
        json!({"id": format!("submission/{P}/0"), "target": {"targetType": "draft"}})
    }

    #[test]
    fn jobs_map_onto_the_shared_statuses() {
        let done = parse_job(&json!({"jobId": "j1", "jobStatus": "completed", "jobResult": "succeeded", "errors": []})).expect("job");
        assert_eq!(done.status, OperationStatus::Succeeded);
        let failed = parse_job(
            &json!({"jobID": "j1", "jobStatus": "completed", "jobResult": "failed",
            "errors": [{"code": "InvalidResource", "message": "The <b>plan</b> is missing"}]}),
        )
        .expect("job");
        assert_eq!(failed.status, OperationStatus::Failed);
        assert_eq!(failed.steps[0].messages[0].text, "The plan is missing");
        assert_eq!(
            failed.steps[0].messages[0].title.as_deref(),
            Some("InvalidResource")
        );
        assert_eq!(
            failed.failed_step().map(|step| step.name.as_str()),
            Some("configure job")
        );
        let canceled =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "cancelled"})).expect("job");
        assert_eq!(canceled.status, OperationStatus::Canceled);
        let running =
            parse_job(&json!({"jobStatus": "running", "jobResult": "pending"})).expect("job");
        assert_eq!(running.status, OperationStatus::Running);
        let odd =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "pending"})).expect("job");
        assert!(!odd.status.is_terminal());
        assert!(parse_job(&json!({"status": "x"})).is_err());
    }

    #[test]
    fn nested_job_errors_become_one_message_per_leaf() {
        let job = parse_job(&json!({"jobId": "j1", "jobStatus": "completed", "jobResult": "failed",
            "errors": [
                {"resourceId": "submission/2d541119", "code": "internalServerError", "message": "Operation failed",
                 "details": [
                    {"code": "invalidState", "message": "Certification", "details": [
                        {"code": "invalidState", "message": "Issues found during Certification."}]},
                    {"resourceId": "plan/p1", "code": "businessValidationError", "message": "Plan <i>x</i> has no price", "details": []}]},
                {"code": "conflict", "message": "flat", "details": {}},
                "a plain string"
            ]}))
        .expect("job");
        let leaves: Vec<(Option<&str>, &str)> = job.steps[0]
            .messages
            .iter()
            .map(|m| (m.title.as_deref(), m.text.as_str()))
            .collect();
        assert_eq!(
            leaves,
            [
                (
                    Some("invalidState (submission/2d541119)"),
                    "Issues found during Certification."
                ),
                (
                    Some("businessValidationError (plan/p1)"),
                    "Plan x has no price"
                ),
                (Some("conflict"), "flat"),
                (None, "a plain string"),
            ]
        );
    }

    #[test]
    fn hostile_error_nesting_is_bounded() {
        // Deeper than the walk goes: the deepest item read stands for what is below it.
        let mut error = json!({"code": "bottom", "message": "too deep"});
        for level in 0..40 {
            error = json!({"code": format!("level{level}"), "message": "m", "details": [error]});
        }
        let job =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "failed", "errors": [error]}))
                .expect("job");
        assert_eq!(job.steps[0].messages.len(), 1);
        assert_eq!(job.steps[0].messages[0].title.as_deref(), Some("level32"));
        let many: Vec<Value> = (0..1000)
            .map(|n| json!({"code": "c", "message": format!("m{n}")}))
            .collect();
        let job = parse_job(&json!({"jobStatus": "completed", "jobResult": "failed", "errors": [{"details": many}]}))
            .expect("job");
        // Wide: capped, and what is cut is counted.
        let messages = &job.steps[0].messages;
        assert_eq!(messages.len(), MAX_ERROR_LEAVES + 1);
        assert_eq!(messages[MAX_ERROR_LEAVES - 1].text, "m99");
        assert_eq!(
            messages[MAX_ERROR_LEAVES].text,
            "… 900 more errors from the service, not shown"
        );
        // Nested under a parent, the cut leaves do not make the parent a leaf of its own.
        let nested: Vec<Value> = (0..3)
            .map(|n| json!({"code": "p", "message": format!("parent {n}"), "details": [{"message": format!("leaf {n}")}]}))
            .collect();
        let mut errors: Vec<Value> = (0..MAX_ERROR_LEAVES - 1)
            .map(|n| json!({"message": format!("m{n}")}))
            .collect();
        errors.extend(nested);
        let job =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "failed", "errors": errors}))
                .expect("job");
        let texts: Vec<&str> = job.steps[0]
            .messages
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(texts[MAX_ERROR_LEAVES - 1], "leaf 0");
        assert_eq!(
            texts[MAX_ERROR_LEAVES],
            "… 2 more errors from the service, not shown"
        );
    }

    #[test]
    fn ids_from_the_service_are_checked() {
        assert!(is_service_id("d4261631-c583-4949-a612-5150882632e9"));
        assert!(is_service_id(P));
        for bad in [
            "",
            "../x",
            "a/b",
            "a?b",
            "a%2Fb",
            "-x",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(!is_service_id(bad), "{bad:?}");
        }
        assert_eq!(product_guid(&format!("product/{P}")), Some(P));
        assert_eq!(product_guid("product/../configure"), None);
        assert_eq!(
            submission_number(&format!("submission/{P}/1152921515689847470")),
            Some(1_152_921_515_689_847_470)
        );
        for bad in [
            "submission/x/",
            "submission/x/1a",
            "submission/../1",
            "submission/x/99999999999999999999",
            "plan/x/1",
        ] {
            assert_eq!(submission_number(bad), None, "{bad}");
        }
        assert_eq!(job_id(&json!({"jobId": "a/../b"})), None);
        assert!(
            parse_submissions(
                &json!({"value": [{"id": "submission/x/1?y", "target": {"targetType": "preview"}}]})
            )
            .is_err()
        );
        assert!(
            parse_submissions(
                &json!({"value": [{"id": "submission/x/1", "target": {"targetType": "elsewhere"}}]})
            )
            .is_err()
        );
        assert!(parse_submissions(&json!({"items": []})).is_err());
    }

    #[test]
    fn the_draft_entry_is_not_a_submission() {
        // A hostile id on the draft entry does not matter: it is never used.
        let list = parse_submissions(
            &json!({"value": [draft(), {"id": "x/..", "target": {"targetType": "draft"}}]}),
        )
        .expect("valid");
        assert!(list.is_empty());
        assert_eq!(
            state_from_submissions(&list).status,
            OperationStatus::NeverPublished
        );
        assert!(state_from_submissions(&list).steps.is_empty());
    }

    #[test]
    fn offer_state_from_submissions() {
        let state = |subs: &[Submission]| state_from_submissions(subs).status;
        assert_eq!(state(&[]), OperationStatus::NeverPublished);
        assert_eq!(
            state(&[submission(1, "preview", "running", "pending")]),
            OperationStatus::Running
        );
        assert_eq!(
            state(&[submission(1, "preview", "notStarted", "pending")]),
            OperationStatus::Running
        );
        // A status the documentation does not list is not running.
        assert_eq!(
            state(&[submission(1, "preview", "queuedSomehow", "")]),
            OperationStatus::Unknown("queuedSomehow".into())
        );
        assert_eq!(
            state(&[submission(1, "preview", "completed", "succeeded")]),
            OperationStatus::WaitingForPublisherReview
        );
        assert_eq!(
            state(&[
                submission(1, "preview", "completed", "succeeded"),
                submission(2, "live", "completed", "succeeded")
            ]),
            OperationStatus::Succeeded
        );
        // The documented list: live 7470, then a newer preview 8683.
        assert_eq!(
            state(&[
                submission(1_152_921_515_689_847_470, "live", "completed", "succeeded"),
                submission(
                    1_152_921_515_689_848_683,
                    "preview",
                    "completed",
                    "succeeded"
                )
            ]),
            OperationStatus::WaitingForPublisherReview
        );
        // A preview pushed live is the same submission on both targets: live.
        assert_eq!(
            state(&[
                submission(5, "preview", "completed", "succeeded"),
                submission(5, "live", "completed", "succeeded")
            ]),
            OperationStatus::Succeeded
        );
        assert_eq!(
            state(&[submission(3, "preview", "completed", "failed")]),
            OperationStatus::Failed
        );
        assert_eq!(
            state(&[
                submission(2, "live", "completed", "succeeded"),
                submission(3, "preview", "completed", "failed")
            ]),
            OperationStatus::Failed
        );
    }

    #[test]
    fn go_live_takes_the_newest_ready_preview() {
        let subs = [
            submission(1, "preview", "completed", "succeeded"),
            submission(2, "live", "completed", "succeeded"),
            submission(3, "preview", "completed", "succeeded"),
            submission(4, "preview", "completed", "failed"),
        ];
        assert_eq!(ready_preview(&subs), Some(format!("submission/{P}/3")));
        assert_eq!(ready_preview(&subs[..2]), None);
        assert_eq!(
            ready_preview(&[submission(7, "preview", "running", "pending")]),
            None
        );
    }
}
