//! The product ingestion API (Graph) as the fake serves it: its token, product, jobs and
//! submissions, shared by the go-live, cancel, status, wait and attach tests.

use super::*;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

impl FakeServer {
    /// The ingestion API's offer: Entra tokens for Graph (and CPP) and the product [`PRODUCT`].
    pub fn ingestion_product(&self) -> &Self {
        serve_graph_tokens(self);
        serve_product(self);
        self
    }

    /// `POST .../configure`, which starts a job, answers with `replies`.
    pub fn configure_answers(&self, replies: Vec<Reply>) -> &Self {
        self.route("POST", &ingestion_path("configure"), replies)
    }

    /// The detail of the job [`JOB`] (`GET configure/{jobId}`), read once it succeeded from its
    /// URL alone: `target` is where its submission publishes (`preview`, `live`), or `None` for
    /// a job that configured no submission.
    pub fn job_detail(&self, target: Option<&str>) -> &Self {
        let resources = target.map_or_else(Vec::new, |target| {
            vec![json!({"product": PRODUCT, "target": {"targetType": target}})]
        });
        self.route(
            "GET",
            &ingestion_path(&format!("configure/{JOB}")),
            vec![Reply::json(200, json!({"resources": resources}))],
        )
    }

    /// The status of the job [`JOB`] reads as `replies` (see [`job`]), one a poll.
    pub fn job_status(&self, replies: Vec<Reply>) -> &Self {
        self.route("GET", &job_path("status"), replies)
    }
}

pub const PRODUCT: &str = "product/7a7a7a7a-0000-4000-8000-000000000001";

pub const JOB: &str = "0f0e0d0c-0b0a-4909-8807-060504030201";

pub fn ingestion_path(tail: &str) -> String {
    format!("/rp/product-ingestion/{tail}")
}

/// Where the ingestion API answers about (or cancels) the job `JOB`.
pub fn job_path(action: &str) -> String {
    ingestion_path(&format!("configure/{JOB}/{action}"))
}

/// The job's status URL as the program reports it in `operation-url`.
pub fn job_url(server: &FakeServer) -> String {
    format!(
        "{}{}?%24version=2022-03-01-preview2",
        server.url(),
        job_path("status")
    )
}

pub fn serve_graph_tokens(server: &FakeServer) {
    server.route_fn("POST", &format!("/{TENANT}/oauth2/token"), |request, call| {
        let resource = request.form().get("resource").cloned().unwrap_or_default();
        let audience = if resource == "https://graph.microsoft.com" { "graph" } else { "cpp" };
        Reply::json(200, json!({"access_token": format!("{TOKEN_PREFIX}{audience}-{call}"), "expires_in": 3599}))
    });
}

pub fn serve_product(server: &FakeServer) {
    server.route(
        "GET",
        &ingestion_path("product"),
        vec![Reply::json(
            200,
            json!({"value": [{"id": PRODUCT, "identity": {"externalId": OFFER}}]}),
        )],
    );
}

pub fn ingestion_step(server: &FakeServer) -> Step {
    step()
        .github()
        .against(server)
        .input("api", "ingestion")
        .input(
            "ingestion-url",
            &format!("{}/rp/product-ingestion", server.url()),
        )
}

pub fn job(status: &str, result: &str, errors: Value) -> Reply {
    Reply::json(
        200,
        json!({"jobId": JOB, "jobStatus": status, "jobResult": result, "errors": errors}),
    )
}

pub fn serve_submissions(server: &FakeServer, submissions: Value) {
    server.route(
        "GET",
        &product_submissions_path(),
        vec![Reply::json(200, json!({"value": submissions}))],
    );
}

/// Where the ingestion API lists the submissions of [`PRODUCT`].
pub fn product_submissions_path() -> String {
    ingestion_path(&format!(
        "submission/{}",
        PRODUCT.trim_start_matches("product/")
    ))
}

/// A submission of [`PRODUCT`] as that list gives it.
pub fn submission(number: u32, target: &str, status: &str, result: &str) -> Value {
    let guid = PRODUCT.trim_start_matches("product/");
    json!({"id": format!("submission/{guid}/{number}"), "target": {"targetType": target}, "status": status, "result": result})
}

// ---------------------------------------------------------------------------------------------
// The draft of a VM plan (issue 21): plan lookup, technical configuration, configure jobs.

/// The plan's external id (`plan-id`) and its durable GUID.
pub const PLAN: &str = "plan-1";
/// The GUID is that of cloudpub's technical configuration fixture, whose `plan` names it.
pub const PLAN_GUID: &str = "00000000-0000-0000-0000-000000000000";
/// The configure job that changes the draft (the publish's is [`JOB`]).
pub const DRAFT_JOB: &str = "1d1d1d1d-0000-4000-8000-000000000003";

pub fn product_guid() -> &'static str {
    PRODUCT.trim_start_matches("product/")
}

/// `GET virtual-machine-plan-technical-configuration/{product}/{plan}`.
pub fn tech_config_path() -> String {
    ingestion_path(&format!(
        "virtual-machine-plan-technical-configuration/{}/{PLAN_GUID}",
        product_guid()
    ))
}

pub fn draft_job_path() -> String {
    ingestion_path(&format!("configure/{DRAFT_JOB}/status"))
}

/// A plan list item: `plan/{product}/{plan}` with its external id.
pub fn plan_item(guid: &str, external: &str) -> Value {
    json!({"id": format!("plan/{}/{guid}", product_guid()), "identity": {"externalId": external}})
}

/// What the fake's draft does (see [`FakeServer::ingestion_draft`]).
pub struct DraftScenario {
    /// The technical configuration as first read.
    pub tech: Value,
    /// The draft job's status bodies, one a poll (the last repeats).
    pub job: Vec<Value>,
    /// An answer to the draft's `POST configure` instead of starting [`DRAFT_JOB`].
    pub configure: Option<Reply>,
    /// Whether a configure job that succeeds changes the technical configuration (as the service
    /// does); `false` makes a read-back that does not show the change.
    pub applies: bool,
}

impl DraftScenario {
    /// The job runs once, then succeeds, and the change is applied.
    pub fn new(tech: Value) -> Self {
        DraftScenario {
            tech,
            job: vec![
                json!({"jobId": DRAFT_JOB, "jobStatus": "running", "jobResult": "pending", "errors": []}),
                json!({"jobId": DRAFT_JOB, "jobStatus": "completed", "jobResult": "succeeded", "errors": []}),
            ],
            configure: None,
            applies: true,
        }
    }
}

/// The fake's draft: the technical configuration it holds now.
#[derive(Clone)]
pub struct DraftState {
    tech: Arc<Mutex<Value>>,
}

impl DraftState {
    pub fn tech(&self) -> Value {
        self.tech
            .lock()
            .map(|tech| tech.clone())
            .unwrap_or(Value::Null)
    }
}

impl FakeServer {
    /// The ingestion product with the VM plan [`PLAN`] and `scenario`'s draft: the plan list,
    /// its technical configuration (read whole), no submission in progress, and `POST configure`
    /// for both kinds of job: a configure of a technical configuration starts [`DRAFT_JOB`] (and
    /// the configured resource becomes the draft once that job reads succeeded, when
    /// `scenario.applies`); a configure of a submission (the publish) is answered 202 with [`JOB`].
    pub fn ingestion_draft(&self, scenario: DraftScenario) -> DraftState {
        self.ingestion_product();
        self.route(
            "GET",
            &ingestion_path("plan"),
            vec![Reply::json(
                200,
                json!({"value": [plan_item("9c9c9c9c-0000-4000-8000-000000000009", "other-plan"), plan_item(PLAN_GUID, PLAN)]}),
            )],
        );
        serve_submissions(self, json!([]));
        let state = DraftState {
            tech: Arc::new(Mutex::new(scenario.tech)),
        };
        let pending: Arc<Mutex<Option<Value>>> = Arc::new(Mutex::new(None));
        let held = Arc::clone(&state.tech);
        self.route_fn("GET", &tech_config_path(), move |_, _| {
            Reply::json(200, held.lock().map(|t| t.clone()).unwrap_or(Value::Null))
        });
        let staged = Arc::clone(&pending);
        let answer = scenario.configure;
        self.route_fn("POST", &ingestion_path("configure"), move |request, _| {
            let body = request.json();
            let resource = body["resources"][0].clone();
            let schema = resource["$schema"].as_str().unwrap_or_default();
            if !schema.contains("/virtual-machine-plan-technical-configuration/") {
                return Reply::json(
                    202,
                    json!({"jobId": JOB, "jobStatus": "notStarted", "jobResult": "pending"}),
                );
            }
            if let Some(answer) = &answer {
                return answer.clone();
            }
            *staged.lock().expect("lock") = Some(resource);
            Reply::json(
                202,
                json!({"jobId": DRAFT_JOB, "jobStatus": "notStarted", "jobResult": "pending"}),
            )
        });
        let held = Arc::clone(&state.tech);
        let (job, applies) = (scenario.job, scenario.applies);
        self.route_fn("GET", &draft_job_path(), move |_, call| {
            let body = job[call.min(job.len() - 1)].clone();
            if applies
                && body["jobResult"] == "succeeded"
                && let Some(resource) = pending.lock().expect("lock").take()
            {
                *held.lock().expect("lock") = resource;
            }
            Reply::json(200, body)
        });
        state
    }

    /// `GET plan?product=...` answers with `replies` (pages, refusals).
    pub fn plan_list(&self, replies: Vec<Reply>) -> &Self {
        self.route("GET", &ingestion_path("plan"), replies)
    }
}

/// The draft changes `POST configure` received, in order (the publish's are left out).
pub fn draft_configures(server: &FakeServer) -> Vec<Value> {
    server
        .requests_to("POST", &ingestion_path("configure"))
        .into_iter()
        .map(|request| request.json())
        .filter(|body| {
            body["resources"][0]["$schema"]
                .as_str()
                .is_some_and(|schema| {
                    schema.contains("/virtual-machine-plan-technical-configuration/")
                })
        })
        .collect()
}

/// The publish's `POST configure` requests (a submission resource).
pub fn publish_configures(server: &FakeServer) -> usize {
    server
        .requests_to("POST", &ingestion_path("configure"))
        .len()
        - draft_configures(server).len()
}
