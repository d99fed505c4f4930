//! action.yml and the README say what the binary does: the same inputs, defaults and outputs;
//! the README's examples are the files in examples/, paste no value into a script, and name only
//! image tags and action refs the release workflow makes.

use publish_offer::config::inputs::INPUTS;
use publish_offer::report::Output;
use std::collections::BTreeSet;
use yaml_rust2::{Yaml, YamlLoader};

use crate::support::*;

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
fn action_is_a_composite_with_its_metadata() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
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
    let readme = repo_text("docs/inputs.md");
    for spec in INPUTS {
        assert!(
            readme.contains(&format!("`{}`", spec.name)),
            "docs/inputs.md does not document input {}",
            spec.name
        );
    }
    for output in Output::ALL {
        assert!(
            readme.contains(&format!("`{}`", output.name())),
            "docs/inputs.md does not document output {}",
            output.name()
        );
    }
}

/// A fenced block of the README: its language, text, and the file a `<!-- file: PATH -->` line
/// right before it says it is.
struct Block {
    language: String,
    text: String,
    file: Option<String>,
    line: usize,
}

fn readme_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines().enumerate();
    let mut marker = None;
    while let Some((number, line)) = lines.next() {
        if let Some(language) = line.strip_prefix("```") {
            let mut text = String::new();
            for (_, inner) in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                text.push_str(inner);
                text.push('\n');
            }
            blocks.push(Block {
                language: language.trim().to_owned(),
                text,
                file: marker.take(),
                line: number + 1,
            });
        } else if let Some(rest) = line.strip_prefix("<!-- file: ") {
            marker = Some(rest.trim_end_matches(" -->").trim().to_owned());
        } else if !line.trim().is_empty() {
            marker = None;
        }
    }
    blocks
}

#[test]
fn readme_examples_are_the_files_in_examples() {
    let mut shown = BTreeSet::new();
    for doc in doc_files() {
        let text = repo_text(&doc);
        for block in readme_blocks(&text)
            .iter()
            .filter(|block| block.file.is_some())
        {
            let file = block.file.as_deref().unwrap_or_default();
            assert_eq!(
                block.text,
                repo_text(file),
                "{doc} line {}: the block differs from {file}",
                block.line
            );
            assert!(shown.insert(file.to_owned()), "{file} is shown twice");
        }
    }
    let files: BTreeSet<String> = example_files().into_iter().collect();
    assert!(!files.is_empty());
    assert_eq!(
        shown, files,
        "every file in examples/ is shown in the README or docs/, once"
    );
}

/// The keys whose string value is a script a runner executes: GitHub `run`, Azure Pipelines
/// `script`/`bash`/`pwsh`/`powershell`/`inlineScript`, GitLab `script`/`before_script`/`after_script`.
const SCRIPT_KEYS: &[&str] = &[
    "run",
    "script",
    "bash",
    "pwsh",
    "powershell",
    "inlineScript",
    "before_script",
    "after_script",
];

/// Template syntax pasted into a script: GitHub and Azure `${{ }}`, Azure runtime `$[ ]` and
/// macro `$(name)`, GitLab `$[[ ]]`. Each is expanded into the script text before the shell runs,
/// so a value can become code (GitHub's security hardening guide): values belong in `env:`.
fn injections(script: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pattern in ["${{", "$[[", "$["] {
        if script.contains(pattern) {
            found.push(pattern.to_owned());
        }
    }
    let macro_like = regex_lite::Regex::new(r"\$\([A-Za-z_][A-Za-z0-9_.]*\)").expect("regex");
    found.extend(macro_like.find_iter(script).map(|m| m.as_str().to_owned()));
    found
}

fn scripts_in<'a>(yaml: &'a Yaml, found: &mut Vec<&'a str>) {
    match yaml {
        Yaml::Hash(hash) => {
            for (key, value) in hash {
                let is_script = key.as_str().is_some_and(|key| SCRIPT_KEYS.contains(&key));
                match value {
                    Yaml::String(text) if is_script => found.push(text),
                    Yaml::Array(items) if is_script => {
                        found.extend(items.iter().filter_map(Yaml::as_str));
                    }
                    _ => scripts_in(value, found),
                }
            }
        }
        Yaml::Array(items) => items.iter().for_each(|item| scripts_in(item, found)),
        _ => {}
    }
}

fn script_injections(source: &str, text: &str) -> Vec<String> {
    let documents = YamlLoader::load_from_str(text)
        .unwrap_or_else(|error| panic!("{source} is not valid YAML: {error}"));
    let mut scripts = Vec::new();
    for document in &documents {
        scripts_in(document, &mut scripts);
    }
    scripts
        .into_iter()
        .flat_map(|script| {
            injections(script)
                .into_iter()
                .map(move |pattern| format!("{source}: {pattern} in script {script:?}"))
        })
        .collect()
}

#[test]
fn the_injection_check_finds_values_pasted_into_scripts() {
    let github = "steps:\n  - run: echo \"${{ steps.publish.outputs.operation-url }}\"\n";
    let azure = "steps:\n  - script: echo $(publish.operation_url)\n";
    let gitlab = "job:\n  script:\n    - publish-offer --x $[[ inputs.offer ]]\n";
    let safe = "steps:\n  - run: echo \"$URL $(date +%s)\"\n    env:\n      URL: ${{ steps.p.outputs.operation-url }}\n";
    assert_eq!(script_injections("github", github).len(), 1);
    assert_eq!(script_injections("azure", azure).len(), 1);
    assert_eq!(script_injections("gitlab", gitlab).len(), 2, "$[[ and $[");
    assert!(script_injections("safe", safe).is_empty());
}

#[test]
fn no_example_or_workflow_pastes_a_value_into_a_script() {
    let mut found = Vec::new();
    for doc in doc_files() {
        for block in readme_blocks(&repo_text(&doc)) {
            if block.language == "yaml" {
                let source = format!("{doc} line {}", block.line);
                found.extend(script_injections(&source, &block.text));
            }
        }
    }
    let mut files = example_files();
    files.extend(
        [
            "action.yml",
            ".github/workflows/ci.yml",
            ".github/workflows/release.yml",
            "templates/publish-offer.yml",
        ]
        .map(str::to_owned),
    );
    for file in files {
        found.extend(script_injections(&file, &repo_text(&file)));
    }
    assert!(
        found.is_empty(),
        "pass these through env: instead:\n{}",
        found.join("\n")
    );
}

/// The inputs table (docs/inputs.md) is generated from the INPUTS table, as `--help` and
/// action.yml are: the three cannot drift apart.
#[test]
fn readme_inputs_table_is_the_generated_one() {
    let readme = repo_text("docs/inputs.md");
    let marker = "<!-- inputs table: generated from src/config/inputs.rs; a test compares -->\n";
    let table = readme
        .split_once(marker)
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the inputs table marker in docs/inputs.md");
    let expected = publish_offer::config::inputs::readme_table();
    assert_eq!(
        format!("{table}\n"),
        expected,
        "the inputs table of docs/inputs.md differs from the INPUTS table; replace it with:\n{expected}"
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
