//! The sandbox's CPP offer document, for a run with the image inputs (issue 21): served whole
//! with an ETag and written back by `PUT` with `If-Match`, as the service does. The scenarios
//! `image-present`, `image-conflict` and `etag-conflict` set it up so that the run meets an
//! already-present version, the same version from another blob, or another writer's change.

use serde_json::{Value, json};

use super::Scenario;
use crate::config::MergedInputs;

/// The plan the sandbox offer has when the run names none.
const PLAN: &str = "sandbox-plan";
/// The blob of the sandbox's earlier versions and of the conflicting one: never a user's.
const SANDBOX_BLOB: &str = "https://sandboxstore.blob.core.windows.net/vhds";

/// What a `PUT` of the offer comes to.
pub enum Written {
    Stored(Value, String),
    /// 412: the `If-Match` is not the current ETag.
    Stale,
}

pub struct HeldOffer {
    document: Value,
    version: u64,
    /// `etag-conflict`: the first write finds that another writer came first.
    another_writer: bool,
}

impl HeldOffer {
    /// The offer as the scenario wants the run to find it: the plan the inputs name, with the
    /// version they name already there (`image-present`: the same blob under a new signature;
    /// `image-conflict`: another blob) or not.
    pub fn new(scenario: Scenario, inputs: &MergedInputs) -> HeldOffer {
        let plan = inputs
            .get("plan-id")
            .map_or(PLAN, |plan| plan.value.as_str());
        let mut versions = json!({
            "1.0.0": {"osVhdUrl": format!("{SANDBOX_BLOB}/1.0.0.vhd?sv=2022-11-02&sr=b&sp=r&sig=sandboxSignature0"), "lunVhdDetails": []}
        });
        let version = inputs.get("image-version").map(|given| given.value.trim());
        let existing = match scenario {
            Scenario::ImagePresent => first_blob(inputs)
                .map(|blob| format!("{blob}?sv=2024-01-01&sr=b&sp=r&sig=sandboxRenewedSignature")),
            Scenario::ImageConflict => Some(format!(
                "{SANDBOX_BLOB}/another-build.vhd?sv=2022-11-02&sr=b&sp=r&sig=sandboxOtherSignature"
            )),
            _ => None,
        };
        if let (Some(version), Some(url), Some(map)) = (version, existing, versions.as_object_mut())
        {
            map.insert(
                version.to_owned(),
                json!({"osVhdUrl": url, "lunVhdDetails": []}),
            );
        }
        HeldOffer {
            document: offer(plan, &versions),
            version: 1,
            another_writer: scenario == Scenario::EtagConflict,
        }
    }

    pub fn read(&self) -> (Value, String) {
        (self.document.clone(), self.etag())
    }

    pub fn write(&mut self, if_match: Option<&str>, document: Value) -> Written {
        if std::mem::take(&mut self.another_writer) {
            self.version += 1;
            return Written::Stale;
        }
        if if_match != Some(self.etag().as_str()) {
            return Written::Stale;
        }
        self.document = document;
        self.version += 1;
        Written::Stored(self.document.clone(), self.etag())
    }

    fn etag(&self) -> String {
        format!("W/\"datetime'sandbox-{}'\"", self.version)
    }
}

/// The blob (`https://account/container/blob`, no query) of the first `image-source` line.
fn first_blob(inputs: &MergedInputs) -> Option<String> {
    let raw = &inputs.get("image-source")?.value;
    let line = raw.lines().map(str::trim).find(|line| !line.is_empty())?;
    let source = match line.split_once('=') {
        Some((head, source)) if !head.contains(['/', ':']) => source.trim(),
        _ => line,
    };
    let blob = source.split(['?', '#']).next()?;
    blob.starts_with("https://").then(|| blob.to_owned())
}

/// A `microsoft-azure-virtualmachines` offer as CPP serves it (the shape of devigned/pub's
/// fixture), with one plan.
fn offer(plan: &str, versions: &Value) -> Value {
    json!({
        "offerTypeId": "microsoft-azure-virtualmachines",
        "id": super::OFFER,
        "publisherId": super::PUBLISHER,
        "version": 3,
        "status": "succeeded",
        "definition": {
            "displayText": "Contoso sandbox VM",
            "offer": {
                "microsoft-azure-marketplace.title": "Contoso sandbox VM",
                "microsoft-azure-marketplace.summary": "A simulated offer"
            },
            "plans": [{
                "planId": plan,
                "microsoft-azure-virtualmachines.skuTitle": "Sandbox plan",
                "microsoft-azure-virtualmachines.operatingSystemFamily": "Linux",
                "microsoft-azure-virtualmachines.osType": "Ubuntu",
                "microsoft-azure-virtualmachines.vmImages": versions
            }]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_source_line_gives_its_blob_without_the_signature() {
        let mut inputs = MergedInputs::default();
        inputs.insert(
            "image-source",
            "\n x64Gen1=https://a.blob.core.windows.net/v/b.vhd?sv=1&sig=zz\n",
            "test",
        );
        assert_eq!(
            first_blob(&inputs).as_deref(),
            Some("https://a.blob.core.windows.net/v/b.vhd")
        );
    }

    #[test]
    fn another_writer_comes_first_once() {
        let mut held = HeldOffer::new(Scenario::EtagConflict, &MergedInputs::default());
        let (document, etag) = held.read();
        assert!(matches!(
            held.write(Some(&etag), document.clone()),
            Written::Stale
        ));
        let (_, etag) = held.read();
        assert!(matches!(
            held.write(Some(&etag), document),
            Written::Stored(..)
        ));
    }
}
