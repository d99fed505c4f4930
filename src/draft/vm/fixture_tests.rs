//! The changes on the real bodies of tests/fixtures/draft-update (sources in its SOURCES.md),
//! one test per behaviour, and the property that unknown fields anywhere survive.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::inputs::{DeprecationSchedule, ImageVersion, parse_image_sources};
use super::{ImageRequest, Refusal, cpp, ingestion};
use crate::draft::Change;
use crate::draft::document::{DOCUMENT_CAP, read_whole};
use crate::draft::schema::SchemaVersions;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/draft-update/", $name))
    };
}

const CPP_VM: &str = fixture!("cpp-offer-virtualmachines.devigned-pub.json");
const CPP_CORE: &str = fixture!("cpp-offer-corevm.devigned-pub.json");
const CPP_CORE_GEN2: &str = fixture!("cpp-offer-corevm-diskgenerations.azure-img-utils-test.json");
const CPP_DOCS_PUT: &str = fixture!("cpp-put-offer-request.ms-docs.json");
const TECH: &str = fixture!("ingestion-vm-technical-configuration.cloudpub.json");
const TREE: &str = fixture!("ingestion-resource-tree-vm.cloudpub.json");
const TREE_UNMODELED: &str = fixture!("ingestion-resource-tree-unmodeled-field.ms-go-test.json");
const CONFIGURE_EXPECTED: &str =
    fixture!("ingestion-configure-add-sas-image.cloudpub-derived.json");
const GALLERY_ENTRY: &str = fixture!("ingestion-vmimageversion-gallery-source.schema-derived.json");

const SAS_A: &str = "https://acct1.blob.core.windows.net/vhds/image-a.vhd?sv=2022-11-02&sr=b&sp=r&sig=FixtureSigA%2B1%3D";
const SAS_A_RENEWED: &str = "https://acct1.blob.core.windows.net/vhds/image-a.vhd?sv=2024-01-01&sr=b&sp=r&sig=FixtureSigRenewed2";
const SAS_B: &str =
    "https://acct1.blob.core.windows.net/vhds/image-b.vhd?sv=2022-11-02&sr=b&sp=r&sig=FixtureSigB3";
const GALLERY: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/galleries/gal/images/img/versions/2.1.0";
const TENANT: &str = "22222222-2222-2222-2222-222222222222";

fn parse(text: &str) -> Value {
    read_whole("fixture", text.as_bytes(), DOCUMENT_CAP).expect("a fixture is a JSON object")
}

fn request(plan: &str, version: &str, sources: &str) -> ImageRequest {
    ImageRequest {
        plan_id: plan.to_owned(),
        version: ImageVersion::parse(version).expect("a version"),
        sources: parse_image_sources(sources).expect("valid sources"),
        deprecate: Vec::new(),
        deprecation_schedule: None,
        gallery_tenant_id: Some(TENANT.to_owned()),
    }
}

fn changed(change: Result<Change, Refusal>) -> Value {
    match change {
        Ok(Change::Changed(document)) => document,
        other => panic!("expected a change, got {other:?}"),
    }
}

/// The document with `key` taken out of the object at `pointer`: what it was before the change.
fn without(mut document: Value, pointer: &str, key: &str) -> Value {
    let holder = document.pointer_mut(pointer).and_then(Value::as_object_mut);
    holder.expect("the pointer names an object").remove(key);
    document
}

const VM_PLAN: &str = "/definition/plans/0/microsoft-azure-virtualmachines.vmImages";
const CORE_PLAN: &str = "/definition/plans/0/microsoft-azure-corevm.vmImagesPublicAzure";
const CORE_GEN2: &str =
    "/definition/plans/0/diskGenerations/0/microsoft-azure-corevm.vmImagesPublicAzure";

#[test]
fn cpp_virtualmachines_gets_the_version_and_nothing_else_changes() {
    let offer = parse(CPP_VM);
    let new = changed(cpp::apply(
        &offer,
        &request("planId_one", "2026.1.1", SAS_A),
    ));
    assert_eq!(
        new.pointer(&format!("{VM_PLAN}/2026.1.1")),
        Some(&json!({"osVhdUrl": SAS_A, "lunVhdDetails": []}))
    );
    assert_eq!(without(new.clone(), VM_PLAN, "2026.1.1"), offer);
    assert_eq!(
        cpp::verify(&new, &request("planId_one", "2026.1.1", SAS_A)),
        Ok(())
    );
    assert!(cpp::verify(&offer, &request("planId_one", "2026.1.1", SAS_A)).is_err());
}

#[test]
fn cpp_a_rerun_even_with_a_new_signature_changes_nothing() {
    let new = changed(cpp::apply(
        &parse(CPP_VM),
        &request("planId_one", "2026.1.1", SAS_A),
    ));
    for again in [SAS_A, SAS_A_RENEWED, &format!("x64Gen1={SAS_A}")] {
        let result = cpp::apply(&new, &request("planId_one", "2026.1.1", again));
        assert_eq!(result, Ok(Change::AlreadyPresent));
    }
    assert_eq!(
        cpp::verify(&new, &request("planId_one", "2026.1.1", SAS_A_RENEWED)),
        Ok(())
    );
}

#[test]
fn cpp_the_same_version_from_another_blob_is_a_conflict_naming_both_safely() {
    let new = changed(cpp::apply(
        &parse(CPP_VM),
        &request("planId_one", "2026.1.1", SAS_A),
    ));
    let refusal =
        cpp::apply(&new, &request("planId_one", "2026.1.1", SAS_B)).expect_err("conflict");
    assert_eq!(
        refusal,
        Refusal::Conflict {
            version: "2026.1.1".to_owned(),
            plan: "planId_one".to_owned(),
            image_type: "x64Gen1".to_owned(),
            draft: "acct1/vhds/image-a.vhd".to_owned(),
            input: "acct1/vhds/image-b.vhd".to_owned(),
        }
    );
    assert!(!refusal.is_bad_input());
    assert!(!refusal.to_string().contains("sig"), "{refusal}");
    // A version whose source is not a URI at all (devigned's "osVhdUrl_one") is not the same.
    let existing =
        cpp::apply(&new, &request("planId_one", "2018.1.1", SAS_A)).expect_err("conflict");
    assert!(
        existing.to_string().contains("does not recognise"),
        "{existing}"
    );
}

#[test]
fn cpp_refuses_what_it_cannot_do_before_changing_anything() {
    let offer = parse(CPP_VM);
    let missing = cpp::apply(&offer, &request("nope", "1.0.0", SAS_A));
    assert_eq!(
        missing,
        Err(Refusal::PlanNotFound {
            plan: "nope".to_owned()
        })
    );
    let gen2 = cpp::apply(
        &offer,
        &request("planId_one", "1.0.0", &format!("x64Gen2={SAS_A}")),
    );
    assert!(
        matches!(&gen2, Err(r @ Refusal::UnknownImageType { plan_uses, .. }) if r.is_bad_input() && plan_uses == &["x64Gen1"]),
        "{gen2:?}"
    );
    let gallery = cpp::apply(&offer, &request("planId_one", "1.0.0", GALLERY));
    assert!(matches!(&gallery, Err(Refusal::NotSupported(why)) if why.contains("api: ingestion")));
    let mut deprecating = request("planId_one", "1.0.0", SAS_A);
    deprecating.deprecate = vec![ImageVersion::parse("2018.1.1").expect("version")];
    let refusal = cpp::apply(&offer, &deprecating).expect_err("refused");
    assert!(
        refusal.is_bad_input() && refusal.to_string().contains("ingestion API"),
        "{refusal}"
    );
}

#[test]
fn cpp_docs_example_keeps_its_logo_sas_urls_and_compares_by_blob_path() {
    let offer = parse(CPP_DOCS_PUT);
    // Its 1.0.1 is the same blob as this SAS (the docs' http:// URL; scheme and signature aside).
    let same = "https://contosoteststorage.blob.core.windows.net/test/contosoVM.vhd?sv=2020&sig=NewSignature77";
    let result = cpp::apply(&offer, &request("contososkuidentifier", "1.0.1", same));
    assert_eq!(result, Ok(Change::AlreadyPresent));
    let new = changed(cpp::apply(
        &offer,
        &request("contososkuidentifier", "1.0.2", same),
    ));
    assert_eq!(without(new, VM_PLAN, "1.0.2"), offer);
    // The logos' signatures were registered when the document was read.
    assert_eq!(
        crate::secret::redact("RfDvjowFGpP4WZGAHylbF2CuXwO2NXOrwycrXEJvJI4%3D"),
        "***"
    );
}

#[test]
fn cpp_corevm_writes_the_plans_own_generation_shown() {
    let offer = parse(CPP_CORE);
    let new = changed(cpp::apply(
        &offer,
        &request("planId_one", "2026.1.1", SAS_A),
    ));
    assert_eq!(
        new.pointer(&format!("{CORE_PLAN}/2026.1.1")),
        Some(&json!({"osVhdUrl": SAS_A, "lunVhdDetails": [], "showInGui": true}))
    );
    assert_eq!(without(new, CORE_PLAN, "2026.1.1"), offer);
    let gen2 = cpp::apply(
        &offer,
        &request("planId_one", "2026.1.1", &format!("x64Gen2={SAS_A}")),
    );
    assert!(
        matches!(gen2, Err(Refusal::UnknownImageType { .. })),
        "{gen2:?}"
    );
}

#[test]
fn cpp_corevm_gen2_goes_into_disk_generations() {
    let offer = parse(CPP_CORE_GEN2);
    let untyped = cpp::apply(&offer, &request("gen1", "2026.1.1", SAS_A));
    assert!(
        matches!(&untyped, Err(Refusal::ImageTypeRequired { plan_uses, .. }) if plan_uses == &["x64Gen1", "x64Gen2"])
    );
    let both = request(
        "gen1",
        "2026.1.1",
        &format!("x64Gen2={SAS_B}\nx64Gen1={SAS_A}"),
    );
    let new = changed(cpp::apply(&offer, &both));
    assert_eq!(
        new.pointer(&format!("{CORE_PLAN}/2026.1.1/osVhdUrl")),
        Some(&json!(SAS_A))
    );
    assert_eq!(
        new.pointer(&format!("{CORE_GEN2}/2026.1.1/osVhdUrl")),
        Some(&json!(SAS_B))
    );
    let back = without(
        without(new.clone(), CORE_PLAN, "2026.1.1"),
        CORE_GEN2,
        "2026.1.1",
    );
    assert_eq!(back, offer);
    assert_eq!(cpp::verify(&new, &both), Ok(()));
    // 2021.11.11 has no Gen2 copy: adding one to a version already written is refused.
    let late = cpp::apply(
        &offer,
        &request("gen1", "2021.11.11", &format!("x64Gen2={SAS_B}")),
    );
    assert!(
        matches!(&late, Err(Refusal::Conflict { draft, .. }) if draft == "no image of this type"),
        "{late:?}"
    );
}

#[test]
fn ingestion_matches_cloudpubs_expected_configure_body() {
    let tech = parse(TECH);
    let sas = "https://foo.com/bar/image.vhd?sv=1&sig=CloudpubSig55";
    let new = changed(ingestion::apply(
        &tech,
        &request("plan-1", "2.1.0", &format!("x64Gen2={sas}")),
    ));
    let versions = SchemaVersions {
        configure: "2022-07-01".to_owned(),
    };
    let mut body = ingestion::configure_body(new, &versions);
    // cloudpub's test writes the URI without a query; everything else is as it expects.
    let uri = "/resources/0/vmImageVersions/1/vmImages/0/source/osDisk/uri";
    assert_eq!(body.pointer(uri), Some(&json!(sas)));
    *body.pointer_mut(uri).expect("the uri") = json!("https://foo.com/bar/image.vhd");
    assert_eq!(body, parse(CONFIGURE_EXPECTED));
}

#[test]
fn ingestion_reruns_conflicts_and_retired_versions() {
    let tech = parse(TECH);
    let adding = request("plan-1", "2.1.0", &format!("x64Gen2={SAS_A}"));
    let new = changed(ingestion::apply(&tech, &adding));
    assert_eq!(ingestion::verify(&new, &adding), Ok(()));
    assert!(ingestion::verify(&tech, &adding).is_err());
    let renewed = request("plan-1", "2.1.0", &format!("x64gen2={SAS_A_RENEWED}"));
    assert_eq!(ingestion::apply(&new, &renewed), Ok(Change::AlreadyPresent));
    let other = ingestion::apply(
        &new,
        &request("plan-1", "2.1.0", &format!("x64Gen2={SAS_B}")),
    );
    assert!(matches!(&other, Err(Refusal::Conflict { image_type, .. }) if image_type == "x64Gen2"));
    let mut retired = new;
    retired["vmImageVersions"][1]["lifecycleState"] = json!("deprecated");
    let refusal = ingestion::apply(&retired, &adding).expect_err("retired");
    assert!(matches!(&refusal, Refusal::Retired { state, .. } if state == "deprecated"));
}

#[test]
fn ingestion_deprecates_with_the_schedule_given_and_only_once() {
    let tech = parse(TECH);
    let mut adding = request("plan-1", "2.1.0", &format!("x64Gen1={SAS_A}"));
    adding.deprecate = vec![ImageVersion::parse("2.0.0").expect("version")];
    adding.deprecation_schedule = Some(DeprecationSchedule {
        reason: Some("endOfSupport".to_owned()),
        date_offset: Some("P90D".to_owned()),
    });
    let new = changed(ingestion::apply(&tech, &adding));
    let old = &new["vmImageVersions"][0];
    assert_eq!(old["lifecycleState"], "deprecated");
    assert_eq!(
        old["deprecationSchedule"],
        json!({"reason": "endOfSupport", "dateOffset": "P90D"})
    );
    assert_eq!(old["vmImages"], tech["vmImageVersions"][0]["vmImages"]);
    assert_eq!(ingestion::apply(&new, &adding), Ok(Change::AlreadyPresent));
    adding.deprecate = vec![ImageVersion::parse("9.9.9").expect("version")];
    let refusal = ingestion::apply(&tech, &adding).expect_err("unknown version");
    assert!(
        refusal.is_bad_input() && refusal.to_string().contains("9.9.9"),
        "{refusal}"
    );
}

#[test]
fn ingestion_image_types_come_from_the_plans_skus() {
    let tech = parse(TECH);
    let untyped = ingestion::apply(&tech, &request("plan-1", "2.1.0", SAS_A));
    assert!(matches!(untyped, Err(Refusal::ImageTypeRequired { .. })));
    let arm = ingestion::apply(
        &tech,
        &request("plan-1", "2.1.0", &format!("arm64Gen2={SAS_A}")),
    );
    let refusal = arm.expect_err("not used by the plan");
    assert_eq!(
        refusal.to_string(),
        "image-source line 1: plan 'plan-1' has no image type arm64Gen2; it uses x64Gen2, x64Gen1"
    );
    // Both types: written in the order of the plan's skus.
    let both = request(
        "plan-1",
        "2.1.0",
        &format!("x64Gen1={SAS_A}\nx64Gen2={SAS_B}"),
    );
    let new = changed(ingestion::apply(&tech, &both));
    let types: Vec<&Value> = new["vmImageVersions"][1]["vmImages"]
        .as_array()
        .expect("images")
        .iter()
        .map(|image| &image["imageType"])
        .collect();
    assert_eq!(types, [&json!("x64Gen2"), &json!("x64Gen1")]);
}

#[test]
fn ingestion_gallery_source_has_the_schemas_shape() {
    let tech = parse(TECH);
    let new = changed(ingestion::apply(
        &tech,
        &request("plan-1", "2.1.0", &format!("x64Gen2={GALLERY}")),
    ));
    let mut expected = parse(GALLERY_ENTRY);
    expected["versionNumber"] = json!("2.1.0");
    expected["vmImages"][0]["source"]["sharedImage"] =
        json!({"tenantId": TENANT, "resourceId": GALLERY});
    assert_eq!(new["vmImageVersions"][1], expected);
    let upper = request(
        "plan-1",
        "2.1.0",
        &format!("x64Gen2={}", GALLERY.to_uppercase()),
    );
    assert_eq!(ingestion::apply(&new, &upper), Ok(Change::AlreadyPresent));
}

#[test]
fn the_resource_tree_yields_the_plans_technical_configuration() {
    let tree = parse(TREE);
    let tech = ingestion::technical_configuration_in_tree(&tree, "plan-1").expect("found");
    assert_eq!(tech, &parse(TECH));
    let missing = ingestion::technical_configuration_in_tree(&tree, "plan-2");
    assert_eq!(
        missing,
        Err(Refusal::PlanNotFound {
            plan: "plan-2".to_owned()
        })
    );
    let list = json!({"value": [{"id": "plan/p/x", "identity": {"externalId": "other"}}, {"id": "plan/p/g", "identity": {"externalId": "plan-1"}}]});
    assert_eq!(ingestion::plan_id_in_list(&list, "plan-1"), Ok("plan/p/g"));
    assert!(ingestion::plan_id_in_list(&list, "plan-9").is_err());
}

#[test]
fn unmodeled_fields_and_the_schema_version_survive() {
    let tree = parse(TREE_UNMODELED);
    let tech = ingestion::technical_configuration_in_tree(&tree, "aro_422-v2").expect("found");
    let new = changed(ingestion::apply(
        tech,
        &request("aro_422-v2", "422.99.20260201", SAS_A),
    ));
    assert_eq!(new["unmodeledField"], json!({"must": "survive"}));
    assert_eq!(new["skus"][0]["securityType"], json!(["trusted"]));
    assert_eq!(new["$schema"], tech["$schema"]);
    let mut back = new;
    back["vmImageVersions"].as_array_mut().expect("list").pop();
    assert_eq!(&back, tech);
}

#[test]
fn a_retired_schema_host_is_moved_to_the_current_one_keeping_the_version() {
    let mut tech = parse(TECH);
    tech["$schema"] = json!(
        "https://product-ingestion.azureedge.net/schema/virtual-machine-plan-technical-configuration/2022-03-01-preview3"
    );
    let new = changed(ingestion::apply(
        &tech,
        &request("plan-1", "2.1.0", &format!("x64Gen2={SAS_A}")),
    ));
    assert_eq!(
        new["$schema"],
        "https://schema.mp.microsoft.com/schema/virtual-machine-plan-technical-configuration/2022-03-01-preview3"
    );
}

/// Arbitrary JSON, as a service might add in a field this program does not know.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Every object's JSON pointer in a document.
fn object_pointers(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            found.push(at.to_owned());
            for (key, member) in members {
                let key = key.replace('~', "~0").replace('/', "~1");
                object_pointers(member, &format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                object_pointers(item, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// The document with unknown fields added at the chosen objects, sent as text and read back.
fn with_unknown_fields(text: &str, additions: &[(usize, String, Value)]) -> Value {
    let mut document = parse(text);
    let mut pointers = Vec::new();
    object_pointers(&document, "", &mut pointers);
    for (choice, key, value) in additions {
        let pointer = &pointers[choice % pointers.len()];
        if let Some(Value::Object(members)) = document.pointer_mut(pointer) {
            members.insert(format!("x-unknown-{key}"), value.clone());
        }
    }
    let sent = serde_json::to_vec(&document).expect("serialises");
    let read = read_whole("offer", &sent, DOCUMENT_CAP).expect("reads back");
    assert_eq!(read, document, "the document reads back as written");
    read
}

/// The changed document as the service would receive it.
fn over_the_wire(document: &Value) -> Value {
    let sent = serde_json::to_vec(document).expect("serialises");
    read_whole("request", &sent, DOCUMENT_CAP).expect("reads back")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn unknown_fields_anywhere_survive_the_change(
        additions in prop::collection::vec((any::<usize>(), "[a-z]{1,6}", any_json()), 1..6),
    ) {
        let tech = with_unknown_fields(TECH, &additions);
        let adding = request("plan-1", "2.1.0", &format!("x64Gen2={SAS_A}"));
        let mut sent = over_the_wire(&changed(ingestion::apply(&tech, &adding)));
        prop_assert_eq!(sent["vmImageVersions"].as_array_mut().and_then(Vec::pop).is_some(), true);
        prop_assert_eq!(&sent, &tech);

        let offer = with_unknown_fields(CPP_CORE_GEN2, &additions);
        let both = request("gen1", "2026.1.1", &format!("x64Gen2={SAS_B}\nx64Gen1={SAS_A}"));
        let sent = over_the_wire(&changed(cpp::apply(&offer, &both)));
        let back = without(without(sent, CORE_PLAN, "2026.1.1"), CORE_GEN2, "2026.1.1");
        prop_assert_eq!(&back, &offer);
    }
}

const SCHEMA: &str =
    fixture!("schema-virtual-machine-plan-technical-configuration-2022-03-01-preview2.json");

#[test]
fn the_version_rule_and_the_schedule_fields_are_the_schemas() {
    let schema = parse(SCHEMA);
    let version = &schema["$defs"]["vmImageVersion"]["properties"];
    assert_eq!(
        version["versionNumber"]["pattern"],
        r"^[0-9]+\.[0-9]+\.[0-9]+$"
    );
    assert_eq!(version["versionNumber"]["maxLength"], 32);
    assert!(ImageVersion::parse(&format!("1.0.{}", "1".repeat(28))).is_some());
    assert!(ImageVersion::parse(&format!("1.0.{}", "1".repeat(29))).is_none());
    let states = json!(["generallyAvailable", "deprecated", "deleted"]);
    assert_eq!(version["lifecycleState"]["enum"], states);
    let schedule = &schema["$defs"]["https://product-ingestion.azureedge.net/schema/deprecation-schedule/2022-03-01-preview2"]
        ["properties"];
    assert_eq!(
        schedule["reason"]["enum"],
        json!(super::inputs::DEPRECATION_REASONS)
    );
    assert_eq!(schedule["dateOffset"]["format"], "duration");
    assert_eq!(schedule["date"]["readOnly"], true);
}
