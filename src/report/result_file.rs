//! The `result-file`: the whole result as JSON, for any CI system or script.

use std::time::Duration;

use serde_json::{Value, json};

use super::output::Output;
use crate::api::model::{Level, Message, OperationState};
use crate::outcome::Outcome;

fn messages(messages: &[Message]) -> Value {
    messages
        .iter()
        .map(|message| {
            let mut item = json!({
                "level": match message.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Information => "information",
                },
                "text": message.text,
            });
            // What the message is about, when the service says (a product ingestion error).
            if let Some(title) = &message.title {
                item["title"] = Value::String(title.clone());
            }
            item
        })
        .collect()
}

fn state(state: &OperationState) -> Value {
    json!({
        "status": state.status_text,
        "offerVersion": state.offer_version,
        "steps": state.steps.iter().map(|step| json!({
            "id": step.id,
            "name": step.name,
            "status": step.status_text,
            "progress": step.progress,
            "estimate": step.estimate,
            "messages": messages(&step.messages),
        })).collect::<Vec<_>>(),
        "messages": messages(&state.messages),
        "previewLinks": state.preview_links,
        "liveLinks": state.live_links,
    })
}

/// `text` as it appears inside a JSON string of the file (quotes, backslashes and control
/// characters escaped).
pub fn json_string(text: &str) -> String {
    let quoted = Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

pub fn render(outcome: &Outcome, outputs: &[(Output, String)], elapsed: Duration) -> String {
    let outputs: serde_json::Map<String, Value> = outputs
        .iter()
        .map(|(name, value)| (name.name().to_owned(), Value::String(value.clone())))
        .collect();
    let document = json!({
        "status": outcome.status.as_str(),
        "exitCode": outcome.exit_code(),
        "timedOut": outcome.timed_out,
        "attached": outcome.attached,
        "operation": outcome.operation.as_ref().map(|operation| json!({
            "id": operation.id,
            "url": operation.url.as_ref().map(|url| url.as_str()),
        })),
        "outputs": outputs,
        "state": outcome.state.as_ref().map(state),
        "problem": outcome.problem.as_ref().map(|problem| json!({
            "title": problem.title,
            "message": problem.message,
            "help": problem.help,
        })),
        "note": outcome.note,
        "durationSeconds": seconds_to_the_millisecond(elapsed),
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// Seconds rounded to the millisecond: `1.505`, not `1.5046534409999999`, which only says how
/// floating point spells a nanosecond count.
fn seconds_to_the_millisecond(elapsed: Duration) -> f64 {
    let millis = (elapsed.as_secs_f64() * 1000.0).round();
    millis / 1000.0
}

#[cfg(test)]
mod duration_tests {
    use super::*;

    #[test]
    fn durations_are_rounded_to_the_millisecond() {
        let elapsed = Duration::from_nanos(1_504_653_441);
        assert_eq!(
            serde_json::to_string(&json!(seconds_to_the_millisecond(elapsed))).ok(),
            Some("1.505".to_owned())
        );
        let elapsed = Duration::from_millis(90_000);
        assert_eq!(seconds_to_the_millisecond(elapsed), 90.0);
    }
}
