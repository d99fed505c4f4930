//! `--sandbox`: a simulated Entra + CPP service started inside the process on loopback, so the
//! whole flow can be seen without credentials or network. The run itself is the real one: the
//! sandbox only supplies the URLs, ids and credentials, and the service walks an operation
//! through realistic steps with the timings compressed to seconds.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::config::MergedInputs;

/// How long each simulated step takes.
const STEP_TIME: Duration = Duration::from_millis(700);
const TENANT: &str = "sandbox.onmicrosoft.com";
const PUBLISHER: &str = "contoso";
const OFFER: &str = "contoso-sandbox-vm";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Every step completes (the sign-off is given by the simulation itself).
    Succeeded,
    /// Certification fails with the kind of messages the portal sends.
    Failed,
    /// The operation stops at publisher sign-off, waiting for go-live.
    PreviewReady,
}

impl Scenario {
    pub const NAMES: [&'static str; 3] = ["succeeded", "failed", "preview-ready"];

    pub fn parse(name: &str) -> Option<Scenario> {
        match name {
            "succeeded" => Some(Scenario::Succeeded),
            "failed" => Some(Scenario::Failed),
            "preview-ready" => Some(Scenario::PreviewReady),
            _ => None,
        }
    }
}

struct Step {
    id: &'static str,
    name: &'static str,
    estimate: &'static str,
}

const STEPS: [Step; 6] = [
    Step {
        id: "validation",
        name: "Validate Pre-Requisites",
        estimate: "< 15 min",
    },
    Step {
        id: "certification",
        name: "Certification",
        estimate: "< 5 days",
    },
    Step {
        id: "provisioning",
        name: "Provisioning",
        estimate: "< 1 day",
    },
    Step {
        id: "packaging",
        name: "Packaging and Lead Generation Registration",
        estimate: "< 1 hour",
    },
    Step {
        id: "publisher-signoff",
        name: "Publisher signoff",
        estimate: "",
    },
    Step {
        id: "live",
        name: "Live",
        estimate: "~2-5 days",
    },
];
const STEP_COUNT: u32 = 6;
const CERTIFICATION: usize = 1;
const SIGNOFF: usize = 4;

struct State {
    scenario: Scenario,
    token: String,
    operation: Option<(String, Instant)>,
}

pub struct Sandbox {
    address: SocketAddr,
    scenario: Scenario,
}

impl Sandbox {
    pub async fn start(scenario: Scenario) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            scenario,
            token: format!("sandbox-token-{:016x}", fastrand::u64(..)),
            operation: None,
        }));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, &request)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Sandbox { address, scenario })
    }

    /// Points the run at the simulated service: URLs, ids and credentials are the sandbox's;
    /// every other input (timeout, wait-until, ci...) is the user's. Polls are quick by default.
    pub fn configure(&self, inputs: &mut MergedInputs) {
        let url = format!("http://{}", self.address);
        for name in ["access-token", "auth", "operation-url", "api", "command"] {
            inputs.remove(name);
        }
        let set = |inputs: &mut MergedInputs, name: &'static str, value: &str| {
            inputs.insert(name, value, "--sandbox");
        };
        set(inputs, "api-url", &url);
        set(inputs, "authority-host", &url);
        set(inputs, "tenant-id", TENANT);
        set(inputs, "client-id", "00000000-0000-0000-0000-00000000cafe");
        set(inputs, "client-secret", "sandbox-client-secret");
        set(inputs, "publisher-id", PUBLISHER);
        set(inputs, "offer-id", OFFER);
        if inputs.get("poll-interval").is_none() {
            set(inputs, "poll-interval", "500ms");
        }
        if inputs.get("timeout").is_none() {
            set(inputs, "timeout", "2m");
        }
        // The preview stays ready until someone goes live: only a wait until preview ends there.
        if self.scenario == Scenario::PreviewReady && inputs.get("wait-until").is_none() {
            set(inputs, "wait-until", "preview");
        }
    }
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

fn handle(state: &Mutex<State>, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    let path = request.uri().path().to_owned();
    let method = request.method().clone();

    if method == Method::POST && path.starts_with(&format!("/{TENANT}/oauth2/")) {
        return reply(
            StatusCode::OK,
            &json!({ "token_type": "Bearer", "expires_in": "3599", "access_token": state.token }),
        );
    }

    let authorised = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        == Some(&format!("Bearer {}", state.token));
    if !authorised {
        return reply(
            StatusCode::UNAUTHORIZED,
            &json!({ "error": { "code": "Unauthorized", "message": "missing or wrong bearer token" } }),
        );
    }

    let offer_path = format!("/api/publishers/{PUBLISHER}/offers/{OFFER}/");
    let Some(tail) = path.strip_prefix(&offer_path) else {
        return reply(
            StatusCode::NOT_FOUND,
            &json!({ "error": { "code": "NotFound", "message": "no such publisher or offer" } }),
        );
    };
    match (method, tail) {
        (Method::POST, "publish") => {
            if state
                .operation
                .as_ref()
                .is_some_and(|(_, started)| !finished(state.scenario, *started))
            {
                return reply(
                    StatusCode::CONFLICT,
                    &json!({ "error": { "code": "Conflict", "message": "An operation is already in progress for this offer." } }),
                );
            }
            let id = format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                fastrand::u32(..),
                fastrand::u16(..),
                fastrand::u16(..0x1000),
                fastrand::u16(..0x1000),
                fastrand::u64(..0x1_0000_0000_0000)
            );
            state.operation = Some((id.clone(), Instant::now()));
            let mut response = reply(StatusCode::ACCEPTED, &json!({}));
            if let Ok(location) = hyper::header::HeaderValue::from_str(&format!(
                "{offer_path}operations/{id}?api-version=2017-10-31"
            )) {
                response
                    .headers_mut()
                    .insert(hyper::header::LOCATION, location);
            }
            response
        }
        (Method::GET, "status") => match &state.operation {
            None => reply(
                StatusCode::OK,
                &json!({ "status": "NeverPublished", "steps": [], "messages": [] }),
            ),
            Some((_, started)) => reply(StatusCode::OK, &operation(state.scenario, *started)),
        },
        (Method::GET, tail) if tail.starts_with("operations/") => {
            let id = tail.trim_start_matches("operations/");
            match &state.operation {
                Some((current, started)) if current == id => {
                    reply(StatusCode::OK, &operation(state.scenario, *started))
                }
                _ => reply(
                    StatusCode::NOT_FOUND,
                    &json!({ "error": { "code": "NotFound", "message": "no such operation" } }),
                ),
            }
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            &json!({ "error": { "code": "NotFound", "message": "not simulated in the sandbox" } }),
        ),
    }
}

fn finished(scenario: Scenario, started: Instant) -> bool {
    let elapsed = started.elapsed();
    match scenario {
        Scenario::Succeeded => elapsed >= STEP_TIME * STEP_COUNT,
        Scenario::Failed => elapsed >= STEP_TIME * 2,
        Scenario::PreviewReady => false,
    }
}

/// The operation's state, from the time since it started.
fn operation(scenario: Scenario, started: Instant) -> Value {
    let elapsed = started.elapsed();
    let position = elapsed.as_millis() / STEP_TIME.as_millis();
    let current = usize::try_from(position).unwrap_or(usize::MAX);
    let progress =
        u64::try_from((elapsed.as_millis() % STEP_TIME.as_millis()) * 100 / STEP_TIME.as_millis())
            .unwrap_or(0);

    let (stop_at, stop_status) = match scenario {
        Scenario::Succeeded => (STEPS.len(), "complete"),
        Scenario::Failed => (CERTIFICATION, "failed"),
        Scenario::PreviewReady => (SIGNOFF, "waitingForPublisherReview"),
    };
    let stopped = current >= stop_at && scenario != Scenario::Succeeded;
    let steps: Vec<Value> = STEPS
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let (status, percent) = if index < current.min(stop_at) {
                ("complete", 100)
            } else if index == stop_at && stopped {
                (stop_status, if stop_status == "failed" { 40 } else { 0 })
            } else if index == current && index < stop_at {
                ("inProgress", progress)
            } else {
                ("notStarted", 0)
            };
            let messages = if index == CERTIFICATION && status == "failed" {
                json!([
                    { "messageHtml": "<p>The VHD of plan <b>contoso-gen2</b> failed certification: the OS disk is larger than 1023&nbsp;GB.</p>", "level": "error", "timestamp": "2026-11-24T10:00:00Z" },
                    { "messageHtml": "Test case <i>SSH enabled</i>: 100% of probes failed, see <a href=\"https://aka.ms/azure-vm-certification-faq\">the certification FAQ</a>.", "level": "error", "timestamp": "2026-11-24T10:00:00Z" },
                    { "messageHtml": "The plan's description is shorter than recommended.", "level": "warning", "timestamp": "2026-11-24T10:00:00Z" }
                ])
            } else if status == "complete" {
                json!([{ "messageHtml": "Step completed.", "level": "information", "timestamp": "2026-11-24T10:00:00Z" }])
            } else {
                json!([])
            };
            json!({
                "id": step.id,
                "stepName": step.name,
                "description": "",
                "status": status,
                "progressPercentage": percent,
                "estimatedTimeFrame": step.estimate,
                "messages": messages,
            })
        })
        .collect();
    let status = match scenario {
        Scenario::Succeeded if current >= STEPS.len() => "complete",
        Scenario::Failed if stopped => "failed",
        _ => "running",
    };
    let live = status == "complete";
    json!([{
        "status": status,
        "messages": [],
        "publishingVersion": 2,
        "offerVersion": 7,
        "cancellationRequestState": "canCancel",
        "steps": steps,
        "previewLinks": if current > 3 { json!(["https://azuremarketplace.microsoft.com/marketplace/apps/contoso.contoso-sandbox-vm-preview"]) } else { json!([]) },
        "liveLinks": if live { json!(["https://azuremarketplace.microsoft.com/marketplace/apps/contoso.contoso-sandbox-vm"]) } else { json!([]) },
    }])
}
