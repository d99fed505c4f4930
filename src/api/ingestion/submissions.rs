//! The offer's state read from its submissions (`GET submission/{product}`), the way existing
//! clients do, and the preview submission that is ready to go live.

use serde_json::Value;

use super::ids::submission_number;
use crate::api::model::{OperationState, ParseError, Step, StepStatus, scalar};

/// Where a submission is published to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Preview,
    Live,
}

/// A submission's documented `status`: `notStarted`, `running` or `completed`; absent on the
/// draft entry, which is not a submission in this sense and never reaches here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Running,
    Completed,
    /// Absent, or a value the documentation does not list: not running, not an outcome.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Submission {
    id: String,
    number: u64,
    target: Target,
    progress: Progress,
    /// `result`, lower-cased: `succeeded`, `failed`, `pending`...; empty when absent.
    result: String,
}

/// `GET submission/{product}`: the submissions, without the draft entry. A submission whose id
/// or target is not of the documented shape makes the whole answer malformed.
pub(super) fn parse_submissions(value: &Value) -> Result<Vec<Submission>, ParseError> {
    let mut submissions = Vec::new();
    for item in super::lists::page_items(value, "submissions")? {
        if let Some(submission) = Submission::parse(item)? {
            submissions.push(submission);
        }
    }
    Ok(submissions)
}

impl Submission {
    /// `Ok(None)` for the draft entry.
    fn parse(value: &Value) -> Result<Option<Submission>, ParseError> {
        let target = value
            .get("target")
            .and_then(|target| target.get("targetType"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target = match target.to_ascii_lowercase().as_str() {
            "draft" => return Ok(None),
            "preview" => Target::Preview,
            "live" => Target::Live,
            _ => {
                return Err(ParseError(format!(
                    "a submission with target {:?}, neither draft, preview nor live",
                    crate::secret::redact_then_cut(target, 40)
                )));
            }
        };
        let id = value.get("id").and_then(Value::as_str).unwrap_or_default();
        let number = submission_number(id).ok_or_else(|| {
            ParseError(format!(
                "unexpected submission id {:?}",
                crate::secret::redact_then_cut(id, 100)
            ))
        })?;
        let status = scalar(value.get("status")).unwrap_or_default();
        let progress = match status.to_ascii_lowercase().as_str() {
            "notstarted" | "running" => Progress::Running,
            "completed" => Progress::Completed,
            _ => Progress::Unknown(status),
        };
        Ok(Some(Submission {
            id: id.to_owned(),
            number,
            target,
            progress,
            result: scalar(value.get("result"))
                .unwrap_or_default()
                .to_ascii_lowercase(),
        }))
    }

    fn is_running(&self) -> bool {
        self.progress == Progress::Running
    }

    fn completed_with(&self, result: &str) -> bool {
        self.progress == Progress::Completed && self.result == result
    }
}

/// The number of the newest live submission (0 when none).
fn newest_live(submissions: &[Submission]) -> u64 {
    submissions
        .iter()
        .filter(|s| s.target == Target::Live)
        .map(|s| s.number)
        .max()
        .unwrap_or(0)
}

/// The newest preview submission that completed and succeeded, when no live one is as new.
pub(super) fn ready_preview(submissions: &[Submission]) -> Option<String> {
    let newest_live = newest_live(submissions);
    submissions
        .iter()
        .filter(|s| {
            s.target == Target::Preview && s.completed_with("succeeded") && s.number > newest_live
        })
        .max_by_key(|s| s.number)
        .map(|s| s.id.clone())
}

/// The offer's status from its submissions: `Running` while one runs; otherwise from the newest
/// completed one: a preview newer than every live one that succeeded is waiting for go-live, a
/// live one that succeeded is published, a failed one failed. None completed: never published
/// (or, when some have a status we do not know, that status).
fn offer_status(submissions: &[Submission]) -> String {
    if submissions.iter().any(Submission::is_running) {
        return "Running".to_owned();
    }
    // On a tie the live entry wins: a preview pushed live is the same submission.
    let newest_completed = submissions
        .iter()
        .filter(|s| s.progress == Progress::Completed)
        .max_by_key(|s| (s.number, s.target == Target::Live));
    let Some(newest) = newest_completed else {
        return submissions
            .iter()
            .find_map(|s| match &s.progress {
                Progress::Unknown(status) if !status.is_empty() => Some(status.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "NeverPublished".to_owned());
    };
    match (newest.target, newest.result.as_str()) {
        (Target::Preview, "succeeded") if newest.number > newest_live(submissions) => {
            "WaitingForPublisherReview".to_owned()
        }
        (Target::Preview, "succeeded") => "Succeeded".to_owned(),
        (Target::Live, "succeeded") => "Succeeded".to_owned(),
        (_, "failed") => "Failed".to_owned(),
        (_, "cancelled" | "canceled") => "Canceled".to_owned(),
        (_, other) => format!("completed/{other}"),
    }
}

pub(super) fn state_from_submissions(submissions: &[Submission]) -> OperationState {
    let mut sorted: Vec<&Submission> = submissions.iter().collect();
    sorted.sort_by_key(|s| s.number);
    let steps = sorted
        .iter()
        .map(|s| {
            let (status, text) = match (&s.progress, s.result.as_str()) {
                (Progress::Completed, "succeeded") => (StepStatus::Complete, "complete"),
                (Progress::Completed, "failed") => (StepStatus::Failed, "failed"),
                (Progress::Completed, "cancelled" | "canceled") => {
                    (StepStatus::Canceled, "canceled")
                }
                (Progress::Completed, _) => (StepStatus::Unknown, "completed"),
                (Progress::Running, _) => (StepStatus::InProgress, "inProgress"),
                (Progress::Unknown(_), _) => (StepStatus::Unknown, "unknown"),
            };
            Step {
                id: s.id.clone(),
                name: format!(
                    "{} submission {}",
                    match s.target {
                        Target::Live => "live",
                        Target::Preview => "preview",
                    },
                    s.number
                ),
                status,
                status_text: text.to_owned(),
                progress: None,
                estimate: None,
                messages: Vec::new(),
            }
        })
        .collect();
    OperationState {
        steps,
        ..OperationState::with_status(&offer_status(submissions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::OperationStatus;
    use serde_json::json;

    const P: &str = "12345678-abcd-efgh-1234-12345678901";

    fn submission(number: u64, target: &str, status: &str, result: &str) -> Submission {
        Submission::parse(&json!({"id": format!("submission/{P}/{number}"),
            "target": {"targetType": target}, "status": status, "result": result}))
        .expect("valid")
        .expect("not the draft")
    }

    fn draft() -> Value {
        json!({"id": format!("submission/{P}/0"), "target": {"targetType": "draft"}})
    }

    #[test]
    fn a_submission_of_an_unexpected_shape_makes_the_answer_malformed() {
        assert!(
            parse_submissions(
                &json!({"value": [{"id": "submission/x/1?y", "target": {"targetType": "preview"}}]})
            )
            .is_err()
        );
        assert!(
            parse_submissions(
                &json!({"value": [{"id": "submission/x/1", "target": {"targetType": "elsewhere"}}]})
            )
            .is_err()
        );
        assert!(parse_submissions(&json!({"items": []})).is_err());
    }

    #[test]
    fn the_draft_entry_is_not_a_submission() {
        // A hostile id on the draft entry does not matter: it is never used.
        let list = parse_submissions(
            &json!({"value": [draft(), {"id": "x/..", "target": {"targetType": "draft"}}]}),
        )
        .expect("valid");
        assert!(list.is_empty());
        assert_eq!(
            state_from_submissions(&list).status,
            OperationStatus::NeverPublished
        );
        assert!(state_from_submissions(&list).steps.is_empty());
    }

    #[test]
    fn offer_state_from_submissions() {
        let state = |subs: &[Submission]| state_from_submissions(subs).status;
        assert_eq!(state(&[]), OperationStatus::NeverPublished);
        assert_eq!(
            state(&[submission(1, "preview", "running", "pending")]),
            OperationStatus::Running
        );
        assert_eq!(
            state(&[submission(1, "preview", "notStarted", "pending")]),
            OperationStatus::Running
        );
        // A status the documentation does not list is not running.
        assert_eq!(
            state(&[submission(1, "preview", "queuedSomehow", "")]),
            OperationStatus::Unknown("queuedSomehow".into())
        );
        assert_eq!(
            state(&[submission(1, "preview", "completed", "succeeded")]),
            OperationStatus::WaitingForPublisherReview
        );
        assert_eq!(
            state(&[
                submission(1, "preview", "completed", "succeeded"),
                submission(2, "live", "completed", "succeeded")
            ]),
            OperationStatus::Succeeded
        );
        // The documented list: live 7470, then a newer preview 8683.
        assert_eq!(
            state(&[
                submission(1_152_921_515_689_847_470, "live", "completed", "succeeded"),
                submission(
                    1_152_921_515_689_848_683,
                    "preview",
                    "completed",
                    "succeeded"
                )
            ]),
            OperationStatus::WaitingForPublisherReview
        );
        // A preview pushed live is the same submission on both targets: live.
        assert_eq!(
            state(&[
                submission(5, "preview", "completed", "succeeded"),
                submission(5, "live", "completed", "succeeded")
            ]),
            OperationStatus::Succeeded
        );
        assert_eq!(
            state(&[submission(3, "preview", "completed", "failed")]),
            OperationStatus::Failed
        );
        assert_eq!(
            state(&[
                submission(2, "live", "completed", "succeeded"),
                submission(3, "preview", "completed", "failed")
            ]),
            OperationStatus::Failed
        );
    }

    #[test]
    fn go_live_takes_the_newest_ready_preview() {
        let subs = [
            submission(1, "preview", "completed", "succeeded"),
            submission(2, "live", "completed", "succeeded"),
            submission(3, "preview", "completed", "succeeded"),
            submission(4, "preview", "completed", "failed"),
        ];
        assert_eq!(ready_preview(&subs), Some(format!("submission/{P}/3")));
        assert_eq!(ready_preview(&subs[..2]), None);
        assert_eq!(
            ready_preview(&[submission(7, "preview", "running", "pending")]),
            None
        );
    }
}
