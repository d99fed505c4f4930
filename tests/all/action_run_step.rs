//! The composite action's run steps: every input reaches the binary as the Docker form passed it.

use crate::support::{Finished, parse_github_output, repo_file, simple_server, step, wait_bounded};
use publish_offer::config::inputs::INPUTS;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use yaml_rust2::{Yaml, YamlLoader};

// ---- action.yml ---------------------------------------------------------------------------
fn action() -> Yaml {
    let text = std::fs::read_to_string(repo_file("action.yml")).expect("action.yml");
    YamlLoader::load_from_str(&text)
        .expect("valid YAML")
        .remove(0)
}

fn composite_step<'a>(action: &'a Yaml, id: &str) -> &'a Yaml {
    action["runs"]["steps"]
        .as_vec()
        .expect("runs.steps")
        .iter()
        .find(|step| step["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step {id}"))
}

fn step_env(step: &Yaml) -> Vec<(String, String)> {
    step["env"]
        .as_hash()
        .expect("env")
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().expect("name").to_owned(),
                value.as_str().expect("value").to_owned(),
            )
        })
        .collect()
}

#[test]
fn both_run_steps_pass_every_input_as_the_docker_form_did() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let mut expected: Vec<(String, String)> = INPUTS
        .iter()
        .map(|spec| {
            (
                format!("INPUT_{}", spec.name.to_ascii_uppercase()),
                format!("${{{{ inputs.{} }}}}", spec.name),
            )
        })
        .collect();
    expected.sort();
    for (id, install) in [
        ("run-posix", "install-posix"),
        ("run-windows", "install-windows"),
    ] {
        let mut env = step_env(composite_step(&action, id));
        let binary = env
            .iter()
            .position(|(name, _)| name == "PUBLISH_OFFER_BINARY")
            .map(|index| env.remove(index).1);
        assert_eq!(
            binary.as_deref(),
            Some(format!("${{{{ steps.{install}.outputs.path }}}}").as_str())
        );
        env.sort();
        assert_eq!(env, expected, "env of {id}");
    }
    for output in action["outputs"].as_hash().expect("outputs").keys() {
        let name = output.as_str().expect("name");
        assert_eq!(
            action["outputs"][name]["value"].as_str(),
            Some(
                format!(
                    "${{{{ steps.run-posix.outputs.{name} || steps.run-windows.outputs.{name} }}}}"
                )
                .as_str()
            ),
        );
    }
}

/// Runs a run step's `script` as the runner does (`bash --noprofile --norc -eo pipefail FILE`),
/// with GitHub's command files and the step's `env:` (names as given, hyphens kept).
fn run_through_bash(script: &str, step_env: &[(String, String)]) -> Finished {
    let github = step().github();
    let script_file = github.dir().join("run-step.sh");
    std::fs::write(&script_file, script).expect("script");
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script_file)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(github.dir())
        .stdin(Stdio::null());
    for (name, value) in github.env_pairs().iter().chain(step_env) {
        command.env(name, value);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    github.finished(wait_bounded(command.spawn().expect("bash")))
}

/// Runs the `run-posix` step as the runner does (`bash --noprofile --norc -eo pipefail FILE`,
/// with the step's `env:` evaluated for `inputs`), next to the binary run as the docker form ran
/// it; both must write the same outputs and end the same way.
#[test]
fn the_run_step_behaves_like_the_docker_form() {
    let action = action();
    let run_step = composite_step(&action, "run-posix");
    // bash with the runner's own flags, BASH_ENV/ENV cleared (tests/all/action_hardening.rs).
    assert_eq!(
        run_step["shell"].as_str(),
        Some("env -u BASH_ENV -u ENV bash --noprofile --norc -eo pipefail {0}")
    );
    let script = run_step["run"].as_str().expect("run");

    let server = simple_server();
    let with = step().github().against(&server).input("timeout", "20s");
    let inputs: HashMap<String, String> = INPUTS
        .iter()
        .map(|spec| {
            let variable = format!("INPUT_{}", spec.name.to_ascii_uppercase());
            let value = with
                .env_value(&variable)
                .or(spec.default.map(str::to_owned))
                .unwrap_or_default();
            (spec.name.to_owned(), value)
        })
        .collect();

    let direct = with.run();
    assert_eq!(direct.code, 0, "{}", direct.stderr);

    let evaluated_env: Vec<(String, String)> = step_env(run_step)
        .into_iter()
        .map(|(name, expression)| {
            let value = if name == "PUBLISH_OFFER_BINARY" {
                env!("CARGO_BIN_EXE_publish-offer").to_owned()
            } else {
                let input = expression
                    .trim_start_matches("${{ inputs.")
                    .trim_end_matches(" }}");
                inputs.get(input).cloned().unwrap_or_default()
            };
            (name, value)
        })
        .collect();
    let through_action = run_through_bash(script, &evaluated_env);

    assert_eq!(
        through_action.code, direct.code,
        "{}",
        through_action.stderr
    );
    let mut direct_outputs = parse_github_output(&direct.outputs_raw);
    let mut action_outputs = parse_github_output(&through_action.outputs_raw);
    assert_eq!(
        action_outputs.get("status").map(String::as_str),
        Some("succeeded")
    );
    for outputs in [&mut direct_outputs, &mut action_outputs] {
        outputs.remove("duration");
    }
    assert_eq!(action_outputs, direct_outputs);
}

/// A hyphenated input reaches the binary through bash under its hyphenated name: the error for a
/// bad value names `INPUT_POLL-INTERVAL`, as it does for the docker form.
#[test]
fn a_hyphenated_input_reaches_the_binary_through_the_run_step() {
    let action = action();
    let script = composite_step(&action, "run-posix")["run"]
        .as_str()
        .expect("run")
        .to_owned();
    let hyphenated_env = [
        ("PUBLISH_OFFER_BINARY", env!("CARGO_BIN_EXE_publish-offer")),
        ("INPUT_PUBLISHER-ID", "contoso"),
        ("INPUT_OFFER-ID", "contoso-vm"),
        ("INPUT_POLL-INTERVAL", "30"),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    let finished = run_through_bash(&script, &hyphenated_env);
    assert_eq!(finished.code, 2, "{}", finished.stdout);
    finished.assert_stdout_has("INPUT_POLL-INTERVAL");
    assert_eq!(
        parse_github_output(&finished.outputs_raw)
            .get("status")
            .map(String::as_str),
        Some("invalid-input")
    );
}
