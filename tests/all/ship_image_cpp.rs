//! Shipping an image version on the CPP API (issue 21): the image inputs put a version into a
//! plan of the offer's draft (GET whole with its ETag, PUT with `If-Match`), then the publish
//! runs as always. Both VM offer types, served from the real bodies in
//! tests/fixtures/draft-update (sources in its SOURCES.md).

use serde_json::{Value, json};

use crate::support::reference::fixture;
use crate::support::*;

const VM: &str = "draft-update/cpp-offer-virtualmachines.devigned-pub.json";
const CORE: &str = "draft-update/cpp-offer-corevm.devigned-pub.json";
const VM_MAP: &str = "/definition/plans/0/microsoft-azure-virtualmachines.vmImages";
const CORE_MAP: &str = "/definition/plans/0/microsoft-azure-corevm.vmImagesPublicAzure";
const PLAN: &str = "planId_one";
const VERSION: &str = "2026.12.6";

const SIG: &str = "Ship%2BSig%2FValue%3D9";
const SAS: &str = "https://acct1.blob.core.windows.net/vhds/build-42.vhd?sv=2022-11-02&sr=b&sp=r&sig=Ship%2BSig%2FValue%3D9";
/// A new SAS for the same blob: the same image.
const SAS_RENEWED: &str = "https://acct1.blob.core.windows.net/vhds/build-42.vhd?sv=2024-01-01&sr=b&sp=r&sig=RenewedSignature77";
/// Another blob.
const SAS_OTHER: &str = "https://acct1.blob.core.windows.net/vhds/build-41.vhd?sv=2022-11-02&sr=b&sp=r&sig=OtherSignature55";

/// Both offer types: the fixture and where the plan's versions live.
const OFFERS: [(&str, &str); 2] = [(VM, VM_MAP), (CORE, CORE_MAP)];

fn offer(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).expect("a fixture is JSON")
}

/// The entry the change writes for the version, as each offer type spells it.
fn entry(map: &str, sas: &str) -> Value {
    let mut entry = json!({"osVhdUrl": sas, "lunVhdDetails": []});
    if map == CORE_MAP {
        entry["showInGui"] = json!(true);
    }
    entry
}

/// The offer with the version already in the plan.
fn with_version(path: &str, map: &str, sas: &str) -> Value {
    let mut document = offer(path);
    document
        .pointer_mut(map)
        .and_then(Value::as_object_mut)
        .expect("the plan's version map")
        .insert(VERSION.to_owned(), entry(map, sas));
    document
}

fn ship(server: &FakeServer) -> Step {
    step()
        .github()
        .against(server)
        .input("plan-id", PLAN)
        .input("image-version", VERSION)
        .input("image-source", SAS)
}

fn puts(server: &FakeServer) -> Vec<fake_server::Recorded> {
    server.requests_to("PUT", &offer_document_path())
}

/// The reads of the offer document itself (other paths share its prefix).
fn reads(server: &FakeServer) -> usize {
    let path = offer_document_path();
    server
        .requests_to("GET", &path)
        .iter()
        .filter(|request| request.path == path)
        .count()
}

fn publishes(server: &FakeServer) -> usize {
    server.requests_to("POST", &offer_path("publish")).len()
}

#[test]
fn a_new_version_is_written_with_the_etag_read_then_published() {
    for (path, map) in OFFERS {
        let server = simple_server();
        server.cpp_offer(offer(path), vec![OfferWrite::Store]);
        let run = ship(&server).run();
        run.assert_code(0).assert_no_secret(&[SAS, SIG]);
        run.assert_output("status", "succeeded");
        run.assert_output("image-version", VERSION);
        run.assert_output("draft-changed", "true");
        let puts = puts(&server);
        assert_eq!(puts.len(), 1, "{}", run.dump());
        assert_eq!(puts[0].header("if-match"), Some("\"etag-1\""));
        assert_eq!(puts[0].query_pairs()["api-version"], "2017-10-31");
        // Only the plan's map changed: the rest of the real body, unknown fields included.
        assert_eq!(puts[0].json(), with_version(path, map, SAS), "{path}");
        assert_eq!(publishes(&server), 1);
        let order: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
        let put_at = order.iter().position(|m| m == "PUT");
        let publish_at = order.iter().rposition(|m| m == "POST");
        assert!(
            put_at < publish_at,
            "the change comes before the publish: {order:?}"
        );
        run.assert_stdout_has("acct1/vhds/build-42.vhd");
        assert_no_unexpected(&server);
    }
}

#[test]
fn a_version_already_there_from_the_same_blob_is_not_written_again() {
    for (path, map) in OFFERS {
        let server = simple_server();
        server.cpp_offer(
            with_version(path, map, SAS_RENEWED),
            vec![OfferWrite::Store],
        );
        let run = ship(&server).run();
        run.assert_code(0);
        run.assert_output("draft-changed", "false");
        run.assert_output("image-version", VERSION);
        assert!(puts(&server).is_empty(), "{}", run.dump());
        assert_eq!(publishes(&server), 1, "it goes on to publish");
        run.assert_no_secret(&[SAS, SAS_RENEWED, "RenewedSignature77"]);
    }
}

#[test]
fn the_same_version_from_another_blob_is_rejected_before_any_write() {
    for (path, map) in OFFERS {
        let server = simple_server();
        server.cpp_offer(with_version(path, map, SAS_OTHER), vec![OfferWrite::Store]);
        let run = ship(&server).run();
        run.assert_code(1);
        run.assert_output("status", "rejected");
        run.assert_output("draft-changed", "false");
        run.assert_stdout_has(VERSION)
            .assert_stdout_has(PLAN)
            .assert_stdout_has("acct1/vhds/build-41.vhd")
            .assert_stdout_has("acct1/vhds/build-42.vhd");
        assert!(puts(&server).is_empty());
        assert_eq!(
            publishes(&server),
            0,
            "nothing is published after a refusal"
        );
        run.assert_no_secret(&[SAS, SAS_OTHER, SIG, "OtherSignature55"]);
    }
}

#[test]
fn a_412_reads_again_and_writes_with_the_new_etag() {
    for (path, map) in OFFERS {
        let server = simple_server();
        server.cpp_offer(
            offer(path),
            vec![OfferWrite::ChangedByAnother, OfferWrite::Store],
        );
        let run = ship(&server).run();
        run.assert_code(0);
        run.assert_output("draft-changed", "true");
        let puts = puts(&server);
        assert_eq!(puts.len(), 2, "{}", run.dump());
        assert_eq!(puts[0].header("if-match"), Some("\"etag-1\""));
        assert_eq!(puts[1].header("if-match"), Some("\"etag-2\""));
        assert_eq!(puts[1].json(), with_version(path, map, SAS));
        assert_eq!(reads(&server), 2);
        assert_eq!(publishes(&server), 1);
    }
}

#[test]
fn three_412s_end_in_error_and_nothing_is_published() {
    for (path, _) in OFFERS {
        let server = simple_server();
        server.cpp_offer(offer(path), vec![OfferWrite::ChangedByAnother]);
        let run = ship(&server).run();
        run.assert_code(1);
        run.assert_output("status", "error");
        run.assert_output("draft-changed", "false");
        run.assert_stdout_has("written 3 times");
        assert_eq!(puts(&server).len(), 3, "{}", run.dump());
        assert_eq!(publishes(&server), 0);
    }
}

#[test]
fn the_documented_internal_conflict_reads_again_and_applies_anew() {
    for (path, map) in OFFERS {
        let server = simple_server();
        server.cpp_offer(
            offer(path),
            vec![OfferWrite::Answer(internal_conflict()), OfferWrite::Store],
        );
        let run = ship(&server).run();
        run.assert_code(0);
        run.assert_output("draft-changed", "true");
        let puts = puts(&server);
        assert_eq!(puts.len(), 2, "{}", run.dump());
        // Never `*`: the second write carries the ETag of the second read.
        assert_eq!(puts[1].header("if-match"), Some("\"etag-1\""));
        assert_eq!(puts[1].json(), with_version(path, map, SAS));
        assert_eq!(reads(&server), 2);
        assert_eq!(publishes(&server), 1);
    }
}

#[test]
fn a_read_back_without_the_version_is_an_error_and_nothing_is_published() {
    for (path, _) in OFFERS {
        let server = simple_server();
        let unchanged = Reply::json(200, offer(path));
        server.cpp_offer(offer(path), vec![OfferWrite::Answer(unchanged)]);
        let run = ship(&server).run();
        run.assert_code(1);
        run.assert_output("status", "error");
        run.assert_stdout_has("does not show image version 2026.12.6");
        assert_eq!(puts(&server).len(), 1);
        assert_eq!(publishes(&server), 0, "{}", run.dump());
    }
}

#[test]
fn command_update_changes_the_draft_and_stops() {
    for (path, _) in OFFERS {
        let server = simple_server();
        server.cpp_offer(offer(path), vec![OfferWrite::Store]);
        let run = ship(&server).input("command", "update").run();
        run.assert_code(0);
        run.assert_output("status", "succeeded");
        run.assert_output("draft-changed", "true");
        assert_eq!(puts(&server).len(), 1);
        assert_eq!(publishes(&server), 0, "update does not publish");
        assert!(server.requests_to("GET", &operation_path()).is_empty());
    }
}

/// Inputs set on top of [`ship`]'s.
type Inputs<'a> = Vec<(&'a str, &'a str)>;

#[test]
fn bad_image_inputs_are_refused_before_any_request() {
    let two_lines_one_type = format!("x64Gen1={SAS}\nx64Gen1={SAS_OTHER}");
    // What a YAML folded block (`image-source: >`) makes of two lines: one, joined by a blank.
    let folded = format!("x64Gen1={SAS} x64Gen2={SAS_OTHER}");
    let cases: Vec<(Inputs, Vec<&str>)> = vec![
        (
            vec![("image-version", "1.0")],
            vec!["image-version", "X.Y.Z"],
        ),
        (
            vec![("image-version", "v1.0.0")],
            vec!["image-version", "X.Y.Z"],
        ),
        (
            vec![(
                "image-source",
                "http://acct1.blob.core.windows.net/vhds/a.vhd?sig=Abcdef123",
            )],
            vec!["image-source", "https://"],
        ),
        (
            vec![(
                "image-source",
                "https://acct1.blob.core.windows.net/vhds/a.vhd?sv=1",
            )],
            vec!["image-source", "sig="],
        ),
        (
            vec![("image-source", "not a source")],
            vec!["image-source", "gallery"],
        ),
        (
            vec![("image-source", &two_lines_one_type)],
            vec!["image-source", "already given on line 1"],
        ),
        (
            vec![("image-source", &folded)],
            vec!["image-source", "line 1", "blank"],
        ),
        (
            vec![("command", "go-live")],
            vec!["command: update", "command go-live"],
        ),
        (
            vec![("deprecate-image-versions", VERSION)],
            vec!["deprecate-image-versions", "being added"],
        ),
    ];
    for (inputs, expected) in cases {
        let server = FakeServer::start();
        let mut step = ship(&server);
        for (name, value) in &inputs {
            step = step.input(name, value);
        }
        let run = step.run();
        run.assert_code(2);
        run.assert_output("status", "invalid-input");
        for needle in &expected {
            run.assert_stdout_has(needle);
        }
        assert!(server.requests().is_empty(), "{inputs:?}: no request");
        run.assert_no_secret(&[SAS, SIG, "Abcdef123", "OtherSignature55"]);
    }
    let server = FakeServer::start();
    let run = ship(&server).without("INPUT_PLAN-ID").run();
    run.assert_code(2).assert_stdout_has("plan-id is missing");
    assert!(server.requests().is_empty());
}

#[test]
fn deprecating_on_cpp_is_refused_naming_the_ingestion_api() {
    let server = FakeServer::start();
    let run = ship(&server)
        .input("deprecate-image-versions", "2019.10.11")
        .run();
    run.assert_code(2);
    run.assert_stdout_has("deprecate-image-versions")
        .assert_stdout_has("api: ingestion");
    assert!(server.requests().is_empty());
}

#[test]
fn an_image_type_the_plan_does_not_use_is_bad_input_and_nothing_is_written() {
    let server = simple_server();
    server.cpp_offer(offer(VM), vec![OfferWrite::Store]);
    let run = ship(&server)
        .input("image-source", &format!("x64Gen2={SAS}"))
        .run();
    run.assert_code(2);
    run.assert_stdout_has("x64Gen2")
        .assert_stdout_has("x64Gen1");
    assert!(puts(&server).is_empty());
    assert_eq!(publishes(&server), 0);
}

/// The service echoes the SAS URI in its error, in every spelling: none reaches any output.
#[test]
fn a_sas_uri_is_masked_and_redacted_everywhere() {
    let decoded_sig = "Ship+Sig/Value=9";
    let query = "sv=2022-11-02&sr=b&sp=r&sig=Ship%2BSig%2FValue%3D9";
    let server = simple_server();
    let echoed = format!(
        "Invalid osVhdUrl {SAS} (query {query}; signature {decoded_sig}; encoded {}; json {})",
        SAS.replace('&', "%26"),
        serde_json::to_string(SAS).expect("json")
    );
    let refusal = Reply::json(
        400,
        json!({"error": {"code": "BadRequest", "message": echoed}}),
    );
    server.cpp_offer(offer(VM), vec![OfferWrite::Answer(refusal)]);
    let step = ship(&server).input("result-file", "result.json");
    let run = step.run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
    let secrets = [SAS, query, SIG, decoded_sig];
    run.assert_no_secret(&secrets);
    assert!(
        // The mask command's data is percent-escaped as the runner unescapes it.
        run.stdout
            .lines()
            .any(|line| line == format!("::add-mask::{}", SAS.replace('%', "%25"))),
        "the SAS URI is masked\n{}",
        run.dump()
    );
    let result = std::fs::read_to_string(step.dir().join("result.json")).expect("result file");
    assert_no_secret_in("result file", &result, &secrets, &run.dump());
    assert!(result.contains("Invalid osVhdUrl ***"), "{result}");
    assert_eq!(publishes(&server), 0);
}

/// The core VM type with its Gen2 copy under `diskGenerations` (azure-img-utils' test offer):
/// one line per image type, each written where that generation keeps its versions.
#[test]
fn a_plan_with_a_gen2_copy_takes_one_source_per_generation() {
    const GEN2: &str = "draft-update/cpp-offer-corevm-diskgenerations.azure-img-utils-test.json";
    const GEN2_MAP: &str =
        "/definition/plans/0/diskGenerations/0/microsoft-azure-corevm.vmImagesPublicAzure";
    let server = simple_server();
    server.cpp_offer(offer(GEN2), vec![OfferWrite::Store]);
    let run = ship(&server)
        .input("plan-id", "gen1")
        .input(
            "image-source",
            &format!("x64Gen1={SAS}\nx64Gen2={SAS_OTHER}"),
        )
        .run();
    run.assert_code(0);
    run.assert_output("draft-changed", "true");
    let mut expected = offer(GEN2);
    for (map, sas) in [(CORE_MAP, SAS), (GEN2_MAP, SAS_OTHER)] {
        expected
            .pointer_mut(map)
            .and_then(Value::as_object_mut)
            .expect("a version map")
            .insert(VERSION.to_owned(), entry(CORE_MAP, sas));
    }
    let puts = puts(&server);
    assert_eq!(puts.len(), 1, "{}", run.dump());
    assert_eq!(puts[0].json(), expected);
    assert_eq!(publishes(&server), 1);
    run.assert_no_secret(&[SAS, SAS_OTHER, SIG, "OtherSignature55"]);
}

/// An offer with this many versions in the plan, each `{"osVhdUrl": ...}` (no signature).
fn large_offer(versions: usize) -> Value {
    let mut document = offer(VM);
    let map = document
        .pointer_mut(VM_MAP)
        .and_then(Value::as_object_mut)
        .expect("the plan's version map");
    for n in 0..versions {
        map.insert(
            format!("1.0.{n}"),
            json!({"osVhdUrl": format!("https://acct1.blob.core.windows.net/vhds/daily-build-number-{n:08}-of-the-long-running-image-series.vhd")}),
        );
    }
    document
}

/// Past the 8 MiB cap of status answers and within the 16 MiB of a document: read whole, every
/// version sent back. Past 16 MiB: refused, nothing written, nothing published.
#[test]
fn a_large_offer_is_read_whole_and_one_past_the_cap_is_refused_not_cut() {
    let server = simple_server();
    let large = large_offer(80_000);
    let size = serde_json::to_vec(&large).expect("serialises").len();
    assert!(size > 9 * 1024 * 1024 && size < 16 * 1024 * 1024, "{size}");
    server.cpp_offer(large.clone(), vec![OfferWrite::Store]);
    let run = ship(&server).input("command", "update").run();
    run.assert_code(0);
    let written = puts(&server);
    assert_eq!(written.len(), 1, "{}", run.dump());
    let mut expected = large;
    expected
        .pointer_mut(VM_MAP)
        .and_then(Value::as_object_mut)
        .expect("the map")
        .insert(VERSION.to_owned(), entry(VM_MAP, SAS));
    assert!(written[0].json() == expected, "every version is sent back");

    let server = simple_server();
    let too_large = large_offer(140_000);
    assert!(serde_json::to_vec(&too_large).expect("serialises").len() > 16 * 1024 * 1024);
    server.cpp_offer(too_large, vec![OfferWrite::Store]);
    let run = ship(&server).run();
    run.assert_code(1);
    run.assert_output("status", "error");
    run.assert_stdout_has("larger than 16 MiB");
    assert!(puts(&server).is_empty());
    assert_eq!(publishes(&server), 0);
}

/// Azure Pipelines and GitLab: the SAS URI is masked the way each runner is told
/// (`##vso[task.setsecret]`; GitLab has no mask command, so redaction alone), and no spelling
/// of it reaches the log or the outputs.
#[test]
fn a_sas_uri_is_masked_on_azure_pipelines_and_redacted_on_gitlab() {
    let secrets = [SAS, SIG, "Ship+Sig/Value=9"];
    for (variable, mask) in [
        ("TF_BUILD", Some("##vso[task.setsecret]")),
        ("GITLAB_CI", None),
    ] {
        let server = simple_server();
        let echoed = format!("Invalid osVhdUrl {SAS}");
        let refusal = Reply::json(
            400,
            json!({"error": {"code": "BadRequest", "message": echoed}}),
        );
        server.cpp_offer(offer(VM), vec![OfferWrite::Answer(refusal)]);
        let step = step()
            .against(&server)
            .env(
                variable,
                if variable == "TF_BUILD" {
                    "True"
                } else {
                    "true"
                },
            )
            .input("plan-id", PLAN)
            .input("image-version", VERSION)
            .input("image-source", SAS);
        let run = step.run();
        run.assert_code(1);
        if let Some(mask) = mask {
            assert!(
                run.stdout
                    .lines()
                    .any(|line| line.starts_with(mask) && line.contains("build-42.vhd")),
                "{variable}: the SAS URI is masked\n{}",
                run.dump()
            );
        }
        let log: Vec<&str> = run
            .stdout
            .lines()
            .filter(|line| !line.starts_with("##vso[task.setsecret]"))
            .collect();
        assert_no_secret_in(variable, &log.join("\n"), &secrets, &run.dump());
        assert_no_secret_in(variable, &run.stderr, &secrets, &run.dump());
        run.assert_stdout_has("Invalid osVhdUrl ***");
    }
}

/// The lead destinations of a CPP offer hold credentials (a storage connection string, a
/// Marketo client secret, an endpoint URL with its key): the offer is read to be changed, and a
/// service message quoting them must not put them into any output.
#[test]
fn lead_credentials_in_the_offer_read_stay_out_of_every_output() {
    const ACCOUNT_KEY: &str = "LeadAccountKey0123456789abcdefQ==";
    const CONNECTION: &str = "DefaultEndpointsProtocol=https;AccountName=leads1;AccountKey=LeadAccountKey0123456789abcdefQ==;EndpointSuffix=core.windows.net";
    const CLIENT_SECRET: &str = "MarketoClientSecret-4242";
    const ENDPOINT: &str = "https://leads.example.com/hook?code=EndpointCode-77";
    let mut document = offer(CORE);
    let details = document
        .pointer_mut("/definition/offer")
        .and_then(Value::as_object_mut)
        .expect("the offer's fields");
    details.insert(
        "microsoft-azure-corevm.tableLeadConfiguration".to_owned(),
        json!({"storageAccountConnectionString": CONNECTION, "contactEmail": "a@example.com"}),
    );
    details.insert(
        "microsoft-azure-corevm.marketoLeadConfiguration".to_owned(),
        json!({"clientId": "marketo-client", "clientSecret": CLIENT_SECRET}),
    );
    details.insert(
        "microsoft-azure-corevm.httpsEndpointLeadConfiguration".to_owned(),
        json!({"httpsEndpointUrl": ENDPOINT}),
    );
    let echoed = format!(
        "Invalid lead destination: {CONNECTION} / secret {CLIENT_SECRET} / {ENDPOINT} / json {}",
        serde_json::to_string(CONNECTION).expect("json")
    );
    let refusal = Reply::json(
        400,
        json!({"error": {"code": "BadRequest", "message": echoed}}),
    );
    let server = simple_server();
    server.cpp_offer(document.clone(), vec![OfferWrite::Answer(refusal)]);
    let step = ship(&server).input("result-file", "result.json");
    let run = step.run();
    run.assert_code(1);
    let secrets = [ACCOUNT_KEY, CLIENT_SECRET, "EndpointCode-77"];
    run.assert_no_secret(&secrets);
    let result = std::fs::read_to_string(step.dir().join("result.json")).expect("result file");
    assert_no_secret_in("result file", &result, &secrets, &run.dump());
    // Sent back exactly as read: redaction is for output only.
    let puts = puts(&server);
    assert_eq!(puts.len(), 1, "{}", run.dump());
    assert_eq!(
        puts[0].json().pointer("/definition/offer"),
        document.pointer("/definition/offer")
    );
    assert_eq!(publishes(&server), 0);
}

/// With `api: auto` the API is known only once the probe has run; what CPP can never take is
/// refused then, before the offer (and the secrets it holds) is read.
#[test]
fn with_api_auto_what_cpp_cannot_take_is_refused_before_the_offer_is_read() {
    let gallery = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0";
    for (name, value) in [
        ("deprecate-image-versions", "2019.10.11"),
        ("image-source", gallery),
    ] {
        let server = simple_server();
        server.cpp_offer(offer(VM), vec![OfferWrite::Store]);
        let graph = FakeServer::start();
        graph.route(
            "GET",
            &ingestion::ingestion_path("product"),
            vec![Reply::json(200, json!({"value": []}))],
        );
        let run = ship(&server)
            .input("api", "auto")
            .input(
                "ingestion-url",
                &format!("{}/rp/product-ingestion", graph.url()),
            )
            .input(name, value)
            .input("gallery-tenant-id", "00000000-0000-0000-0000-000000000001")
            .run();
        run.assert_code(2).assert_stdout_has("api: ingestion");
        run.assert_output("status", "invalid-input");
        assert_eq!(reads(&server), 0, "{name}: {}", run.dump());
        assert!(puts(&server).is_empty());
    }
}
