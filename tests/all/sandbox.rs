//! The sandbox: every command and API simulated, and every sandbox example of the README run as
//! written.

use serde_json::Value;

use crate::support::*;

/// One `publish-offer --sandbox...` line of the README: its variables, arguments, and the status
/// and exit code its comment promises (`# -> failed (exit 1)`).
struct Example {
    line: String,
    env: Vec<(String, String)>,
    args: Vec<String>,
    status: Option<String>,
    code: i32,
}

fn readme_examples() -> Vec<Example> {
    // The README's few lines, then the full list in docs/commands.md.
    let section = |path: &str, heading: &str| {
        let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        text.split(heading)
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_else(|| panic!("{path}: a {heading} section"))
            .to_owned()
    };
    let try_it = section("README.md", "## Try it")
        + &section("docs/commands.md", "## Try every command in the sandbox")
        + &section("docs/ship-an-image.md", "## Try it in the sandbox");
    let mut examples = Vec::new();
    // `export NAME=VALUE ...` holds for the lines after it, until `unset NAME ...`.
    let mut exported: Vec<(String, String)> = Vec::new();
    for line in try_it.lines().map(str::trim) {
        if let Some(pairs) = line.strip_prefix("export ") {
            for word in pairs.split_whitespace() {
                if let Some((name, value)) = word.replace('\'', "").split_once('=') {
                    exported.push((name.to_owned(), value.to_owned()));
                }
            }
            continue;
        }
        if let Some(names) = line.strip_prefix("unset ") {
            let names: Vec<&str> = names.split_whitespace().collect();
            exported.retain(|(name, _)| !names.contains(&name.as_str()));
            continue;
        }
        let (command, comment) = line.split_once(" #").unwrap_or((line, ""));
        let words: Vec<String> = command
            .split_whitespace()
            .map(|word| word.replace('\'', ""))
            .collect();
        let program = words
            .iter()
            .position(|word| word == "publish-offer")
            .or_else(|| {
                words
                    .windows(3)
                    .position(|window| window == ["run", "--release", "--"])
                    .map(|at| at + 2)
            });
        let Some(program) = program else { continue };
        if !words.iter().any(|word| word.starts_with("--sandbox")) || line.starts_with("alias") {
            continue;
        }
        let env = exported
            .iter()
            .cloned()
            .chain(
                words[..program]
                    .iter()
                    .filter_map(|word| word.split_once('='))
                    .map(|(name, value)| (name.to_owned(), value.to_owned())),
            )
            .collect();
        let promise = comment.split_once("-> ").map(|(_, promise)| promise.trim());
        let status = promise.map(|promise| {
            promise
                .split([' ', ':'])
                .next()
                .unwrap_or_default()
                .to_owned()
        });
        let code = promise
            .and_then(|promise| promise.split_once("(exit ").map(|(_, rest)| rest))
            .and_then(|rest| rest.split(')').next())
            .map_or(0, |code| code.parse().expect("an exit code"));
        examples.push(Example {
            line: line.to_owned(),
            env,
            args: words[program + 1..].to_vec(),
            status,
            code,
        });
    }
    examples
}

#[test]
fn every_readme_sandbox_example_does_what_it_says() {
    let examples = readme_examples();
    assert!(
        examples.len() >= 15,
        "found only {} examples",
        examples.len()
    );
    let mut operation_url = String::new();
    for example in examples {
        let mut run = step();
        for (name, value) in &example.env {
            let value = value.replace("<operation-url>", &operation_url);
            run = run.env(name, &value);
        }
        for arg in &example.args {
            run = run.arg(arg);
        }
        let result_file = run.dir().join("result.json");
        let run = run.env(
            "MARKETPLACE_RESULT_FILE",
            &result_file.display().to_string(),
        );
        let finished = run.run();
        assert_eq!(
            finished.code,
            example.code,
            "{}\n{}",
            example.line,
            finished.dump()
        );
        if let Some(status) = &example.status {
            assert!(
                finished
                    .stderr
                    .contains(&format!("publish-offer: {status} after")),
                "{}\n{}",
                example.line,
                finished.dump()
            );
            let result: Value = serde_json::from_str(
                &std::fs::read_to_string(&result_file).expect("a result file"),
            )
            .expect("JSON");
            if let Some(url) = result["outputs"]["operation-url"]
                .as_str()
                .filter(|url| !url.is_empty())
            {
                operation_url = url.to_owned();
            }
        }
    }
}

#[test]
fn sandbox_keeps_the_ids_given_and_refuses_what_a_real_run_refuses() {
    let run = step()
        .github()
        .input("command", "status")
        .input("publisher-id", "fabrikam")
        .input("offer-id", "fabrikam-vm")
        .arg("--sandbox=failed")
        .run();
    run.assert_code(0);
    run.assert_output("status", "failed");
    run.assert_summary_has("`fabrikam/fabrikam-vm`");

    let run = step()
        .github()
        .input("command", "bogus")
        .arg("--sandbox")
        .run();
    run.assert_code(2);
    run.assert_output("status", "invalid-input");

    // wait with one id: the sandbox's default stands in for the other (as for every command),
    // and the wait follows that offer.
    let run = step()
        .github()
        .input("command", "wait")
        .input("publisher-id", "fabrikam")
        .arg("--sandbox")
        .run();
    run.assert_code(0);
    run.assert_summary_has("`fabrikam/");
}

#[test]
fn sandbox_cancel_on_timeout_is_simulated() {
    let run = step()
        .github()
        .input("cancel-on-timeout", "true")
        .input("timeout", "1s")
        .arg("--sandbox=time-limit")
        .run();
    run.assert_code(1);
    run.assert_output("status", "canceled");
    run.assert_stdout_lacks("not simulated");
}

#[test]
fn sandbox_list_and_a_misplaced_scenario() {
    let run = step().arg("--sandbox=list").run();
    run.assert_code(0);
    for name in ["succeeded", "failed", "preview-ready", "time-limit"] {
        run.assert_stdout_has(name);
    }
    let run = step().arg("--sandbox").arg("failed").run();
    run.assert_code(2);
    assert!(
        run.stderr.contains("--sandbox=failed") || run.stdout.contains("--sandbox=failed"),
        "{}",
        run.dump()
    );
}

#[test]
fn preview_and_live_links_are_printed_one_plain_url_per_line() {
    // CPP sends preview links at sign-off.
    let run = step()
        .env("MARKETPLACE_API", "cpp")
        .arg("--sandbox=preview-ready")
        .run();
    run.assert_code(0);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let heading = lines
        .iter()
        .position(|line| line.starts_with("publish-offer: preview links"))
        .unwrap_or_else(|| panic!("no preview links\n{}", run.dump()));
    assert!(
        lines[heading + 1].starts_with("https://") && !lines[heading + 1].contains(' '),
        "{}",
        run.dump()
    );
    // Printed once, though the state is read many times.
    assert_eq!(
        run.stderr.matches(lines[heading + 1]).count(),
        1,
        "{}",
        run.dump()
    );
    let run = step()
        .env("MARKETPLACE_API", "cpp")
        .env("MARKETPLACE_WAIT_UNTIL", "complete")
        .arg("--sandbox=succeeded")
        .run();
    run.assert_stderr_has("publish-offer: live links:\nhttps://");
}

#[test]
fn every_command_runs_in_the_sandbox_with_either_api() {
    for api in ["cpp", "ingestion"] {
        let sandbox = || {
            step()
                .github()
                .input("api", api)
                .input("wait-until", "complete")
                .arg("--sandbox=succeeded")
        };
        let started = sandbox().input("timeout", "0").run();
        started.assert_code(0);
        started.assert_output("status", "running");
        let url = started.output("operation-url");
        for (command, status) in [
            ("status", "succeeded"),
            ("validate", "succeeded"),
            ("wait", "succeeded"),
            ("cancel", "succeeded"),
        ] {
            let run = sandbox()
                .input("command", command)
                .input("operation-url", &url)
                .run();
            run.assert_code(0);
            assert_eq!(
                run.output("status"),
                status,
                "{api} {command}\n{}",
                run.dump()
            );
            assert!(
                !run.stdout.contains("not simulated"),
                "{api} {command}\n{}",
                run.dump()
            );
        }
        // Go-live: from the ready preview it goes live; with the offer live already and no
        // preview waiting, it is refused before anything is started.
        let run = step()
            .github()
            .input("api", api)
            .input("command", "go-live")
            .arg("--sandbox")
            .run();
        run.assert_code(0);
        run.assert_output("status", "succeeded");
        let run = sandbox().input("command", "go-live").run();
        run.assert_code(1);
        run.assert_output("status", "rejected");
        run.assert_stdout_has("go-live is possible once a publish has reached preview-ready");
    }
}

#[test]
fn a_wait_past_signoff_says_once_that_go_live_is_pending() {
    let run = step()
        .github()
        .input("api", "cpp")
        .input("wait-until", "complete")
        .input("timeout", "3s")
        .arg("--sandbox=preview-ready")
        .run();
    run.assert_code(0);
    run.assert_output("status", "running");
    let told = "the preview is ready; go-live is pending";
    assert_eq!(run.stdout.matches(told).count(), 1, "{}", run.dump());
    run.assert_stdout_has("run command: go-live");
    // With the default wait-until the run ends there instead, and has nothing to say.
    let run = step().input("api", "cpp").arg("--sandbox").run();
    run.assert_code(0);
    run.assert_stderr_has("publish-offer: preview-ready after");
    run.assert_stderr_lacks(told);
}

#[test]
fn one_id_alone_takes_the_sandbox_default_for_the_other() {
    let run = step()
        .env("MARKETPLACE_OFFER_ID", "fabrikam-vm")
        .arg("--sandbox")
        .run();
    run.assert_code(0);
    run.assert_stderr_has("publishing offer contoso/fabrikam-vm");
    let run = step()
        .env("MARKETPLACE_PUBLISHER_ID", "fabrikam")
        .env("MARKETPLACE_API", "cpp")
        .arg("--sandbox")
        .run();
    run.assert_code(0);
    run.assert_stderr_has("publishing offer fabrikam/contoso-sandbox-vm");
}

#[test]
fn a_sandbox_run_given_no_secret_does_not_claim_one() {
    let run = step().arg("--sandbox").run();
    run.assert_code(0);
    run.assert_stderr_has("authenticating with the sandbox's credentials");
    run.assert_stderr_lacks("authenticating with secret");
}

#[test]
fn outside_ci_the_follow_up_is_a_command_to_run() {
    let run = step()
        .env("MARKETPLACE_TIMEOUT", "0")
        .arg("--sandbox")
        .run();
    run.assert_code(0);
    let command = run
        .stderr
        .lines()
        .find_map(|line| line.strip_prefix("publish-offer: to follow it, run: "))
        .unwrap_or_else(|| panic!("no follow-up command\n{}", run.dump()));
    let words: Vec<&str> = command.split(' ').collect();
    assert_eq!(words.len(), 3, "{command}");
    assert_eq!(words[0], "MARKETPLACE_COMMAND=wait");
    assert_eq!(words[2], "publish-offer");
    let url = words[1]
        .strip_prefix("MARKETPLACE_OPERATION_URL='")
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("not one quoted word: {command}"));
    // Run as printed (in the sandbox, which finds the same operation).
    let followed = step()
        .env("MARKETPLACE_COMMAND", "wait")
        .env("MARKETPLACE_OPERATION_URL", url)
        .arg("--sandbox")
        .run();
    followed.assert_code(0);
    followed.assert_stderr_has("publish-offer: succeeded after");
    // In CI the operation-url output is what a later step reads: no shell command.
    let run = step().github().input("timeout", "0").arg("--sandbox").run();
    run.assert_code(0);
    run.assert_stdout_lacks("to follow it, run:");
}
