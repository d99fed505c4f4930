//! The sandbox's VM plan draft on the product ingestion API (issue 21): the plan the user names,
//! its technical configuration, and the configure jobs that change it. What the draft holds when
//! the run starts depends on the scenario: the version asked for already there with the same
//! sources (`image-present`: the same blob under a renewed signature), with another blob (`image-conflict`), or not yet there;
//! with `configure-failed` the job that changes it fails with nested messages as the service's
//! validation does. Pure apart from the clock: requests' JSON in, JSON out.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::Scenario;
use crate::config::MergedInputs;

/// The sandbox plan's durable id (any `plan-id` names it).
pub const PLAN_GUID: &str = "5a1d91a7-0000-4000-8000-5a1d5a1d0002";
/// How long a configure job of the draft runs.
const JOB_TIME: Duration = Duration::from_millis(1200);
/// The schema version of the technical configuration as the service hands it out.
const TECH_SCHEMA: &str = "https://schema.mp.microsoft.com/schema/virtual-machine-plan-technical-configuration/2022-03-01-preview5";

struct Job {
    id: String,
    started: Instant,
    resource: Value,
    fails: bool,
    applied: bool,
}

pub struct Draft {
    tech: Value,
    fails: bool,
    jobs: Vec<Job>,
}

/// The image type and source of each `image-source` line (the type is `None` when not given).
fn source_lines(inputs: &MergedInputs) -> Vec<(Option<String>, String)> {
    let raw = inputs
        .get("image-source")
        .map(|given| given.value.clone())
        .unwrap_or_default();
    raw.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('=') {
            // `TYPE=SOURCE`: the part before `=` is a plain name, not part of a URI or an id.
            Some((kind, source)) if !kind.contains([':', '/', '?']) => {
                (Some(kind.trim().to_owned()), source.trim().to_owned())
            }
            _ => (None, line.to_owned()),
        })
        .collect()
}

/// A SAS source under another signature (the same blob, so the same image); a gallery id as
/// it is.
fn renewed(source: &str) -> String {
    match source.split_once('?') {
        Some((blob, _)) if !source.starts_with('/') => {
            format!("{blob}?sv=2024-01-01&sr=b&sp=r&sig=sandboxRenewedSignature")
        }
        _ => source.to_owned(),
    }
}

fn image(image_type: &str, source: &str) -> Value {
    let source = if source.starts_with('/') {
        json!({"sourceType": "sharedImageGallery",
               "sharedImage": {"tenantId": "5a1d5a1d-0000-4000-8000-00000000a11d", "resourceId": source}})
    } else {
        json!({"sourceType": "sasUri", "osDisk": {"uri": source}, "dataDisks": []})
    };
    json!({"imageType": image_type, "source": source})
}

fn version(number: &str, images: &[Value]) -> Value {
    json!({"versionNumber": number, "vmImages": images, "lifecycleState": "generallyAvailable"})
}

impl Draft {
    pub fn new(scenario: Scenario, inputs: &MergedInputs, product: &str) -> Draft {
        let lines = source_lines(inputs);
        let mut types: Vec<String> = lines.iter().filter_map(|(kind, _)| kind.clone()).collect();
        if types.is_empty() {
            types.push("x64Gen2".to_owned());
        }
        let plan = inputs
            .get("plan-id")
            .map_or("sandbox-plan", |given| given.value.as_str())
            .to_owned();
        let skus: Vec<Value> = types
            .iter()
            .map(|kind| json!({"imageType": kind, "skuId": format!("{plan}-{}", kind.to_ascii_lowercase())}))
            .collect();
        let typed = |kind: &Option<String>| kind.clone().unwrap_or_else(|| types[0].clone());
        let earlier: Vec<Value> = types
            .iter()
            .map(|kind| image(kind, &format!("https://contososandbox.blob.core.windows.net/vhds/image-1.0.0-{kind}.vhd?sv=2022-11-02&sr=b&sp=r&sig=c2FuZGJveCBvbmx5")))
            .collect();
        let mut versions = vec![version("1.0.0", &earlier)];
        let asked = inputs
            .get("image-version")
            .map(|given| given.value.trim().to_owned());
        match (scenario, asked) {
            (Scenario::ImagePresent, Some(asked)) => {
                let images: Vec<Value> = lines
                    .iter()
                    .map(|(kind, source)| image(&typed(kind), &renewed(source)))
                    .collect();
                versions.push(version(&asked, &images));
            }
            (Scenario::ImageConflict, Some(asked)) => {
                let images: Vec<Value> = lines
                    .iter()
                    .map(|(kind, _)| image(&typed(kind), &format!("https://contososandbox.blob.core.windows.net/vhds/another-build-{asked}.vhd?sv=2022-11-02&sr=b&sp=r&sig=YW5vdGhlciBidWlsZA")))
                    .collect();
                versions.push(version(&asked, &images));
            }
            _ => {}
        }
        Draft {
            tech: json!({
                "$schema": TECH_SCHEMA,
                "id": format!("virtual-machine-plan-technical-configuration/{product}/{PLAN_GUID}"),
                "product": format!("product/{product}"),
                "plan": format!("plan/{product}/{PLAN_GUID}"),
                "operatingSystem": {"family": "linux", "friendlyName": "Sandbox Linux 24.04", "type": "ubuntu"},
                "recommendedVmSizes": [],
                "openPorts": [],
                "vmProperties": {"supportsExtensions": true, "supportsBackup": false, "requiresCustomArmTemplate": false},
                "skus": skus,
                "vmImageVersions": versions,
            }),
            fails: scenario == Scenario::ConfigureFailed,
            jobs: Vec::new(),
        }
    }

    /// `GET plan?product=...&externalId=...`: the sandbox plan, named as asked.
    pub fn plans(product: &str, external_id: &str) -> Value {
        json!({"value": [{
            "$schema": "https://schema.mp.microsoft.com/schema/plan/2022-03-01-preview2",
            "id": format!("plan/{product}/{PLAN_GUID}"),
            "identity": {"externalId": external_id},
            "alias": external_id,
        }]})
    }

    pub fn tech(&mut self) -> &Value {
        self.settle();
        &self.tech
    }

    /// Whether a configure request changes the draft (a technical configuration resource).
    pub fn is_draft_change(body: &Value) -> bool {
        body["resources"][0]["$schema"]
            .as_str()
            .is_some_and(|schema| schema.contains("/virtual-machine-plan-technical-configuration/"))
    }

    /// `POST configure` of a technical configuration: a job that changes the draft when it ends.
    pub fn configure(&mut self, body: &Value, id: String) -> Value {
        let answer =
            json!({"jobId": id, "jobStatus": "notStarted", "jobResult": "pending", "errors": []});
        self.jobs.push(Job {
            id,
            started: Instant::now(),
            resource: body["resources"][0].clone(),
            fails: self.fails,
            applied: false,
        });
        answer
    }

    /// Applies what ended well; once, as the service does.
    fn settle(&mut self) {
        for job in &mut self.jobs {
            if !job.applied && !job.fails && job.started.elapsed() >= JOB_TIME {
                job.applied = true;
                self.tech = job.resource.clone();
            }
        }
    }

    /// `GET configure/{id}/status` of a draft job; `None` for another job.
    pub fn job(&mut self, id: &str) -> Option<Value> {
        self.settle();
        let job = self.jobs.iter().find(|job| job.id == id)?;
        if job.started.elapsed() < JOB_TIME {
            return Some(
                json!({"jobId": id, "jobStatus": "running", "jobResult": "pending", "errors": []}),
            );
        }
        if !job.fails {
            return Some(
                json!({"jobId": id, "jobStatus": "completed", "jobResult": "succeeded", "errors": []}),
            );
        }
        let versions = job.resource["vmImageVersions"].as_array();
        let newest = versions
            .and_then(|versions| versions.last())
            .and_then(|entry| entry["versionNumber"].as_str())
            .unwrap_or("?");
        Some(
            json!({"jobId": id, "jobStatus": "completed", "jobResult": "failed", "errors": [{
                "code": "BusinessValidationError",
                "message": "The technical configuration is not valid.",
                "details": [{
                    "code": "InvalidVirtualMachineImage",
                    "message": format!("Image version {newest}: the OS disk VHD could not be read: check that its SAS grants read access, has not expired and names a fixed-size VHD (sandbox scenario configure-failed)."),
                }],
            }]}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(pairs: &[(&'static str, &str)]) -> MergedInputs {
        let mut inputs = MergedInputs::default();
        for (name, value) in pairs {
            inputs.insert(name, value, "test");
        }
        inputs
    }

    #[test]
    fn the_draft_holds_what_the_scenario_says() {
        let given = inputs(&[
            ("plan-id", "gen2"),
            ("image-version", "1.2.3"),
            (
                "image-source",
                "x64Gen2=https://a.blob.core.windows.net/c/b.vhd?sig=S\narm64Gen2=/subscriptions/s/x",
            ),
        ]);
        let mut draft = Draft::new(Scenario::Succeeded, &given, "p");
        let tech = draft.tech().clone();
        assert_eq!(tech["skus"].as_array().map(Vec::len), Some(2));
        assert_eq!(tech["vmImageVersions"].as_array().map(Vec::len), Some(1));
        let mut present = Draft::new(Scenario::ImagePresent, &given, "p");
        let entry = present.tech()["vmImageVersions"][1].clone();
        assert_eq!(entry["versionNumber"], "1.2.3");
        assert_eq!(
            entry["vmImages"][0]["source"]["osDisk"]["uri"],
            "https://a.blob.core.windows.net/c/b.vhd?sv=2024-01-01&sr=b&sp=r&sig=sandboxRenewedSignature"
        );
        assert_eq!(
            entry["vmImages"][1]["source"]["sharedImage"]["resourceId"],
            "/subscriptions/s/x"
        );
        let mut conflicting = Draft::new(Scenario::ImageConflict, &given, "p");
        let uri =
            conflicting.tech()["vmImageVersions"][1]["vmImages"][0]["source"]["osDisk"]["uri"]
                .clone();
        assert!(
            uri.as_str()
                .is_some_and(|uri| uri.contains("another-build-1.2.3")),
            "{uri}"
        );
    }

    #[test]
    fn a_configure_job_runs_then_changes_the_draft_or_fails() {
        let given = inputs(&[("image-version", "1.2.3")]);
        let mut draft = Draft::new(Scenario::Succeeded, &given, "p");
        let body = json!({"resources": [{"$schema": TECH_SCHEMA, "changed": true}]});
        assert!(Draft::is_draft_change(&body));
        draft.configure(&body, "j1".to_owned());
        assert_eq!(draft.job("j1").expect("job")["jobStatus"], "running");
        assert_eq!(draft.job("other"), None);
        draft.jobs[0].started -= JOB_TIME;
        assert_eq!(draft.job("j1").expect("job")["jobResult"], "succeeded");
        assert_eq!(draft.tech()["changed"], true);

        let mut failing = Draft::new(Scenario::ConfigureFailed, &given, "p");
        failing.configure(&body, "j2".to_owned());
        failing.jobs[0].started -= JOB_TIME;
        let job = failing.job("j2").expect("job");
        assert_eq!(job["jobResult"], "failed");
        assert!(job["errors"][0]["details"][0]["message"].is_string());
        assert_eq!(failing.tech()["changed"], Value::Null);
    }
}
