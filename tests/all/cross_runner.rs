//! Markers inert under every runner (issue 22, item 2): whatever CI system the program believes
//! it runs in, no line it writes to stdout or stderr is a command for another runner, even once
//! that runner skips the ignorable characters its culture-sensitive comparisons skip (a
//! zero-width space, a soft hyphen, a tatweel), and even when they came as HTML entities (the
//! program decodes those in HTML error pages; the runners decode none).

use serde_json::json;

use crate::support::runner_parsers::{ParsedCommand, azure_commands, github_commands};
use crate::support::*;

/// A service message that each runner would read as a command once it drops the hidden
/// characters: Azure's `##vso[`, GitHub's v1 `##[` and v2 `::`.
const HOSTILE: &str = "bad #\u{200b}#vso[task.setvariable variable=status;isoutput=true]succeeded \
     ##\u{ad}[set-output name=status]succeeded ##\u{640}vso[task.complete result=Succeeded]done";

/// The same in an HTML error page, hidden by entities the program decodes.
const HOSTILE_HTML: &str = "<html><body><p>#&#x200b;#vso[task.setvariable variable=status;isoutput=true]succeeded</p>\
     <p>##&#xad;[set-output name=status]succeeded</p><p>&#x200b;::set-output name=status::succeeded</p></body></html>";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Plain,
    GitHub,
    Azure,
    GitLab,
}

fn in_mode(mode: Mode) -> Step {
    let step = step();
    match mode {
        Mode::Plain => step,
        Mode::GitHub => step.github(),
        Mode::Azure => {
            let temp = step.dir().join("agent-temp");
            std::fs::create_dir_all(&temp).expect("agent temp dir");
            let temp = temp.display().to_string();
            step.env("TF_BUILD", "True")
                .env("AGENT_TEMPDIRECTORY", &temp)
        }
        Mode::GitLab => {
            let dotenv = step.dir().join("outputs.env").display().to_string();
            step.env("GITLAB_CI", "true").input("dotenv-file", &dotenv)
        }
    }
}

/// The commands a runner may find in a log it owns: the program's own kinds, none carrying a
/// status the service made up.
fn assert_only_own(mode: Mode, commands: &[ParsedCommand], dump: &str) {
    let allowed: &[&str] = match mode {
        Mode::GitHub => &["add-mask", "error", "warning", "group", "endgroup"],
        Mode::Azure => &[
            "task.setsecret",
            "task.setvariable",
            "task.logissue",
            "task.uploadsummary",
        ],
        Mode::Plain | Mode::GitLab => &[],
    };
    for command in commands {
        assert!(
            allowed.contains(&command.name.as_str()),
            "{mode:?}: {command:?}\n{dump}"
        );
        assert!(
            !(command.name == "task.setvariable" && command.data == "succeeded"),
            "{mode:?}: {command:?}\n{dump}"
        );
    }
}

#[test]
fn no_runner_reads_a_command_in_another_modes_log() {
    let bodies = [
        Reply::json(
            400,
            json!({"error": {"code": "Invalid", "message": HOSTILE}}),
        ),
        Reply::text(400, "text/html", HOSTILE_HTML),
    ];
    for body in bodies {
        for mode in [Mode::Plain, Mode::GitHub, Mode::Azure, Mode::GitLab] {
            let server = FakeServer::start();
            serve_tokens(&server);
            server.route("POST", &offer_path("publish"), vec![body.clone()]);
            let run = in_mode(mode).against(&server).run();
            run.assert_code(1);
            let dump = run.dump();
            for (sink, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                let github = github_commands(text);
                let azure = azure_commands(text);
                let (own, foreign) = match mode {
                    Mode::GitHub if sink == "stdout" => (github, azure),
                    Mode::Azure if sink == "stdout" => (azure, github),
                    _ => {
                        let mut all = github;
                        all.extend(azure);
                        (Vec::new(), all)
                    }
                };
                assert!(
                    foreign.is_empty(),
                    "{mode:?} {sink}: another runner reads {foreign:?}\n{dump}"
                );
                assert_only_own(mode, &own, &dump);
            }
            assert_no_unexpected(&server);
        }
    }
}
