//! Hostile service text in every field that reaches a report, read back with the runners' own
//! parsers (ported in `tests/support/runner_parsers.rs`): the log must hold exactly the commands
//! the program meant, with their names and values, and nothing else. Every runner's parser reads
//! every mode's log: logs are forwarded, steps nest across systems and detection can be wrong,
//! so a line written for one runner must be inert under the others too.

use std::collections::BTreeMap;

use proptest::prelude::*;
use url::Url;

use super::annotations::{self, Annotation, Severity};
use super::reporter::Captured;
use super::{Output, Reporter, azure, github, output_values};
use crate::api::backend::OperationRef;
use crate::api::model::{Level, Message, OperationState, OperationStatus, Step, StepStatus};
use crate::environment::Environment;
use crate::outcome::{ExitPolicy, Outcome, Problem, Status};
use crate::secret;

use super::runner_parsers::{self, ParsedCommand};

/// Text a hostile service might send: anything printable, or pieces of the runners' syntax.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("::".to_owned()),
        Just("::error::".to_owned()),
        Just("::add-mask::".to_owned()),
        Just("::stop-commands::".to_owned()),
        Just("::set-output name=status::".to_owned()),
        Just("##[error]".to_owned()),
        Just("##[set-output name=status]".to_owned()),
        Just("##vso[task.complete result=Succeeded]".to_owned()),
        Just("##[".to_owned()),
        Just("##vso[".to_owned()),
        Just("]".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\u{a0}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("\u{640}".to_owned()),
        Just("\u{ad}".to_owned()),
        Just("#".to_owned()),
        Just("[".to_owned()),
        Just("vso[".to_owned()),
        Just("#\u{200b}#vso[task.complete result=Succeeded]".to_owned()),
        Just("##\u{ad}vso[task.setvariable variable=status]succeeded".to_owned()),
        Just("#\u{640}#[error]".to_owned()),
        Just("##\u{200b}[set-output name=status]".to_owned()),
        Just("\u{200b}::error::".to_owned()),
        Just("&#x200b;".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("%".to_owned()),
        Just("%0A".to_owned()),
        Just("%AZP25".to_owned()),
        Just(";".to_owned()),
        Just(",".to_owned()),
        Just("=".to_owned()),
        Just("|".to_owned()),
        Just("error".to_owned()),
        Just("add-mask".to_owned()),
        Just("stop-commands".to_owned()),
        Just("set-output name=status".to_owned()),
        Just("task.setvariable variable=status;isoutput=true".to_owned()),
        Just("group".to_owned()),
        "[a-z0-9.]{1,6}",
        "\\PC{1,4}",
    ];
    prop_oneof![
        "\\PC{0,30}",
        prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat()),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (
        prop_oneof![
            Just(Level::Error),
            Just(Level::Warning),
            Just(Level::Information)
        ],
        hostile(),
        proptest::option::of(hostile()),
    )
        .prop_map(|(level, text, title)| Message { level, text, title })
}

fn step() -> impl Strategy<Value = Step> {
    (
        hostile(),
        hostile(),
        prop_oneof![
            Just("failed".to_owned()),
            Just("inProgress".to_owned()),
            Just("complete".to_owned()),
            hostile()
        ],
        proptest::option::of(0u32..=100),
        proptest::option::of(hostile()),
        prop::collection::vec(message(), 0..3),
    )
        .prop_map(
            |(id, name, status_text, progress, estimate, messages)| Step {
                id,
                name,
                status: StepStatus::parse(&status_text),
                status_text,
                progress,
                estimate,
                messages,
            },
        )
}

fn state() -> impl Strategy<Value = OperationState> {
    (
        hostile(),
        prop::collection::vec(step(), 0..4),
        prop::collection::vec(message(), 0..3),
        proptest::option::of(hostile()),
        prop::collection::vec(hostile(), 0..2),
        prop::collection::vec(hostile(), 0..2),
    )
        .prop_map(
            |(status_text, steps, messages, offer_version, preview_links, live_links)| {
                OperationState {
                    id: None,
                    status: OperationStatus::parse(&status_text),
                    status_text,
                    steps,
                    messages,
                    offer_version,
                    publishing_version: None,
                    preview_links,
                    live_links,
                    more_steps: 0,
                    more_messages: 0,
                }
            },
        )
}

fn outcome() -> impl Strategy<Value = Outcome> {
    (
        prop_oneof![
            Just(Status::Failed),
            Just(Status::Succeeded),
            Just(Status::Running),
            Just(Status::Canceled),
            Just(Status::Error),
        ],
        any::<bool>(),
        (hostile(), hostile(), hostile()),
        proptest::option::of(state()),
        proptest::option::of((hostile(), hostile(), proptest::option::of(hostile()))),
        proptest::option::of(hostile()),
        proptest::option::of(hostile()),
    )
        .prop_map(
            |(status, timed_out, (id, query, fragment), state, problem, note, offer_status)| {
                // The Location as sent, query and fragment included: whatever the URL rules
                // keep, the log must stay inert.
                let mut url = Url::parse("http://127.0.0.1:9/api/operations/x").ok();
                if let Some(url) = &mut url {
                    url.set_query(Some(&query));
                    url.set_fragment(Some(&fragment));
                }
                Outcome {
                    timed_out: timed_out && status == Status::Running,
                    attached: timed_out,
                    operation: Some(OperationRef { id, url }),
                    state,
                    problem: problem.map(|(title, message, help)| Problem {
                        title,
                        message,
                        help,
                    }),
                    note,
                    offer_status,
                    ..Outcome::new(status, ExitPolicy::default())
                }
            },
        )
}

/// Runs a whole report of `outcome` through `sink`, the way a run does: the operation, two
/// readings of progress, the end.
fn report(sink: Box<dyn super::CiSink>, outcome: &Outcome) -> String {
    // A reporter takes the secrets registered but not yet masked, whichever test registered
    // them: the tests that count masks must not lose theirs to these.
    let _serial = secret::tests::serial();
    let captured = Captured::default();
    let mut reporter = Reporter::writing_to(sink, Box::new(captured.clone()));
    reporter.set_subject("publish", "contoso/offer".to_owned());
    if let Some(operation) = &outcome.operation {
        reporter.operation(operation, outcome.attached);
    }
    if let Some(state) = &outcome.state {
        let mut earlier = state.clone();
        for step in &mut earlier.steps {
            step.status_text.push_str(" (earlier)");
        }
        reporter.progress(&earlier);
        reporter.progress(state);
    }
    reporter.finish(outcome);
    captured.text()
}

fn no_environment() -> Environment {
    Environment::from_pairs(Vec::<(String, String)>::new())
}

fn command(name: &str, properties: &[(&str, &str)], data: &str) -> ParsedCommand {
    ParsedCommand {
        name: name.to_owned(),
        properties: properties
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
        data: data.to_owned(),
    }
}

/// Mask commands are meant whenever they hide a registered secret (other tests in this process
/// register some); they are checked for that and set aside.
fn without_masks(commands: Vec<ParsedCommand>, mask: &str) -> Vec<ParsedCommand> {
    commands
        .into_iter()
        .filter(|command| {
            if command.name == mask {
                assert_eq!(secret::redact(&command.data), "***", "{command:?}");
                false
            } else {
                true
            }
        })
        .collect()
}

const GROUP_TITLE: &str = "publish-offer: steps and messages";

fn has_details(outcome: &Outcome) -> bool {
    outcome
        .state
        .as_ref()
        .is_some_and(|state| !state.steps.is_empty() || !state.messages.is_empty())
}

fn severity(annotation: &Annotation) -> &'static str {
    match annotation.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// What the program means to tell GitHub: its annotations, then the details group.
fn github_expected(outcome: &Outcome) -> Vec<ParsedCommand> {
    let (annotations, _) = annotations::select(outcome);
    let mut expected: Vec<ParsedCommand> = annotations
        .iter()
        .map(|annotation| {
            command(
                severity(annotation),
                &[("title", &secret::redact(&annotation.title))],
                &secret::redact(&annotation.message),
            )
        })
        .collect();
    if has_details(outcome) {
        expected.push(command("group", &[], GROUP_TITLE));
        expected.push(command("endgroup", &[], ""));
    }
    expected
}

/// Command values are made inert for every runner (markers broken, also where ignorable
/// characters hide them): a runner looks for `##vso[` and `##[` anywhere in a line.
fn azure_data(text: &str) -> String {
    crate::text::inert_command_value(&secret::redact(text))
}

/// What the program means to tell Azure Pipelines: the outputs (the last value of each, `status`
/// last), its annotations, the details group.
fn azure_expected(outcome: &Outcome) -> (BTreeMap<String, String>, Vec<ParsedCommand>) {
    let outputs = output_values(outcome)
        .into_iter()
        .map(|(name, value)| (azure::variable_name(name), azure_data(&value)))
        .collect();
    let (annotations, _) = annotations::select(outcome);
    let mut expected: Vec<ParsedCommand> = annotations
        .iter()
        .map(|annotation| {
            command(
                "task.logissue",
                &[("type", severity(annotation))],
                &azure_data(&format!("{}: {}", annotation.title, annotation.message)),
            )
        })
        .collect();
    if has_details(outcome) {
        expected.push(command("##[group]", &[], GROUP_TITLE));
        expected.push(command("##[endgroup]", &[], ""));
    }
    (outputs, expected)
}

/// What each runner's parser finds in a log, masks set aside: (GitHub's, Azure's).
fn every_runner(log: &str) -> (Vec<ParsedCommand>, Vec<ParsedCommand>) {
    (
        without_masks(runner_parsers::github_commands(log), "add-mask"),
        without_masks(runner_parsers::azure_commands(log), "task.setsecret"),
    )
}

/// The program's own Azure group lines, as the GitHub runner reads them (its v1 parser takes
/// `##[group]` for its own `group`): the only commands one runner finds in another's log.
fn azure_groups_read_by_github(outcome: &Outcome) -> Vec<ParsedCommand> {
    if has_details(outcome) {
        vec![
            command("group", &[], GROUP_TITLE),
            command("endgroup", &[], ""),
        ]
    } else {
        Vec::new()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn github_log_holds_only_the_commands_meant(outcome in outcome()) {
        let log = report(Box::new(github::GitHub::from_environment(&no_environment())), &outcome);
        let (commands, azure) = every_runner(&log);
        prop_assert_eq!(commands, github_expected(&outcome), "log:\n{}", log);
        prop_assert_eq!(azure, Vec::new(), "the Azure agent reads commands in:\n{}", log);
    }

    #[test]
    fn plain_and_gitlab_logs_hold_no_command_for_any_runner(outcome in outcome()) {
        let dotenv = tempfile::NamedTempFile::new().map_err(|e| TestCaseError::fail(e.to_string()))?;
        for sink in [
            Box::new(super::plain::Plain::new(false)) as Box<dyn super::CiSink>,
            Box::new(super::gitlab::GitLab::new(dotenv.path().to_owned())),
        ] {
            let log = report(sink, &outcome);
            let (github, azure) = every_runner(&log);
            prop_assert_eq!(github, Vec::new(), "the GitHub runner reads commands in:\n{}", log);
            prop_assert_eq!(azure, Vec::new(), "the Azure agent reads commands in:\n{}", log);
        }
    }

    /// Stderr's door (the log writer) and every text line of stdout go through
    /// [`crate::text::inert_whole_line`]: no runner finds a command in what it makes.
    #[test]
    fn a_whole_line_is_inert_for_every_runner(text in hostile()) {
        let line = crate::text::inert_whole_line(&text);
        prop_assert_eq!(runner_parsers::github_commands(&line), Vec::new(), "{:?}", line);
        prop_assert_eq!(runner_parsers::azure_commands(&line), Vec::new(), "{:?}", line);
    }

    #[test]
    fn azure_log_holds_only_the_commands_meant(outcome in outcome()) {
        let log = report(
            Box::new(azure::AzurePipelines::from_environment(&no_environment())),
            &outcome,
        );
        let (github, commands) = every_runner(&log);
        prop_assert_eq!(
            github,
            azure_groups_read_by_github(&outcome),
            "the GitHub runner reads commands in:\n{}",
            log
        );
        let (outputs, expected) = azure_expected(&outcome);
        let (set, others): (Vec<_>, Vec<_>) = commands
            .into_iter()
            .partition(|command| command.name == "task.setvariable");
        let mut values = BTreeMap::new();
        for command in &set {
            prop_assert_eq!(command.properties.get("isoutput").map(String::as_str), Some("true"));
            let variable = command.properties.get("variable").cloned().unwrap_or_default();
            values.insert(variable, command.data.clone());
        }
        let status_variable = azure::variable_name(Output::Status);
        prop_assert_eq!(
            set.last().and_then(|command| command.properties.get("variable")),
            Some(&status_variable)
        );
        prop_assert_eq!(values, outputs, "log:\n{}", log);
        prop_assert_eq!(others, expected, "log:\n{}", log);
    }

    #[test]
    fn summary_table_rows_keep_their_cells(outcome in outcome()) {
        let markdown = super::summary::render(
            &super::summary::Context {
                command: "publish",
                subject: "contoso/offer",
                elapsed: std::time::Duration::from_secs(1),
                dropped: annotations::Dropped::default(),
            },
            &outcome,
        );
        let mut columns = None;
        for line in markdown.lines() {
            if !line.starts_with('|') {
                columns = None;
                continue;
            }
            let cells = unescaped_pipes(line);
            match columns {
                None => columns = Some(cells),
                Some(expected) => prop_assert_eq!(cells, expected, "row {:?}\n{}", line, markdown),
            }
        }
    }
}

/// The `|` that separate cells in a GitHub table row: those not escaped by a backslash. GitHub
/// splits on them even inside code spans.
fn unescaped_pipes(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn a_step_named_like_a_command_stays_text() {
    let mut state = OperationState::with_status("failed");
    state.steps.push(Step {
        id: "::add-mask::x".into(),
        name: "::error::pwned".into(),
        status: StepStatus::Failed,
        status_text: "failed".into(),
        progress: None,
        estimate: None,
        messages: Vec::new(),
    });
    let outcome = Outcome {
        state: Some(state),
        ..Outcome::new(Status::Failed, ExitPolicy::default())
    };
    let log = report(
        Box::new(github::GitHub::from_environment(&no_environment())),
        &outcome,
    );
    assert!(log.contains("  : :error::pwned: failed"), "{log}");
    let commands = without_masks(runner_parsers::github_commands(&log), "add-mask");
    assert_eq!(commands, github_expected(&outcome), "{log}");
}

#[test]
fn the_closing_group_is_bounded() {
    let mut state = OperationState::with_status("failed");
    for n in 0..150 {
        state.steps.push(Step {
            id: format!("s{n}"),
            name: format!("step {n}"),
            status: StepStatus::Complete,
            status_text: "complete".into(),
            progress: None,
            estimate: None,
            messages: vec![
                Message {
                    level: Level::Information,
                    text: format!("note {n}"),
                    title: None,
                };
                2
            ],
        });
    }
    let outcome = Outcome {
        state: Some(state),
        ..Outcome::new(Status::Succeeded, ExitPolicy::default())
    };
    let log = report(Box::new(super::plain::Plain::new(false)), &outcome);
    let group: Vec<&str> = log
        .lines()
        .skip_while(|line| !line.starts_with("publish-offer: steps and messages"))
        .collect();
    let steps = group
        .iter()
        .filter(|line| line.starts_with("  step "))
        .count();
    let messages = group
        .iter()
        .filter(|line| line.starts_with("    info: note"))
        .count();
    assert_eq!(steps, super::MAX_DETAIL_STEPS, "{log}");
    assert_eq!(messages, super::MAX_DETAIL_MESSAGES, "{log}");
    assert!(group.contains(&"  … 50 more steps"), "{log}");
    assert!(
        group.contains(&"  … 200 more messages (the summary and the result file hold more)"),
        "{log}"
    );
}

/// A service text of any length costs the log a bounded line: a step name, a status and a
/// message of a megabyte each, shown in progress, in the closing group and in the closing
/// line, leave at most a few kilobytes per line.
#[test]
fn long_service_text_is_cut_on_every_log_line() {
    let huge = |what: &str| format!("{what} {}", "x".repeat(1 << 20));
    let mut state = OperationState::with_status(&huge("status"));
    state.steps.push(Step {
        id: huge("id"),
        name: huge("name"),
        status: StepStatus::Failed,
        status_text: huge("failed"),
        progress: Some(40),
        estimate: Some(huge("estimate")),
        messages: vec![Message {
            level: Level::Error,
            text: huge("message"),
            title: Some(huge("title")),
        }],
    });
    state.messages.push(Message {
        level: Level::Warning,
        text: huge("operation message"),
        title: None,
    });
    let outcome = Outcome {
        state: Some(state),
        ..Outcome::new(Status::Failed, ExitPolicy::default())
    };
    for sink in [
        Box::new(super::plain::Plain::new(false)) as Box<dyn super::CiSink>,
        Box::new(github::GitHub::from_environment(&no_environment())),
    ] {
        let log = report(sink, &outcome);
        let longest = log.lines().map(str::len).max().unwrap_or_default();
        assert!(
            longest <= 16 * 1024,
            "a line of {longest} bytes: {}",
            log.lines()
                .map(|line| line.chars().take(60).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Making a line inert drops characters and joins blanks: a secret the service echoes with a
/// zero-width space inside (here in a preview link, printed as it is) must not come out whole
/// on the other side.
#[test]
fn a_secret_made_whole_by_the_inert_writer_is_redacted() {
    let secret = secret::Secret::new("inert-writer-secret-0123456789");
    let mut state = OperationState::with_status("failed");
    state
        .preview_links
        .push("https://example.com/inert-writer-\u{200b}secret-0123456789".to_owned());
    let outcome = Outcome {
        state: Some(state),
        ..Outcome::new(Status::Failed, ExitPolicy::default())
    };
    let log = report(Box::new(super::plain::Plain::new(false)), &outcome);
    assert!(!log.contains(secret.expose()), "{log}");
    assert!(log.contains("https://example.com/***"), "{log}");
}
