//! The change on a product ingestion `virtual-machine-plan-technical-configuration` resource:
//! one more entry in `vmImageVersions` (`versionNumber`, `vmImages` per image type,
//! `lifecycleState`), and `lifecycleState: deprecated` with the schema's `deprecationSchedule`
//! for the versions to deprecate. Entries already there are never changed otherwise and never
//! removed (the service refuses to delete a published image: "Cannot delete image ... as it is
//! already published", microsoft-partner-center-github-action issue 10).

use serde_json::{Map, Value, json};

use super::inputs::{DeprecationSchedule, ImageType};
use super::source::{BlobPath, FoundSource, ImageSource};
use super::{ImageRequest, NotVerified, Refusal, assign, compare_existing, verify_found};
use crate::draft::Change;
use crate::draft::schema::{self, SchemaVersions};

/// The `$schema` path of a technical configuration resource and of a plan resource.
const TECH_CONFIG: &str = "virtual-machine-plan-technical-configuration";
const PLAN: &str = "plan";

/// The schema's `deprecationSchedule` object for what the inputs give; `None` when nothing is.
fn schedule_value(schedule: &DeprecationSchedule) -> Option<Value> {
    let mut value = Map::new();
    if let Some(reason) = &schedule.reason {
        value.insert("reason".to_owned(), Value::String(reason.clone()));
    }
    if let Some(offset) = &schedule.date_offset {
        value.insert("dateOffset".to_owned(), Value::String(offset.clone()));
    }
    (!value.is_empty()).then_some(Value::Object(value))
}

/// Whether a resource's `$schema` is of this type (any host, any version).
fn is_schema(resource: &Value, name: &str) -> bool {
    resource
        .get("$schema")
        .and_then(Value::as_str)
        .and_then(schema::type_name)
        .is_some_and(|found| found == name)
}

/// The last segment of a durable id (`plan/<product>/<plan>` or `plan/<plan>`): cloudpub's tree
/// shows the technical configuration's `plan` as `plan/<plan>` while the plan's own id is
/// `plan/<product>/<plan>`, so the two are matched by the plan's GUID.
fn last_segment(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// In a `GET resource-tree/product/{guid}?targetType=draft` answer: the plan whose
/// `identity.externalId` is the plan id, then the technical configuration whose `plan` is it.
pub fn technical_configuration_in_tree<'t>(
    tree: &'t Value,
    plan_id: &str,
) -> Result<&'t Value, Refusal> {
    let resources = tree
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| Refusal::Shape("the resource tree has no resources list".to_owned()))?;
    let plan = resources
        .iter()
        .filter(|resource| is_schema(resource, PLAN))
        .find(|resource| {
            resource
                .pointer("/identity/externalId")
                .and_then(Value::as_str)
                == Some(plan_id)
        })
        .ok_or_else(|| Refusal::PlanNotFound {
            plan: plan_id.to_owned(),
        })?;
    let plan_guid = plan
        .get("id")
        .and_then(Value::as_str)
        .map(last_segment)
        .ok_or_else(|| Refusal::Shape("the plan has no id".to_owned()))?;
    resources
        .iter()
        .filter(|resource| is_schema(resource, TECH_CONFIG))
        .find(|resource| match resource.get("plan") {
            Some(Value::String(id)) => last_segment(id) == plan_guid,
            Some(reference) => reference.get("externalId").and_then(Value::as_str) == Some(plan_id),
            None => false,
        })
        .ok_or_else(|| {
            Refusal::Shape(format!(
                "plan '{plan_id}' has no {TECH_CONFIG} resource (is it a VM plan?)"
            ))
        })
}

/// In a `GET plan?product=product/{guid}&externalId={plan}` answer (`{"value": [...]}`): the
/// plan's durable id, checking `identity.externalId` rather than trusting the filter.
pub fn plan_id_in_list<'t>(list: &'t Value, plan_id: &str) -> Result<&'t str, Refusal> {
    list.get("value")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|plan| plan.pointer("/identity/externalId").and_then(Value::as_str) == Some(plan_id))
        .and_then(|plan| plan.get("id").and_then(Value::as_str))
        .ok_or_else(|| Refusal::PlanNotFound {
            plan: plan_id.to_owned(),
        })
}

fn plan_types(tech: &Value) -> Result<Vec<ImageType>, Refusal> {
    let types: Vec<ImageType> = tech
        .get("skus")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|sku| sku.get("imageType").and_then(Value::as_str))
        .map(ImageType::new)
        .collect();
    match types.is_empty() {
        true => Err(Refusal::Shape(
            "the technical configuration lists no skus with an imageType".to_owned(),
        )),
        false => Ok(types),
    }
}

fn versions(tech: &Value) -> Result<&[Value], Refusal> {
    match tech.get("vmImageVersions") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(versions)) => Ok(versions),
        Some(_) => Err(Refusal::Shape("vmImageVersions is not a list".to_owned())),
    }
}

fn version_number(entry: &Value) -> Option<&str> {
    entry.get("versionNumber").and_then(Value::as_str)
}

/// What an entry's `vmImages` show, per image type.
fn found_sources(entry: &Value) -> Vec<(ImageType, FoundSource)> {
    let images = entry.get("vmImages").and_then(Value::as_array);
    images
        .into_iter()
        .flatten()
        .filter_map(|image| {
            let image_type = image.get("imageType").and_then(Value::as_str)?;
            Some((
                ImageType::new(image_type),
                found_source(image.get("source")),
            ))
        })
        .collect()
}

fn found_source(source: Option<&Value>) -> FoundSource {
    let Some(source) = source else {
        return FoundSource::Other;
    };
    let has_data_disks = source
        .get("dataDisks")
        .and_then(Value::as_array)
        .is_some_and(|disks| !disks.is_empty());
    match source.get("sourceType").and_then(Value::as_str) {
        // This program writes no data disks: a version with some is not the one it would write.
        Some("sasUri") if !has_data_disks => source
            .pointer("/osDisk/uri")
            .and_then(Value::as_str)
            .and_then(BlobPath::of)
            .map_or(FoundSource::Other, FoundSource::Blob),
        Some("sharedImageGallery") => source
            .pointer("/sharedImage/resourceId")
            .and_then(Value::as_str)
            .map_or(FoundSource::Other, |id| FoundSource::Gallery(id.to_owned())),
        _ => FoundSource::Other,
    }
}

fn image_entry(image_type: &ImageType, source: &ImageSource, tenant: Option<&str>) -> Value {
    let source = match source {
        ImageSource::Sas(sas) => json!({
            "sourceType": "sasUri",
            "osDisk": { "uri": sas.expose() },
            "dataDisks": [],
        }),
        ImageSource::Gallery(gallery) => json!({
            "sourceType": "sharedImageGallery",
            "sharedImage": { "tenantId": tenant, "resourceId": gallery.resource_id() },
        }),
    };
    json!({ "imageType": image_type.as_str(), "source": source })
}

/// Sets `lifecycleState: deprecated` on the versions to deprecate; whether anything changed.
fn deprecate(versions: &mut [Value], request: &ImageRequest) -> Result<bool, Refusal> {
    let mut changed = false;
    for wanted in &request.deprecate {
        let entry = versions
            .iter_mut()
            .find(|entry| version_number(entry) == Some(wanted.as_str()))
            .ok_or_else(|| Refusal::NothingToDeprecate {
                plan: request.plan_id.clone(),
                version: wanted.to_string(),
            })?;
        let state = entry.get("lifecycleState").and_then(Value::as_str);
        if matches!(state, Some("deprecated" | "deleted")) {
            continue;
        }
        let Some(entry) = entry.as_object_mut() else {
            return Err(Refusal::Shape(
                "an image version entry is not an object".to_owned(),
            ));
        };
        entry.insert("lifecycleState".to_owned(), json!("deprecated"));
        let schedule = request.deprecation_schedule.as_ref();
        if let Some(schedule) = schedule.and_then(schedule_value) {
            entry.insert("deprecationSchedule".to_owned(), schedule);
        }
        changed = true;
    }
    Ok(changed)
}

/// Puts the version into the technical configuration (and deprecates the versions named):
/// `AlreadyPresent` when there is nothing to do, `Changed` with the whole resource otherwise.
pub fn apply(tech: &Value, request: &ImageRequest) -> Result<Change, Refusal> {
    let types = plan_types(tech)?;
    let assigned = assign(&request.sources, &request.plan_id, &types)?;
    let version = request.version.as_str();
    let existing = versions(tech)?
        .iter()
        .find(|entry| version_number(entry) == Some(version));
    if let Some(entry) = existing {
        if let Some(state @ ("deprecated" | "deleted")) =
            entry.get("lifecycleState").and_then(Value::as_str)
        {
            return Err(Refusal::Retired {
                version: version.to_owned(),
                plan: request.plan_id.clone(),
                state: state.to_owned(),
            });
        }
        compare_existing(request, &assigned, &found_sources(entry))?;
    }
    let mut changed = tech.clone();
    let Some(object) = changed.as_object_mut() else {
        return Err(Refusal::Shape(
            "the technical configuration is not an object".to_owned(),
        ));
    };
    let list = object
        .entry("vmImageVersions")
        .or_insert_with(|| Value::Array(Vec::new()));
    if list.is_null() {
        *list = Value::Array(Vec::new());
    }
    let Some(list) = list.as_array_mut() else {
        return Err(Refusal::Shape("vmImageVersions is not a list".to_owned()));
    };
    let deprecated = deprecate(list, request)?;
    if existing.is_none() {
        let tenant = request.gallery_tenant_id.as_deref();
        let images: Vec<Value> = assigned
            .iter()
            .map(|(image_type, source)| image_entry(image_type, source, tenant))
            .collect();
        list.push(json!({
            "versionNumber": version,
            "vmImages": images,
            "lifecycleState": "generallyAvailable",
        }));
    } else if !deprecated {
        return Ok(Change::AlreadyPresent);
    }
    schema::current_host(&mut changed);
    Ok(Change::Changed(changed))
}

/// The `POST configure` body: the technical configuration resource alone.
pub fn configure_body(tech: Value, versions: &SchemaVersions) -> Value {
    let mut body = Map::new();
    body.insert(
        "$schema".to_owned(),
        Value::String(versions.configure_url()),
    );
    body.insert("resources".to_owned(), Value::Array(vec![tech]));
    Value::Object(body)
}

/// Read-back: does the technical configuration show the version with these sources?
pub fn verify(tech: &Value, request: &ImageRequest) -> Result<(), NotVerified> {
    let not_verified = || NotVerified {
        version: request.version.to_string(),
        plan: request.plan_id.clone(),
        image_type: String::new(),
        input: String::new(),
    };
    let types = plan_types(tech).map_err(|_| not_verified())?;
    let assigned =
        assign(&request.sources, &request.plan_id, &types).map_err(|_| not_verified())?;
    let entry = versions(tech)
        .map_err(|_| not_verified())?
        .iter()
        .find(|entry| version_number(entry) == Some(request.version.as_str()))
        .ok_or_else(not_verified)?;
    verify_found(request, &assigned, &found_sources(entry))
}
