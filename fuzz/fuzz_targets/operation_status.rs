//! Fuzz target for the operation-status parser (`api::model::parse_operation`) and for what the
//! reporting does with a parsed state: the failed step, the preview check, step labels and
//! message text made inert (log lines) or escaped (Markdown), the job summary, the outputs and
//! the result file.
//!
//! Besides "no panic", it checks the promises the reporting relies on: an inert line is one line
//! with no CI command marker; a Markdown cell is one line with no tag and no unescaped pipe, so
//! the summary tables keep their columns; the result file is JSON.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use publish_offer::api::model::{Level, OperationState, StepStatus, parse_operation};
use publish_offer::outcome::{ExitPolicy, Outcome, Status};
use publish_offer::report::{output_values, result_file, summary};
use publish_offer::text::{inert_in_line, markdown};

fuzz_target!(|data: &[u8]| {
    let Ok(state) = parse_operation(data) else {
        return;
    };
    check_state(&state);
    for status in [Status::Failed, Status::Succeeded, Status::Running] {
        check_reports(&state, status);
    }
});

fn check_state(state: &OperationState) {
    let _ = state.is_preview_ready();
    let _ = state.status.is_terminal();
    if let Some(failed) = state.failed_step() {
        assert!(
            state.steps.iter().any(|step| std::ptr::eq(step, failed)),
            "failed_step() returned a step that is not in the list"
        );
        assert!(
            failed.status.is_failure()
                || (failed.status == StepStatus::Blocked
                    && failed.messages.iter().any(|m| m.level == Level::Error)),
            "failed_step() returned a step that did not fail: {failed:?}"
        );
    }

    check_text(&state.status_text);
    for link in state.preview_links.iter().chain(&state.live_links) {
        check_text(link);
    }
    for message in &state.messages {
        assert!(!message.text.is_empty(), "an empty message was kept");
        check_text(&message.text);
    }
    for step in &state.steps {
        let _ = step.is_preview_ready();
        let _ = step.status.is_failure();
        if let Some(progress) = step.progress {
            assert!(progress <= 100, "progress {progress}% over 100");
        }
        check_text(step.label());
        check_text(&step.status_text);
        if let Some(estimate) = &step.estimate {
            check_text(estimate);
        }
        for message in &step.messages {
            assert!(!message.text.is_empty(), "an empty step message was kept");
            check_text(&message.text);
        }
        // The progress line the reporter prints for a step (report::Reporter::progress).
        let line = format!(
            "  step {}: {}",
            inert_in_line(step.label()),
            inert_in_line(&step.status_text)
        );
        assert!(!line.contains(['\n', '\r']));
    }
}

/// Service text through the two escapers the reporting uses.
fn check_text(text: &str) {
    let line = inert_in_line(text);
    assert!(
        !line
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
        "inert_in_line({text:?}) = {line:?} keeps a control character or line separator"
    );
    assert!(
        !line.contains("##vso[") && !line.contains("##["),
        "inert_in_line({text:?}) = {line:?} keeps a CI command marker"
    );

    let cell = markdown(text);
    assert!(
        !cell.contains(['\n', '\r', '<', '>']),
        "markdown({text:?}) = {cell:?} keeps a line break or a tag"
    );
    assert_eq!(
        unescaped_pipes(&cell),
        0,
        "markdown({text:?}) = {cell:?} keeps an unescaped pipe"
    );
}

/// Pipes that Markdown reads as table separators: those not escaped with a backslash.
fn unescaped_pipes(line: &str) -> usize {
    line.match_indices('|')
        .filter(|(at, _)| !line[..*at].ends_with('\\'))
        .count()
}

/// The end-of-run reporting for an outcome holding this state.
fn check_reports(state: &OperationState, status: Status) {
    let mut outcome = Outcome::new(status, ExitPolicy::default());
    outcome.state = Some(state.clone());

    let outputs = output_values(&outcome);
    for (_, value) in &outputs {
        let _ = publish_offer::report::github::escape_data(value);
        let _ = publish_offer::report::azure::escape_data(value);
        let _ = publish_offer::report::gitlab::dotenv_value(value);
    }

    let md = summary::render(
        &summary::Context {
            command: "publish",
            subject: "contoso/contoso-offer",
            elapsed: Duration::from_secs(75),
            dropped: Default::default(),
        },
        &outcome,
    );
    // Every table row keeps its columns: 3 separators in the two-column table, 5 in the steps
    // table. Service text never adds or removes one.
    for row in md.lines().filter(|line| line.starts_with('|')) {
        let pipes = unescaped_pipes(row);
        assert!(
            pipes == 3 || pipes == 5,
            "summary row with {pipes} separators: {row:?}"
        );
    }

    let json = result_file::render(&outcome, &outputs, Duration::from_secs(75));
    let parsed: serde_json::Value =
        serde_json::from_str(&json).expect("the result file is not JSON");
    assert_eq!(
        parsed["state"]["status"].as_str(),
        Some(state.status_text.as_str()),
        "the result file lost the service status"
    );
}
