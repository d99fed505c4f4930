//! The simulated operations: how each walks through the publishing steps over time, and how it
//! looks through each API (a CPP operation, a product ingestion job, a submission). Pure: the
//! time since the operation started goes in, JSON comes out.

use std::time::Duration;

use serde_json::{Value, json};

/// How long each simulated step takes.
pub const STEP_TIME: Duration = Duration::from_millis(700);

pub struct StepInfo {
    pub id: &'static str,
    pub name: &'static str,
    pub estimate: &'static str,
}

pub const STEPS: [StepInfo; 6] = [
    StepInfo {
        id: "validation",
        name: "Validate Pre-Requisites",
        estimate: "< 15 min",
    },
    StepInfo {
        id: "certification",
        name: "Certification",
        estimate: "< 5 days",
    },
    StepInfo {
        id: "provisioning",
        name: "Provisioning",
        estimate: "< 1 day",
    },
    StepInfo {
        id: "packaging",
        name: "Packaging and Lead Generation Registration",
        estimate: "< 1 hour",
    },
    StepInfo {
        id: "publisher-signoff",
        name: "Publisher signoff",
        estimate: "",
    },
    StepInfo {
        id: "live",
        name: "Live",
        estimate: "~2-5 days",
    },
];
pub const CERTIFICATION: usize = 1;
pub const PACKAGING: usize = 3;
pub const SIGNOFF: usize = 4;
pub const LIVE: usize = 5;

/// Where the marketplace shows an offer (`{publisher}.{offer}`); the preview adds `-preview`.
const APPS: &str = "https://azuremarketplace.microsoft.com/marketplace/apps";

/// The offer's preview and live links, for the publisher and offer the request named.
fn links(publisher: &str, offer: &str) -> (String, String) {
    (
        format!("{APPS}/{publisher}.{offer}-preview"),
        format!("{APPS}/{publisher}.{offer}"),
    )
}

/// Where an operation stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every step completes.
    Complete,
    /// The step fails after running for one step's time.
    FailAt(usize),
    /// The step waits for the publisher (sign-off) until someone goes live.
    WaitAt(usize),
    /// The step never ends: the run's time limit passes first.
    HangAt(usize),
}

/// Where an operation is at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running { step: usize, percent: u64 },
    Waiting { step: usize },
    Succeeded,
    Failed { step: usize },
    Canceled { step: usize },
}

impl Phase {
    pub fn is_over(self) -> bool {
        matches!(
            self,
            Phase::Succeeded | Phase::Failed { .. } | Phase::Canceled { .. }
        )
    }
}

/// One simulated operation (a CPP publish or go-live, or an ingestion configure job).
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    /// The submission number, for the ingestion API's submission list.
    pub number: u64,
    /// Targets live (go-live) rather than preview.
    pub live: bool,
    /// The steps it walks: `first..last` (CPP publish 0..6; ingestion preview 0..5; go-live 5..6).
    pub first: usize,
    pub last: usize,
    pub end: End,
    /// When the service was asked to cancel, as time since the operation started.
    pub cancel_asked: Option<Duration>,
}

impl Operation {
    /// The phase after `elapsed`, with a cancel taking effect one step's time after it was asked,
    /// unless the operation ended first.
    pub fn phase(&self, elapsed: Duration) -> Phase {
        if let Some(asked) = self.cancel_asked {
            let effective = asked + STEP_TIME;
            if elapsed >= effective {
                match self.phase_without_cancel(effective) {
                    Phase::Running { step, .. } | Phase::Waiting { step } => {
                        return Phase::Canceled { step };
                    }
                    over => return over,
                }
            }
        }
        self.phase_without_cancel(elapsed)
    }

    fn phase_without_cancel(&self, elapsed: Duration) -> Phase {
        let steps_done = usize::try_from(elapsed.as_millis() / STEP_TIME.as_millis())
            .unwrap_or(usize::MAX)
            .saturating_add(self.first);
        let percent = u64::try_from(
            (elapsed.as_millis() % STEP_TIME.as_millis()) * 100 / STEP_TIME.as_millis(),
        )
        .unwrap_or(0);
        match self.end {
            End::Complete if steps_done >= self.last => Phase::Succeeded,
            End::FailAt(step) if steps_done > step => Phase::Failed { step },
            End::WaitAt(step) if steps_done >= step => Phase::Waiting { step },
            End::HangAt(step) if steps_done >= step => Phase::Running { step, percent: 40 },
            _ => Phase::Running {
                step: steps_done,
                percent,
            },
        }
    }

    /// The step it is at (or ended at): complete before, not started after.
    fn position(&self, phase: Phase) -> usize {
        match phase {
            Phase::Running { step, .. }
            | Phase::Waiting { step }
            | Phase::Failed { step }
            | Phase::Canceled { step } => step,
            Phase::Succeeded => self.last,
        }
    }

    /// The CPP operation (`GET .../operations/{id}` and `GET .../status`) of the offer
    /// `publisher`/`offer`, the one the request named: its links are that offer's.
    pub fn cpp_json(&self, phase: Phase, publisher: &str, offer: &str) -> Value {
        let (preview_link, live_link) = links(publisher, offer);
        let position = self.position(phase);
        let steps: Vec<Value> = STEPS
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let (status, percent) = match phase {
                    _ if index < position => ("complete", 100),
                    _ if index > position => ("notStarted", 0),
                    Phase::Running { percent, .. } => ("inProgress", percent),
                    Phase::Waiting { .. } => ("waitingForPublisherReview", 0),
                    Phase::Failed { .. } => ("failed", 40),
                    Phase::Canceled { .. } => ("canceled", 0),
                    Phase::Succeeded => ("notStarted", 0),
                };
                json!({
                    "id": step.id,
                    "stepName": step.name,
                    "description": "",
                    "status": status,
                    "progressPercentage": percent,
                    "estimatedTimeFrame": step.estimate,
                    "messages": step_messages(index, status),
                })
            })
            .collect();
        let status = match phase {
            Phase::Running { .. } | Phase::Waiting { .. } => "running",
            Phase::Succeeded => "complete",
            Phase::Failed { .. } => "failed",
            Phase::Canceled { .. } => "canceled",
        };
        let preview = position > PACKAGING && !matches!(phase, Phase::Failed { .. });
        json!([{
            "id": self.id,
            "status": status,
            "messages": [],
            "publishingVersion": 2,
            "offerVersion": 7,
            "cancellationRequestState": if self.cancel_asked.is_some() { "cancelRequested" } else { "canCancel" },
            "steps": steps,
            "previewLinks": if preview { json!([preview_link]) } else { json!([]) },
            "liveLinks": if phase == Phase::Succeeded && self.last > LIVE { json!([live_link]) } else { json!([]) },
        }])
    }

    /// The ingestion job (`GET configure/{jobId}/status`).
    pub fn job_json(&self, phase: Phase) -> Value {
        let (status, result) = match phase {
            Phase::Running { .. } | Phase::Waiting { .. } => ("running", "pending"),
            Phase::Succeeded => ("completed", "succeeded"),
            Phase::Failed { .. } => ("completed", "failed"),
            Phase::Canceled { .. } => ("completed", "cancelled"),
        };
        let errors = if let Phase::Failed { step } = phase {
            step_messages(step, "failed")
                .as_array()
                .into_iter()
                .flatten()
                .filter(|message| message["level"] == "error")
                .map(|message| json!({ "code": "CertificationFailed", "message": message["messageHtml"] }))
                .collect()
        } else {
            Vec::new()
        };
        json!({
            "$schema": "https://schema.mp.microsoft.com/schema/configure-status/2022-03-01-preview2",
            "jobId": self.id,
            "jobStatus": status,
            "jobResult": result,
            "jobStart": "2026-11-24T10:00:00Z",
            "errors": errors,
        })
    }

    /// The submission this operation is (`GET submission/{product}`).
    pub fn submission_json(&self, product: &str, phase: Phase) -> Value {
        let (status, result) = match phase {
            Phase::Running { .. } | Phase::Waiting { .. } => ("running", "pending"),
            Phase::Succeeded => ("completed", "succeeded"),
            Phase::Failed { .. } => ("completed", "failed"),
            Phase::Canceled { .. } => ("completed", "cancelled"),
        };
        json!({
            "$schema": "https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2",
            "id": format!("submission/{product}/{}", self.number),
            "product": format!("product/{product}"),
            "target": { "targetType": if self.live { "live" } else { "preview" } },
            "status": status,
            "result": result,
        })
    }
}

/// What the portal says about a step: errors when certification fails, a warning on packaging
/// (which the summary lists even on success), a note when a step completes.
fn step_messages(index: usize, status: &str) -> Value {
    match (index, status) {
        (CERTIFICATION, "failed") => json!([
            { "messageHtml": "<p>The VHD of plan <b>contoso-gen2</b> failed certification: the OS disk is larger than 1023&nbsp;GB.</p>", "level": "error", "timestamp": "2026-11-24T10:00:00Z" },
            { "messageHtml": "Test case <i>SSH enabled</i>: 100% of probes failed, see <a href=\"https://aka.ms/azure-vm-certification-faq\">the certification FAQ</a>.", "level": "error", "timestamp": "2026-11-24T10:00:00Z" },
            { "messageHtml": "The plan's description is shorter than recommended.", "level": "warning", "timestamp": "2026-11-24T10:00:00Z" }
        ]),
        (LIVE, "failed") => json!([
            { "messageHtml": "Going live failed: the offer's listing is missing a privacy policy link.", "level": "error", "timestamp": "2026-11-24T10:00:00Z" }
        ]),
        (PACKAGING, "complete") => json!([
            { "messageHtml": "Lead management is not configured: leads from this offer are not delivered.", "level": "warning", "timestamp": "2026-11-24T10:00:00Z" }
        ]),
        (_, "complete") => {
            json!([{ "messageHtml": "Step completed.", "level": "information", "timestamp": "2026-11-24T10:00:00Z" }])
        }
        _ => json!([]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(end: End) -> Operation {
        Operation {
            id: "op".into(),
            number: 1,
            live: false,
            first: 0,
            last: STEPS.len(),
            end,
            cancel_asked: None,
        }
    }

    #[test]
    fn operations_walk_the_steps_and_stop_where_their_end_says() {
        let complete = publish(End::Complete);
        assert_eq!(
            complete.phase(Duration::ZERO),
            Phase::Running {
                step: 0,
                percent: 0
            }
        );
        assert_eq!(complete.phase(STEP_TIME * 6), Phase::Succeeded);
        let failing = publish(End::FailAt(CERTIFICATION));
        assert!(matches!(
            failing.phase(STEP_TIME),
            Phase::Running { step: 1, .. }
        ));
        assert_eq!(failing.phase(STEP_TIME * 2), Phase::Failed { step: 1 });
        assert_eq!(failing.phase(STEP_TIME * 50), Phase::Failed { step: 1 });
        let waiting = publish(End::WaitAt(SIGNOFF));
        assert_eq!(waiting.phase(STEP_TIME * 50), Phase::Waiting { step: 4 });
        let hanging = publish(End::HangAt(CERTIFICATION));
        assert!(!hanging.phase(STEP_TIME * 500).is_over());
    }

    #[test]
    fn a_cancel_takes_effect_unless_the_operation_ended_first() {
        let mut hanging = publish(End::HangAt(CERTIFICATION));
        hanging.cancel_asked = Some(STEP_TIME * 3);
        assert!(!hanging.phase(STEP_TIME * 3).is_over());
        assert_eq!(
            hanging.phase(STEP_TIME * 4),
            Phase::Canceled {
                step: CERTIFICATION
            }
        );
        let mut failing = publish(End::FailAt(CERTIFICATION));
        failing.cancel_asked = Some(STEP_TIME * 3 / 2);
        assert_eq!(failing.phase(STEP_TIME * 10), Phase::Failed { step: 1 });
    }

    #[test]
    fn links_appear_once_known() {
        let operation = publish(End::Complete);
        let early = operation.cpp_json(operation.phase(STEP_TIME), "contoso", "vm");
        assert_eq!(early[0]["previewLinks"], json!([]));
        let done = operation.cpp_json(Phase::Succeeded, "fabrikam", "fabrikam-vm");
        assert_eq!(
            done[0]["previewLinks"],
            json!([
                "https://azuremarketplace.microsoft.com/marketplace/apps/fabrikam.fabrikam-vm-preview"
            ])
        );
        assert_eq!(
            done[0]["liveLinks"],
            json!(["https://azuremarketplace.microsoft.com/marketplace/apps/fabrikam.fabrikam-vm"])
        );
        assert_eq!(done[0]["status"], "complete");
    }
}
