//! Every spelling of a secret through every real sink: the summary, annotations, outputs, the
//! result file, GitLab's dotenv file and Azure's logging commands. The secrets are exactly at the
//! length cut-off (six characters) and hold the characters each escape changes: Markdown `_`,
//! `*`, `\`; workflow-command `%`, `:`, `,`; Azure `%`, `;`, `]`; JSON `"`, `\`.

use std::path::Path;

use url::Url;

use super::reporter::Captured;
use super::{Reporter, azure, github, gitlab, plain, result_file};
use crate::api::backend::OperationRef;
use crate::api::model::{Level, Message, OperationState, Step, StepStatus};
use crate::environment::Environment;
use crate::outcome::{ExitPolicy, Outcome, Problem, Status};
use crate::secret;

/// Exactly `MIN_REDACTED_LEN` characters each.
const SECRETS: [&str; 2] = ["a_%:;\"", "b,]\\*x"];
/// One character below the cut-off: not registered, written as it is.
const TOO_SHORT: &str = "c_%:;";

/// Every way a sink may spell `secret`.
fn spellings(secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("as is", secret.to_owned()),
        ("markdown", crate::text::markdown(secret)),
        ("github data", github::escape_data(secret)),
        ("github property", github::escape_property(secret)),
        ("azure data", azure::escape_data(secret)),
        ("azure property", azure::escape_property(secret)),
        ("json", result_file::json_string(secret)),
    ]
}

/// No spelling of a secret in `text`, and at least one `***` where one was.
#[track_caller]
fn assert_redacted(place: &str, text: &str) {
    assert_no_secret(place, text);
    assert!(text.contains("***"), "nothing redacted in {place}:\n{text}");
}

/// No spelling of a secret in `text`. Outputs hold only values that fit their kind (an id, a
/// URL, a status): a value echoing a secret's punctuation is left out whole, not redacted.
#[track_caller]
fn assert_no_secret(place: &str, text: &str) {
    for secret in SECRETS {
        for (spelling, spelled) in spellings(secret) {
            assert!(
                !text.contains(&spelled),
                "secret {secret:?} as {spelling} ({spelled:?}) in {place}:\n{text}"
            );
        }
    }
}

/// Stdout without the mask commands, the one place a secret is meant to be written.
fn without_masks(stdout: &str) -> String {
    stdout
        .lines()
        .filter(|line| {
            !line.starts_with("::add-mask::") && !line.starts_with("##vso[task.setsecret]")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A failed run whose every service-sent field echoes the secrets.
fn outcome() -> Outcome {
    let echo = format!("{} and {} and {TOO_SHORT}", SECRETS[0], SECRETS[1]);
    let message = |level| Message {
        level,
        text: format!("rejected {echo}"),
        title: Some(format!("code {echo}")),
    };
    let state = OperationState {
        steps: vec![Step {
            id: format!("step-{echo}"),
            name: format!("Step {echo}"),
            status: StepStatus::Failed,
            status_text: "failed".to_owned(),
            progress: None,
            estimate: None,
            messages: vec![message(Level::Error), message(Level::Warning)],
        }],
        messages: vec![message(Level::Error)],
        offer_version: Some(echo.clone()),
        preview_links: vec![format!("https://p/{echo}"), "https://q".to_owned()],
        ..OperationState::with_status("failed")
    };
    Outcome {
        state: Some(state),
        operation: Some(OperationRef {
            id: format!("op-{echo}"),
            url: Url::parse("https://api.example/op").ok(),
        }),
        problem: Some(Problem {
            title: format!("GET {echo}"),
            message: format!("HTTP 400: {echo}"),
            help: Some(format!("check {echo}")),
        }),
        note: Some(format!("note {echo}")),
        offer_status: Some(echo),
        ..Outcome::new(Status::Failed, ExitPolicy::default())
    }
}

/// Reports the outcome through `sink` (with a result file) and returns what went to stdout and the
/// result file.
fn report(sink: Box<dyn super::CiSink>, dir: &Path) -> (String, String) {
    let _serial = secret::tests::serial();
    for secret in SECRETS {
        secret::register(secret);
    }
    secret::register(TOO_SHORT);
    let stdout = Captured::default();
    let result = dir.join("result.json");
    let mut reporter = Reporter::new(sink, Some(result.clone()));
    reporter.out = Box::new(stdout.clone());
    reporter.finish(&outcome());
    let result = std::fs::read_to_string(result).expect("result file");
    (stdout.text(), result)
}

#[track_caller]
fn assert_short_value_kept(place: &str, text: &str) {
    assert!(
        text.contains(TOO_SHORT) || text.contains(&crate::text::markdown(TOO_SHORT)),
        "{TOO_SHORT:?} is below the cut-off and is written as it is in {place}:\n{text}"
    );
}

#[test]
fn github_annotations_outputs_summary_and_result_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outputs = dir.path().join("output");
    let summary = dir.path().join("summary.md");
    let environment = Environment::from_pairs([
        ("GITHUB_OUTPUT", outputs.display().to_string()),
        ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
    ]);
    let (stdout, result) = report(
        Box::new(github::GitHub::from_environment(&environment)),
        dir.path(),
    );
    let stdout = without_masks(&stdout);
    assert!(stdout.contains("::error title="), "{stdout}");
    assert_redacted("annotations", &stdout);
    let outputs = std::fs::read_to_string(outputs).expect("outputs");
    let (read, error) = crate::report::runner_parsers::github_file_commands(&outputs);
    assert_eq!(error, None, "{outputs}");
    assert!(
        read.contains(&("status".to_owned(), "failed".to_owned())),
        "{outputs}"
    );
    assert_no_secret("outputs", &outputs);
    let summary = std::fs::read_to_string(summary).expect("summary");
    assert_redacted("summary", &summary);
    assert_short_value_kept("summary", &summary);
    assert_redacted("result file", &result);
    assert_short_value_kept("result file", &result);
}

#[test]
fn azure_commands_variables_and_uploaded_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let temp = dir.path().join("agent");
    std::fs::create_dir(&temp).expect("agent temp dir");
    let environment =
        Environment::from_pairs([("AGENT_TEMPDIRECTORY", temp.display().to_string())]);
    let (stdout, result) = report(
        Box::new(azure::AzurePipelines::from_environment(&environment)),
        dir.path(),
    );
    let stdout = without_masks(&stdout);
    assert!(
        stdout.contains("##vso[task.logissue type=error]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("##vso[task.setvariable variable=offer_status"),
        "{stdout}"
    );
    assert_redacted("logging commands", &stdout);
    assert_no_secret("output variables", &stdout);
    let summaries: Vec<_> = std::fs::read_dir(&temp)
        .expect("agent temp dir")
        .flatten()
        .collect();
    assert_eq!(summaries.len(), 1, "{stdout}");
    let summary = std::fs::read_to_string(summaries[0].path()).expect("summary");
    assert_redacted("uploaded summary", &summary);
    assert_redacted("result file", &result);
}

#[test]
fn gitlab_dotenv_and_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dotenv = dir.path().join("publish-offer.env");
    let (stdout, result) = report(Box::new(gitlab::GitLab::new(dotenv.clone())), dir.path());
    assert_redacted("log", &stdout);
    let dotenv = std::fs::read_to_string(dotenv).expect("dotenv");
    assert!(dotenv.contains("PUBLISH_OFFER_OFFER_STATUS="), "{dotenv}");
    assert_no_secret("dotenv", &dotenv);
    assert_redacted("result file", &result);
}

#[test]
fn plain_log_in_colour_and_without() {
    for colour in [false, true] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (stdout, result) = report(Box::new(plain::Plain::new(colour)), dir.path());
        assert!(
            !stdout.contains("add-mask") && !stdout.contains("setsecret"),
            "{stdout}"
        );
        assert_redacted("log", &stdout);
        assert_short_value_kept("log", &stdout);
        assert_redacted("result file", &result);
    }
}

#[test]
fn the_masks_name_each_secret_once_as_the_system_reads_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let environment = Environment::from_pairs([("GITHUB_OUTPUT", "/nonexistent/x")]);
    let _ = report(
        Box::new(github::GitHub::from_environment(&environment)),
        dir.path(),
    );
    // Registered before: the masks were written by whichever report ran first. A new secret is
    // masked by the next write, once, and a short value never is.
    let fresh = "d_%:;\"";
    let stdout = Captured::default();
    {
        let _serial = secret::tests::serial();
        secret::register(fresh);
        secret::register(fresh);
        let mut reporter = Reporter::new(
            Box::new(github::GitHub::from_environment(&environment)),
            None,
        );
        reporter.out = Box::new(stdout.clone());
        reporter.line(&format!("echo {fresh}"));
        reporter.line(&format!("echo {fresh} again"));
    }
    let stdout = stdout.text();
    // Other tests register secrets too; only this one's masks are counted.
    let expected = format!("::add-mask::{}", github::escape_data(fresh));
    let masks: Vec<_> = stdout
        .lines()
        .filter(|l| l.starts_with("::add-mask::"))
        .collect();
    assert_eq!(
        masks.iter().filter(|m| **m == expected).count(),
        1,
        "{stdout}"
    );
    assert!(
        !masks
            .iter()
            .any(|m| m.contains(&github::escape_data(TOO_SHORT))),
        "{stdout}"
    );
    assert!(stdout.contains("echo ***\necho *** again"), "{stdout}");
}
