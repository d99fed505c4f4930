//! A configure job's status (`configure/{jobId}/status`) on the shared model, with the leaf
//! messages of its nested `errors[]`.

use serde_json::Value;

use super::ids::job_id;
use crate::api::model::{
    Level, Message, OperationState, OperationStatus, ParseError, Step, StepStatus,
};

/// How deep `errors[].details[]` is followed: real answers nest two or three levels.
const MAX_ERROR_DEPTH: usize = 8;
/// How many leaf errors of one job are kept (the annotations show 10; the summary and the result
/// file list the rest).
const MAX_ERROR_LEAVES: usize = 100;

/// A job's status on the shared model: `completed` + `succeeded` -> succeeded, `failed` ->
/// failed, `cancelled` -> canceled; `notStarted`/`running` -> running. `errors[]` become error
/// messages.
pub(super) fn parse_job(value: &Value) -> Result<OperationState, ParseError> {
    let job_status = value
        .get("jobStatus")
        .and_then(Value::as_str)
        .ok_or_else(|| ParseError("no \"jobStatus\" in the body".to_owned()))?;
    let job_result = value
        .get("jobResult")
        .and_then(Value::as_str)
        .unwrap_or("pending");
    let status_text = if job_status.eq_ignore_ascii_case("completed") {
        job_result
    } else {
        job_status
    };
    let status = match OperationStatus::parse(job_status) {
        OperationStatus::Succeeded => match OperationStatus::parse(job_result) {
            OperationStatus::Unknown(_)
            | OperationStatus::Running
            | OperationStatus::NotStarted => {
                OperationStatus::Unknown(format!("{job_status}/{job_result}"))
            }
            result => result,
        },
        other => other,
    };
    let mut leaves = Leaves::default();
    // The bounded reader leaves a count after a cut list: counted with the leaves cut here.
    let errors = value.get("errors").and_then(Value::as_array);
    let (errors, cut) = errors.map_or((&[][..], 0), |items| {
        crate::transport::json::take_more(items)
    });
    leaves.dropped += cut;
    for error in errors {
        error_leaves(error, None, 0, &mut leaves);
    }
    let mut messages = leaves.kept;
    if leaves.dropped > 0 {
        // Counted, not lost without a word.
        messages.push(Message {
            level: Level::Error,
            text: format!(
                "… {} more errors from the service, not shown",
                leaves.dropped
            ),
            title: None,
        });
    }
    // The job as one step, so that its progress shows like CPP's steps do.
    let step = Step {
        id: job_id(value).unwrap_or_default(),
        name: "configure job".to_owned(),
        status: match &status {
            OperationStatus::Succeeded => StepStatus::Complete,
            OperationStatus::Failed => StepStatus::Failed,
            OperationStatus::Canceled => StepStatus::Canceled,
            OperationStatus::NotStarted => StepStatus::NotStarted,
            OperationStatus::Running => StepStatus::InProgress,
            _ => StepStatus::Unknown,
        },
        status_text: status_text.to_owned(),
        progress: None,
        estimate: None,
        messages,
    };
    Ok(OperationState {
        id: job_id(value),
        status,
        status_text: status_text.to_owned(),
        steps: vec![step],
        ..OperationState::with_status(status_text)
    })
}

/// From a job's detail (`GET configure/{jobId}`, `{"resources": [...]}`): whether its submission
/// targets live. Any live submission makes it a go-live; a preview one, a publish to preview;
/// none (a job that changed the draft only), `None`. A target of another name is not a
/// submission's.
pub(super) fn target_is_live(value: &Value) -> Result<Option<bool>, ParseError> {
    let resources = value
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError("no \"resources\" list in the job detail".to_owned()))?;
    let targets: Vec<String> = resources
        .iter()
        .filter_map(|resource| resource.get("target")?.get("targetType")?.as_str())
        .map(str::to_ascii_lowercase)
        .collect();
    Ok(if targets.iter().any(|target| target == "live") {
        Some(true)
    } else if targets.iter().any(|target| target == "preview") {
        Some(false)
    } else {
        None
    })
}

/// The leaf messages found in a job's errors: the first [`MAX_ERROR_LEAVES`] kept, the rest
/// counted.
#[derive(Default)]
struct Leaves {
    kept: Vec<Message>,
    dropped: usize,
}

impl Leaves {
    fn found(&self) -> usize {
        self.kept.len() + self.dropped
    }
}

/// Adds the leaves under `error` (an item of `errors[]` or of a `details[]`) to `leaves`: each
/// leaf message with a title from its code and the resource it (or the nearest item above it)
/// names. The text of the items above a leaf is context the leaf repeats more precisely; an
/// item whose `details` holds nothing usable is a leaf itself.
fn error_leaves(error: &Value, resource: Option<&str>, depth: usize, leaves: &mut Leaves) {
    let Value::Object(object) = error else {
        // Older answers (and some clients' test data) list errors as plain strings.
        if let Some(text) = error.as_str() {
            push_leaf(leaves, None, resource, text);
        }
        return;
    };
    let text_of = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
    };
    let resource = text_of("resourceId").or(resource);
    // The bounded reader leaves a count after a cut list: counted with the leaves cut here.
    let (details, cut): (&[Value], usize) = object
        .get("details")
        .and_then(Value::as_array)
        .map_or((&[], 0), |items| crate::transport::json::take_more(items));
    leaves.dropped += cut;
    let before = leaves.found();
    if depth + 1 < MAX_ERROR_DEPTH {
        for detail in details {
            error_leaves(detail, resource, depth + 1, leaves);
        }
    }
    if leaves.found() == before {
        let code = text_of("code");
        if let Some(text) = text_of("message").or(code) {
            push_leaf(leaves, code, resource, text);
        }
    }
}

fn push_leaf(leaves: &mut Leaves, code: Option<&str>, resource: Option<&str>, text: &str) {
    let text = crate::text::html_to_text(text);
    if text.is_empty() {
        return;
    }
    if leaves.kept.len() >= MAX_ERROR_LEAVES {
        leaves.dropped += 1;
        return;
    }
    let title = match (code, resource) {
        (Some(code), Some(resource)) => Some(format!("{code} ({resource})")),
        (Some(code), None) => Some(code.to_owned()),
        (None, Some(resource)) => Some(resource.to_owned()),
        (None, None) => None,
    };
    leaves.kept.push(Message {
        level: Level::Error,
        text,
        title: title.map(|title| crate::text::html_to_text(&title)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jobs_map_onto_the_shared_statuses() {
        let done = parse_job(&json!({"jobId": "j1", "jobStatus": "completed", "jobResult": "succeeded", "errors": []})).expect("job");
        assert_eq!(done.status, OperationStatus::Succeeded);
        let failed = parse_job(
            &json!({"jobID": "j1", "jobStatus": "completed", "jobResult": "failed",
            "errors": [{"code": "InvalidResource", "message": "The <b>plan</b> is missing"}]}),
        )
        .expect("job");
        assert_eq!(failed.status, OperationStatus::Failed);
        assert_eq!(failed.steps[0].messages[0].text, "The plan is missing");
        assert_eq!(
            failed.steps[0].messages[0].title.as_deref(),
            Some("InvalidResource")
        );
        assert_eq!(
            failed.failed_step().map(|step| step.name.as_str()),
            Some("configure job")
        );
        let canceled =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "cancelled"})).expect("job");
        assert_eq!(canceled.status, OperationStatus::Canceled);
        let running =
            parse_job(&json!({"jobStatus": "running", "jobResult": "pending"})).expect("job");
        assert_eq!(running.status, OperationStatus::Running);
        let odd =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "pending"})).expect("job");
        assert!(!odd.status.is_terminal());
        assert!(parse_job(&json!({"status": "x"})).is_err());
    }

    #[test]
    fn a_jobs_target_is_read_from_its_submission_resource() {
        let detail = |target: &str| {
            json!({"resources": [
                {"$schema": "https://schema.mp.microsoft.com/schema/plan/2022-03-01-preview2", "id": "plan/x"},
                {"$schema": "https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2",
                 "product": "product/p", "target": {"targetType": target}}]})
        };
        assert_eq!(
            target_is_live(&detail("preview")).expect("detail"),
            Some(false)
        );
        assert_eq!(target_is_live(&detail("Live")).expect("detail"), Some(true));
        assert_eq!(target_is_live(&detail("draft")).expect("detail"), None);
        assert_eq!(
            target_is_live(&json!({"resources": []})).expect("detail"),
            None
        );
        assert!(target_is_live(&json!({"jobId": "j"})).is_err());
    }

    #[test]
    fn nested_job_errors_become_one_message_per_leaf() {
        let job = parse_job(&json!({"jobId": "j1", "jobStatus": "completed", "jobResult": "failed",
            "errors": [
                {"resourceId": "submission/2d541119", "code": "internalServerError", "message": "Operation failed",
                 "details": [
                    {"code": "invalidState", "message": "Certification", "details": [
                        {"code": "invalidState", "message": "Issues found during Certification."}]},
                    {"resourceId": "plan/p1", "code": "businessValidationError", "message": "Plan <i>x</i> has no price", "details": []}]},
                {"code": "conflict", "message": "flat", "details": {}},
                "a plain string"
            ]}))
        .expect("job");
        let leaves: Vec<(Option<&str>, &str)> = job.steps[0]
            .messages
            .iter()
            .map(|m| (m.title.as_deref(), m.text.as_str()))
            .collect();
        assert_eq!(
            leaves,
            [
                (
                    Some("invalidState (submission/2d541119)"),
                    "Issues found during Certification."
                ),
                (
                    Some("businessValidationError (plan/p1)"),
                    "Plan x has no price"
                ),
                (Some("conflict"), "flat"),
                (None, "a plain string"),
            ]
        );
    }

    #[test]
    fn hostile_error_nesting_is_bounded() {
        // Deeper than the walk goes: the deepest item read stands for what is below it.
        let mut error = json!({"code": "bottom", "message": "too deep"});
        for level in 0..40 {
            error = json!({"code": format!("level{level}"), "message": "m", "details": [error]});
        }
        let job =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "failed", "errors": [error]}))
                .expect("job");
        assert_eq!(job.steps[0].messages.len(), 1);
        assert_eq!(job.steps[0].messages[0].title.as_deref(), Some("level32"));
        let many: Vec<Value> = (0..1000)
            .map(|n| json!({"code": "c", "message": format!("m{n}")}))
            .collect();
        let job = parse_job(&json!({"jobStatus": "completed", "jobResult": "failed", "errors": [{"details": many}]}))
            .expect("job");
        // Wide: capped, and what is cut is counted.
        let messages = &job.steps[0].messages;
        assert_eq!(messages.len(), MAX_ERROR_LEAVES + 1);
        assert_eq!(messages[MAX_ERROR_LEAVES - 1].text, "m99");
        assert_eq!(
            messages[MAX_ERROR_LEAVES].text,
            "… 900 more errors from the service, not shown"
        );
        // Nested under a parent, the cut leaves do not make the parent a leaf of its own.
        let nested: Vec<Value> = (0..3)
            .map(|n| json!({"code": "p", "message": format!("parent {n}"), "details": [{"message": format!("leaf {n}")}]}))
            .collect();
        let mut errors: Vec<Value> = (0..MAX_ERROR_LEAVES - 1)
            .map(|n| json!({"message": format!("m{n}")}))
            .collect();
        errors.extend(nested);
        let job =
            parse_job(&json!({"jobStatus": "completed", "jobResult": "failed", "errors": errors}))
                .expect("job");
        let texts: Vec<&str> = job.steps[0]
            .messages
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(texts[MAX_ERROR_LEAVES - 1], "leaf 0");
        assert_eq!(
            texts[MAX_ERROR_LEAVES],
            "… 2 more errors from the service, not shown"
        );
    }
}
