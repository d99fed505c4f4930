//! Cloud Partner Portal endpoints, one function each. Paths are built from validated ids (letters,
//! digits, `.`, `_`, `-`), so nothing in them needs encoding.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use super::Api;
use super::error::ApiError;
use super::model::{OperationState, OperationStatus, parse_operation, scalar};
use super::value_kind::ValueKind;
use super::{OfferRef, is_identifier};
use crate::auth::Audience;

use crate::transport::{Body, Read, Replay, Request, Response};

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

/// What a cancel request got back.
#[derive(Debug, Clone)]
pub enum Canceled {
    /// `200`: done at once, nothing to wait on.
    Done,
    /// `202` + `Location`: the cancellation to wait on.
    Operation(Url),
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
    fn offer_url(&self, call: &'static str, tail: &str) -> Result<Url, ApiError> {
        let Some(offer) = &self.offer else {
            return Err(ApiError::Local {
                call,
                detail: "the publisher and offer are not known".to_owned(),
                help: Some("set publisher-id and offer-id".to_owned()),
            });
        };
        let mut url = self.base.clone();
        url.set_path(&format!(
            "/api/publishers/{}/offers/{}/{tail}",
            offer.publisher_id, offer.offer_id
        ));
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        Ok(url)
    }

    /// `{base}/api/publishers/{p}/offers/{o}?api-version=...`: the offer document itself, read
    /// and written whole by a draft change ([`super::cpp_draft`]).
    pub(super) fn offer_document_url(&self, call: &'static str) -> Result<Url, ApiError> {
        let mut url = self.offer_url(call, "")?;
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        Ok(url)
    }

    pub(super) fn api(&self) -> &Api {
        self.api
    }

    pub(super) fn audience(&self) -> &Audience {
        &self.audience
    }

    /// The operation a `Location` (or `Operation-Location`) names, as a URL rebuilt from checked
    /// parts: never passed through. Relative or absolute, it must be on the API origin (the token
    /// goes nowhere else) and have one of the two operation shapes; see
    /// [`rebuild_operation_url`].
    pub fn resolve(&self, call: &'static str, location: &str) -> Result<Url, ApiError> {
        let quoted = || format!("{:?}", crate::secret::redact_then_cut(location, 300));
        let url = self
            .base
            .join(location.trim())
            .map_err(|_| ApiError::UnexpectedBody {
                call,
                status: 202,
                detail: format!("the Location header is not a URL: {}", quoted()),
            })?;
        if url.origin() != self.base.origin() {
            return Err(ApiError::OffOrigin {
                call,
                url: crate::secret::redact_then_cut(url.as_str(), 300),
                allowed: self.base.origin().ascii_serialization(),
            });
        }
        let rebuilt =
            rebuild_operation_url(&self.base, &self.api_version, &url).ok_or_else(|| {
                ApiError::UnexpectedBody {
                    call,
                    status: 202,
                    detail: format!(
                        "the Location header does not name an operation: {}",
                        quoted()
                    ),
                }
            })?;
        // Both shapes name the offer; another offer's operation would be reported, and its URL
        // handed on, as this one's.
        let named = offer_from_operation_url(&rebuilt);
        if let (Some(offer), Some(named)) = (&self.offer, named)
            && !(named.publisher_id.eq_ignore_ascii_case(&offer.publisher_id)
                && named.offer_id.eq_ignore_ascii_case(&offer.offer_id))
        {
            return Err(ApiError::UnexpectedBody {
                call,
                status: 202,
                detail: format!(
                    "the Location header names an operation of another offer ({}/{}): {}",
                    named.publisher_id,
                    named.offer_id,
                    quoted()
                ),
            });
        }
        Ok(rebuilt)
    }

    /// `operation-url` as given to `command: wait` or `cancel`, rebuilt like a `Location`.
    pub fn operation_url(&self, given: &Url) -> Option<Url> {
        (given.origin() == self.base.origin())
            .then(|| rebuild_operation_url(&self.base, &self.api_version, given))
            .flatten()
    }

    async fn post(
        &self,
        call: &'static str,
        tail: &str,
        body: Option<&Value>,
        deadline: Instant,
    ) -> Result<Canceled, ApiError> {
        let url = self.offer_url(call, tail)?;
        let request = Request {
            call,
            method: Method::POST,
            url: &url,
            bearer: None,
            headers: &[],
            body: body.map_or(Body::Empty, Body::Json),
            replay: Replay::OnlyIfNotReceived,
            max_body: crate::transport::MAX_BODY,
        };
        self.api
            .call(
                &self.audience,
                request,
                deadline,
                // The older reference answers go-live and cancel with `Operation-Location` (an
                // absolute URL); it is followed the same way. `Location` wins when both come.
                |response| match response
                    .header("location")
                    .or_else(|| response.header("operation-location"))
                {
                    Some(location) => match self.resolve(call, location) {
                        Ok(url) => Read::Done(Canceled::Operation(url)),
                        Err(error) => Read::Fail(error),
                    },
                    None => Read::Done(Canceled::Done),
                },
            )
            .await
    }

    /// A publish or go-live: the operation to follow. An answer without a `Location` cannot be
    /// followed, and calling it done would be a guess.
    async fn start(
        &self,
        call: &'static str,
        tail: &str,
        body: Option<&Value>,
        deadline: Instant,
    ) -> Result<Url, ApiError> {
        match self.post(call, tail, body, deadline).await? {
            Canceled::Operation(url) => Ok(url),
            Canceled::Done => Err(ApiError::UnexpectedBody {
                call,
                status: 202,
                detail: "the service accepted the request but sent no Location header, so the \
                         operation cannot be followed"
                    .to_owned(),
            }),
        }
    }

    /// `POST .../publish` with the notification emails: the operation to follow.
    pub async fn publish(&self, emails: &[String], deadline: Instant) -> Result<Url, ApiError> {
        let body = publish_body(emails);
        self.start(PUBLISH_CALL, "publish", Some(&body), deadline)
            .await
    }

    /// `POST .../golive`: the operation to follow.
    pub async fn go_live(&self, deadline: Instant) -> Result<Url, ApiError> {
        self.start(GO_LIVE_CALL, "golive", None, deadline).await
    }

    /// `POST .../cancel` (with the notification emails, as the reference shows): 200 when done at
    /// once, 202 + Location to wait on.
    pub async fn cancel(&self, emails: &[String], deadline: Instant) -> Result<Canceled, ApiError> {
        let body = publish_body(emails);
        self.post(CANCEL_CALL, "cancel", Some(&body), deadline)
            .await
    }

    /// `GET {operation}`.
    pub async fn operation(&self, url: &Url, deadline: Instant) -> Result<Polled, ApiError> {
        self.get_state(OPERATION_CALL, url, deadline).await
    }

    /// `GET .../status`: the offer's state, with the steps of its current or last operation.
    pub async fn offer_status(&self, deadline: Instant) -> Result<Polled, ApiError> {
        let url = self.offer_url(OFFER_STATUS_CALL, "status")?;
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
            max_body: crate::transport::MAX_BODY,
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
        let mut url = self.offer_url(RUNNING_CALL, "submissions/")?;
        url.query_pairs_mut().append_pair("status", "running");
        let request = Request {
            call: RUNNING_CALL,
            method: Method::GET,
            url: &url,
            bearer: None,
            headers: &[],
            body: Body::Empty,
            replay: Replay::Safe,
            max_body: crate::transport::MAX_BODY,
        };
        let listed =
            self.api
                .call(&self.audience, request, deadline, |response| {
                    match crate::transport::json::parse(&response.body) {
                        Ok(value) => Read::Done(value),
                        Err(_) => Read::Unexpected("the list of operations is not JSON".to_owned()),
                    }
                })
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
                // A link that names no operation on the API is not followed (nor is the list
                // refused for it): the next item, or the offer's status, serves.
                (Some(link), _) => match self.resolve(RUNNING_CALL, link) {
                    Ok(url) => url,
                    Err(error) => {
                        tracing::warn!("{error}; the item is skipped");
                        continue;
                    }
                },
                (None, Some(id)) if is_identifier(&id) => {
                    self.offer_url(RUNNING_CALL, &format!("operations/{id}"))?
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

/// An operation URL composed from parts the program checked: the origin of `base` (the
/// configured API), one of the two operation paths, every segment within its character set, and
/// the configured `api-version` alone. Query, fragment, userinfo and any other segment of
/// `given` are dropped; a path of another shape gives `None`.
///
/// - `/api/publishers/{publisher}/offers/{offer}/operations/{id}` (migrated offers; the id a
///   GUID or another identifier)
/// - `/api/operations/{publisher}${offer}${...}` (non-migrated: `contoso$offer$2$preview`)
pub fn rebuild_operation_url(base: &Url, api_version: &str, given: &Url) -> Option<Url> {
    let segments: Vec<String> = given.path_segments()?.map(percent_decode).collect();
    let path = match segments.as_slice() {
        [api, publishers, publisher, offers, offer, operations, id]
            if api == "api"
                && publishers == "publishers"
                && offers == "offers"
                && operations == "operations"
                && is_identifier(publisher)
                && is_identifier(offer)
                && is_identifier(id) =>
        {
            format!("/api/publishers/{publisher}/offers/{offer}/operations/{id}")
        }
        [api, operations, id]
            if api == "api"
                && operations == "operations"
                && ValueKind::OperationId.fits(id)
                && id.split('$').count() >= 2
                && id.split('$').all(is_identifier) =>
        {
            format!("/api/operations/{id}")
        }
        _ => return None,
    };
    let mut url = base.clone();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    url.query_pairs_mut()
        .append_pair("api-version", api_version);
    ValueKind::OperationUrl.fits(url.as_str()).then_some(url)
}

/// The operation's id as the last segment of its URL: a GUID, or `p$o$2$preview`. `None` when
/// the segment is anything else: the id is printed and becomes an output.
pub fn operation_id_from_url(url: &Url) -> Option<String> {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())?;
    let id = percent_decode(segment);
    ValueKind::OperationId.fits(&id).then_some(id)
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

/// The publisher and offer an operation URL belongs to, from either shape:
/// `/api/publishers/{p}/offers/{o}/operations/{id}` or `/api/operations/{p}${o}${n}${slot}`.
pub fn offer_from_operation_url(url: &Url) -> Option<OfferRef> {
    let segments: Vec<String> = url.path_segments()?.map(percent_decode).collect();
    let (publisher_id, offer_id) = match segments.as_slice() {
        [api, publishers, p, offers, o, operations, _]
            if api == "api"
                && publishers == "publishers"
                && offers == "offers"
                && operations == "operations" =>
        {
            (p.clone(), o.clone())
        }
        [api, operations, id] if api == "api" && operations == "operations" => {
            let mut parts = id.split('$');
            (parts.next()?.to_owned(), parts.next()?.to_owned())
        }
        _ => return None,
    };
    let valid = is_identifier(&publisher_id) && is_identifier(&offer_id);
    valid.then_some(OfferRef {
        publisher_id,
        offer_id,
    })
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
        let id = |url: &str| operation_id_from_url(&Url::parse(url).expect("url"));
        assert_eq!(
            id("https://h/api/publishers/p/offers/o/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8?api-version=1").as_deref(),
            Some("56615b67-2185-49fe-80d2-c4ddf77bb2e8")
        );
        assert_eq!(
            id("https://h/api/operations/contoso$contoso-offer$2$preview?api-version=1").as_deref(),
            Some("contoso$contoso-offer$2$preview")
        );
        assert_eq!(
            id("https://h/api/operations/contoso%24offer%242%24preview").as_deref(),
            Some("contoso$offer$2$preview")
        );
        // Anything that is not an id could be printed as a CI command: refused.
        assert_eq!(
            id("https://h/api/operations/x%0A::error%20title=F::x"),
            None
        );
        assert_eq!(id("https://h/api/operations/"), None);
    }

    #[test]
    fn operation_urls_are_rebuilt_from_checked_parts() {
        let base = Url::parse("https://cloudpartner.azure.com").expect("url");
        let rebuilt = |given: &str| {
            let given = base.join(given).expect("url");
            rebuild_operation_url(&base, "2017-10-31", &given).map(String::from)
        };
        let migrated = "https://cloudpartner.azure.com/api/publishers/contoso/offers/contoso-offer/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8?api-version=2017-10-31";
        let non_migrated = "https://cloudpartner.azure.com/api/operations/contoso$contoso-offer$2$preview?api-version=2017-10-31";
        // Both shapes, relative or absolute; the query, fragment and userinfo of the service's
        // URL are dropped and the configured api-version used.
        for given in [
            "/api/publishers/contoso/offers/contoso-offer/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8?api-version=2017-10-31",
            "/api/publishers/contoso/offers/contoso-offer/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8",
            "https://cloudpartner.azure.com/api/publishers/contoso/offers/contoso-offer/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8?api-version=1&x=$(id)#`id`",
            "https://user:pw@cloudpartner.azure.com/api/publishers/contoso/offers/contoso-offer/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8?x='|'",
        ] {
            assert_eq!(rebuilt(given).as_deref(), Some(migrated), "{given}");
        }
        for given in [
            "/api/operations/contoso$contoso-offer$2$preview?api-version=2017-10-31",
            "/api/operations/contoso%24contoso-offer%242%24preview",
        ] {
            assert_eq!(rebuilt(given).as_deref(), Some(non_migrated), "{given}");
        }
        // Any other shape, or a segment outside its character set: not followable.
        for given in [
            "/api/operations/56615b67",
            "/api/operations/a$b$(id)",
            "/api/operations/a$$b",
            "/api/operations/contoso$offer/extra",
            "/api/publishers/contoso/offers/contoso-offer/operations/x%0A::error::y",
            "/api/publishers/con%20toso/offers/o/operations/x",
            "/api/publishers/contoso/offers/o/operations/",
            "/api/publishers/contoso/offers/o/operations/x/",
            "/api/publishers/contoso/offers/o/jobs/x",
            "/other/api/operations/a$b",
            "/",
        ] {
            assert_eq!(rebuilt(given), None, "{given}");
        }
    }

    #[test]
    fn offers_from_both_operation_url_shapes() {
        let offer = |url: &str| offer_from_operation_url(&Url::parse(url).expect("url"));
        let expected = Some(OfferRef {
            publisher_id: "contoso".into(),
            offer_id: "contoso-offer".into(),
        });
        assert_eq!(
            offer(
                "https://h/api/publishers/contoso/offers/contoso-offer/operations/x?api-version=1"
            ),
            expected
        );
        assert_eq!(
            offer("https://h/api/operations/contoso$contoso-offer$2$preview"),
            expected
        );
        assert_eq!(offer("https://h/api/other/x"), None);
        assert_eq!(offer("https://h/api/operations/a%2Fb$o$2"), None);
    }
}
