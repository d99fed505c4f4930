//! The services' documented answers, served as they are from `tests/fixtures/` (each body's
//! source in `tests/fixtures/SOURCES`), for the tests named `cpp_...`, `ingestion_...` and
//! `entra_...` in each feature's file.

use super::*;

/// A fixture body, byte for byte.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

/// `status` with a fixture as its JSON body.
pub fn answer(status: u16, path: &str) -> Reply {
    Reply::Respond {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: fixture(path),
    }
}

// ---------------------------------------------------------------------------------------------
// Cloud Partner Portal.

/// The operation id of the documented list of running operations (`running-operations.json`).
pub const LISTED_OPERATION: &str = "5a63deb5-925b-4ee0-938b-7c86fbf287c5";

pub fn listed_operation_path() -> String {
    offer_path(&format!("operations/{LISTED_OPERATION}"))
}

pub fn reference_cpp_step(server: &FakeServer) -> Step {
    serve_tokens(server);
    step().github().against(server)
}

// ---------------------------------------------------------------------------------------------
// Product ingestion API.

/// The product of `product-list.json` (SUSE's and Red Hat's clients use such all-`f` GUIDs).
pub const PRODUCT_GUID: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/// The job of `configure-accepted.json`.
pub const ACCEPTED_JOB: &str = "d4261631-c583-4949-a612-5150882632e9";

/// The newest preview submission of the documented list (`submissions.json`).
pub const DOCUMENTED_PREVIEW: &str =
    "submission/12345678-abcd-efgh-1234-12345678901/1152921515689848683";

pub fn documented_ingestion_path(tail: &str) -> String {
    format!("/rp/product-ingestion/{tail}")
}

pub fn accepted_job_path(action: &str) -> String {
    documented_ingestion_path(&format!("configure/{ACCEPTED_JOB}/{action}"))
}

pub fn submissions_path() -> String {
    documented_ingestion_path(&format!("submission/{PRODUCT_GUID}"))
}

/// Tokens for both APIs (v1, as the client-secret flow asks), and the documented product.
pub fn documented_ingestion_server() -> FakeServer {
    let server = FakeServer::start();
    serve_tokens(&server);
    server.route(
        "GET",
        &documented_ingestion_path("product"),
        vec![answer(200, "ingestion/product-list.json")],
    );
    server
}

/// The external id of the product in `product-list.json` (cloudpub's test data): the offer id
/// the documented-answer tests publish, since only the product with the offer's external id is
/// used.
pub const DOCUMENTED_OFFER: &str = "example-product";

pub fn documented_ingestion_step(server: &FakeServer) -> Step {
    step()
        .github()
        .against(server)
        .input("api", "ingestion")
        .input("offer-id", DOCUMENTED_OFFER)
        .input(
            "ingestion-url",
            &format!("{}/rp/product-ingestion", server.url()),
        )
}

pub fn serve_configure(server: &FakeServer, reply: Reply) {
    server.route("POST", &documented_ingestion_path("configure"), vec![reply]);
}
