//! Putting an image version into a CPP offer's draft (issue 21): read the offer whole with its
//! ETag, change it ([`vm::cpp::apply`]), write it back with `If-Match: <that ETag>` (never `*`),
//! and read the change back ([`vm::cpp::verify`]). The evidence is in [`crate::draft`]'s design
//! note.
//!
//! No write is ever sent again blindly. A 412 (another writer came first), the documented 500
//! "internal conflict ... Retry is OK", another 5xx or an answer that broke off all lead to the
//! same safe step: read the offer again and apply again. Since the next write carries the new
//! ETag, it cannot overwrite anyone; and if the write that got no clear answer did land, the new
//! read shows the version and nothing more is written. At most [`MAX_WRITES`] writes are made.

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use super::cpp::Cpp;
use super::draft::{DraftError, DraftOutcome, DraftRequest};
use super::error::ApiError;
use crate::draft::Change;
use crate::draft::document::{DOCUMENT_CAP, DocumentError, read_whole};
use crate::draft::vm;
use crate::transport::{Body, Read, Replay, Request, Response};

pub const READ_OFFER_CALL: &str = "read offer";
pub const UPDATE_OFFER_CALL: &str = "update offer";

/// Writes of one change, each after a fresh read: a 412 or an unclear answer more often than
/// this means something else keeps writing the offer, and the run stops rather than race it.
pub const MAX_WRITES: u32 = 3;

/// The offer as read: the whole document and the ETag to write it back with.
struct ReadOffer {
    document: Value,
    etag: Option<String>,
}

/// What one write came to.
enum Written {
    /// The service took it; its answer, when it is the offer document.
    Taken(Option<Value>),
    /// Not taken, or not known to be (412, a 5xx, an answer that broke off): read again.
    ReadAgain(ApiError),
}

impl Cpp<'_> {
    /// Puts the version into the plan unless it is there already, safely against other writers,
    /// and checks the result. Nothing here publishes.
    pub async fn change_draft(
        &self,
        request: &DraftRequest,
        deadline: Instant,
    ) -> Result<DraftOutcome, DraftError> {
        let image = &request.image;
        // Known without the offer (with `api: auto`, the configuration could not know the API):
        // refused before the offer, and the secrets it holds, are read.
        vm::cpp::unsupported(image).map_err(DraftError::Refused)?;
        let mut writes = 0;
        // A write with no clear answer may have landed: a read that then shows the version
        // shows this run's change.
        let mut may_have_written = false;
        loop {
            let ReadOffer { document, etag } = self.read_offer(deadline).await?;
            let changed = match vm::cpp::apply(&document, image).map_err(DraftError::Refused)? {
                Change::AlreadyPresent if may_have_written => return Ok(DraftOutcome::Changed),
                Change::AlreadyPresent => return Ok(DraftOutcome::Unchanged),
                Change::Changed(changed) => changed,
            };
            // Only the changed copy is needed from here: a large offer is held once, not twice.
            drop(document);
            let etag = etag.ok_or_else(no_etag)?;
            writes += 1;
            match self.write_offer(&changed, &etag, deadline).await? {
                Written::Taken(answer) => {
                    self.verify(answer, request, deadline).await?;
                    return Ok(DraftOutcome::Changed);
                }
                Written::ReadAgain(error) if writes < MAX_WRITES => {
                    may_have_written |= !matches!(error, ApiError::Status { status: 412, .. });
                    tracing::warn!("{error}; reading the offer again and applying the change anew");
                }
                Written::ReadAgain(error) => return Err(DraftError::Api(gave_up(error))),
            }
        }
    }

    /// `GET` the offer, whole (up to [`DOCUMENT_CAP`], never cut), and its `ETag`.
    async fn read_offer(&self, deadline: Instant) -> Result<ReadOffer, ApiError> {
        let url = self.offer_document_url(READ_OFFER_CALL)?;
        let request = Request {
            call: READ_OFFER_CALL,
            method: Method::GET,
            url: &url,
            bearer: None,
            headers: &[],
            body: Body::Empty,
            replay: Replay::Safe,
            max_body: DOCUMENT_CAP,
        };
        self.api()
            .call(
                self.audience(),
                request,
                deadline,
                |response| match read_whole("offer", &response.body, DOCUMENT_CAP) {
                    Ok(document) => Read::Done(ReadOffer {
                        etag: etag(response, &document),
                        document,
                    }),
                    Err(error) => unreadable(READ_OFFER_CALL, response, &error),
                },
            )
            .await
    }

    /// `PUT` the whole offer with `If-Match`. Sent once: a write is never re-sent on an unclear
    /// answer (only the transport's own re-send of a request that certainly did not arrive).
    async fn write_offer(
        &self,
        document: &Value,
        etag: &str,
        deadline: Instant,
    ) -> Result<Written, ApiError> {
        let url = self.offer_document_url(UPDATE_OFFER_CALL)?;
        let headers = [("If-Match", etag)];
        let request = Request {
            call: UPDATE_OFFER_CALL,
            method: Method::PUT,
            url: &url,
            bearer: None,
            headers: &headers,
            body: Body::Json(document),
            replay: Replay::OnlyIfNotReceived,
            max_body: DOCUMENT_CAP,
        };
        let answer = self
            .api()
            .call(self.audience(), request, deadline, |response| {
                // The answer is the offer as stored; anything else is read back with a GET.
                Read::Done(read_whole("offer", &response.body, DOCUMENT_CAP).ok())
            })
            .await;
        match answer {
            Ok(answer) => Ok(Written::Taken(
                answer.filter(|doc| doc.get("definition").is_some()),
            )),
            Err(error) if read_again(&error) => Ok(Written::ReadAgain(error)),
            Err(error) => Err(error),
        }
    }

    /// The change as the service holds it: the PUT's answer when it is the offer, else a fresh
    /// read. A read-back that does not show it is an error, and nothing is published.
    async fn verify(
        &self,
        answer: Option<Value>,
        request: &DraftRequest,
        deadline: Instant,
    ) -> Result<(), DraftError> {
        let document = match answer {
            Some(document) => document,
            None => self.read_offer(deadline).await?.document,
        };
        vm::cpp::verify(&document, &request.image).map_err(DraftError::NotVerified)
    }
}

/// The ETag to write back with: the header; failing that the body's own `Etag` (devigned/pub's
/// fixture carries one) or `eTag` (the docs' PUT example). Never `*`.
fn etag(response: &Response, document: &Value) -> Option<String> {
    let from_body = || {
        ["Etag", "eTag", "etag"]
            .iter()
            .find_map(|key| document.get(*key).and_then(Value::as_str))
            .map(str::to_owned)
    };
    response
        .header("etag")
        .map(str::to_owned)
        .or_else(from_body)
        .filter(|tag| !tag.trim().is_empty() && tag.trim() != "*")
}

fn no_etag() -> DraftError {
    DraftError::Api(ApiError::UnexpectedBody {
        call: READ_OFFER_CALL,
        status: 200,
        detail: "the offer came without an ETag, so it cannot be written back without risking \
                 another writer's change (If-Match); nothing was changed"
            .to_owned(),
    })
}

/// A body that is not the offer: a proxy's page is retried (the read is safe); a document past
/// the cap cannot come here (the transport refuses it first), but is refused the same way.
fn unreadable<T>(call: &'static str, response: &Response, error: &DocumentError) -> Read<T> {
    match error {
        DocumentError::NotJson { .. } => Read::Unexpected(error.to_string()),
        DocumentError::TooLarge { .. } => Read::Fail(ApiError::UnexpectedBody {
            call,
            status: response.status,
            detail: error.to_string(),
        }),
    }
}

/// Answers after which the write did not happen, or may have: 412 (the ETag is stale), a 5xx
/// (among them the documented "internal conflict ... Retry is OK"), or an answer that broke off
/// after the request left. Each is met by reading again, never by sending the write again.
fn read_again(error: &ApiError) -> bool {
    match error {
        ApiError::Status { status, .. } => *status == 412 || (500..600).contains(status),
        ApiError::Transport { before_sending, .. } => !before_sending,
        _ => false,
    }
}

/// The last of [`MAX_WRITES`] writes failed like the others: said so in the error.
fn gave_up(error: ApiError) -> ApiError {
    let why = format!(
        "the offer was read and written {MAX_WRITES} times and each write was refused or got \
         no clear answer (another writer may be changing this offer); nothing more is written"
    );
    match error {
        ApiError::Status {
            call,
            status,
            code,
            message,
            help,
        } => ApiError::Status {
            call,
            status,
            code,
            message: if message.is_empty() {
                why
            } else {
                format!("{message} ({why})")
            },
            help,
        },
        ApiError::Transport { call, detail, .. } => ApiError::Transport {
            call,
            detail: format!("{detail} ({why})"),
            before_sending: false,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> ApiError {
        ApiError::Status {
            call: UPDATE_OFFER_CALL,
            status,
            code: None,
            message: String::new(),
            help: None,
        }
    }

    #[test]
    fn stale_etags_and_unclear_answers_are_met_by_reading_again() {
        for again in [412, 500, 502, 503] {
            assert!(read_again(&status(again)), "{again}");
        }
        for final_answer in [400, 401, 403, 404, 409, 422] {
            assert!(!read_again(&status(final_answer)), "{final_answer}");
        }
        let broke_off = |before_sending| ApiError::Transport {
            call: UPDATE_OFFER_CALL,
            detail: "reset".to_owned(),
            before_sending,
        };
        assert!(read_again(&broke_off(false)));
        assert!(!read_again(&broke_off(true)));
    }

    #[test]
    fn giving_up_says_why() {
        let error = gave_up(status(412));
        assert!(error.to_string().contains("written 3 times"), "{error}");
    }
}
