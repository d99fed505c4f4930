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
//!
//! This file holds the client (one method per call); `ids` the shapes of the service's ids,
//! `jobs` a configure job's status (and target) on the shared model, `lists` the pages of a list
//! answer and which product is the offer's, `submissions` the offer's state from its
//! submissions.

mod draft;
mod ids;
mod jobs;
mod lists;
mod submissions;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use super::Api;
use super::cpp::Polled;
use super::error::ApiError;
use super::model::{OperationState, ParseError};
use crate::auth::Audience;
use crate::transport::{Body, Read, Replay, Request};
use ids::{is_service_id, job_id, product_guid};
use jobs::parse_job;
use lists::ProductSearch;
use submissions::{Submission, parse_submissions, ready_preview, state_from_submissions};

/// The token resource (v1) for the ingestion API; its v2 scope is this + `/.default`.
pub const RESOURCE: &str = "https://graph.microsoft.com";
pub const VERSION: &str = "2022-03-01-preview2";
const SCHEMA: &str = "https://schema.mp.microsoft.com/schema";
pub const FIND_PRODUCT_CALL: &str = "find product";
pub const CONFIGURE_CALL: &str = "submit configure job";
pub const JOB_STATUS_CALL: &str = "get configure job status";
pub const JOB_DETAIL_CALL: &str = "get configure job detail";
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

    /// Reads every page of the list at `first` (see [`lists`]), each with `read`: one result
    /// per page.
    async fn pages<T>(
        &self,
        call: &'static str,
        first: Url,
        deadline: Instant,
        read: impl Fn(&Value) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ApiError> {
        let mut results = Vec::new();
        let mut read_urls: Vec<Url> = Vec::new();
        let mut url = first;
        loop {
            let (page, next) = self
                .call(request(call, Method::GET, &url, None), deadline, |value| {
                    Ok((read(value)?, lists::next_link(value)?))
                })
                .await?;
            results.push(page);
            let Some(link) = next else {
                return Ok(results);
            };
            if results.len() >= lists::MAX_PAGES {
                return Err(lists::too_many_pages(call));
            }
            let next = lists::next_page(call, &url, &self.base, &link, &read_urls)?;
            read_urls.push(std::mem::replace(&mut url, next));
        }
    }

    /// `GET product?externalId={offer}`, every page: the products whose external id is the
    /// offer's, and what else the answer lists.
    async fn search_product(&self, deadline: Instant) -> Result<ProductSearch, ApiError> {
        let offer = self.offer_id.clone().unwrap_or_default();
        let mut url = self.url("product");
        url.query_pairs_mut().append_pair("externalId", &offer);
        let pages = self
            .pages(FIND_PRODUCT_CALL, url, deadline, |value| {
                let mut page = ProductSearch::default();
                page.read_page(value, &offer)?;
                Ok(page)
            })
            .await?;
        let mut search = ProductSearch::default();
        for page in pages {
            search.merge(page);
        }
        Ok(search)
    }

    /// `GET product?externalId={offer}`: the product's durable id (`product/<guid>`), only of
    /// the product whose external id is `offer-id` (see [`lists`]).
    pub async fn lookup(&self, deadline: Instant) -> Result<Lookup, ApiError> {
        let search = self.search_product(deadline).await?;
        Ok(match self.the_product(&search)? {
            Some(id) => Lookup::Found(id),
            None => Lookup::NotFound,
        })
    }

    /// The one product of `search`. Two with the offer's external id is an error naming both:
    /// publishing either could be the wrong one.
    fn the_product(&self, search: &ProductSearch) -> Result<Option<String>, ApiError> {
        match search.matches.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            several => Err(ApiError::Local {
                call: FIND_PRODUCT_CALL,
                detail: format!(
                    "{} products have the external id '{}': {}; none is published",
                    several.len(),
                    self.offer_id.as_deref().unwrap_or_default(),
                    several.join(" and ")
                ),
                help: Some(
                    "check the offer in Partner Center: one offer id names one product".to_owned(),
                ),
            }),
        }
    }

    /// The product id, looked up once.
    async fn product(&self, deadline: Instant) -> Result<&str, ApiError> {
        self.product
            .get_or_try_init(|| async {
                let search = self.search_product(deadline).await?;
                match self.the_product(&search)? {
                    Some(id) => Ok(id),
                    None => Err(ApiError::Local {
                        call: FIND_PRODUCT_CALL,
                        detail: format!(
                            "no product with external id '{}' in the product ingestion API: {}",
                            self.offer_id.as_deref().unwrap_or_default(),
                            search.seen_text()
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

    /// `POST configure` with a submission to `preview`, or to `live` from the preview submission:
    /// the job, and its state when the answer tells it. The answer is a job status (the reference's
    /// sample says `notStarted`), and a job may already be `completed` in it: the Partner Center
    /// CLI extension polls only when it is not (`configure_resources` in
    /// clients/_product_ingestion_api_client.py), and so does this program's caller.
    pub async fn configure(
        &self,
        live: bool,
        deadline: Instant,
    ) -> Result<(String, Url, Option<OperationState>), ApiError> {
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
        let (job_id, state) = self
            .call(
                request(CONFIGURE_CALL, Method::POST, &url, Some(&body)),
                deadline,
                |value| {
                    let id = job_id(value)
                        .ok_or_else(|| ParseError("no jobId in the answer".to_owned()))?;
                    // A job status when it says one; an answer of another shape still names
                    // the job, which is then read at its status URL.
                    let state = value
                        .get("jobStatus")
                        .map(|_| parse_job(value))
                        .transpose()?;
                    Ok((id, state))
                },
            )
            .await?;
        let status_url = self.job_url(&job_id);
        Ok((job_id, status_url, state))
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

    /// `GET configure/{jobId}`: whether the job publishes to live (`Some(true)`) or preview
    /// (`Some(false)`), from the submission resource it configured; `None` when it configured no
    /// submission. The detail answer lists the resources of the request ("Job status and retrieve
    /// private offer detail via API"), and a submission resource names its target as the
    /// request did (`target.targetType`).
    pub async fn job_targets_live(
        &self,
        job_id: &str,
        deadline: Instant,
    ) -> Result<Option<bool>, ApiError> {
        let url = self.url(&format!("configure/{job_id}"));
        self.call(
            request(JOB_DETAIL_CALL, Method::GET, &url, None),
            deadline,
            jobs::target_is_live,
        )
        .await
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

    /// `GET submission/{product-guid}`, every page: the product's submissions.
    async fn submissions(&self, deadline: Instant) -> Result<Vec<Submission>, ApiError> {
        let product = self.product(deadline).await?.to_owned();
        let guid = product_guid(&product).unwrap_or_default();
        let url = self.url(&format!("submission/{guid}"));
        let pages = self
            .pages(SUBMISSIONS_CALL, url, deadline, parse_submissions)
            .await?;
        Ok(pages.into_iter().flatten().collect())
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
        max_body: crate::transport::MAX_BODY,
    }
}
