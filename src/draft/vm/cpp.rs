//! The change on a Cloud Partner Portal offer document (`GET .../offers/{offerId}`), both VM
//! offer types, as the real bodies show them:
//!
//! - `microsoft-azure-virtualmachines`: `plan["microsoft-azure-virtualmachines.vmImages"]` maps
//!   a version to `{"osVhdUrl": SAS, "lunVhdDetails": []}` (the docs' PUT example; devigned/pub).
//!   One image type, which this program calls `x64Gen1` (the type predates Gen2).
//! - `microsoft-azure-corevm`: `plan["microsoft-azure-corevm.vmImagesPublicAzure"]` for the
//!   plan's own generation (`microsoft-azure-corevm.generation`, "1" when absent) and
//!   architecture (`microsoft-azure-corevm.vmImagesArchitecture`, X64 when absent), and the other
//!   generation's copy in `plan["diskGenerations"][i]` under the same key (azure-img-utils'
//!   test offer, devigned/pub).
//!
//! Only the named plan's version maps change; every other field stays as read.

use serde_json::{Map, Value, json};

use super::inputs::ImageType;
use super::source::{BlobPath, FoundSource, ImageSource};
use super::{ImageRequest, NotVerified, Refusal, assign, compare_existing, verify_found};
use crate::draft::Change;

const VM_TYPE: &str = "microsoft-azure-virtualmachines";
const VM_IMAGES: &str = "microsoft-azure-virtualmachines.vmImages";
const CORE_TYPE: &str = "microsoft-azure-corevm";
const CORE_IMAGES: &str = "microsoft-azure-corevm.vmImagesPublicAzure";
const CORE_GENERATION: &str = "microsoft-azure-corevm.generation";
const CORE_ARCHITECTURE: &str = "microsoft-azure-corevm.vmImagesArchitecture";

/// Which of the two offer types, from `offerTypeId`, or from the plan's keys when the document
/// does not say (azure-img-utils' test offer carries only `definition.plans`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OfferType {
    VirtualMachines,
    CoreVm,
}

/// Where one image type's versions live: the object holding the map, and the map's key.
struct Slot {
    image_type: ImageType,
    /// A JSON pointer to the object that holds (or will hold) the version map.
    holder: String,
    key: &'static str,
}

fn find_plan(document: &Value, plan_id: &str) -> Result<(usize, OfferType), Refusal> {
    let plans = document
        .pointer("/definition/plans")
        .and_then(Value::as_array)
        .ok_or_else(|| Refusal::Shape("the offer has no definition.plans list".to_owned()))?;
    let index = plans
        .iter()
        .position(|plan| plan.get("planId").and_then(Value::as_str) == Some(plan_id))
        .ok_or_else(|| Refusal::PlanNotFound {
            plan: plan_id.to_owned(),
        })?;
    let plan = &plans[index];
    let offer_type = match document.get("offerTypeId").and_then(Value::as_str) {
        Some(VM_TYPE) => OfferType::VirtualMachines,
        Some(CORE_TYPE) => OfferType::CoreVm,
        Some(_) => return Err(Refusal::NotSupported(NOT_A_VM_OFFER)),
        None if plan.get(VM_IMAGES).is_some() => OfferType::VirtualMachines,
        None if plan.get(CORE_IMAGES).is_some() => OfferType::CoreVm,
        None => return Err(Refusal::NotSupported(NOT_A_VM_OFFER)),
    };
    Ok((index, offer_type))
}

const NOT_A_VM_OFFER: &str = "the offer is not a virtual machine offer (offerTypeId \
     microsoft-azure-virtualmachines or microsoft-azure-corevm): image inputs apply to VM offers only";

/// The plan's image types and where each one's versions live.
fn slots(plan: &Value, index: usize, offer_type: OfferType) -> Result<Vec<Slot>, Refusal> {
    let holder = format!("/definition/plans/{index}");
    if offer_type == OfferType::VirtualMachines {
        return Ok(vec![Slot {
            image_type: ImageType::new("x64Gen1"),
            holder,
            key: VM_IMAGES,
        }]);
    }
    let architecture = match plan.get(CORE_ARCHITECTURE).and_then(Value::as_str) {
        Some(arch) if arch.eq_ignore_ascii_case("arm64") => "arm64",
        _ => "x64",
    };
    let own = generation(plan).unwrap_or("1");
    let other = if own == "2" { "1" } else { "2" };
    let mut slots = vec![Slot {
        image_type: ImageType::new(format!("{architecture}Gen{own}")),
        holder: holder.clone(),
        key: CORE_IMAGES,
    }];
    let copies = plan.get("diskGenerations").and_then(Value::as_array);
    for (at, copy) in copies.into_iter().flatten().enumerate() {
        let image_type = ImageType::new(format!(
            "{architecture}Gen{}",
            generation(copy).unwrap_or(other)
        ));
        if slots.iter().any(|slot| slot.image_type == image_type) {
            return Err(Refusal::Shape(format!(
                "the plan holds image type {image_type} twice (its own and diskGenerations)"
            )));
        }
        slots.push(Slot {
            image_type,
            holder: format!("{holder}/diskGenerations/{at}"),
            key: CORE_IMAGES,
        });
    }
    Ok(slots)
}

fn generation(holder: &Value) -> Option<&str> {
    holder.get(CORE_GENERATION).and_then(Value::as_str)
}

/// What the document shows for `version` in each slot.
fn found(
    document: &Value,
    slots: &[Slot],
    version: &str,
) -> Result<Vec<(ImageType, FoundSource)>, Refusal> {
    let mut found = Vec::new();
    for slot in slots {
        let map = document
            .pointer(&slot.holder)
            .and_then(|holder| holder.get(slot.key));
        let entry = match map {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => map.get(version),
            Some(_) => return Err(Refusal::Shape(format!("{} is not an object", slot.key))),
        };
        if let Some(entry) = entry {
            let source = entry
                .get("osVhdUrl")
                .and_then(Value::as_str)
                .and_then(BlobPath::of)
                .map_or(FoundSource::Other, FoundSource::Blob);
            found.push((slot.image_type.clone(), source));
        }
    }
    Ok(found)
}

/// The plan's slots and the input sources assigned to them.
struct Prepared<'r> {
    offer_type: OfferType,
    slots: Vec<Slot>,
    assigned: Vec<(ImageType, &'r ImageSource)>,
}

/// What CPP cannot take whatever the document holds: known before anything is read, so the
/// configuration refuses it (exit 2, no request) when the API is known to be CPP.
pub fn unsupported(request: &ImageRequest) -> Result<(), Refusal> {
    if !request.deprecate.is_empty() {
        return Err(Refusal::NotSupported(
            "deprecate-image-versions: the Cloud Partner Portal API has no documented way to \
             deprecate an image version; deprecate it through the product ingestion API \
             (api: ingestion) or in Partner Center",
        ));
    }
    if request.sources.has_gallery() {
        return Err(Refusal::NotSupported(
            "image-source: the Cloud Partner Portal API takes VHD SAS URIs only (osVhdUrl); a \
             gallery image version needs the product ingestion API (api: ingestion)",
        ));
    }
    Ok(())
}

/// Finds the plan and assigns the sources; refuses what CPP cannot take.
fn prepare<'r>(document: &Value, request: &'r ImageRequest) -> Result<Prepared<'r>, Refusal> {
    unsupported(request)?;
    let (index, offer_type) = find_plan(document, &request.plan_id)?;
    let plan = &document["definition"]["plans"][index];
    let slots = slots(plan, index, offer_type)?;
    let types: Vec<ImageType> = slots.iter().map(|slot| slot.image_type.clone()).collect();
    let assigned = assign(&request.sources, &request.plan_id, &types)?;
    Ok(Prepared {
        offer_type,
        slots,
        assigned,
    })
}

/// Puts the version into the plan: `AlreadyPresent` when every requested type already has it
/// from the same blob, `Changed` with the whole offer document otherwise.
pub fn apply(document: &Value, request: &ImageRequest) -> Result<Change, Refusal> {
    let Prepared {
        offer_type,
        slots,
        assigned,
    } = prepare(document, request)?;
    let version = request.version.as_str();
    let found = found(document, &slots, version)?;
    if !found.is_empty() {
        return compare_existing(request, &assigned, &found).map(|()| Change::AlreadyPresent);
    }
    let mut changed = document.clone();
    for (image_type, source) in &assigned {
        let ImageSource::Sas(sas) = source else {
            continue; // refused in prepare
        };
        let Some(slot) = slots.iter().find(|slot| slot.image_type == *image_type) else {
            continue; // assign only hands out the plan's types
        };
        let mut entry = json!({ "osVhdUrl": sas.expose(), "lunVhdDetails": [] });
        if offer_type == OfferType::CoreVm {
            // As azure-img-utils writes it: a new version is shown (deprecating sets false).
            entry["showInGui"] = Value::Bool(true);
        }
        let holder = changed
            .pointer_mut(&slot.holder)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| Refusal::Shape("a plan is not an object".to_owned()))?;
        let map = holder
            .entry(slot.key)
            .or_insert_with(|| Value::Object(Map::new()));
        if map.is_null() {
            *map = Value::Object(Map::new());
        }
        if let Some(map) = map.as_object_mut() {
            map.insert(version.to_owned(), entry);
        }
    }
    Ok(Change::Changed(changed))
}

/// Read-back: does the offer show the version with these sources in the plan?
pub fn verify(document: &Value, request: &ImageRequest) -> Result<(), NotVerified> {
    let not_verified = || NotVerified {
        version: request.version.to_string(),
        plan: request.plan_id.clone(),
        image_type: String::new(),
        input: String::new(),
    };
    let Prepared {
        slots, assigned, ..
    } = prepare(document, request).map_err(|_| not_verified())?;
    let found = found(document, &slots, request.version.as_str()).map_err(|_| not_verified())?;
    verify_found(request, &assigned, &found)
}
