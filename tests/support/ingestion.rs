//! The product ingestion API (Graph) as the fake serves it: its token, product, jobs and
//! submissions, shared by the go-live, cancel, status, wait and attach tests.

use super::*;
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
