//! Publish on the product ingestion API (Graph): configure, submit to preview, follow the job, map
//! its errors; and `api: auto` choosing the API that has the offer.

use crate::support::ingestion::*;
use crate::support::reference::*;
use crate::support::*;
use serde_json::{Value, json};

#[test]
fn ingestion_publish_to_preview_and_wait_for_the_job() {
    let server = FakeServer::start();
    server.ingestion_product();
    server.configure_answers(vec![Reply::json(
        202,
        json!({"jobId": JOB, "jobStatus": "notStarted", "jobResult": "pending"}),
    )]);
    server.job_status(vec![
        job("running", "pending", json!([])),
        job("completed", "succeeded", json!([])),
    ]);
    let run = ingestion_step(&server).run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    // The preview job is done: the preview is ready and go-live comes next, as with CPP.
    run.assert_output("status", "preview-ready");
    run.assert_output("operation-id", JOB);
    run.assert_output("operation-url", job_url(&server));

    let token = &server.requests_to("POST", &format!("/{TENANT}/oauth2/token"))[0];
    assert_eq!(token.form()["resource"], "https://graph.microsoft.com");
    let lookup = &server.requests_to("GET", &ingestion_path("product"))[0];
    assert_eq!(lookup.query_pairs()["externalId"], OFFER);
    assert_eq!(lookup.query_pairs()["$version"], "2022-03-01-preview2");
    let configure = &server.requests_to("POST", &ingestion_path("configure"))[0];
    assert_eq!(
        configure.json(),
        json!({
            "$schema": "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2",
            "resources": [{
                "$schema": "https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2",
                "product": PRODUCT,
                "target": {"targetType": "preview"}
            }]
        })
    );
    assert_eq!(
        configure.header("authorization"),
        Some(&*format!("Bearer {TOKEN_PREFIX}graph-0"))
    );
    assert!(
        server.requests_to("POST", "/api/").is_empty(),
        "CPP not used"
    );
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_job_failure_maps_errors_to_annotations() {
    let server = FakeServer::start();
    server.ingestion_product();
    server.configure_answers(vec![Reply::json(
        200,
        json!({"jobId": JOB, "jobStatus": "running", "jobResult": "pending"}),
    )]);
    server.job_status(vec![job("completed", "failed", json!([{"code": "BusinessValidationError", "message": "The plan 'gen2' has no technical configuration"}]))]);
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    run.assert_output("status", "failed");
    assert!(
        run.commands().contains(
            &"::error title=BusinessValidationError::The plan 'gen2' has no technical configuration"
        ),
        "{}",
        run.dump()
    );
}

#[test]
fn api_auto_picks_the_api_that_has_the_offer_and_keeps_tokens_apart() {
    // Found in the ingestion API: the graph token goes there, the CPP server sees nothing.
    let cpp = FakeServer::start();
    let graph = FakeServer::start();
    serve_graph_tokens(&cpp);
    serve_product(&graph);
    graph.configure_answers(vec![Reply::json(
        202,
        json!({"jobId": JOB, "jobStatus": "running"}),
    )]);
    graph.job_status(vec![job("completed", "succeeded", json!([]))]);
    let run = step()
        .github()
        .against(&cpp)
        .input("api", "auto")
        .input(
            "ingestion-url",
            &format!("{}/rp/product-ingestion", graph.url()),
        )
        .run();
    run.assert_code(0);
    assert!(
        cpp.requests_to("GET", "/api/").is_empty() && cpp.requests_to("POST", "/api/").is_empty()
    );
    for request in graph.requests() {
        let auth = request.header("authorization").unwrap_or_default();
        assert!(
            auth.starts_with(&format!("Bearer {TOKEN_PREFIX}graph-")),
            "{auth}"
        );
    }

    // Not found there: CPP, with a CPP token.
    let cpp = simple_server();
    let graph = FakeServer::start();
    graph.route(
        "GET",
        &ingestion_path("product"),
        vec![Reply::json(200, json!({"value": []}))],
    );
    let run = step()
        .github()
        .against(&cpp)
        .input("api", "auto")
        .input(
            "ingestion-url",
            &format!("{}/rp/product-ingestion", graph.url()),
        )
        .run();
    run.assert_code(0);
    run.assert_output("operation-id", OPERATION_ID);
    assert_eq!(graph.requests().len(), 1, "only the lookup");

    // With a single access token, auto is refused up front.
    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .input("access-token", "abcdefghijkl")
        .input("api", "auto")
        .run();
    run.assert_code(2);
    assert!(server.requests().is_empty());
}

fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).expect("fixture is JSON")
}

#[test]
fn ingestion_publish_on_the_documented_answers_reaches_preview() {
    let server = documented_ingestion_server();
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![
            answer(200, "ingestion/job-running.json"),
            answer(200, "ingestion/job-succeeded.json"),
        ],
    );
    let run = documented_ingestion_step(&server).run();
    run.assert_code(0);
    run.assert_output("status", "preview-ready");
    // `jobID`, as the reference spells it in this answer.
    run.assert_output("operation-id", ACCEPTED_JOB);
    assert!(
        run.output("operation-url").ends_with(&format!(
            "configure/{ACCEPTED_JOB}/status?%24version=2022-03-01-preview2"
        )),
        "{}",
        run.dump()
    );
    let lookup = &server.requests_to("GET", &documented_ingestion_path("product"))[0];
    assert_eq!(
        lookup.query_pairs().get("externalId").map(String::as_str),
        Some(DOCUMENTED_OFFER)
    );
    let configure = &server.requests_to("POST", &documented_ingestion_path("configure"))[0];
    let resource = &configure.json()["resources"][0];
    assert_eq!(resource["product"], format!("product/{PRODUCT_GUID}"));
    assert_eq!(resource["target"]["targetType"], "preview");
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_nested_job_errors_from_a_real_client_become_annotations() {
    let server = documented_ingestion_server();
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-failed-certification.json")],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let result_file = dir.path().join("result.json");
    let run = documented_ingestion_step(&server)
        .input("result-file", &result_file.display().to_string())
        .run();
    run.assert_code(1);
    run.assert_output("status", "failed");
    // The innermost message, titled with its code and the resource named above it; not the
    // wrappers ("Operation failed", "Certification").
    let errors: Vec<&str> = run.stdout_lines_starting("::error");
    assert_eq!(
        errors,
        ["::error title=invalidState (submission/2d541119)::Issues found during Certification."],
        "{}",
        run.dump()
    );
    run.assert_summary_has(
        "invalidState (submission/2d541119)** (error): Issues found during Certification.",
    );
    let result: Value =
        serde_json::from_str(&std::fs::read_to_string(&result_file).expect("result file"))
            .expect("JSON");
    let messages = &result["state"]["steps"][0]["messages"];
    assert_eq!(messages[0]["text"], "Issues found during Certification.");
    assert_eq!(messages[0]["title"], "invalidState (submission/2d541119)");

    let server = documented_ingestion_server();
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-failed-conflict.json")],
    );
    let run = documented_ingestion_step(&server).run();
    run.assert_code(1);
    assert!(
        run.commands()
            .contains(&"::error title=invalidResource::Failure for resource"),
        "{}",
        run.dump()
    );
}

#[test]
fn ingestion_ids_that_could_change_a_request_are_a_malformed_answer() {
    // A product id with a path in it is a malformed answer: read again (as a proxy's page would
    // be), never used. The next, documented, answer is.
    let server = FakeServer::start();
    server.tokens();
    let mut hostile = fixture_json("ingestion/product-list.json");
    hostile["value"][0]["id"] = "product/../configure".into();
    server.route(
        "GET",
        &documented_ingestion_path("product"),
        vec![
            Reply::json(200, hostile),
            answer(200, "ingestion/product-list.json"),
        ],
    );
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-succeeded.json")],
    );
    let run = documented_ingestion_step(&server).run();
    run.assert_code(0);
    assert_eq!(
        server
            .requests_to("GET", &documented_ingestion_path("product"))
            .len(),
        2
    );
    let configure = &server.requests_to("POST", &documented_ingestion_path("configure"))[0];
    assert_eq!(
        configure.json()["resources"][0]["product"],
        format!("product/{PRODUCT_GUID}")
    );
    run.assert_stderr_has("unexpected product id");

    // A submission id with a query in it: go-live never sends it.
    let server = documented_ingestion_server();
    let mut hostile = fixture_json("ingestion/submissions.json");
    hostile["value"][2]["id"] = format!("{DOCUMENTED_PREVIEW}?x=1").into();
    server.route(
        "GET",
        &submissions_path(),
        vec![
            Reply::json(200, hostile),
            answer(200, "ingestion/submissions.json"),
        ],
    );
    serve_configure(&server, answer(202, "ingestion/configure-accepted.json"));
    server.route(
        "GET",
        &accepted_job_path("status"),
        vec![answer(200, "ingestion/job-succeeded.json")],
    );
    let run = documented_ingestion_step(&server)
        .input("command", "go-live")
        .run();
    run.assert_code(0);
    let configure = server.requests_to("POST", &documented_ingestion_path("configure"));
    assert_eq!(configure.len(), 1);
    assert_eq!(
        configure[0].json()["resources"][0]["id"],
        DOCUMENTED_PREVIEW
    );
    assert!(
        !run.stdout.contains("?x=1") && !run.summary.contains("?x=1"),
        "{}",
        run.dump()
    );
}
