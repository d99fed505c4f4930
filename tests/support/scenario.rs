//! The fake service's scenarios: CPP bodies, and the routes most tests need, as chainable methods
//! on [`FakeServer`] so that a test reads as the scenario it checks:
//!
//! ```ignore
//! let server = FakeServer::start();
//! server.tokens().publish_accepted().operation(vec![running(), complete()]);
//! ```
//!
//! A route that is the point of one test (a hostile Location, a refusal) stays written out in the
//! test with [`FakeServer::route`]; a route that several tests share belongs here.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};

use super::{
    FakeServer, OFFER, OPERATION_ID, PUBLISHER, Reply, TENANT, TOKEN_PREFIX, offer_path,
    operation_path,
};

impl FakeServer {
    /// Entra's v1 token endpoint for the service principal: a new token each time, valid an hour.
    /// [`serve_tokens`] does the same and counts the tokens issued.
    pub fn tokens(&self) -> &Self {
        serve_tokens(self);
        self
    }

    /// `POST .../publish` answers with `replies`, one a request (the last repeats).
    pub fn publish_answers(&self, replies: Vec<Reply>) -> &Self {
        self.route("POST", &offer_path("publish"), replies)
    }

    /// `POST .../publish` answers 202 with the Location of the operation at [`operation_path`].
    pub fn publish_accepted(&self) -> &Self {
        self.publish_answers(vec![accepted_at(&operation_path())])
    }

    /// The operation at [`operation_path`] reads as `states`, one a poll (the last repeats).
    pub fn operation(&self, states: Vec<Value>) -> &Self {
        self.operation_answers(
            states
                .into_iter()
                .map(|state| Reply::json(200, state))
                .collect(),
        )
    }

    /// The operation at [`operation_path`] answers with `replies`, for answers other than 200.
    pub fn operation_answers(&self, replies: Vec<Reply>) -> &Self {
        self.route("GET", &operation_path(), replies)
    }

    /// `POST .../cancel` answers `answer`; the operation reads `running` until a cancel arrives,
    /// then `then` (`canceled`, or `complete` when the cancel came too late).
    pub fn cancel_ends_operation(&self, answer: Reply, then: &'static str) -> &Self {
        let cancelled = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&cancelled);
        self.route_fn("POST", &offer_path("cancel"), move |_, _| {
            seen.store(true, Ordering::SeqCst);
            answer.clone()
        });
        self.route_fn("GET", &operation_path(), move |_, _| {
            let status = if cancelled.load(Ordering::SeqCst) {
                then
            } else {
                "running"
            };
            Reply::json(200, operation(status, json!([])))
        })
    }

    /// `POST .../cancel` answers with `replies`.
    pub fn cancel_answers(&self, replies: Vec<Reply>) -> &Self {
        self.route("POST", &offer_path("cancel"), replies)
    }

    /// `POST .../golive` answers with `replies`.
    pub fn go_live_answers(&self, replies: Vec<Reply>) -> &Self {
        self.route("POST", &offer_path("golive"), replies)
    }

    /// `GET .../submissions/`, the list of the offer's running operations, answers with `replies`.
    pub fn running_operations(&self, replies: Vec<Reply>) -> &Self {
        self.route("GET", &offer_path("submissions/"), replies)
    }

    /// `GET .../status` answers with `replies`, for answers other than one 200.
    pub fn offer_status_answers(&self, replies: Vec<Reply>) -> &Self {
        self.route("GET", &offer_path("status"), replies)
    }

    /// `GET .../status` (the offer's status) answers 200 with `body`.
    pub fn offer_status(&self, body: Value) -> &Self {
        self.route("GET", &offer_path("status"), vec![Reply::json(200, body)])
    }
}

/// A CPP operation body.
pub fn operation(status: &str, steps: Value) -> Value {
    json!({
        "status": status,
        "messages": [],
        "publishingVersion": 2,
        "offerVersion": 7,
        "cancellationRequestState": "canCancel",
        "steps": steps,
        "previewLinks": [],
        "liveLinks": [],
    })
}

pub fn cpp_step(id: &str, name: &str, status: &str, progress: u32) -> Value {
    json!({
        "id": id,
        "stepName": name,
        "description": "",
        "status": status,
        "progressPercentage": progress,
        "estimatedTimeFrame": "< 1 day",
        "messages": [],
    })
}

/// The fake Entra v1 token endpoint: a new token each time, valid an hour.
pub fn serve_tokens(server: &FakeServer) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("POST", &format!("/{TENANT}/oauth2/token"), move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": "3599", "access_token": format!("{TOKEN_PREFIX}{n}")}),
        )
    });
    issued
}

/// `202 Accepted` with the `Location` of `path`, as CPP answers a request that starts something.
pub fn accepted_at(path: &str) -> Reply {
    Reply::empty(202).header("Location", &format!("{path}?api-version=2017-10-31"))
}

/// Publish answers 202 with the migrated Location; the operation walks through `states`.
pub fn serve_publish(server: &FakeServer, states: Vec<Value>) {
    server.publish_accepted();
    if !states.is_empty() {
        server.operation(states);
    }
}

/// The list of running operations names `OPERATION_ID`, for a run that looks for one.
pub fn serve_running_operation(server: &FakeServer) {
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![Reply::json(
            200,
            json!([{"id": OPERATION_ID, "status": "running"}]),
        )],
    );
}

/// The offer has no running operation: the list is empty and its status says the last publish
/// succeeded, so a run that looks for one finds nothing.
pub fn serve_nothing_running(server: &FakeServer) {
    server.route(
        "GET",
        &offer_path("submissions/"),
        vec![Reply::json(200, json!([]))],
    );
    server.route(
        "GET",
        &offer_path("status"),
        vec![Reply::json(
            200,
            json!({"status": "Succeeded", "steps": []}),
        )],
    );
}

/// A server with tokens, publish and an operation that runs once and then completes.
pub fn simple_server() -> FakeServer {
    serve_simple(FakeServer::start())
}

/// Gives `server` the routes of [`simple_server`].
pub fn serve_simple(server: FakeServer) -> FakeServer {
    serve_tokens(&server);
    serve_publish(
        &server,
        vec![
            operation(
                "running",
                json!([cpp_step(
                    "validation",
                    "Validate Pre-Requisites",
                    "inProgress",
                    50
                )]),
            ),
            operation(
                "complete",
                json!([cpp_step(
                    "validation",
                    "Validate Pre-Requisites",
                    "complete",
                    100
                )]),
            ),
        ],
    );
    server
}

#[track_caller]
pub fn assert_no_unexpected(server: &FakeServer) {
    let unexpected = server.unexpected();
    assert!(unexpected.is_empty(), "unexpected requests: {unexpected:?}");
}

/// An operation still running, one step in progress.
pub fn running() -> Value {
    operation(
        "running",
        json!([cpp_step("cert", "Certification", "inProgress", 10)]),
    )
}

/// The same operation, complete.
pub fn complete() -> Value {
    operation(
        "complete",
        json!([cpp_step("cert", "Certification", "complete", 100)]),
    )
}

/// How many publish requests `server` received.
pub fn publishes(server: &FakeServer) -> usize {
    server.requests_to("POST", &offer_path("publish")).len()
}

/// The path of the CPP offer document itself (`GET`/`PUT .../offers/{offer}`).
pub fn offer_document_path() -> String {
    format!("/api/publishers/{PUBLISHER}/offers/{OFFER}")
}

/// What the fake CPP does with one `PUT` of the offer.
#[derive(Debug, Clone)]
pub enum OfferWrite {
    /// As the service: stored when `If-Match` is the current ETag (200 with the offer as
    /// stored, a new ETag), else 412.
    Store,
    /// Another writer came first: the ETag moves on and the write gets 412.
    ChangedByAnother,
    /// This answer, and the offer stays as it was (a 500 "internal conflict", a 200 whose
    /// read-back lacks the change).
    Answer(Reply),
}

/// The CPP offer document the fake holds, served whole with an `ETag` (`"etag-N"`), written by
/// `PUT` as [`OfferWrite`] says for each write in turn (the last repeats).
pub struct HeldOffer {
    pub document: Value,
    pub version: usize,
}

impl FakeServer {
    /// `GET`/`PUT` of the offer document `document`, each write as `writes` says.
    pub fn cpp_offer(&self, document: Value, writes: Vec<OfferWrite>) -> Arc<Mutex<HeldOffer>> {
        assert!(!writes.is_empty(), "say what the writes do");
        let held = Arc::new(Mutex::new(HeldOffer {
            document,
            version: 1,
        }));
        let reader = Arc::clone(&held);
        self.route_fn("GET", &offer_document_path(), move |_, _| {
            let held = reader.lock().unwrap_or_else(PoisonError::into_inner);
            Reply::json(200, held.document.clone())
                .header("ETag", &format!("\"etag-{}\"", held.version))
        });
        let writer = Arc::clone(&held);
        self.route_fn("PUT", &offer_document_path(), move |request, call| {
            let mut held = writer.lock().unwrap_or_else(PoisonError::into_inner);
            match writes[call.min(writes.len() - 1)].clone() {
                OfferWrite::Answer(reply) => reply,
                OfferWrite::ChangedByAnother => {
                    held.version += 1;
                    precondition_failed()
                }
                OfferWrite::Store => {
                    let current = format!("\"etag-{}\"", held.version);
                    if request.header("if-match") != Some(current.as_str()) {
                        return precondition_failed();
                    }
                    held.document = request.json();
                    held.version += 1;
                    Reply::json(200, held.document.clone())
                        .header("ETag", &format!("\"etag-{}\"", held.version))
                }
            }
        });
        held
    }
}

/// CPP's answer to a write whose `If-Match` is not the offer's ETag.
pub fn precondition_failed() -> Reply {
    Reply::json(
        412,
        json!({"error": {"code": "PreconditionFailed", "message": "The offer has been modified since it was read (ETag mismatch)."}}),
    )
}

/// The documented 500 of a write that raced inside the service (devigned/pub issue 28).
pub fn internal_conflict() -> Reply {
    Reply::json(
        500,
        json!({"Variant": {"serviceName": "Variant", "error": "snapshot() resulted in an internal conflict! Retry is OK.\r\n[\r\n  \"azure-sku [variantId: ..., configuration.externalId: ...] -- mismatch(1)\"\r\n]"}}),
    )
}
