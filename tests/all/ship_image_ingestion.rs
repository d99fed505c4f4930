//! Shipping an image version on the product ingestion API (issue 21): the plan's technical
//! configuration read whole, the version put in with one configure job followed to its end, the
//! read-back checked, then the publish; and every way that stops before anything is published.

use crate::support::ingestion::*;
use crate::support::reference::*;
use crate::support::*;
use serde_json::{Value, json};

/// The SAS of the new version: its signature must never show.
const SIGNATURE: &str = "S1gnatureOfTheNewVhd%2Bq";
const SAS: &str = "https://contosoimages.blob.core.windows.net/vhds/os-2.1.0.vhd?sv=2022-11-02&sr=b&sp=r&sig=S1gnatureOfTheNewVhd%2Bq";
/// The same VHD under another SAS: the same image.
const SAS_RENEWED: &str = "https://contosoimages.blob.core.windows.net/vhds/os-2.1.0.vhd?sv=2023-01-03&sr=b&sp=r&sig=An0therSignature";
const SAS_OTHER_BLOB: &str = "https://contosoimages.blob.core.windows.net/vhds/os-2.1.0-rebuilt.vhd?sv=2022-11-02&sr=b&sp=r&sig=Th1rdSignature";

/// The technical configuration of cloudpub's fixture (skus x64Gen2 and x64Gen1, version 2.0.0).
fn tech() -> Value {
    serde_json::from_slice(&fixture(
        "draft-update/ingestion-vm-technical-configuration.cloudpub.json",
    ))
    .expect("fixture")
}

/// The version entry this program writes for `uri` as x64Gen2.
fn entry(version: &str, uri: &str) -> Value {
    json!({
        "versionNumber": version,
        "vmImages": [{"imageType": "x64Gen2", "source": {"sourceType": "sasUri", "osDisk": {"uri": uri}, "dataDisks": []}}],
        "lifecycleState": "generallyAvailable",
    })
}

fn with_version(mut tech: Value, entry: Value) -> Value {
    tech["vmImageVersions"]
        .as_array_mut()
        .expect("versions")
        .push(entry);
    tech
}

fn ship(server: &FakeServer) -> Step {
    ingestion_step(server)
        .input("plan-id", PLAN)
        .input("image-version", "2.1.0")
        .input("image-source", &format!("x64Gen2={SAS}"))
}

/// The publish that follows a draft change: its job completes.
fn publish_completes(server: &FakeServer) {
    server.job_status(vec![job("completed", "succeeded", json!([]))]);
}

fn secrets() -> [&'static str; 4] {
    [
        SIGNATURE,
        "S1gnatureOfTheNewVhd+q",
        CLIENT_SECRET,
        TOKEN_PREFIX,
    ]
}

#[test]
fn ingestion_a_new_version_is_configured_followed_verified_then_published() {
    let server = FakeServer::start();
    let draft = server.ingestion_draft(DraftScenario::new(tech()));
    publish_completes(&server);
    let run = ship(&server).run();
    run.assert_code(0).assert_no_secret(&secrets());
    run.assert_output("draft-changed", "true")
        .assert_output("image-version", "2.1.0")
        .assert_output("status", "preview-ready");
    // The resource alone, every field as read, only the version added; the schema as read.
    let configures = draft_configures(&server);
    assert_eq!(configures.len(), 1, "{}", run.dump());
    assert_eq!(
        configures[0],
        json!({
            "$schema": "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2",
            "resources": [with_version(tech(), entry("2.1.0", SAS))],
        })
    );
    // The job was followed to its end, the draft read back, and only then the publish.
    assert_eq!(server.requests_to("GET", &draft_job_path()).len(), 2);
    let reads = server.requests_to("GET", &tech_config_path());
    assert_eq!(reads.len(), 2, "read, then read back");
    let job_done = server.requests_to("GET", &draft_job_path())[1].at;
    assert!(reads[1].at >= job_done);
    let publish = server
        .requests_to("POST", &ingestion_path("configure"))
        .into_iter()
        .find(|request| request.json()["resources"][0]["target"]["targetType"] == "preview")
        .expect("the publish");
    assert!(publish.at >= reads[1].at);
    assert_eq!(draft.tech(), with_version(tech(), entry("2.1.0", SAS)));
    // The plan was looked up by its external id within the product.
    let lookup = &server.requests_to("GET", &ingestion_path("plan"))[0];
    assert_eq!(lookup.query_pairs()["product"], PRODUCT);
    assert_eq!(lookup.query_pairs()["externalId"], PLAN);
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_a_version_already_there_with_the_same_vhd_is_not_written_and_is_published() {
    let server = FakeServer::start();
    // The same blob under another SAS: the same image.
    server.ingestion_draft(DraftScenario::new(with_version(
        tech(),
        entry("2.1.0", SAS_RENEWED),
    )));
    publish_completes(&server);
    let run = ship(&server).run();
    run.assert_code(0).assert_no_secret(&secrets());
    run.assert_output("draft-changed", "false")
        .assert_output("image-version", "2.1.0")
        .assert_output("status", "preview-ready");
    assert!(draft_configures(&server).is_empty(), "{}", run.dump());
    assert_eq!(publish_configures(&server), 1);
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_update_stops_after_the_change() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    let run = ship(&server).input("command", "update").run();
    run.assert_code(0).assert_no_secret(&secrets());
    run.assert_output("status", "succeeded")
        .assert_output("draft-changed", "true");
    assert_eq!(draft_configures(&server).len(), 1);
    assert_eq!(publish_configures(&server), 0, "{}", run.dump());
    assert_no_unexpected(&server);
}

#[test]
fn ingestion_the_same_version_with_another_source_is_rejected_before_any_write() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(with_version(
        tech(),
        entry("2.1.0", SAS_OTHER_BLOB),
    )));
    let run = ship(&server).run();
    run.assert_code(1)
        .assert_output("status", "rejected")
        .assert_no_secret(&secrets())
        .assert_no_secret(&["Th1rdSignature"]);
    // Named: the version, the plan, which source, by account/container/blob only.
    run.assert_stdout_has("2.1.0")
        .assert_stdout_has(PLAN)
        .assert_stdout_has("contosoimages/vhds/os-2.1.0-rebuilt.vhd")
        .assert_stdout_has("contosoimages/vhds/os-2.1.0.vhd");
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty()
    );
}

#[test]
fn ingestion_a_version_already_in_the_plan_is_never_changed_or_removed() {
    // 2.0.0 is in the plan (its source is not one this program would write): asking for it with
    // a source is refused, and adding 2.1.0 sends 2.0.0 back exactly as read.
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    let run = ingestion_step(&server)
        .input("plan-id", PLAN)
        .input("image-version", "2.0.0")
        .input("image-source", &format!("x64Gen2={SAS}"))
        .run();
    run.assert_code(1).assert_output("status", "rejected");
    assert!(draft_configures(&server).is_empty());

    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    publish_completes(&server);
    ship(&server).run().assert_code(0);
    let sent = &draft_configures(&server)[0]["resources"][0]["vmImageVersions"];
    assert_eq!(sent[0], tech()["vmImageVersions"][0]);
    assert_eq!(sent.as_array().map(Vec::len), Some(2));
}

#[test]
fn ingestion_a_submission_in_progress_is_waited_for() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    publish_completes(&server);
    let guid = product_guid();
    let running = json!({"value": [{"id": format!("submission/{guid}/1"), "target": {"targetType": "preview"}, "status": "running", "result": "pending"}]});
    let done = json!({"value": [{"id": format!("submission/{guid}/1"), "target": {"targetType": "preview"}, "status": "completed", "result": "succeeded"}]});
    server.route(
        "GET",
        &ingestion_path(&format!("submission/{guid}")),
        vec![Reply::json(200, running), Reply::json(200, done)],
    );
    let run = ship(&server).run();
    run.assert_code(0).assert_output("draft-changed", "true");
    let reads = server.requests_to("GET", &ingestion_path(&format!("submission/{guid}")));
    assert!(reads.len() >= 2, "{}", run.dump());
    let configure = server.requests_to("POST", &ingestion_path("configure"))[0].clone();
    assert!(configure.at >= reads[1].at, "configured only once it ended");
    assert_eq!(draft_configures(&server).len(), 1);
}

#[test]
fn ingestion_a_submission_in_progress_is_refused_with_if_running_fail() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    let guid = product_guid();
    serve_submissions(
        &server,
        json!([{"id": format!("submission/{guid}/1"), "target": {"targetType": "preview"}, "status": "running", "result": "pending"}]),
    );
    let run = ship(&server).input("if-running", "fail").run();
    assert_ne!(run.code, 0, "{}", run.dump());
    // Refused at once, not after waiting out the time limit.
    run.assert_stdout_has("preview submission 1 (submission/")
        .assert_stdout_has("is in progress; the draft is not changed while it runs");
    assert_eq!(
        server
            .requests_to("GET", &ingestion_path(&format!("submission/{guid}")))
            .len(),
        1
    );
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty()
    );
    assert!(server.requests_to("GET", &tech_config_path()).is_empty());
}

#[test]
fn ingestion_a_failed_configure_job_ends_the_run_with_its_messages_and_nothing_is_published() {
    let server = FakeServer::start();
    let mut scenario = DraftScenario::new(tech());
    scenario.job = vec![
        json!({"jobId": DRAFT_JOB, "jobStatus": "completed", "jobResult": "failed", "errors": [{
            "code": "BusinessValidationError",
            "message": "The request failed validation.",
            "details": [{"code": "InvalidOperation", "message": "Cannot delete image 2.0.0 for plan plan-1 as it is already published"}],
        }]}),
    ];
    let draft = server.ingestion_draft(scenario);
    let step = ship(&server).input("result-file", "result.json");
    let run = step.run();
    run.assert_code(1).assert_output("status", "failed");
    run.assert_no_secret(&secrets());
    let result = std::fs::read_to_string(step.dir().join("result.json")).expect("result file");
    assert!(
        result.contains("Cannot delete image 2.0.0 for plan plan-1 as it is already published"),
        "{result}"
    );
    assert!(!result.contains(SIGNATURE), "{result}");
    assert!(
        run.commands()
            .iter()
            .any(|command| command.starts_with("::error")
                && command.contains(
                    "Cannot delete image 2.0.0 for plan plan-1 as it is already published"
                )),
        "{}",
        run.dump()
    );
    run.assert_summary_has("Cannot delete image 2.0.0");
    assert_eq!(publish_configures(&server), 0);
    assert_eq!(draft.tech(), tech(), "nothing changed");
    // Not read back: the change failed.
    assert_eq!(server.requests_to("GET", &tech_config_path()).len(), 1);
}

#[test]
fn ingestion_a_schema_that_could_not_be_accessed_stays_readable_and_names_the_input() {
    let server = FakeServer::start();
    let mut scenario = DraftScenario::new(tech());
    scenario.configure = Some(Reply::json(
        400,
        json!({"error": {"code": "BadRequest", "message": "Schema https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2 could not be accessed"}}),
    ));
    server.ingestion_draft(scenario);
    let run = ship(&server).run();
    assert_ne!(run.code, 0, "{}", run.dump());
    run.assert_stdout_has("could not be accessed")
        .assert_stdout_has("ingestion-configure-schema");
    assert_eq!(publish_configures(&server), 0);
    // Sent once: a refusal is not retried.
    assert_eq!(draft_configures(&server).len(), 1);

    // The input chooses the configure schema version sent.
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    ship(&server)
        .input("ingestion-configure-schema", "2022-07-01")
        .input("command", "update")
        .run()
        .assert_code(0);
    assert_eq!(
        draft_configures(&server)[0]["$schema"],
        "https://schema.mp.microsoft.com/schema/configure/2022-07-01"
    );
}

#[test]
fn ingestion_a_read_back_without_the_version_is_an_error_and_nothing_is_published() {
    let server = FakeServer::start();
    let mut scenario = DraftScenario::new(tech());
    scenario.applies = false;
    server.ingestion_draft(scenario);
    let run = ship(&server).run();
    run.assert_code(1).assert_output("status", "error");
    run.assert_stdout_has("does not show image version 2.1.0");
    assert_eq!(server.requests_to("GET", &tech_config_path()).len(), 2);
    assert_eq!(publish_configures(&server), 0, "{}", run.dump());
}

#[test]
fn ingestion_deprecated_versions_are_marked_in_the_same_change() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    let run = ship(&server)
        .input("command", "update")
        .input("deprecate-image-versions", "2.0.0")
        .input("deprecation-reason", "endOfSupport")
        .input("deprecation-date-offset", "P90D")
        .run();
    run.assert_code(0);
    let sent = draft_configures(&server);
    assert_eq!(sent.len(), 1, "{}", run.dump());
    let mut deprecated = tech()["vmImageVersions"][0].clone();
    deprecated["lifecycleState"] = json!("deprecated");
    deprecated["deprecationSchedule"] = json!({"reason": "endOfSupport", "dateOffset": "P90D"});
    let versions = &sent[0]["resources"][0]["vmImageVersions"];
    assert_eq!(versions[0], deprecated);
    assert_eq!(versions[1], entry("2.1.0", SAS));
}

#[test]
fn ingestion_product_and_plan_are_found_through_next_link_pages() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    let other = "product/00000000-0000-4000-8000-0000000000aa";
    server.route_fn("GET", &ingestion_path("product"), move |request, _| {
        if request.query.contains("skipToken") {
            Reply::json(
                200,
                json!({"value": [{"id": PRODUCT, "identity": {"externalId": OFFER}}]}),
            )
        } else {
            Reply::json(
                200,
                json!({"value": [{"id": other, "identity": {"externalId": "other-offer"}}], "@nextLink": "product?externalId=contoso-offer&$skipToken=2"}),
            )
        }
    });
    server.route_fn("GET", &ingestion_path("plan"), |request, _| {
        if request.query.contains("skipToken") {
            Reply::json(200, json!({"value": [plan_item(PLAN_GUID, PLAN)]}))
        } else {
            // The filter is not trusted: a plan with another external id is not the one.
            Reply::json(
                200,
                json!({"value": [plan_item("9c9c9c9c-0000-4000-8000-000000000009", "plan-10")], "@nextLink": format!("plan?product={PRODUCT}&$skipToken=2")}),
            )
        }
    });
    let run = ship(&server).input("command", "update").run();
    run.assert_code(0).assert_output("draft-changed", "true");
    assert_eq!(server.requests_to("GET", &ingestion_path("plan")).len(), 2);
    assert_eq!(draft_configures(&server).len(), 1, "{}", run.dump());
}

#[test]
fn ingestion_a_plan_the_product_does_not_have_is_named() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    server.plan_list(vec![Reply::json(
        200,
        json!({"value": [plan_item(PLAN_GUID, "plan-1-gen1")]}),
    )]);
    let run = ship(&server).run();
    assert_ne!(run.code, 0);
    run.assert_stdout_has("no plan 'plan-1'");
    assert!(server.requests_to("GET", &tech_config_path()).is_empty());
}

#[test]
fn ingestion_a_technical_configuration_of_another_plan_is_never_sent_back() {
    let server = FakeServer::start();
    let mut other = tech();
    other["plan"] = json!("plan/11111111-0000-4000-8000-000000000011");
    server.ingestion_draft(DraftScenario::new(other));
    let run = ship(&server).run();
    run.assert_code(1).assert_output("status", "error");
    run.assert_stdout_has("names another plan");
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty(),
        "{}",
        run.dump()
    );
}

#[test]
fn ingestion_contract_the_documented_technical_configuration_gets_the_documented_change() {
    // cloudpub's technical configuration served byte for byte; the configure body must be the
    // one cloudpub's own test expects (configure/2022-07-01), with a SAS that carries a signature.
    let server = FakeServer::start();
    let held = server.ingestion_draft(DraftScenario::new(tech()));
    server.route_fn("GET", &tech_config_path(), move |_, call| {
        if call == 0 {
            answer(
                200,
                "draft-update/ingestion-vm-technical-configuration.cloudpub.json",
            )
        } else {
            Reply::json(200, held.tech())
        }
    });
    let sas = "https://foo.com/bar/image.vhd?sv=2022-11-02&sr=b&sp=r&sig=F00Signature";
    let run = ingestion_step(&server)
        .input("command", "update")
        .input("plan-id", PLAN)
        .input("image-version", "2.1.0")
        .input("image-source", &format!("x64Gen2={sas}"))
        .input("ingestion-configure-schema", "2022-07-01")
        .run();
    run.assert_code(0).assert_no_secret(&["F00Signature"]);
    let mut expected: Value = serde_json::from_slice(&fixture(
        "draft-update/ingestion-configure-add-sas-image.cloudpub-derived.json",
    ))
    .expect("fixture");
    expected["resources"][0]["vmImageVersions"][1]["vmImages"][0]["source"]["osDisk"]["uri"] =
        json!(sas);
    assert_eq!(draft_configures(&server), vec![expected]);
}

// ---------------------------------------------------------------------------------------------
// The sandbox's ingestion draft.

fn sandbox_ship(scenario: &str) -> Finished {
    step()
        .github()
        .input("api", "ingestion")
        .input("plan-id", "gen2")
        .input("image-version", "1.2.3")
        .input("image-source", SAS)
        .arg(&format!("--sandbox={scenario}"))
        .run()
}

#[test]
fn sandbox_ingestion_ships_an_image_version_in_each_scenario() {
    let run = sandbox_ship("succeeded");
    run.assert_code(0).assert_no_secret(&[SIGNATURE]);
    run.assert_output("draft-changed", "true")
        .assert_output("image-version", "1.2.3");

    let run = sandbox_ship("image-present");
    run.assert_code(0).assert_output("draft-changed", "false");

    let run = sandbox_ship("image-conflict");
    run.assert_code(1)
        .assert_output("status", "rejected")
        .assert_stdout_has("another-build-1.2.3.vhd")
        .assert_no_secret(&[SIGNATURE, "YW5vdGhlciBidWlsZA"]);

    let run = sandbox_ship("configure-failed");
    assert_ne!(run.code, 0, "{}", run.dump());
    run.assert_stdout_has("could not be read")
        .assert_no_secret(&[SIGNATURE]);
    run.assert_stdout_lacks("preview links");

    let run = step().arg("--sandbox=list").run();
    for name in ["image-present", "image-conflict", "configure-failed"] {
        run.assert_stdout_has(name);
    }
}

#[test]
fn ingestion_contract_a_gallery_source_is_written_as_the_schema_shapes_it() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    let tenant = "0c0c0c0c-0000-4000-8000-00000000000c";
    let gallery = "/subscriptions/1a2b3c4d-0000-4000-8000-000000000001/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/contosogallery/images/contoso-vm/versions/1.0.1";
    let run = ingestion_step(&server)
        .input("command", "update")
        .input("plan-id", PLAN)
        .input("image-version", "1.0.1")
        .input("image-source", &format!("x64Gen2={gallery}"))
        .input("gallery-tenant-id", tenant)
        .run();
    run.assert_code(0).assert_output("draft-changed", "true");
    let shaped = String::from_utf8(fixture(
        "draft-update/ingestion-vmimageversion-gallery-source.schema-derived.json",
    ))
    .expect("utf-8")
    .replace("<tenant-guid>", tenant)
    .replace("<sub>", "1a2b3c4d-0000-4000-8000-000000000001")
    .replace("<rg>", "images-rg")
    .replace("<gallery>", "contosogallery")
    .replace("<definition>", "contoso-vm");
    let expected: Value = serde_json::from_str(&shaped).expect("fixture");
    let sent = draft_configures(&server);
    assert_eq!(
        sent[0]["resources"][0]["vmImageVersions"][1],
        expected,
        "{}",
        run.dump()
    );
}

#[test]
fn ingestion_an_image_type_the_plan_does_not_use_is_bad_input_once_the_plan_is_read() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(tech()));
    let run = ingestion_step(&server)
        .input("plan-id", PLAN)
        .input("image-version", "2.1.0")
        .input("image-source", &format!("arm64Gen2={SAS}"))
        .run();
    run.assert_code(2)
        .assert_output("status", "invalid-input")
        .assert_stdout_has("image-source line 1: plan 'plan-1' has no image type arm64Gen2; it uses x64Gen2, x64Gen1")
        .assert_no_secret(&secrets());
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty()
    );
}

/// A technical configuration past every bound of the status reader: more versions than it keeps
/// per array (1000), an unknown object with more keys (256), a string longer than it keeps
/// (64 KiB), and more than the 8 MiB a status answer may be in all.
fn large_tech(padding: usize) -> Value {
    let mut large = tech();
    let versions: Vec<Value> = (0..1500)
        .map(|n| entry(&format!("1.0.{n}"), "https://uri.test.com/c/old.vhd"))
        .collect();
    large["vmImageVersions"] = Value::Array(versions);
    let wide: serde_json::Map<String, Value> =
        (0..300).map(|n| (format!("k{n}"), json!(n))).collect();
    large["unmodeledWide"] = Value::Object(wide);
    large["unmodeledNotes"] = json!("n".repeat(padding));
    large
}

#[test]
fn ingestion_a_technical_configuration_past_the_status_bounds_is_read_and_sent_back_whole() {
    let server = FakeServer::start();
    let large = large_tech(9 * 1024 * 1024);
    server.ingestion_draft(DraftScenario::new(large.clone()));
    let run = ship(&server).input("command", "update").run();
    run.assert_code(0).assert_output("draft-changed", "true");
    let sent = draft_configures(&server);
    assert_eq!(sent.len(), 1, "{}", run.dump());
    // JSON equality, not printed: the document is 9 MiB.
    assert!(
        sent[0]["resources"][0] == with_version(large, entry("2.1.0", SAS)),
        "the document sent back is not the one read plus the version"
    );
}

#[test]
fn ingestion_a_technical_configuration_past_the_document_cap_is_refused_not_cut() {
    let server = FakeServer::start();
    server.ingestion_draft(DraftScenario::new(large_tech(17 * 1024 * 1024)));
    let run = ship(&server).run();
    assert_ne!(run.code, 0);
    run.assert_stdout_has("larger than 16 MiB");
    assert!(
        server
            .requests_to("POST", &ingestion_path("configure"))
            .is_empty(),
        "{}",
        run.dump()
    );
}
