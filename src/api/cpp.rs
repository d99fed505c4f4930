//! Cloud Partner Portal endpoints, one function each. Paths are built from validated ids (letters,
//! digits, `.`, `_`, `-`), so nothing in them needs encoding.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use super::Api;
use super::error::ApiError;
use super::http::{Body, Read, Replay, Request, Response};
use super::model::{OperationState, OperationStatus, parse_operation, scalar};
use crate::auth::Audience;
use crate::config::OfferRef;

/// The token resource (v1) for CPP; its v2 scope is this + `/.default`.
pub const RESOURCE: &str = "https://cloudpartner.azure.com";

pub const PUBLISH_CALL: &str = "publish offer";
pub const GO_LIVE_CALL: &str = "go live";
pub const CANCEL_CALL: &str = "cancel operation";
pub const OPERATION_CALL: &str = "get operation status";
pub const OFFER_STATUS_CALL: &str = "get offer status";
pub const RUNNING_CALL: &str = "list running operations";

/// One reading of a state, with the pause the service asked for before the next.
#[derive(Debug, Clone)]
pub struct Polled {
    pub state: OperationState,
    pub retry_after: Option<Duration>,
}

/// What a POST that may start an operation got back.
#[derive(Debug, Clone)]
pub enum Started {
    /// `202` + `Location`: the operation to wait on.
    Operation(Url),
    /// `200` to a cancel: done at once, nothing to wait on.
    Done,
}

impl Started {
    /// The operation of a publish or go-live, which [`Cpp::post_start`] never reports `Done`.
    fn operation(self) -> Url {
        match self {
            Started::Operation(url) => url,
            Started::Done => unreachable!("only a cancel is done at once"),
        }
    }
}

pub struct Cpp<'a> {
    api: &'a Api,
    audience: Audience,
    base: Url,
    api_version: String,
    offer: Option<OfferRef>,
}

impl<'a> Cpp<'a> {
    pub fn new(api: &'a Api, base: Url, api_version: String, offer: Option<OfferRef>) -> Self {
        Cpp {
            api,
            audience: Audience::new(RESOURCE, &base),
            base,
            api_version,
            offer,
        }
    }

    /// `{base}/api/publishers/{p}/offers/{o}/{tail}?api-version=...`
    fn offer_url(&self, tail: &str) -> Url {
        let mut url = self.base.clone();
        let (publisher, offer) = self
            .offer
            .as_ref()
            .map_or(("", ""), |o| (o.publisher_id.as_str(), o.offer_id.as_str()));
        url.set_path(&format!(
            "/api/publishers/{publisher}/offers/{offer}/{tail}"
        ));
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        url
    }

    /// Resolves a `Location` against the API base; refuses another origin, where the token must
    /// not go. Both shapes are relative paths: `/api/publishers/{p}/offers/{o}/operations/{guid}`
    /// (migrated offers) and `/api/operations/{p}${o}$2$preview` (non-migrated).
    pub fn resolve(&self, call: &'static str, location: &str) -> Result<Url, ApiError> {
        let mut url = self
            .base
            .join(location.trim())
            .map_err(|_| ApiError::UnexpectedBody {
                call,
                status: 202,
                detail: format!("the Location header is not a URL: {location:?}"),
            })?;
        if url.origin() != self.base.origin() {
            return Err(ApiError::OffOrigin {
                call,
                url: url.to_string(),
                allowed: self.base.origin().ascii_serialization(),
            });
        }
        if !url.query_pairs().any(|(name, _)| name == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", &self.api_version);
        }
        Ok(url)
    }

    async fn post_start(
        &self,
        call: &'static str,
        tail: &str,
        body: Option<&Value>,
        deadline: Instant,
    ) -> Result<Started, ApiError> {
        let url = self.offer_url(tail);
        let request = Request {
            call,
            method: Method::POST,
            url: &url,
            bearer: None,
            headers: &[],
            body: body.map_or(Body::Empty, Body::Json),
            replay: Replay::OnlyIfNotReceived,
        };
        self.api
            .call(&self.audience, request, deadline, |response| {
                match response.header("location") {
                    Some(location) => match self.resolve(call, location) {
                        Ok(url) => Read::Done(Started::Operation(url)),
                        Err(error) => Read::Fail(error),
                    },
                    // Only a cancel may be done at once; a publish or go-live without a Location
                    // cannot be followed, and calling it done would be a guess.
                    None if call == CANCEL_CALL && response.status == 200 => {
                        Read::Done(Started::Done)
                    }
                    None => Read::Fail(ApiError::UnexpectedBody {
                        call,
                        status: response.status,
                        detail: format!(
                            "{} without a Location header: the operation cannot be followed",
                            response.status
                        ),
                    }),
                }
            })
            .await
    }

    /// `POST .../publish` with the notification emails: the operation to follow.
    pub async fn publish(&self, emails: &[String], deadline: Instant) -> Result<Url, ApiError> {
        let body = publish_body(emails);
        let started = self
            .post_start(PUBLISH_CALL, "publish", Some(&body), deadline)
            .await?;
        Ok(started.operation())
    }

    /// `POST .../golive`: the operation to follow.
    pub async fn go_live(&self, deadline: Instant) -> Result<Url, ApiError> {
        let started = self
            .post_start(GO_LIVE_CALL, "golive", None, deadline)
            .await?;
        Ok(started.operation())
    }

    /// `POST .../cancel`: 200 when done at once, 202 + Location to wait on.
    pub async fn cancel(&self, emails: &[String], deadline: Instant) -> Result<Started, ApiError> {
        let body = publish_body(emails);
        self.post_start(CANCEL_CALL, "cancel", Some(&body), deadline)
            .await
    }

    /// `GET {operation}`.
    pub async fn operation(&self, url: &Url, deadline: Instant) -> Result<Polled, ApiError> {
        self.get_state(OPERATION_CALL, url, deadline).await
    }

    /// `GET .../status`: the offer's state, with the steps of its current or last operation.
    pub async fn offer_status(&self, deadline: Instant) -> Result<Polled, ApiError> {
        let url = self.offer_url("status");
        self.get_state(OFFER_STATUS_CALL, &url, deadline).await
    }

    async fn get_state(
        &self,
        call: &'static str,
        url: &Url,
        deadline: Instant,
    ) -> Result<Polled, ApiError> {
        let request = Request {
            call,
            method: Method::GET,
            url,
            bearer: None,
            headers: &[],
            body: Body::Empty,
            replay: Replay::Safe,
        };
        self.api
            .call(&self.audience, request, deadline, read_state)
            .await
    }

    /// `GET .../submissions/?status=running`: the operations running now. `Ok(None)` when the
    /// service does not offer the list (404, as for some migrated offers).
    pub async fn running_operations(
        &self,
        deadline: Instant,
    ) -> Result<Option<Vec<Url>>, ApiError> {
        let mut url = self.offer_url("submissions/");
        url.query_pairs_mut().append_pair("status", "running");
        let request = Request {
            call: RUNNING_CALL,
            method: Method::GET,
            url: &url,
            bearer: None,
            headers: &[],
            body: Body::Empty,
            replay: Replay::Safe,
        };
        let listed = self
            .api
            .call(
                &self.audience,
                request,
                deadline,
                |response| match serde_json::from_slice::<Value>(&response.body) {
                    Ok(value) => Read::Done(value),
                    Err(_) => Read::Unexpected("the list of operations is not JSON".to_owned()),
                },
            )
            .await;
        let value = match listed {
            Ok(value) => value,
            Err(ApiError::Status { status: 404, .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        let items = match &value {
            Value::Array(items) => items.as_slice(),
            Value::Object(object) => object
                .get("value")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice),
            _ => &[],
        };
        let mut urls = Vec::new();
        for item in items {
            let state = ["status", "submissionState"]
                .iter()
                .find_map(|key| item.get(*key).and_then(Value::as_str));
            if state.is_some_and(|state| OperationStatus::parse(state) != OperationStatus::Running)
            {
                continue;
            }
            let link = ["operationUrl", "location", "href"]
                .iter()
                .find_map(|key| item.get(*key).and_then(Value::as_str));
            let url = match (link, scalar(item.get("id"))) {
                (Some(link), _) => self.resolve(RUNNING_CALL, link)?,
                (None, Some(id)) if crate::config::is_identifier(&id) => {
                    self.offer_url(&format!("operations/{id}"))
                }
                _ => continue,
            };
            urls.push(url);
        }
        Ok(Some(urls))
    }
}

fn publish_body(emails: &[String]) -> Value {
    if emails.is_empty() {
        json!({ "metadata": {} })
    } else {
        json!({ "metadata": { "notification-emails": emails.join(",") } })
    }
}

pub fn read_state(response: &Response) -> Read<Polled> {
    match parse_operation(&response.body) {
        Ok(state) => Read::Done(Polled {
            state,
            retry_after: response.retry_after(),
        }),
        Err(error) => Read::Unexpected(error.to_string()),
    }
}

/// The operation's id as the last segment of its URL: a GUID, or `p$o$2$preview`.
pub fn operation_id_from_url(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default();
    percent_decode(segment)
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_body_with_and_without_emails() {
        assert_eq!(publish_body(&[]).to_string(), r#"{"metadata":{}}"#);
        assert_eq!(
            publish_body(&["a@x.com".into(), "b@x.com".into()]).to_string(),
            r#"{"metadata":{"notification-emails":"a@x.com,b@x.com"}}"#
        );
    }

    #[test]
    fn operation_ids_from_both_location_shapes() {
        let migrated = Url::parse("https://h/api/publishers/p/offers/o/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8?api-version=1").expect("url");
        assert_eq!(
            operation_id_from_url(&migrated),
            "56615b67-2185-49fe-80d2-c4ddf77bb2e8"
        );
        let legacy =
            Url::parse("https://h/api/operations/contoso$contoso-offer$2$preview?api-version=1")
                .expect("url");
        assert_eq!(
            operation_id_from_url(&legacy),
            "contoso$contoso-offer$2$preview"
        );
        let encoded =
            Url::parse("https://h/api/operations/contoso%24offer%242%24preview").expect("url");
        assert_eq!(operation_id_from_url(&encoded), "contoso$offer$2$preview");
    }
}
