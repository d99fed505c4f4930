//! The GitLab CI/CD component (templates/publish-offer.yml): its `spec: inputs:` are the action's
//! inputs, each reaches the program, and the job runs as GitLab would run it.

use std::collections::BTreeSet;

use serde_json::json;
use yaml_rust2::{Yaml, YamlLoader};

use crate::support::*;

/// Inputs only the component has: where and how the job runs.
const GITLAB_ONLY: [&str; 6] = [
    "job-name",
    "stage",
    "image",
    "rules",
    "environment",
    "job-timeout",
];

fn load(path: &str) -> Vec<Yaml> {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{path}: {error}"));
    YamlLoader::load_from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn entries(yaml: &Yaml) -> Vec<(&str, &Yaml)> {
    yaml.as_hash()
        .expect("a mapping")
        .iter()
        .map(|(key, value)| (key.as_str().expect("string key"), value))
        .collect()
}

/// The component: its header (`spec:`) and the job, after the `---`.
fn component() -> (Yaml, Yaml) {
    let mut documents = load("templates/publish-offer.yml");
    assert_eq!(documents.len(), 2, "a spec header, ---, then the job");
    let job_document = documents.remove(1);
    let header = documents.remove(0);
    let jobs = entries(&job_document);
    assert_eq!(jobs.len(), 1, "one job");
    assert_eq!(jobs[0].0, "$[[ inputs.job-name ]]");
    let job = jobs[0].1.clone();
    (header, job)
}

/// An input's value as a string, the way GitLab interpolates it (`false` for a boolean).
fn scalar(yaml: &Yaml) -> Option<String> {
    match yaml {
        Yaml::String(text) => Some(text.clone()),
        Yaml::Boolean(value) => Some(value.to_string()),
        Yaml::Integer(value) => Some(value.to_string()),
        _ => None,
    }
}

/// `INPUT_PUBLISHER_ID`: hyphens cannot be in a GitLab variable name; the program reads both.
fn variable(input: &str) -> String {
    format!("INPUT_{}", input.to_ascii_uppercase().replace('-', "_"))
}

#[test]
fn component_inputs_are_the_actions() {
    let action = load("action.yml").remove(0);
    let action_inputs = entries(&action["inputs"]);
    let (header, _) = component();
    let inputs = entries(&header["spec"]["inputs"]);
    let names: Vec<&str> = inputs.iter().map(|(name, _)| *name).collect();
    let expected: Vec<&str> = GITLAB_ONLY
        .iter()
        .copied()
        .chain(action_inputs.iter().map(|(name, _)| *name))
        .collect();
    assert_eq!(
        names, expected,
        "the GitLab-only inputs, then the action's in its order"
    );

    for ((name, input), (_, action_input)) in inputs[GITLAB_ONLY.len()..].iter().zip(&action_inputs)
    {
        // Every input is optional, as in the action: no default there is "" here (unset).
        let default = scalar(&input["default"]).unwrap_or_else(|| panic!("{name} has no default"));
        let action_default = action_input["default"].as_str().unwrap_or_default();
        assert_eq!(default, action_default, "default of {name}");
        let description = input["description"].as_str().unwrap_or_default();
        let action_description = action_input["description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with(action_description),
            "description of {name}: {description:?} does not begin as action.yml's"
        );
        match &input["type"] {
            Yaml::BadValue => assert!(input["default"].as_str().is_some(), "{name}: a string"),
            Yaml::String(kind) if kind == "boolean" => {
                assert!(matches!(input["default"], Yaml::Boolean(_)), "{name}");
                assert!(
                    action_default == "true" || action_default == "false",
                    "{name}"
                );
            }
            other => panic!("{name}: unexpected type {other:?}"),
        }
        if let Some(options) = input["options"].as_vec() {
            let options: Vec<&str> = options.iter().filter_map(Yaml::as_str).collect();
            assert!(
                options.contains(&action_default),
                "{name}: default not in its options"
            );
            for option in &options {
                assert!(
                    action_description.contains(option),
                    "{name}: option {option} is not one the action describes"
                );
            }
        }
    }
}

#[test]
fn every_input_reaches_the_program_and_nothing_is_pasted_into_the_script() {
    let (header, job) = component();
    let declared: BTreeSet<&str> = entries(&header["spec"]["inputs"])
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let variables = entries(&job["variables"]);
    let passed: Vec<(&str, &str)> = variables
        .iter()
        .map(|(key, value)| (*key, value.as_str().expect("a string value")))
        .collect();
    let program_inputs: Vec<&str> = declared
        .iter()
        .copied()
        .filter(|name| !GITLAB_ONLY.contains(name))
        .collect();
    assert_eq!(passed.len(), program_inputs.len(), "{passed:?}");
    for name in &program_inputs {
        let reference = format!("$[[ inputs.{name} ]]");
        assert!(
            passed.contains(&(variable(name).as_str(), reference.as_str())),
            "{name} is not passed as {}",
            variable(name)
        );
    }
    assert_eq!(job["script"].as_vec().map(Vec::len), Some(1));
    assert_eq!(job["script"][0].as_str(), Some("publish-offer"));
    assert_eq!(job["stage"].as_str(), Some("$[[ inputs.stage ]]"));
    assert_eq!(job["image"].as_str(), Some("$[[ inputs.image ]]"));

    // Every reference names a declared input (a typo would fail only in GitLab).
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates/publish-offer.yml"
    ))
    .expect("template");
    let body = text.split("\n---\n").nth(1).expect("a job after ---");
    let reference =
        regex_lite::Regex::new(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]").expect("regex");
    let used: BTreeSet<&str> = reference
        .captures_iter(body)
        .filter_map(|captures| captures.get(1))
        .map(|name| name.as_str())
        .collect();
    assert_eq!(used, declared, "inputs used in the job = inputs declared");
}

#[test]
fn the_job_has_its_id_token_its_dotenv_report_and_a_shell_image() {
    let (header, job) = component();
    let id_tokens = entries(&job["id_tokens"]);
    assert_eq!(id_tokens.len(), 1);
    assert_eq!(id_tokens[0].0, "$[[ inputs.oidc-token-variable ]]");
    assert_eq!(
        id_tokens[0].1["aud"].as_str(),
        Some("$[[ inputs.oidc-audience ]]")
    );
    assert_eq!(
        job["artifacts"]["reports"]["dotenv"].as_str(),
        Some("$[[ inputs.dotenv-file ]]")
    );
    assert_eq!(
        job["artifacts"]["when"].as_str(),
        Some("always"),
        "the outcome of a failed publish is reported too"
    );
    let image = header["spec"]["inputs"]["image"]["default"]
        .as_str()
        .unwrap_or_default();
    let shell_image = regex_lite::Regex::new(
        r"^ghcr\.io/[a-zA-Z0-9_.-]+/publish-offer:(X\.Y\.Z|\d+\.\d+\.\d+)-shell$",
    )
    .expect("regex");
    assert!(
        shell_image.is_match(image),
        "{image}: the release's -shell image"
    );
}

/// The job's variables once GitLab has interpolated the inputs: `given` or else the defaults.
fn job_environment(given: &[(&str, &str)]) -> Vec<(String, String)> {
    let (header, job) = component();
    let inputs = &header["spec"]["inputs"];
    entries(&job["variables"])
        .into_iter()
        .map(|(key, value)| {
            let reference = value.as_str().expect("a string");
            let name = reference
                .trim_start_matches("$[[ inputs.")
                .trim_end_matches(" ]]");
            let value = given
                .iter()
                .find(|(input, _)| *input == name)
                .map(|(_, value)| (*value).to_owned())
                .or_else(|| scalar(&inputs[name]["default"]))
                .unwrap_or_default();
            (key.to_owned(), value)
        })
        .collect()
}

#[test]
fn the_job_runs_as_gitlab_runs_it_on_its_id_token() {
    let server = FakeServer::start();
    server.route_fn("POST", &format!("/{TENANT}/oauth2/v2.0/token"), |_, n| {
        Reply::json(
            200,
            json!({"expires_in": 3599, "access_token": format!("{TOKEN_PREFIX}{n}")}),
        )
    });
    serve_publish(&server, vec![operation("complete", json!([]))]);
    let url = server.url();
    let mut step = step()
        .env("GITLAB_CI", "true")
        // As a project's CI/CD variables would give them.
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env(
            "GITLAB_OIDC_TOKEN",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwIn0.gitlab-signature",
        );
    for (key, value) in job_environment(&[
        ("publisher-id", PUBLISHER),
        ("offer-id", OFFER),
        ("api", "cpp"),
        ("api-url", &url),
        ("authority-host", &url),
        ("poll-interval", "100ms"),
    ]) {
        step = step.env(&key, &value);
    }
    let run = step.run();
    run.assert_code(0)
        .assert_no_secret(&["gitlab-signature", TOKEN_PREFIX]);
    run.assert_stderr_has("authenticating with gitlab-oidc");
    let exchange = &server.requests_to("POST", &format!("/{TENANT}/oauth2/v2.0/token"))[0];
    assert_eq!(
        exchange.form()["client_assertion"],
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwIn0.gitlab-signature"
    );
    let dotenv = std::fs::read_to_string(step.dir().join("publish-offer.env")).unwrap_or_default();
    assert!(
        dotenv.contains("PUBLISH_OFFER_STATUS=succeeded"),
        "{}\n{dotenv}",
        run.dump()
    );
    assert_no_unexpected(&server);
}
