//! The state of an operation as the service reports it, read liberally: the CPP reference shows
//! an array holding one object where real clients read an object; numbers arrive as strings;
//! status values vary in case and spelling. Anything unknown stays unknown and never counts as
//! success.

use serde_json::{Map, Value};

use crate::text::html_to_text;

/// The status of an operation (or of the offer, for `GET .../status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationStatus {
    NotStarted,
    /// The offer's status when it was never published.
    NeverPublished,
    Running,
    /// The offer's status while the preview waits for go-live.
    WaitingForPublisherReview,
    /// An operation that ended with the preview published (a product ingestion job targeting
    /// preview): nothing more happens until someone goes live.
    PreviewReady,
    Succeeded,
    Failed,
    Canceled,
    /// A value we do not know; kept as sent, for the log and the `offer-status` output.
    Unknown(String),
}

impl OperationStatus {
    pub fn parse(value: &str) -> OperationStatus {
        match normalise(value).as_str() {
            "notstarted" => OperationStatus::NotStarted,
            "neverpublished" => OperationStatus::NeverPublished,
            "running" | "inprogress" => OperationStatus::Running,
            "waitingforpublisherreview" => OperationStatus::WaitingForPublisherReview,
            "complete" | "completed" | "succeeded" => OperationStatus::Succeeded,
            "failed" => OperationStatus::Failed,
            "canceled" | "cancelled" => OperationStatus::Canceled,
            _ => OperationStatus::Unknown(value.to_owned()),
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OperationStatus::Succeeded
                | OperationStatus::Failed
                | OperationStatus::Canceled
                | OperationStatus::PreviewReady
        )
    }
}

/// `Not Started`, `not_started`, `NotStarted` -> `notstarted`.
fn normalise(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    NotStarted,
    InProgress,
    WaitingForPublisherReview,
    WaitingForApproval,
    Blocked,
    Rejected,
    Complete,
    Canceled,
    Failed,
    Unknown,
}

impl StepStatus {
    pub fn parse(value: &str) -> StepStatus {
        match normalise(value).as_str() {
            "notstarted" => StepStatus::NotStarted,
            "inprogress" | "running" => StepStatus::InProgress,
            "waitingforpublisherreview" => StepStatus::WaitingForPublisherReview,
            "waitingforapproval" => StepStatus::WaitingForApproval,
            "blocked" => StepStatus::Blocked,
            "rejected" => StepStatus::Rejected,
            "complete" | "completed" | "succeeded" => StepStatus::Complete,
            "canceled" | "cancelled" => StepStatus::Canceled,
            "failed" => StepStatus::Failed,
            _ => StepStatus::Unknown,
        }
    }

    /// A step that stopped the operation.
    pub fn is_failure(&self) -> bool {
        matches!(self, StepStatus::Failed | StepStatus::Rejected)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Information,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub level: Level,
    /// Plain text, reduced from the service's HTML.
    pub text: String,
    /// What the message is about, when the service says more precisely than the step (a product
    /// ingestion error's code and resource); the annotation's title. Service text: escape it.
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub name: String,
    pub status: StepStatus,
    /// The status as the service spelled it, for display.
    pub status_text: String,
    pub progress: Option<u32>,
    pub estimate: Option<String>,
    pub messages: Vec<Message>,
}

impl Step {
    /// `publisher-signoff` waiting for review: the preview is ready and go-live is pending.
    pub fn is_preview_ready(&self) -> bool {
        self.status == StepStatus::WaitingForPublisherReview
    }

    /// What to call the step: its name, else its id.
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}

/// One reading of an operation's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationState {
    pub id: Option<String>,
    pub status: OperationStatus,
    /// The status as the service spelled it (the `offer-status` output).
    pub status_text: String,
    pub steps: Vec<Step>,
    pub messages: Vec<Message>,
    pub offer_version: Option<String>,
    pub publishing_version: Option<String>,
    pub preview_links: Vec<String>,
    pub live_links: Vec<String>,
    /// Steps the service sent past [`MAX_STEPS`], not kept: the report says "… N more".
    pub more_steps: usize,
    /// Messages (of the operation and of its steps) past [`MAX_MESSAGES`] each, not kept.
    pub more_messages: usize,
}

/// Steps kept per reading: CPP operations have about ten; the report prints fewer still, but
/// says how many changed, so a reading keeps more than it shows.
pub const MAX_STEPS: usize = 1000;
/// Messages kept per reading of an operation, and per step.
pub const MAX_MESSAGES: usize = 100;

impl OperationState {
    /// A state with nothing but a status, for services that report little.
    pub fn with_status(status_text: &str) -> Self {
        OperationState {
            id: None,
            status: OperationStatus::parse(status_text),
            status_text: status_text.to_owned(),
            steps: Vec::new(),
            messages: Vec::new(),
            offer_version: None,
            publishing_version: None,
            preview_links: Vec::new(),
            live_links: Vec::new(),
            more_steps: 0,
            more_messages: 0,
        }
    }

    /// The preview is ready and the operation waits for go-live.
    pub fn is_preview_ready(&self) -> bool {
        matches!(
            self.status,
            OperationStatus::WaitingForPublisherReview | OperationStatus::PreviewReady
        ) || self.steps.iter().any(Step::is_preview_ready)
    }

    /// The step that failed the operation: the first failed or rejected step, else the first
    /// blocked one carrying an error.
    pub fn failed_step(&self) -> Option<&Step> {
        self.steps
            .iter()
            .find(|step| step.status.is_failure())
            .or_else(|| {
                self.steps.iter().find(|step| {
                    step.status == StepStatus::Blocked
                        && step.messages.iter().any(|m| m.level == Level::Error)
                })
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Parses an operation (or offer status) body: an object, or an array whose first element is one.
/// A body without a `status` string is not a state: proxies answer `200` with other things.
pub fn parse_operation(body: &[u8]) -> Result<OperationState, ParseError> {
    let value = crate::transport::json::parse(body)
        .map_err(|error| ParseError(format!("not JSON ({error})")))?;
    let object = single_object(&value)?;
    let status_text = object
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| ParseError("no \"status\" string in the body".to_owned()))?;
    let (step_items, more_steps) = capped(object.get("steps"), MAX_STEPS);
    let (mut steps, mut more_messages) = (Vec::new(), 0usize);
    for step in step_items.iter().filter_map(Value::as_object) {
        let (step, more) = parse_step(step);
        steps.push(step);
        more_messages = more_messages.saturating_add(more);
    }
    let (messages, more) = capped_messages(object.get("messages"));
    let more_messages = more_messages.saturating_add(more);
    Ok(OperationState {
        id: scalar(object.get("id")),
        status: OperationStatus::parse(status_text),
        status_text: status_text.to_owned(),
        steps,
        messages,
        offer_version: scalar(object.get("offerVersion")),
        publishing_version: scalar(object.get("publishingVersion")),
        preview_links: links(object.get("previewLinks")),
        live_links: links(object.get("liveLinks")),
        more_steps,
        more_messages,
    })
}

/// An object, or the first object of an array.
pub fn single_object(value: &Value) -> Result<&Map<String, Value>, ParseError> {
    match value {
        Value::Object(object) => Ok(object),
        Value::Array(items) => items
            .first()
            .and_then(Value::as_object)
            .ok_or_else(|| ParseError("an array without an object in it".to_owned())),
        _ => Err(ParseError("neither an object nor an array".to_owned())),
    }
}

/// A step, and how many of its messages were not kept.
fn parse_step(object: &Map<String, Value>) -> (Step, usize) {
    let status_text = scalar(object.get("status")).unwrap_or_default();
    let (messages, more_messages) = capped_messages(object.get("messages"));
    let step = Step {
        id: scalar(object.get("id")).unwrap_or_default(),
        name: scalar(object.get("stepName")).unwrap_or_default(),
        status: StepStatus::parse(&status_text),
        status_text,
        progress: match object.get("progressPercentage") {
            Some(Value::Number(number)) => number
                .as_u64()
                .or_else(|| {
                    // A fractional percentage: round it; the value is clamped below.
                    #[allow(clippy::cast_possible_truncation)]
                    number
                        .as_f64()
                        .filter(|f| *f >= 0.0)
                        .map(|f| f.min(100.0).round() as u64)
                })
                .map(|p| p.min(100) as u32),
            Some(Value::String(text)) => text
                .trim()
                .trim_end_matches('%')
                .parse::<u32>()
                .ok()
                .map(|p| p.min(100)),
            _ => None,
        },
        estimate: scalar(object.get("estimatedTimeFrame")).filter(|e| !e.is_empty()),
        messages,
    };
    (step, more_messages)
}

/// A string or number as text; anything else as absent.
pub fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The items of an array, without the count the bounded reader leaves after a cut one.
fn array(value: Option<&Value>) -> &[Value] {
    capped(value, usize::MAX).0
}

/// At most `max` items of an array, and how many more there were (cut here or by the reader).
fn capped(value: Option<&Value>, max: usize) -> (&[Value], usize) {
    let items = value
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let (items, dropped) = crate::transport::json::take_more(items);
    let kept = items.len().min(max);
    (&items[..kept], dropped.saturating_add(items.len() - kept))
}

/// The messages of an operation or step, at most [`MAX_MESSAGES`], and how many more there were.
fn capped_messages(value: Option<&Value>) -> (Vec<Message>, usize) {
    let (items, more) = capped(value, MAX_MESSAGES);
    (messages_of(items), more)
}

fn messages_of(items: &[Value]) -> Vec<Message> {
    items
        .iter()
        .filter_map(|item| {
            let (html, level) = match item {
                Value::String(text) => (text.as_str(), None),
                Value::Object(object) => (
                    object
                        .get("messageHtml")
                        .or_else(|| object.get("message"))
                        .and_then(Value::as_str)?,
                    object.get("level").and_then(Value::as_str),
                ),
                _ => return None,
            };
            let level = match level.map(normalise).as_deref() {
                Some("error") => Level::Error,
                Some("warning") => Level::Warning,
                _ => Level::Information,
            };
            let text = html_to_text(html);
            (!text.is_empty()).then_some(Message {
                level,
                text,
                title: None,
            })
        })
        .collect()
}

/// Links arrive as strings or as objects with a URI field; keep the addresses.
fn links(value: Option<&Value>) -> Vec<String> {
    array(value)
        .iter()
        .filter_map(|item| match item {
            Value::String(text) => Some(text.clone()),
            Value::Object(object) => ["uri", "url", "link", "href"]
                .iter()
                .find_map(|key| object.get(*key).and_then(Value::as_str))
                .map(str::to_owned),
            _ => None,
        })
        .filter(|link| !link.trim().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_messages_are_capped_and_the_rest_counted() {
        let bare_step = serde_json::json!({"id": "s", "status": "inProgress"});
        let body =
            serde_json::json!({"status": "running", "steps": vec![bare_step; MAX_STEPS + 200]});
        let state = parse_operation(body.to_string().as_bytes()).expect("state");
        assert_eq!(state.steps.len(), MAX_STEPS);
        assert_eq!(state.more_steps, 200);

        let message = serde_json::json!({"messageHtml": "m", "level": "error"});
        let step = serde_json::json!({"id": "s", "status": "inProgress", "messages": vec![message.clone(); 150]});
        let body = serde_json::json!({
            "status": "running",
            "steps": vec![step; 3],
            "messages": vec![message; 2000],
        });
        let state = parse_operation(body.to_string().as_bytes()).expect("state");
        assert!(
            state
                .steps
                .iter()
                .all(|step| step.messages.len() == MAX_MESSAGES)
        );
        assert_eq!(state.messages.len(), MAX_MESSAGES);
        // 1,900 of the operation's, 50 of each of the 3 steps.
        assert_eq!(state.more_messages, 2000 - MAX_MESSAGES + 3 * 50);
    }

    #[test]
    fn statuses_are_case_insensitive_and_liberal() {
        assert_eq!(
            OperationStatus::parse("Complete"),
            OperationStatus::Succeeded
        );
        assert_eq!(
            OperationStatus::parse("completed"),
            OperationStatus::Succeeded
        );
        assert_eq!(
            OperationStatus::parse("SUCCEEDED"),
            OperationStatus::Succeeded
        );
        assert_eq!(
            OperationStatus::parse("Cancelled"),
            OperationStatus::Canceled
        );
        assert_eq!(
            OperationStatus::parse("not started"),
            OperationStatus::NotStarted
        );
        assert_eq!(
            OperationStatus::parse("NeverPublished"),
            OperationStatus::NeverPublished
        );
        assert_eq!(
            OperationStatus::parse("WaitingForPublisherReview"),
            OperationStatus::WaitingForPublisherReview
        );
        assert_eq!(
            OperationStatus::parse("successful-ish"),
            OperationStatus::Unknown("successful-ish".into())
        );
        assert!(!OperationStatus::parse("successful-ish").is_terminal());
    }

    #[test]
    fn object_and_array_bodies() {
        let object = br#"{"status":"running","steps":[{"id":"a","stepName":"A","status":"inProgress","progressPercentage":"45","estimatedTimeFrame":"< 1 day"}]}"#;
        let array = br#"[{"status":"running","steps":[{"id":"a","stepName":"A","status":"inProgress","progressPercentage":45,"estimatedTimeFrame":"< 1 day"}]}]"#;
        let from_object = parse_operation(object).expect("object");
        let from_array = parse_operation(array).expect("array");
        assert_eq!(from_object, from_array);
        assert_eq!(from_object.steps[0].progress, Some(45));
        assert_eq!(from_object.steps[0].estimate.as_deref(), Some("< 1 day"));
    }

    #[test]
    fn bodies_that_are_not_states_are_errors() {
        for body in [
            &b"<html>gateway</html>"[..],
            b"[]",
            b"{}",
            b"42",
            b"{\"status\":3}",
        ] {
            assert!(
                parse_operation(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn messages_are_plain_text_with_levels() {
        let body = br#"{"status":"failed","offerVersion":3,"steps":[{"id":"cert","stepName":"Certification","status":"failed","messages":[{"messageHtml":"<b>VHD</b> &amp; disk","level":"Error"},{"messageHtml":"note","level":"information"}]}],"previewLinks":["https://p"],"liveLinks":[{"uri":"https://l"}]}"#;
        let state = parse_operation(body).expect("valid");
        assert_eq!(state.offer_version.as_deref(), Some("3"));
        let step = state.failed_step().expect("failed step");
        assert_eq!(step.id, "cert");
        assert_eq!(
            step.messages[0],
            Message {
                level: Level::Error,
                text: "VHD & disk".into(),
                title: None,
            }
        );
        assert_eq!(state.preview_links, ["https://p"]);
        assert_eq!(state.live_links, ["https://l"]);
    }

    #[test]
    fn preview_ready_from_step_or_offer_status() {
        let body = br#"{"status":"running","steps":[{"id":"publisher-signoff","status":"WaitingForPublisherReview"}]}"#;
        assert!(parse_operation(body).expect("valid").is_preview_ready());
        assert!(OperationState::with_status("WaitingForPublisherReview").is_preview_ready());
        assert!(!OperationState::with_status("Running").is_preview_ready());
    }

    #[allow(clippy::needless_pass_by_value)]
    fn step_json(status: &str, messages: Value) -> Value {
        serde_json::json!({"id": status, "stepName": "", "status": status, "messages": messages})
    }

    #[allow(clippy::needless_pass_by_value)]
    fn state_with_steps(steps: Vec<Value>) -> OperationState {
        let body = serde_json::json!({"status": "failed", "steps": steps});
        parse_operation(body.to_string().as_bytes()).expect("valid")
    }

    #[test]
    fn the_failed_step_is_failed_or_rejected_else_blocked_with_an_error() {
        let error = || serde_json::json!([{"messageHtml": "bad", "level": "Error"}]);
        let warning = || serde_json::json!([{"messageHtml": "hm", "level": "Warning"}]);
        // Steps (status, messages) -> the id of the failed step.
        let table: Vec<(Vec<Value>, Option<&str>)> = vec![
            (
                vec![
                    step_json("complete", error()),
                    step_json("failed", serde_json::json!([])),
                ],
                Some("failed"),
            ),
            (
                vec![
                    step_json("complete", serde_json::json!([])),
                    step_json("Rejected", serde_json::json!([])),
                ],
                Some("Rejected"),
            ),
            (
                vec![
                    step_json("blocked", error()),
                    step_json("rejected", serde_json::json!([])),
                ],
                Some("rejected"),
            ),
            (
                vec![
                    step_json("inProgress", error()),
                    step_json("blocked", error()),
                ],
                Some("blocked"),
            ),
            (vec![step_json("blocked", warning())], None),
            (vec![step_json("blocked", serde_json::json!([]))], None),
            (
                vec![
                    step_json("complete", error()),
                    step_json("canceled", error()),
                ],
                None,
            ),
            (Vec::new(), None),
        ];
        for (steps, expected) in table {
            let described = serde_json::to_string(&steps).unwrap_or_default();
            let state = state_with_steps(steps);
            assert_eq!(
                state.failed_step().map(|step| step.id.as_str()),
                expected,
                "{described}"
            );
        }
    }

    #[test]
    fn message_shapes() {
        let body = br#"{"status":"failed","messages":[
            {"messageHtml":"<p>html</p>","level":"error"},
            {"message":"plain field","level":"Warning"},
            {"messageHtml":"html wins","message":"not this","level":"WARNING"},
            "a plain string",
            {"messageHtml":"no level"},
            {"messageHtml":"odd level","level":"fatal"},
            {"messageHtml":"","level":"error"},
            {"messageHtml":"   ","level":"error"},
            {"level":"error"},
            {"messageHtml":7,"level":"error"},
            42,
            null
        ]}"#;
        let state = parse_operation(body).expect("valid");
        let shown: Vec<_> = state
            .messages
            .iter()
            .map(|m| (m.level, m.text.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (Level::Error, "html"),
                (Level::Warning, "plain field"),
                (Level::Warning, "html wins"),
                (Level::Information, "a plain string"),
                (Level::Information, "no level"),
                (Level::Information, "odd level"),
            ]
        );
        // Steps read messages the same way.
        let state = state_with_steps(vec![step_json(
            "failed",
            serde_json::json!(["step text", {"message": "x", "level": "error"}]),
        )]);
        assert_eq!(
            state.steps[0].messages,
            [
                Message {
                    level: Level::Information,
                    text: "step text".into(),
                    title: None,
                },
                Message {
                    level: Level::Error,
                    text: "x".into(),
                    title: None,
                }
            ]
        );
        // Not an array: no messages.
        let state = parse_operation(br#"{"status":"failed","messages":"oops"}"#).expect("valid");
        assert!(state.messages.is_empty());
    }

    #[test]
    fn progress_values() {
        let table: Vec<(Value, Option<u32>)> = vec![
            (serde_json::json!(45), Some(45)),
            (serde_json::json!(0), Some(0)),
            (serde_json::json!(100), Some(100)),
            (serde_json::json!(45.5), Some(46)),
            (serde_json::json!(45.4), Some(45)),
            (serde_json::json!(0.0), Some(0)),
            (serde_json::json!(0.4), Some(0)),
            (serde_json::json!(99.6), Some(100)),
            (serde_json::json!(100.5), Some(100)),
            (serde_json::json!(1e300), Some(100)),
            (serde_json::json!(250), Some(100)),
            (serde_json::json!(u64::MAX), Some(100)),
            (serde_json::json!(-5), None),
            (serde_json::json!(-0.5), None),
            (serde_json::json!("45"), Some(45)),
            (serde_json::json!(" 45% "), Some(45)),
            (serde_json::json!("250"), Some(100)),
            (serde_json::json!("-5"), None),
            (serde_json::json!("45.5"), None),
            (serde_json::json!("lots"), None),
            (serde_json::json!(""), None),
            (serde_json::json!(null), None),
            (serde_json::json!(true), None),
            (serde_json::json!([45]), None),
        ];
        for (value, expected) in table {
            let body = serde_json::json!({"status": "running", "steps": [{"id": "a", "status": "inProgress", "progressPercentage": value}]});
            let state = parse_operation(body.to_string().as_bytes()).expect("valid");
            assert_eq!(state.steps[0].progress, expected, "{value}");
        }
        let state = state_with_steps(vec![serde_json::json!({"id": "a", "status": "inProgress"})]);
        assert_eq!(state.steps[0].progress, None, "absent");
    }

    #[test]
    fn every_status_spelling() {
        use OperationStatus as O;
        for (text, status, terminal) in [
            ("notStarted", O::NotStarted, false),
            ("Never_Published", O::NeverPublished, false),
            ("running", O::Running, false),
            ("In-Progress", O::Running, false),
            (
                "waitingForPublisherReview",
                O::WaitingForPublisherReview,
                false,
            ),
            ("Complete", O::Succeeded, true),
            ("failed", O::Failed, true),
            ("canceled", O::Canceled, true),
            ("", O::Unknown(String::new()), false),
        ] {
            let parsed = O::parse(text);
            assert_eq!(parsed, status, "{text}");
            assert_eq!(parsed.is_terminal(), terminal, "{text}");
        }
        assert!(O::PreviewReady.is_terminal());
        use StepStatus as S;
        for (text, status, failure) in [
            ("NotStarted", S::NotStarted, false),
            ("inProgress", S::InProgress, false),
            ("running", S::InProgress, false),
            (
                "WaitingForPublisherReview",
                S::WaitingForPublisherReview,
                false,
            ),
            ("waitingForApproval", S::WaitingForApproval, false),
            ("blocked", S::Blocked, false),
            ("rejected", S::Rejected, true),
            ("Completed", S::Complete, false),
            ("succeeded", S::Complete, false),
            ("cancelled", S::Canceled, false),
            ("FAILED", S::Failed, true),
            ("exploded", S::Unknown, false),
        ] {
            let parsed = S::parse(text);
            assert_eq!(parsed, status, "{text}");
            assert_eq!(parsed.is_failure(), failure, "{text}");
        }
    }

    #[test]
    fn preview_ready_only_from_the_review_states() {
        let mut state = OperationState::with_status("running");
        assert!(!state.is_preview_ready());
        state.status = OperationStatus::PreviewReady;
        assert!(state.is_preview_ready());
        let body = br#"{"status":"running","steps":[{"id":"a","status":"complete"},{"id":"b","status":"waitingForApproval"}]}"#;
        assert!(!parse_operation(body).expect("valid").is_preview_ready());
    }

    #[test]
    fn fields_as_scalars_links_and_labels() {
        let body = br#"[{"id":17,"status":"running","offerVersion":true,"publishingVersion":"4",
            "steps":[{"id":"a","stepName":"Alpha","status":"inProgress","estimatedTimeFrame":""},
                     {"id":"b","stepName":"","status":"inProgress","estimatedTimeFrame":5},
                     "not a step"],
            "previewLinks":["https://p", "  ", {"url":"https://u"}, {"href":"https://h"}, {"link":"https://l"}, {"other":"x"}, 3],
            "liveLinks":"none"}]"#;
        let state = parse_operation(body).expect("valid");
        assert_eq!(state.id.as_deref(), Some("17"));
        assert_eq!(state.offer_version.as_deref(), Some("true"));
        assert_eq!(state.publishing_version.as_deref(), Some("4"));
        assert_eq!(state.steps.len(), 2);
        assert_eq!(state.steps[0].label(), "Alpha");
        assert_eq!(state.steps[1].label(), "b");
        assert_eq!(state.steps[0].estimate, None);
        assert_eq!(state.steps[1].estimate.as_deref(), Some("5"));
        assert_eq!(
            state.preview_links,
            ["https://p", "https://u", "https://h", "https://l"]
        );
        assert!(state.live_links.is_empty());
        assert_eq!(scalar(Some(&serde_json::json!({"a": 1}))), None);
        assert_eq!(scalar(None), None);
        assert!(single_object(&serde_json::json!([1, {"status": "x"}])).is_err());
        assert_eq!(
            parse_operation(b"[]").map_err(|e| e.to_string()),
            Err("an array without an object in it".to_owned())
        );
    }
}
