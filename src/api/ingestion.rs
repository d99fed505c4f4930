//! Partner Center product ingestion API, for offers created in Partner Center (CPP cannot publish
//! them). Publishing is a `configure` job with a submission resource targeting `preview` or
//! `live`; the job is followed at `configure/{jobId}/status`. The offer's state is read from its
//! submissions, the way existing clients do: a preview submission running = publishing;
//! completed + failed = publish failed; completed + succeeded = preview ready; a live submission
//! running = going live, completed = its result.

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
        crate::config::is_identifier(id).then(|| id.to_owned())
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
            |value| {
                Ok(value
                    .get("value")
                    .and_then(Value::as_array)
                    .map(|items| items.iter().filter_map(Submission::parse).collect())
                    .unwrap_or_default())
            },
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

/// `product/<guid>` -> `<guid>`, when it is one.
fn product_guid(product: &str) -> Option<&str> {
    let guid = product.strip_prefix("product/")?;
    let valid = !guid.is_empty()
        && guid.len() <= 64
        && guid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    valid.then_some(guid)
}

fn job_id(value: &Value) -> Option<String> {
    scalar(value.get("jobId").or_else(|| value.get("jobID")))
        .filter(|id| crate::config::is_identifier(id))
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
    let messages: Vec<Message> = value
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    let code = error
                        .get("code")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let message = error
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let text = match (code.is_empty(), message.is_empty()) {
                        (false, false) => format!("{code}: {message}"),
                        (true, _) => message.to_owned(),
                        (false, true) => code.to_owned(),
                    };
                    Message {
                        level: Level::Error,
                        text: crate::text::html_to_text(&text),
                    }
                })
                .filter(|message| !message.text.is_empty())
                .collect()
        })
        .unwrap_or_default();
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

#[derive(Debug, Clone, PartialEq, Eq)]
struct Submission {
    id: String,
    number: u64,
    live: bool,
    status: String,
    result: String,
}

impl Submission {
    fn parse(value: &Value) -> Option<Submission> {
        let id = value.get("id").and_then(Value::as_str)?.to_owned();
        let number = id
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let target = value
            .get("target")
            .and_then(|target| target.get("targetType"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        Some(Submission {
            id,
            number,
            live: target.eq_ignore_ascii_case("live"),
            status: scalar(value.get("status"))
                .unwrap_or_default()
                .to_ascii_lowercase(),
            result: scalar(value.get("result"))
                .unwrap_or_default()
                .to_ascii_lowercase(),
        })
    }

    fn is_running(&self) -> bool {
        self.status != "completed"
    }
}

/// The newest preview submission that completed successfully, when no newer live one exists.
fn ready_preview(submissions: &[Submission]) -> Option<String> {
    let newest_live = submissions
        .iter()
        .filter(|s| s.live)
        .map(|s| s.number)
        .max()
        .unwrap_or(0);
    submissions
        .iter()
        .filter(|s| {
            !s.live && s.status == "completed" && s.result == "succeeded" && s.number > newest_live
        })
        .max_by_key(|s| s.number)
        .map(|s| s.id.clone())
}

fn state_from_submissions(submissions: &[Submission]) -> OperationState {
    let mut sorted: Vec<&Submission> = submissions.iter().collect();
    sorted.sort_by_key(|s| s.number);
    let steps = sorted
        .iter()
        .map(|s| {
            let (status, text) = match (s.status.as_str(), s.result.as_str()) {
                ("completed", "succeeded") => (StepStatus::Complete, "complete"),
                ("completed", "failed") => (StepStatus::Failed, "failed"),
                ("completed", "cancelled" | "canceled") => (StepStatus::Canceled, "canceled"),
                ("completed", _) => (StepStatus::Unknown, "completed"),
                _ => (StepStatus::InProgress, "inProgress"),
            };
            Step {
                id: s.id.clone(),
                name: format!(
                    "{} submission {}",
                    if s.live { "live" } else { "preview" },
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
    let status = if sorted.iter().any(|s| s.is_running()) {
        "Running"
    } else {
        match sorted.last() {
            None => "NeverPublished",
            Some(last) => match last.result.as_str() {
                "succeeded" if last.live => "Succeeded",
                "succeeded" => "WaitingForPublisherReview",
                "failed" => "Failed",
                "cancelled" | "canceled" => "Canceled",
                other => other,
            },
        }
    };
    OperationState {
        steps,
        ..OperationState::with_status(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(id: &str, target: &str, status: &str, result: &str) -> Submission {
        Submission::parse(&json!({"id": id, "target": {"targetType": target}, "status": status, "result": result}))
            .expect("parses")
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
        assert_eq!(
            failed.steps[0].messages[0].text,
            "InvalidResource: The plan is missing"
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
    fn offer_state_from_submissions() {
        let state = |subs: &[Submission]| state_from_submissions(subs).status;
        assert_eq!(state(&[]), OperationStatus::NeverPublished);
        assert_eq!(
            state(&[submission(
                "submission/p/1",
                "preview",
                "running",
                "pending"
            )]),
            OperationStatus::Running
        );
        assert_eq!(
            state(&[submission(
                "submission/p/1",
                "preview",
                "completed",
                "succeeded"
            )]),
            OperationStatus::WaitingForPublisherReview
        );
        assert_eq!(
            state(&[
                submission("submission/p/1", "preview", "completed", "succeeded"),
                submission("submission/p/2", "live", "completed", "succeeded")
            ]),
            OperationStatus::Succeeded
        );
        assert_eq!(
            state(&[submission(
                "submission/p/3",
                "preview",
                "completed",
                "failed"
            )]),
            OperationStatus::Failed
        );
    }

    #[test]
    fn go_live_takes_the_newest_ready_preview() {
        let subs = [
            submission("submission/p/1", "preview", "completed", "succeeded"),
            submission("submission/p/2", "live", "completed", "succeeded"),
            submission("submission/p/3", "preview", "completed", "succeeded"),
        ];
        assert_eq!(ready_preview(&subs).as_deref(), Some("submission/p/3"));
        assert_eq!(ready_preview(&subs[..2]), None);
    }
}
