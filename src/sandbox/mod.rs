//! `--sandbox`: a simulated Entra + CPP + product ingestion service started inside the process on
//! loopback, so that every command can be tried without credentials or network. The run itself
//! is the real one: the sandbox supplies the URLs and credentials, keeps the user's command, ids
//! and other inputs, and the service walks operations through realistic steps with the timings
//! compressed to seconds. What the offer looks like when the run starts depends on the command
//! (an operation waiting at sign-off for go-live, one running for cancel...).

mod draft;
mod draft_ingestion;
mod service;
mod simulation;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use url::Url;

use crate::config::MergedInputs;
use service::World;
use simulation::{CERTIFICATION, End, LIVE, Operation, SIGNOFF, STEP_TIME, STEPS};

const TENANT: &str = "sandbox.onmicrosoft.com";
const PUBLISHER: &str = "contoso";
const OFFER: &str = "contoso-sandbox-vm";
const INGESTION_PATH: &str = "/rp/product-ingestion";
/// With `--sandbox=time-limit` and no timeout given: long enough to see the wait, short enough
/// not to bore.
const TIME_LIMIT: &str = "5s";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Every step completes (the sign-off is given by the simulation itself).
    Succeeded,
    /// Certification fails with the kind of messages the portal sends (go-live: the live step).
    Failed,
    /// The operation stops at publisher sign-off, waiting for go-live.
    PreviewReady,
    /// The operation never ends: the run's time limit passes while it runs.
    TimeLimit,
    /// With the image inputs: the draft already has the version from the same blob.
    ImagePresent,
    /// With the image inputs: the draft has the version from another blob.
    ImageConflict,
    /// With the image inputs: another writer changes the offer between the read and the write.
    EtagConflict,
    /// With the image inputs (ingestion): the configure job that changes the draft fails with
    /// nested messages; nothing is published.
    ConfigureFailed,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::Succeeded,
        Scenario::Failed,
        Scenario::PreviewReady,
        Scenario::TimeLimit,
        Scenario::ImagePresent,
        Scenario::ImageConflict,
        Scenario::EtagConflict,
        Scenario::ConfigureFailed,
    ];
    pub const NAMES: [&'static str; 8] = [
        "succeeded",
        "failed",
        "preview-ready",
        "time-limit",
        "image-present",
        "image-conflict",
        "etag-conflict",
        "configure-failed",
    ];
    /// `--sandbox` alone: what a publish with the default inputs reaches by itself, the ready
    /// preview; going live is a separate, deliberate run (`command: go-live`).
    pub const DEFAULT: Scenario = Scenario::PreviewReady;

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Succeeded => "succeeded",
            Scenario::Failed => "failed",
            Scenario::PreviewReady => "preview-ready",
            Scenario::TimeLimit => "time-limit",
            Scenario::ImagePresent => "image-present",
            Scenario::ImageConflict => "image-conflict",
            Scenario::EtagConflict => "etag-conflict",
            Scenario::ConfigureFailed => "configure-failed",
        }
    }

    pub fn parse(name: &str) -> Option<Scenario> {
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.name() == name)
    }

    fn description(self) -> &'static str {
        match self {
            Scenario::Succeeded => {
                "every step completes, as if someone went live during the run (CPP, with \
                 wait-until: complete); status, validate: the offer is live; go-live: refused, \
                 no preview waits"
            }
            Scenario::Failed => {
                "certification fails with the portal's kind of messages; go-live: the live step fails"
            }
            Scenario::PreviewReady => {
                "(default) the publish stops at publisher sign-off, where the run ends \
                 (wait-until: preview, the default); go-live: goes live; status: the preview is ready"
            }
            Scenario::TimeLimit => {
                "the operation never ends: the time limit (timeout, 5s unless given) passes; \
                 try cancel-on-timeout: true"
            }
            Scenario::ImagePresent => {
                "with the image inputs: the draft already has image-version from the same blob \
                 (nothing is written, draft-changed=false), then the publish"
            }
            Scenario::ImageConflict => {
                "with the image inputs: the draft has image-version from another blob: rejected \
                 before any write, nothing published"
            }
            Scenario::EtagConflict => {
                "with the image inputs (CPP): another writer changes the offer first; the write \
                 gets 412, the offer is read again and written with the new ETag"
            }
            Scenario::ConfigureFailed => {
                "with the image inputs (ingestion): the configure job that changes the draft \
                 fails with the service's kind of messages; nothing is published"
            }
        }
    }
}

/// `--sandbox=list`: the scenarios and how to try each command.
pub fn list() -> String {
    let mut text = String::from("Sandbox scenarios (publish-offer --sandbox=SCENARIO):\n");
    for scenario in Scenario::ALL {
        text.push_str(&format!(
            "  {:<15}{}\n",
            scenario.name(),
            scenario.description()
        ));
    }
    text.push_str(
        "\nEvery command runs against the sandbox; set it as in a real run:\n\
         \x20 MARKETPLACE_COMMAND=status publish-offer --sandbox=preview-ready\n\
         \x20 MARKETPLACE_COMMAND=go-live publish-offer --sandbox\n\
         \x20 MARKETPLACE_API=cpp MARKETPLACE_COMMAND=cancel publish-offer --sandbox\n\
         \x20 MARKETPLACE_PLAN_ID=sandbox-plan MARKETPLACE_IMAGE_VERSION=1.1.0 \\\n\
         \x20   MARKETPLACE_IMAGE_SOURCE='https://acct.blob.core.windows.net/vhds/os.vhd?sv=2022-11-02&sig=x' \\\n\
         \x20   publish-offer --sandbox=image-present\n\
         \x20 MARKETPLACE_COMMAND=wait MARKETPLACE_OPERATION_URL=<operation-url of a sandbox publish> \
         publish-offer --sandbox\n\
         api: auto (the default) finds the offer in the product ingestion API; add\n\
         MARKETPLACE_API=cpp for the Cloud Partner Portal API. The publisher and offer ids\n\
         are yours (contoso/contoso-sandbox-vm when unset); credentials and URLs are the sandbox's.\n\
         With the image inputs, MARKETPLACE_COMMAND=update changes the draft and stops;\n\
         --sandbox=configure-failed shows a failed draft change through the ingestion API.\n",
    );
    text
}

pub struct Sandbox {
    address: SocketAddr,
    scenario: Scenario,
}

impl Sandbox {
    /// Starts the simulated service, with the offer as the command expects to find it.
    pub async fn start(scenario: Scenario, inputs: &MergedInputs) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let world = World::new(
            scenario,
            existing_operations(scenario, inputs),
            draft::HeldOffer::new(scenario, inputs),
            draft_ingestion::Draft::new(scenario, inputs, service::PRODUCT),
        );
        service::serve(listener, Arc::new(Mutex::new(world)));
        Ok(Sandbox { address, scenario })
    }

    /// Points the run at the simulated service: URLs and credentials are the sandbox's; the
    /// command, ids and every other input are the user's. Polls are quick by default.
    pub fn configure(&self, inputs: &mut MergedInputs) {
        let url = format!("http://{}", self.address);
        for name in ["access-token", "auth", "service-connection-id"] {
            inputs.remove(name);
        }
        let set = |inputs: &mut MergedInputs, name: &'static str, value: &str| {
            inputs.insert(name, value, "--sandbox");
        };
        // An operation URL printed by an earlier sandbox run names a service that is gone: the
        // same operation is looked up here.
        if let Some(moved) = inputs
            .get("operation-url")
            .and_then(|given| Url::parse(&given.value).ok())
            .and_then(|mut given| {
                let own = Url::parse(&url).ok()?;
                given.set_scheme(own.scheme()).ok()?;
                given.set_host(own.host_str()).ok()?;
                given.set_port(own.port()).ok()?;
                Some(given)
            })
        {
            let source = inputs
                .get("operation-url")
                .map(|given| given.source.clone())
                .unwrap_or_default();
            inputs.insert("operation-url", moved.as_str(), &source);
        }
        set(inputs, "api-url", &url);
        set(inputs, "ingestion-url", &format!("{url}{INGESTION_PATH}"));
        set(inputs, "authority-host", &url);
        set(inputs, "tenant-id", TENANT);
        set(inputs, "client-id", "00000000-0000-0000-0000-00000000cafe");
        set(inputs, "client-secret", "sandbox-client-secret");
        // The user's ids when given, the sandbox's own for any not given (one of the pair
        // alone is fine: the other is the default). `wait` on an operation URL needs none: the
        // URL says everything; `wait` without one follows the offer's current operation.
        let is_wait_on_url = inputs.get("operation-url").is_some()
            && inputs
                .get("command")
                .is_some_and(|command| command.value.eq_ignore_ascii_case("wait"));
        if !is_wait_on_url {
            for (name, default) in [("publisher-id", PUBLISHER), ("offer-id", OFFER)] {
                if inputs.get(name).is_none() {
                    set(inputs, name, default);
                }
            }
        }
        if inputs.get("poll-interval").is_none() {
            set(inputs, "poll-interval", "500ms");
        }
        if inputs.get("timeout").is_none() {
            let timeout = match self.scenario {
                Scenario::TimeLimit => TIME_LIMIT,
                _ => "2m",
            };
            set(inputs, "timeout", timeout);
        }
    }
}

/// Whether the run uses the product ingestion API: `auto`, the default, finds the offer there.
fn on_ingestion(inputs: &MergedInputs) -> bool {
    inputs
        .get("api")
        .is_none_or(|api| !api.value.eq_ignore_ascii_case("cpp"))
}

/// The operations the offer already has when the run starts, each with how long ago it started.
fn existing_operations(scenario: Scenario, inputs: &MergedInputs) -> Vec<(Operation, Duration)> {
    let command = inputs
        .get("command")
        .map(|command| command.value.to_ascii_lowercase())
        .unwrap_or_default();
    let ingestion = on_ingestion(inputs);
    let long_ago = STEP_TIME * 100;
    let given_id = inputs
        .get("operation-url")
        .and_then(|url| Url::parse(&url.value).ok())
        .and_then(|url| operation_id(&url));
    let id = || given_id.clone().unwrap_or_else(new_id);
    let live_already = || {
        if ingestion {
            let mut live = go_live(new_id(), End::Complete);
            live.number = 2;
            vec![
                (publish(true, new_id(), End::Complete), long_ago),
                (live, long_ago),
            ]
        } else {
            vec![(publish(false, id(), End::Complete), long_ago)]
        }
    };
    match command.as_str() {
        // With `succeeded` the offer is live already and no preview waits: go-live is refused,
        // as the service refuses it.
        "go-live" if scenario == Scenario::Succeeded => live_already(),
        "go-live" => vec![(preview_ready(ingestion, id()), long_ago)],
        "cancel" => {
            let end = match scenario {
                Scenario::Failed => End::FailAt(CERTIFICATION),
                _ => End::HangAt(CERTIFICATION),
            };
            vec![(publish(ingestion, id(), end), STEP_TIME * 3 / 2)]
        }
        "status" | "validate" => match scenario {
            Scenario::Succeeded => live_already(),
            _ => vec![(
                publish(ingestion, id(), end_of_publish(scenario, ingestion)),
                long_ago,
            )],
        },
        "wait" => vec![(
            publish(ingestion, id(), end_of_publish(scenario, ingestion)),
            STEP_TIME,
        )],
        _ => Vec::new(),
    }
}

/// How a publish started in `scenario` ends. Through the ingestion API a publish targets the
/// preview, and the job completes once the preview is ready.
fn end_of_publish(scenario: Scenario, ingestion: bool) -> End {
    match scenario {
        Scenario::Succeeded
        | Scenario::ImagePresent
        | Scenario::ImageConflict
        | Scenario::EtagConflict
        | Scenario::ConfigureFailed => End::Complete,
        Scenario::Failed => End::FailAt(CERTIFICATION),
        Scenario::PreviewReady if ingestion => End::Complete,
        Scenario::PreviewReady => End::WaitAt(SIGNOFF),
        Scenario::TimeLimit => End::HangAt(CERTIFICATION),
    }
}

fn end_of_go_live(scenario: Scenario) -> End {
    match scenario {
        Scenario::Failed => End::FailAt(LIVE),
        Scenario::TimeLimit => End::HangAt(LIVE),
        Scenario::Succeeded
        | Scenario::PreviewReady
        | Scenario::ImagePresent
        | Scenario::ImageConflict
        | Scenario::EtagConflict
        | Scenario::ConfigureFailed => End::Complete,
    }
}

/// A publish: through CPP every step up to live; through ingestion up to the ready preview.
fn publish(ingestion: bool, id: String, end: End) -> Operation {
    Operation {
        id,
        number: 1,
        live: false,
        first: 0,
        last: if ingestion { SIGNOFF + 1 } else { STEPS.len() },
        end,
        cancel_asked: None,
    }
}

fn go_live(id: String, end: End) -> Operation {
    Operation {
        id,
        number: 1,
        live: true,
        first: LIVE,
        last: STEPS.len(),
        end,
        cancel_asked: None,
    }
}

fn preview_ready(ingestion: bool, id: String) -> Operation {
    publish(
        ingestion,
        id,
        if ingestion {
            End::Complete
        } else {
            End::WaitAt(SIGNOFF)
        },
    )
}

/// The id in an operation URL: CPP `.../operations/{id}`, ingestion `.../configure/{id}/status`.
fn operation_id(url: &Url) -> Option<String> {
    let segments: Vec<&str> = url.path_segments()?.collect();
    let id = match segments.as_slice() {
        [.., "operations", id] | [.., "configure", id, "status"] => *id,
        _ => return None,
    };
    crate::api::is_identifier(id).then(|| id.to_owned())
}

fn new_id() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        fastrand::u16(..0x1000),
        fastrand::u64(..0x1_0000_0000_0000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_round_trip() {
        for (scenario, name) in Scenario::ALL.into_iter().zip(Scenario::NAMES) {
            assert_eq!(scenario.name(), name);
            assert_eq!(Scenario::parse(name), Some(scenario));
            assert!(list().contains(name));
        }
        assert_eq!(Scenario::parse("list"), None);
    }

    #[test]
    fn operation_ids_from_both_apis() {
        let cpp = Url::parse(
            "http://127.0.0.1:1/api/publishers/p/offers/o/operations/abc-1?api-version=x",
        )
        .expect("url");
        assert_eq!(operation_id(&cpp).as_deref(), Some("abc-1"));
        let job =
            Url::parse("http://127.0.0.1:1/rp/product-ingestion/configure/j1/status?$version=2")
                .expect("url");
        assert_eq!(operation_id(&job).as_deref(), Some("j1"));
        let other = Url::parse("http://127.0.0.1:1/elsewhere").expect("url");
        assert_eq!(operation_id(&other), None);
    }
}
