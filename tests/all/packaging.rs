//! action.yml and the README say what the binary does: the same inputs, defaults and outputs.

use publish_offer::config::inputs::INPUTS;
use publish_offer::report::Output;
use yaml_rust2::{Yaml, YamlLoader};

fn action() -> Yaml {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
        .expect("action.yml");
    YamlLoader::load_from_str(&text)
        .expect("valid YAML")
        .remove(0)
}

fn entries(yaml: &Yaml) -> Vec<(String, &Yaml)> {
    yaml.as_hash()
        .expect("a mapping")
        .iter()
        .map(|(key, value)| (key.as_str().expect("string key").to_owned(), value))
        .collect()
}

#[test]
fn action_inputs_match_the_program() {
    let action = action();
    let inputs = entries(&action["inputs"]);
    let names: Vec<&str> = inputs.iter().map(|(name, _)| name.as_str()).collect();
    let expected: Vec<&str> = INPUTS.iter().map(|spec| spec.name).collect();
    assert_eq!(names, expected);
    for ((name, input), spec) in inputs.iter().zip(INPUTS) {
        assert_eq!(input["default"].as_str(), spec.default, "default of {name}");
        assert_eq!(
            input["description"].as_str(),
            Some(spec.description),
            "description of {name}"
        );
        assert!(
            input["required"].is_badvalue() || input["required"].as_bool() == Some(false),
            "{name}: required is not enforced by the runner"
        );
        if spec.secret {
            assert!(
                spec.description.starts_with("secret:"),
                "{name} is described as a secret"
            );
        }
    }
}

#[test]
fn action_outputs_match_the_program() {
    let action = action();
    let outputs = entries(&action["outputs"]);
    let names: Vec<&str> = outputs.iter().map(|(name, _)| name.as_str()).collect();
    let expected: Vec<&str> = Output::ALL.iter().map(|output| output.name()).collect();
    assert_eq!(names, expected);
    for ((name, output), expected) in outputs.iter().zip(Output::ALL) {
        assert_eq!(
            output["description"].as_str(),
            Some(expected.description()),
            "description of {name}"
        );
    }
}

#[test]
fn action_runs_a_prebuilt_image() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("docker"));
    let image = action["runs"]["image"].as_str().unwrap_or_default();
    assert!(image.starts_with("docker://ghcr.io/"), "{image}");
    for field in ["name", "description", "author"] {
        assert!(
            action[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    assert!(action["branding"]["icon"].as_str().is_some());
}

#[test]
fn readme_documents_every_input_and_output() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    for spec in INPUTS {
        assert!(
            readme.contains(&format!("`{}`", spec.name)),
            "README does not document input {}",
            spec.name
        );
    }
    for output in Output::ALL {
        assert!(
            readme.contains(&format!("`{}`", output.name())),
            "README does not document output {}",
            output.name()
        );
    }
}

/// The README's inputs table is generated from the INPUTS table, as `--help` and action.yml are:
/// the three cannot drift apart.
#[test]
fn readme_inputs_table_is_the_generated_one() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let marker = "<!-- inputs table: generated from src/config/inputs.rs; a test compares -->\n";
    let table = readme
        .split_once(marker)
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the inputs table marker in the README");
    let expected = publish_offer::config::inputs::readme_table();
    assert_eq!(
        format!("{table}\n"),
        expected,
        "the README's inputs table differs from the INPUTS table; replace it with:\n{expected}"
    );
}

#[test]
fn help_shows_every_input_as_documented() {
    let help = publish_offer::cli::help();
    for spec in INPUTS {
        assert!(help.contains(spec.description), "{}", spec.name);
        assert!(help.contains(spec.details), "{}", spec.name);
        if let Some(default) = spec.default {
            assert!(
                help.contains(&format!("default {default}")),
                "{}",
                spec.name
            );
        }
    }
}
