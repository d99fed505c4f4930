//! The sandbox's HTTP side: Entra's token endpoint, the CPP offer endpoints and the product
//! ingestion endpoints, answering from the simulated operations of [`World`].

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::draft::{HeldOffer, Written};
use super::draft_ingestion::Draft;
use super::simulation::{Operation, Phase};
use super::{INGESTION_PATH, Scenario, end_of_go_live, end_of_publish, go_live, new_id, publish};

/// The sandbox's one product in the ingestion API: it has the external id it is looked up by.
pub const PRODUCT: &str = "5a1d5a1d-0000-4000-8000-5a1d5a1d0001";

struct Tracked {
    operation: Operation,
    started: Instant,
    /// How long it had been running when the sandbox started.
    head_start: Duration,
}

impl Tracked {
    fn elapsed(&self) -> Duration {
        self.started.elapsed() + self.head_start
    }

    fn phase(&self) -> Phase {
        self.operation.phase(self.elapsed())
    }
}

pub struct World {
    scenario: Scenario,
    token: String,
    /// Oldest first; the last is the offer's current or latest operation.
    operations: Vec<Tracked>,
    /// The CPP offer document, read and written by a run with the image inputs.
    offer: HeldOffer,
    /// The VM plan's draft in the product ingestion API.
    draft: Draft,
}

impl World {
    pub fn new(
        scenario: Scenario,
        existing: Vec<(Operation, Duration)>,
        offer: HeldOffer,
        draft: Draft,
    ) -> World {
        let now = Instant::now();
        World {
            scenario,
            token: format!("sandbox-token-{:016x}", fastrand::u64(..)),
            operations: existing
                .into_iter()
                .map(|(operation, head_start)| Tracked {
                    operation,
                    started: now,
                    head_start,
                })
                .collect(),
            offer,
            draft,
        }
    }

    fn running(&mut self) -> Option<&mut Tracked> {
        self.operations
            .iter_mut()
            .rev()
            .find(|tracked| !tracked.phase().is_over())
    }

    fn find(&self, id: &str) -> Option<&Tracked> {
        self.operations
            .iter()
            .find(|tracked| tracked.operation.id == id)
    }

    fn add(&mut self, mut operation: Operation) -> String {
        operation.number = self.operations.len() as u64 + 1;
        let id = operation.id.clone();
        self.operations.push(Tracked {
            operation,
            started: Instant::now(),
            head_start: Duration::ZERO,
        });
        id
    }
}

pub fn serve(listener: TcpListener, world: Arc<Mutex<World>>) {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let world = Arc::clone(&world);
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let world = Arc::clone(&world);
                    async move { Ok::<_, Infallible>(handle(&world, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn reply(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        &json!({ "error": { "code": code, "message": message } }),
    )
}

async fn handle(world: &Mutex<World>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body: Value = match Limited::new(body, 1024 * 1024).collect().await {
        Ok(collected) => serde_json::from_slice(&collected.to_bytes()).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    let mut world = world.lock().unwrap_or_else(PoisonError::into_inner);
    let path = parts.uri.path().to_owned();
    let method = parts.method;

    // Entra: any tenant, any resource or scope.
    if method == Method::POST && path.contains("/oauth2/") {
        return reply(
            StatusCode::OK,
            &json!({ "token_type": "Bearer", "expires_in": "3599", "access_token": world.token }),
        );
    }
    let authorised = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        == Some(&format!("Bearer {}", world.token));
    if !authorised {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "missing or wrong bearer token",
        );
    }
    if let Some(tail) = path.strip_prefix(&format!("{INGESTION_PATH}/")) {
        let external_id =
            url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .find(|(name, _)| name == "externalId")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
        return ingestion(&mut world, &method, tail, &body, &external_id);
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["api", "publishers", _, "offers", _] = segments.as_slice() {
        let if_match = parts
            .headers
            .get(hyper::header::IF_MATCH)
            .and_then(|value| value.to_str().ok());
        return offer_document(&mut world.offer, &method, if_match, body);
    }
    match segments.as_slice() {
        ["api", "publishers", publisher, "offers", offer, tail @ ..] => {
            cpp(&mut world, &method, (publisher, offer), tail)
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no such resource in the sandbox",
        ),
    }
}

/// The Cloud Partner Portal endpoints of one offer (`publisher`, `offer`).
fn cpp(
    world: &mut World,
    method: &Method,
    (publisher, offer): (&str, &str),
    tail: &[&str],
) -> Response<Full<Bytes>> {
    let offer_path = format!("/api/publishers/{publisher}/offers/{offer}");
    let scenario = world.scenario;
    let accepted = |id: &str| accepted_at(&offer_path, id);
    // The links it shows are those of the offer the request named.
    let operation_json = |tracked: &Tracked| {
        let json = tracked
            .operation
            .cpp_json(tracked.phase(), publisher, offer);
        reply(StatusCode::OK, &json)
    };
    match (method, tail) {
        (&Method::POST, ["publish"]) => {
            if world.running().is_some() {
                return in_progress();
            }
            let id = world.add(publish(false, new_id(), end_of_publish(scenario, false)));
            accepted(&id)
        }
        (&Method::POST, ["golive"]) => {
            let ready = world
                .operations
                .last()
                .is_some_and(|last| matches!(last.phase(), Phase::Waiting { .. }));
            if !ready {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "The offer has no preview waiting for publisher sign-off: publish it first.",
                );
            }
            let id = world.add(go_live(new_id(), end_of_go_live(scenario)));
            accepted(&id)
        }
        (&Method::POST, ["cancel"]) => match world.running() {
            Some(running) => {
                running.operation.cancel_asked = Some(running.elapsed());
                let id = running.operation.id.clone();
                accepted(&id)
            }
            None => error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "There is no operation in progress to cancel.",
            ),
        },
        (&Method::GET, ["status"]) => match world.operations.last() {
            None => reply(
                StatusCode::OK,
                &json!({ "status": "NeverPublished", "steps": [], "messages": [] }),
            ),
            Some(last) => operation_json(last),
        },
        (&Method::GET, ["operations", id]) => match world.find(id) {
            Some(tracked) => operation_json(tracked),
            None => error(StatusCode::NOT_FOUND, "NotFound", "no such operation"),
        },
        (&Method::GET, ["submissions", ""]) => {
            let running: Vec<Value> = world
                .operations
                .iter()
                .filter(|tracked| !tracked.phase().is_over())
                .map(|tracked| json!({ "id": tracked.operation.id, "status": "running" }))
                .collect();
            reply(StatusCode::OK, &Value::Array(running))
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no such offer resource in the sandbox",
        ),
    }
}

/// `GET`/`PUT` of the offer document itself, with its ETag.
fn offer_document(
    offer: &mut HeldOffer,
    method: &Method,
    if_match: Option<&str>,
    body: Value,
) -> Response<Full<Bytes>> {
    let (document, etag) = match *method {
        Method::GET => offer.read(),
        Method::PUT => match offer.write(if_match, body) {
            Written::Stored(document, etag) => (document, etag),
            Written::Stale => {
                return error(
                    StatusCode::PRECONDITION_FAILED,
                    "PreconditionFailed",
                    "the offer was changed since it was read (ETag mismatch): read it again",
                );
            }
        },
        _ => {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "GET or PUT",
            );
        }
    };
    let mut response = reply(StatusCode::OK, &document);
    if let Ok(value) = hyper::header::HeaderValue::from_str(&etag) {
        response.headers_mut().insert(hyper::header::ETAG, value);
    }
    response
}

/// 202 with the operation's `Location` under the offer.
fn accepted_at(offer_path: &str, id: &str) -> Response<Full<Bytes>> {
    let mut response = reply(StatusCode::ACCEPTED, &json!({}));
    if let Ok(location) = hyper::header::HeaderValue::from_str(&format!(
        "{offer_path}/operations/{id}?api-version=2017-10-31"
    )) {
        response
            .headers_mut()
            .insert(hyper::header::LOCATION, location);
    }
    response
}

fn in_progress() -> Response<Full<Bytes>> {
    error(
        StatusCode::CONFLICT,
        "Conflict",
        "An operation is already in progress for this offer.",
    )
}

/// The product ingestion endpoints (`$version` is not checked).
fn ingestion(
    world: &mut World,
    method: &Method,
    tail: &str,
    body: &Value,
    external_id: &str,
) -> Response<Full<Bytes>> {
    let scenario = world.scenario;
    let segments: Vec<&str> = tail.split('/').collect();
    if let Some(answer) = draft(world, method, &segments, body, external_id) {
        return answer;
    }
    match (method, segments.as_slice()) {
        (&Method::GET, ["product"]) => reply(
            StatusCode::OK,
            &json!({ "value": [{
                "id": format!("product/{PRODUCT}"),
                "identity": { "externalId": external_id },
                "type": "azureVirtualMachine",
            }] }),
        ),
        (&Method::POST, ["configure"]) => {
            if world.running().is_some() {
                return in_progress();
            }
            let live = body["resources"][0]["target"]["targetType"] == "live";
            let operation = if live {
                go_live(new_id(), end_of_go_live(scenario))
            } else {
                publish(true, new_id(), end_of_publish(scenario, true))
            };
            let id = world.add(operation);
            reply(
                StatusCode::ACCEPTED,
                &json!({ "jobId": id, "jobStatus": "notStarted", "jobResult": "pending", "errors": [] }),
            )
        }
        (&Method::GET, ["configure", id, "status"]) => match world.find(id) {
            Some(tracked) => reply(StatusCode::OK, &tracked.operation.job_json(tracked.phase())),
            None => error(StatusCode::NOT_FOUND, "NotFound", "no such configure job"),
        },
        (&Method::POST, ["configure", id, "cancel"]) => {
            let Some(tracked) = world
                .operations
                .iter_mut()
                .find(|tracked| tracked.operation.id == *id)
            else {
                return error(StatusCode::NOT_FOUND, "NotFound", "no such configure job");
            };
            if tracked.phase().is_over() {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "The job has completed and cannot be canceled.",
                );
            }
            tracked.operation.cancel_asked = Some(tracked.elapsed());
            reply(StatusCode::OK, &tracked.operation.job_json(tracked.phase()))
        }
        (&Method::GET, ["submission", product]) if *product == PRODUCT => {
            let submissions: Vec<Value> = world
                .operations
                .iter()
                .map(|tracked| tracked.operation.submission_json(PRODUCT, tracked.phase()))
                .collect();
            reply(StatusCode::OK, &json!({ "value": submissions }))
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no such product ingestion resource in the sandbox",
        ),
    }
}

/// The VM plan draft's endpoints (issue 21): the plan, its technical configuration, and the
/// configure jobs that change it. `None` for any other request.
fn draft(
    world: &mut World,
    method: &Method,
    segments: &[&str],
    body: &Value,
    external_id: &str,
) -> Option<Response<Full<Bytes>>> {
    const TECH_CONFIG: &str = "virtual-machine-plan-technical-configuration";
    Some(match (method, segments) {
        (&Method::GET, ["plan"]) => reply(StatusCode::OK, &Draft::plans(PRODUCT, external_id)),
        (&Method::GET, [TECH_CONFIG, product, plan])
            if *product == PRODUCT && *plan == super::draft_ingestion::PLAN_GUID =>
        {
            reply(StatusCode::OK, world.draft.tech())
        }
        (&Method::POST, ["configure"]) if Draft::is_draft_change(body) => {
            reply(StatusCode::ACCEPTED, &world.draft.configure(body, new_id()))
        }
        (&Method::GET, ["configure", id, "status"]) => reply(StatusCode::OK, &world.draft.job(id)?),
        _ => return None,
    })
}
