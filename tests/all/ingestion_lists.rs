//! The product ingestion API as it really answers: lists in pages (`@nextLink`), a product
//! lookup that lists other products, configure answers that are already final or nest their
//! errors, a publish that is already in progress, and a job resumed from its URL. Bodies are the
//! fixtures under tests/fixtures/ingestion (see tests/fixtures/SOURCES).

use serde_json::{Value, json};

use crate::support::ingestion::ingestion_step;
use crate::support::*;

/// The product of `product-list-page-2.json` and `product-list-several.json`: `contoso-offer`.
const PRODUCT: &str = "product/c0c0c0c0-0000-4000-8000-00000000c0c0";
/// The other offer's product (`example-product`, cloudpub's test data).
const OTHER_PRODUCT: &str = "product/ffffffff-ffff-ffff-ffff-ffffffffffff";
/// The job of `configure-accepted.json`.
const JOB: &str = "d4261631-c583-4949-a612-5150882632e9";
/// The job of `job-failed-conflict.json` (cloudpub's test data).
const FAILED_JOB: &str = "aa0a0000-0e00-00aa-aa00-a00000000a00";
/// The preview submission on the second page of `submissions-page-*.json`.
const PAGE_2_PREVIEW: &str = "submission/12345678-abcd-efgh-1234-12345678901/1152921515689848683";
/// The origin the fixtures' `@nextLink`s name; the fake server's replaces it at serve time.
const SERVICE_ORIGIN: &str = "https://graph.microsoft.com";

fn path(tail: &str) -> String {
    format!("/rp/product-ingestion/{tail}")
}

fn submissions_path() -> String {
    path(&format!(
        "submission/{}",
        PRODUCT.trim_start_matches("product/")
    ))
}

/// A fixture's text, its service origin replaced by `origin`.
fn fixture(name: &str, origin: &str) -> String {
    let full = format!(
        "{}/tests/fixtures/ingestion/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full)
        .unwrap_or_else(|error| panic!("{full}: {error}"))
        .replace(SERVICE_ORIGIN, origin)
}

fn answer(server: &FakeServer, status: u16, name: &str) -> Reply {
    Reply::text(status, "application/json", &fixture(name, &server.url()))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name, SERVICE_ORIGIN)).expect("fixture is JSON")
}

/// Page 1 without `$skipToken`, page 2 with it: as the fixtures' `@nextLink` asks.
fn serve_pages(server: &FakeServer, at: &str, first: &str, second: &str) {
    let (first, second) = (answer(server, 200, first), answer(server, 200, second));
    server.route_fn("GET", at, move |request, _| {
        if request.query_pairs().get("$skipToken").map(String::as_str) == Some("page2") {
            second.clone()
        } else {
            first.clone()
        }
    });
}

fn server_with_tokens() -> FakeServer {
    let server = FakeServer::start();
    serve_tokens(&server);
    server
}

fn configured_product(server: &FakeServer) -> Value {
    server.requests_to("POST", &path("configure"))[0].json()["resources"][0]["product"].clone()
}

#[test]
fn a_product_on_the_second_page_is_found_and_published() {
    let server = server_with_tokens();
    serve_pages(
        &server,
        &path("product"),
        "product-list-page-1.json",
        "product-list-page-2.json",
    );
    server.route(
        "POST",
        &path("configure"),
        vec![answer(&server, 202, "configure-accepted.json")],
    );
    server.route(
        "GET",
        &path(&format!("configure/{JOB}/status")),
        vec![answer(&server, 200, "job-succeeded.json")],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "preview-ready", "{}", run.dump());
    assert_eq!(configured_product(&server), PRODUCT);
    let lookups = server.requests_to("GET", &path("product"));
    assert_eq!(lookups.len(), 2);
    assert_eq!(lookups[1].query_pairs()["$skipToken"], "page2");
    assert_no_unexpected(&server);
}

#[test]
fn a_preview_submission_on_the_second_page_goes_live() {
    let server = server_with_tokens();
    server.route(
        "GET",
        &path("product"),
        vec![answer(&server, 200, "product-list-several.json")],
    );
    serve_pages(
        &server,
        &submissions_path(),
        "submissions-page-1.json",
        "submissions-page-2.json",
    );
    server.route(
        "POST",
        &path("configure"),
        vec![answer(&server, 202, "configure-accepted.json")],
    );
    server.route(
        "GET",
        &path(&format!("configure/{JOB}/status")),
        vec![answer(&server, 200, "job-succeeded.json")],
    );
    let run = ingestion_step(&server).input("command", "go-live").run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded", "{}", run.dump());
    let configure = &server.requests_to("POST", &path("configure"))[0].json()["resources"][0];
    assert_eq!(configure["id"], PAGE_2_PREVIEW);
    assert_eq!(configure["target"]["targetType"], "live");
    assert_no_unexpected(&server);
}

#[test]
fn next_links_stay_on_the_origin_and_are_bounded() {
    // Off the origin: refused before any request there (the token goes nowhere else).
    let elsewhere = FakeServer::start();
    let server = server_with_tokens();
    let mut page = fixture_json("product-list-page-1.json");
    page["@nextLink"] = format!(
        "{}/rp/product-ingestion/product?$skipToken=page2",
        elsewhere.url()
    )
    .into();
    server.route("GET", &path("product"), vec![Reply::json(200, page)]);
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    assert!(
        run.stdout.contains("refused to send the token to"),
        "{}",
        run.dump()
    );
    assert!(elsewhere.requests().is_empty());
    assert!(server.requests_to("POST", &path("configure")).is_empty());

    // A service that never stops paging: at most 20 pages, then a plain error.
    let server = server_with_tokens();
    server.route_fn("GET", &path("product"), |request, call| {
        let mut page = json!({"value": [{"id": OTHER_PRODUCT, "identity": {"externalId": "example-product"}}]});
        page["@nextLink"] = format!("{}?$skipToken={call}", request.path).into();
        Reply::json(200, page)
    });
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    assert!(run.stdout.contains("past 20 pages"), "{}", run.dump());
    assert_eq!(server.requests_to("GET", &path("product")).len(), 20);
    assert!(server.requests_to("POST", &path("configure")).is_empty());
}

#[test]
fn only_the_product_whose_external_id_is_the_offer_id_is_published() {
    // Listed second, after another offer's product.
    let server = server_with_tokens();
    server.route(
        "GET",
        &path("product"),
        vec![answer(&server, 200, "product-list-several.json")],
    );
    server.route(
        "POST",
        &path("configure"),
        vec![answer(&server, 202, "configure-accepted.json")],
    );
    let run = ingestion_step(&server).input("timeout", "0").run();
    run.assert_code(0);
    assert_eq!(configured_product(&server), PRODUCT);

    // Only another offer's product (cloudpub's list, verbatim): not found, naming what it saw.
    let server = server_with_tokens();
    server.route(
        "GET",
        &path("product"),
        vec![answer(&server, 200, "product-list.json")],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "error");
    let error = run.command_starting("::error");
    assert!(
        error.contains("no product with external id 'contoso-offer'"),
        "{}",
        run.dump()
    );
    assert!(error.contains("\"example-product\""), "{}", run.dump());
    assert!(server.requests_to("POST", &path("configure")).is_empty());

    // Two with the offer's external id: neither is published.
    let server = server_with_tokens();
    let mut several = fixture_json("product-list-several.json");
    several["value"][0]["identity"]["externalId"] = "contoso-offer".into();
    server.route("GET", &path("product"), vec![Reply::json(200, several)]);
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    let error = run.command_starting("::error");
    assert!(
        error.contains(OTHER_PRODUCT) && error.contains(PRODUCT),
        "{}",
        run.dump()
    );
    assert!(server.requests_to("POST", &path("configure")).is_empty());
}

#[test]
fn a_configure_answer_that_is_already_final_is_the_outcome() {
    for (body, status, code) in [
        ("job-failed-conflict.json", "failed", 1),
        ("job-succeeded.json", "preview-ready", 0),
    ] {
        let server = server_with_tokens();
        server.route(
            "GET",
            &path("product"),
            vec![answer(&server, 200, "product-list-page-2.json")],
        );
        server.route("POST", &path("configure"), vec![answer(&server, 202, body)]);
        let run = ingestion_step(&server).input("timeout", "0").run();
        run.assert_code(code);
        assert_eq!(run.output("status"), status, "{}", run.dump());
        if status == "failed" {
            assert_eq!(run.output("operation-id"), FAILED_JOB);
            assert!(
                run.commands()
                    .contains(&"::error title=invalidResource::Failure for resource"),
                "{}",
                run.dump()
            );
        }
        // Final: not read again.
        assert_eq!(
            server
                .requests()
                .iter()
                .filter(|r| r.path.ends_with("/status"))
                .count(),
            0
        );
        assert_no_unexpected(&server);
    }
}

#[test]
fn attaching_to_an_in_progress_submission_ends_as_the_publish_would() {
    let server = server_with_tokens();
    server.route(
        "GET",
        &path("product"),
        vec![answer(&server, 200, "product-list-page-2.json")],
    );
    server.route(
        "POST",
        &path("configure"),
        vec![answer(&server, 400, "configure-400-in-progress.json")],
    );
    server.route(
        "GET",
        &submissions_path(),
        vec![
            answer(&server, 200, "submissions-draft-and-one-running.json"),
            answer(&server, 200, "submissions-draft-and-one-running.json"),
            answer(&server, 200, "submissions.json"),
        ],
    );
    let run = ingestion_step(&server)
        .input("poll-interval", "100ms")
        .input("timeout", "20s")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "preview-ready", "{}", run.dump());
    assert_eq!(run.output("attached"), "true");
    assert_eq!(run.output("timed-out"), "false");
    assert_eq!(server.requests_to("POST", &path("configure")).len(), 1);
}

#[test]
fn wait_on_a_job_ends_as_the_publish_that_started_it() {
    for (detail, status) in [
        (fixture_json("job-detail-preview.json"), "preview-ready"),
        (
            {
                let mut live = fixture_json("job-detail-preview.json");
                live["resources"][0]["target"]["targetType"] = "live".into();
                live
            },
            "succeeded",
        ),
    ] {
        let server = server_with_tokens();
        server.route(
            "GET",
            &path(&format!("configure/{JOB}/status")),
            vec![answer(&server, 200, "job-succeeded.json")],
        );
        server.route(
            "GET",
            &path(&format!("configure/{JOB}")),
            vec![Reply::json(200, detail)],
        );
        let url = format!(
            "{}{}?%24version=2022-03-01-preview2",
            server.url(),
            path(&format!("configure/{JOB}/status"))
        );
        let run = ingestion_step(&server)
            .input("command", "wait")
            .input("operation-url", &url)
            .run();
        run.assert_code(0);
        assert_eq!(run.output("status"), status, "{}", run.dump());
        assert_no_unexpected(&server);
    }
}

#[test]
fn nested_configure_errors_reach_the_log_and_the_annotation() {
    let server = server_with_tokens();
    server.route(
        "GET",
        &path("product"),
        vec![answer(&server, 200, "product-list-page-2.json")],
    );
    server.route(
        "POST",
        &path("configure"),
        vec![answer(&server, 400, "configure-400-schema-validation.json")],
    );
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    assert_eq!(run.output("status"), "rejected");
    let innermost = "Schema validation failed for schema https://scheme";
    assert!(
        run.command_starting("::error").contains(innermost),
        "{}",
        run.dump()
    );
    // The log of a GitHub run is its annotation; the summary says it again.
    assert!(run.summary.contains(innermost), "{}", run.dump());
}

#[test]
fn sandbox_links_name_the_offer_of_the_run() {
    let run = step()
        .github()
        .input("publisher-id", "fabrikam")
        .input("offer-id", "fabrikam-vm")
        // The links come from CPP's offer status (the default api, auto, finds the sandbox's
        // product in the ingestion API, whose answers carry no links).
        .input("api", "cpp")
        .arg("--sandbox=preview-ready")
        .run();
    run.assert_code(0);
    let links = run.output("preview-links");
    assert_eq!(
        links,
        "https://azuremarketplace.microsoft.com/marketplace/apps/fabrikam.fabrikam-vm-preview",
        "{}",
        run.dump()
    );
    assert!(!run.stdout.contains("contoso"), "{}", run.dump());
}

#[test]
fn a_product_list_cut_by_the_reader_is_not_taken_as_complete() {
    // A page longer than the JSON reader keeps (1000 items per array), the offer's product
    // after the cut: it is not "not found", and `api: auto` does not fall back to CPP.
    let mut value: Vec<Value> = (0..1000)
        .map(|n| {
            json!({
                "id": format!("product/{:08x}-0000-4000-8000-000000000000", n),
                "identity": {"externalId": format!("other-offer-{n}")},
            })
        })
        .collect();
    value.push(json!({"id": PRODUCT, "identity": {"externalId": "contoso-offer"}}));
    let cpp = simple_server();
    let graph = FakeServer::start();
    graph.route(
        "GET",
        &path("product"),
        vec![Reply::json(200, json!({ "value": value }))],
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
    assert!(
        cpp.requests_to("POST", "/api/").is_empty(),
        "published through CPP an offer whose product the list holds\n{}",
        run.dump()
    );
    run.assert_code(1);
    assert_eq!(run.output("status"), "error", "{}", run.dump());
    let error = run.command_starting("::error");
    assert!(error.contains("more than 1000"), "{}", run.dump());
    assert!(
        !error.contains("no product with external id"),
        "{}",
        run.dump()
    );
}

#[test]
fn wait_on_a_succeeded_job_whose_detail_is_unreadable_ends_as_the_job_says() {
    // The job's status says completed/succeeded; its detail (where it published) is a document
    // without `resources`, every time. The job's own result stands, as for a detail refused.
    let server = server_with_tokens();
    server.route(
        "GET",
        &path(&format!("configure/{JOB}/status")),
        vec![answer(&server, 200, "job-succeeded.json")],
    );
    server.route(
        "GET",
        &path(&format!("configure/{JOB}")),
        vec![Reply::json(200, json!({"jobId": JOB}))],
    );
    let url = format!(
        "{}{}?%24version=2022-03-01-preview2",
        server.url(),
        path(&format!("configure/{JOB}/status"))
    );
    let run = ingestion_step(&server)
        .input("command", "wait")
        .input("operation-url", &url)
        .input("timeout", "4s")
        .input("poll-interval", "1s")
        .run();
    run.assert_code(0);
    assert_eq!(run.output("status"), "succeeded", "{}", run.dump());
    assert_eq!(run.output("timed-out"), "false", "{}", run.dump());
    assert!(
        run.dump().contains("where it published is not known"),
        "{}",
        run.dump()
    );
}

#[test]
fn a_page_that_names_itself_as_the_next_is_read_once() {
    let server = server_with_tokens();
    let mut page = fixture_json("product-list-page-1.json");
    // The very URL the lookup asked for.
    page["@nextLink"] = format!(
        "{}{}?%24version=2022-03-01-preview2&externalId=contoso-offer",
        server.url(),
        path("product")
    )
    .into();
    server.route("GET", &path("product"), vec![Reply::json(200, page)]);
    let run = ingestion_step(&server).run();
    run.assert_code(1);
    assert!(run.stdout.contains("a page already read"), "{}", run.dump());
    assert_eq!(
        server.requests_to("GET", &path("product")).len(),
        1,
        "{}",
        run.dump()
    );
}
