//! action.yml and the README say what the binary does: the same inputs, defaults and outputs;
//! the README's examples are the files in examples/, paste no value into a script, and name only
//! image tags and action refs the release workflow makes.

use publish_offer::config::inputs::INPUTS;
use publish_offer::report::Output;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

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

fn repo_text(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The README and every page of docs/: where the examples and the reference live.
fn doc_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("docs/")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    files.sort();
    files.insert(0, "README.md".to_owned());
    files
}

fn example_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("examples/")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
        .map(|name| format!("examples/{name}"))
        .collect();
    files.sort();
    files
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

/// What `.github/scripts/release-tags` says a release of `version` makes.
fn release_tags(version: &str) -> std::collections::HashMap<String, String> {
    release_tags_beside(version, &[])
}

/// What `.github/scripts/release-tags` says a release of `version` makes in a repository that
/// holds the tags `released`.
fn release_tags_beside(
    version: &str,
    released: &[&str],
) -> std::collections::HashMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/scripts/release-tags");
    let output = Command::new("bash")
        .arg(script)
        .args([version, "ghcr.io/OWNER/publish-offer"])
        .args(released)
        .output()
        .expect("run release-tags");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn release_tags_are_the_version_its_minor_and_major() {
    let stable = release_tags("1.2.3");
    let image = "ghcr.io/OWNER/publish-offer";
    assert_eq!(
        stable["runtime-tags"],
        format!("{image}:1.2.3,{image}:1.2,{image}:1")
    );
    assert_eq!(
        stable["shell-tags"],
        format!("{image}:1.2.3-shell,{image}:1.2-shell,{image}:1-shell")
    );
    assert_eq!(stable["version-tag"], "v1.2.3");
    assert_eq!(stable["moving-tags"], "v1.2 v1");
    // The GitLab CI/CD catalog takes only a plain semantic version as a release tag.
    assert_eq!(stable["component-tag"], "1.2.3");
    let prerelease = release_tags("1.2.3-rc.1");
    assert_eq!(prerelease["runtime-tags"], format!("{image}:1.2.3-rc.1"));
    assert_eq!(prerelease["moving-tags"], "");
}

/// A patch of an older line does not take the moving tags of a newer release: 1.2.5 released
/// after 1.3.0 moved v1 and :1 back to 1.2.5.
#[test]
fn release_tags_never_move_a_tag_back_to_an_older_line() {
    let image = "ghcr.io/OWNER/publish-offer";
    let released = [
        "v1.2.4",
        "v1.3.0",
        "v1.4.0-rc.1",
        "v2.0.0",
        "v0.9.9",
        "latest",
    ];
    let patch = release_tags_beside("1.2.5", &released);
    assert_eq!(patch["moving-tags"], "v1.2");
    assert_eq!(patch["runtime-tags"], format!("{image}:1.2.5,{image}:1.2"));
    assert_eq!(
        patch["shell-tags"],
        format!("{image}:1.2.5-shell,{image}:1.2-shell")
    );

    let behind_a_patch = release_tags_beside("1.3.0", &["v1.3.1"]);
    assert_eq!(behind_a_patch["moving-tags"], "");
    assert_eq!(behind_a_patch["runtime-tags"], format!("{image}:1.3.0"));

    // A pre-release of a newer line and releases of other majors hold nothing back.
    let newest = release_tags_beside("1.3.1", &released);
    assert_eq!(newest["moving-tags"], "v1.3 v1");
}

/// The release workflow pushes the images under release-tags' tags and moves its moving tags.
#[test]
fn the_release_workflow_uses_the_release_tags() {
    let text = repo_text(".github/workflows/release.yml");
    let workflow = YamlLoader::load_from_str(&text).expect("YAML").remove(0);
    let image_steps = workflow["jobs"]["image"]["steps"]
        .as_vec()
        .expect("image steps");
    let tags_step = image_steps
        .iter()
        .find(|step| step["id"].as_str() == Some("tags"))
        .expect("a step with id tags");
    // Both give release-tags the repository's tags, so that neither moves a tag backwards.
    let with_released_tags = |run: &str| {
        run.contains("git/matching-refs/tags/v")
            && (run.contains(".github/scripts/release-tags \"$VERSION\" \"$image\" $released")
                || run.contains(".github/scripts/release-tags \"$VERSION\" unused $released"))
    };
    assert!(
        tags_step["run"].as_str().is_some_and(with_released_tags),
        "the tags step runs release-tags with the released tags"
    );
    let pushed: Vec<&str> = image_steps
        .iter()
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("docker/build-push-action@"))
        })
        .map(|step| step["with"]["tags"].as_str().expect("tags"))
        .collect();
    assert_eq!(
        pushed,
        [
            "${{ steps.tags.outputs.runtime-tags }}",
            "${{ steps.tags.outputs.shell-tags }}"
        ]
    );
    let moving = workflow["jobs"]["moving-tags"]["steps"]
        .as_vec()
        .expect("moving-tags steps")
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect::<String>();
    assert!(with_released_tags(&moving), "{moving}");
    assert!(moving.contains("s/^moving-tags=//p"), "{moving}");
}

/// A prepare run and a publish run never share a concurrency group. GitHub keeps one pending run
/// per group and cancels the one pending before it: with a single group, a publish run queued
/// behind a running prepare was cancelled by the next dispatch, and nothing pushes
/// action/release.env again to publish that release.
#[test]
fn the_release_workflow_never_cancels_a_pending_publish_for_a_prepare() {
    let text = repo_text(".github/workflows/release.yml");
    let workflow = YamlLoader::load_from_str(&text).expect("YAML").remove(0);
    let concurrency = &workflow["concurrency"];
    assert_eq!(concurrency["cancel-in-progress"].as_bool(), Some(false));
    let group = concurrency["group"].as_str().expect("a concurrency group");
    assert!(group.contains("${{ github.event_name }}"), "{group}");
}

/// The release PR's lines that point the GitLab component's default image at the release, run
/// twice as two releases would: a repository not named publish-offer (a renamed fork, upper-case
/// owner) got its image written at the first release and the second found no line to replace.
#[test]
fn the_release_pr_sets_the_gitlab_component_image_release_after_release() {
    let text = repo_text(".github/workflows/release.yml");
    let workflow = YamlLoader::load_from_str(&text).expect("YAML").remove(0);
    let run = workflow["jobs"]["release-pr"]["steps"]
        .as_vec()
        .expect("release-pr steps")
        .iter()
        .find(|step| step["name"].as_str() == Some("The release PR's files"))
        .and_then(|step| step["run"].as_str())
        .expect("the step writing the release PR's files");
    let image_lines: String = run
        .lines()
        .map(str::trim_start)
        .filter(|line| {
            line.starts_with("image_line=")
                || line.starts_with("sed -E -i")
                || line.starts_with("grep -qxF \"$image_line\"")
        })
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(image_lines.lines().count(), 3, "{run}");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("templates")).expect("mkdir");
    let template = dir.path().join("templates/publish-offer.yml");
    std::fs::write(&template, repo_text("templates/publish-offer.yml")).expect("copy");
    for (repository, version, image) in [
        (
            "Octo-Org/Offer-Tools",
            "1.0.0",
            "ghcr.io/octo-org/offer-tools:1.0.0-shell",
        ),
        (
            "Octo-Org/Offer-Tools",
            "1.0.1",
            "ghcr.io/octo-org/offer-tools:1.0.1-shell",
        ),
        (
            "octo/publish-offer",
            "1.1.0",
            "ghcr.io/octo/publish-offer:1.1.0-shell",
        ),
    ] {
        let output = Command::new("bash")
            .args(["-e", "-c", &image_lines])
            .current_dir(dir.path())
            .env("GITHUB_REPOSITORY", repository)
            .env("VERSION", version)
            .output()
            .expect("bash");
        assert!(
            output.status.success(),
            "{repository} {version}: {output:?}"
        );
        let written = std::fs::read_to_string(&template).expect("template");
        assert!(
            written
                .lines()
                .any(|line| line == format!("      default: {image}")),
            "{written}"
        );
    }
}

/// Every image tag and action ref in the README, examples/, action.yml and the install scripts'
/// messages is one the release makes (`X.Y.Z`-style placeholders read as 1.2.3), under the
/// `OWNER` placeholder the README explains, never a made-up owner.
#[test]
fn docs_name_only_tags_the_release_makes() {
    let stable = release_tags("1.2.3");
    let prerelease = release_tags("1.2.3-rc.1");
    let mut images = BTreeSet::new();
    let mut refs = BTreeSet::new();
    for tags in [&stable, &prerelease] {
        for key in ["runtime-tags", "shell-tags"] {
            images.extend(tags[key].split(',').map(str::to_owned));
        }
        refs.insert(format!("OWNER/publish-offer@{}", tags["version-tag"]));
        // The component, from a GitLab mirror's catalog entry: <host>/<group>/<mirror>/publish-offer@1.2.3.
        refs.insert(format!("<mirror>/publish-offer@{}", tags["component-tag"]));
        refs.extend(
            tags["moving-tags"]
                .split_whitespace()
                .map(|tag| format!("OWNER/publish-offer@{tag}")),
        );
    }
    let image_ref = regex_lite::Regex::new(
        r"ghcr\.io/[A-Za-z0-9_.<>-]+/publish-offer:[A-Za-z0-9_.-]*[A-Za-z0-9]",
    )
    .expect("regex");
    let action_ref =
        regex_lite::Regex::new(r"[A-Za-z0-9_.<>-]+/publish-offer@[A-Za-z0-9_.-]*[A-Za-z0-9]")
            .expect("regex");
    let mut files = example_files();
    files.extend(doc_files());
    files.extend(
        [
            "action.yml",
            "action/install.sh",
            "action/install.ps1",
            "templates/publish-offer.yml",
        ]
        .map(str::to_owned),
    );
    // The release PR writes the GitLab component's default image with the real owner.
    let released_owner =
        regex_lite::Regex::new(r"ghcr\.io/[a-z0-9_.-]+/publish-offer:").expect("regex");
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in &files {
        let mut text = repo_text(file);
        if file.starts_with("templates/") {
            text = released_owner
                .replace_all(&text, "ghcr.io/OWNER/publish-offer:")
                .into_owned();
        }
        assert!(
            !text.contains("contoso/publish-offer") && !text.contains("ghcr.io/contoso"),
            "{file} names a placeholder owner; write OWNER/publish-offer"
        );
        let placeholder = |found: &str| {
            found
                .replace("X.Y.Z", "1.2.3")
                .replace("X.Y", "1.2")
                .replace(":X", ":1")
                .replace("@vX", "@v1")
        };
        for found in image_ref.find_iter(&text) {
            seen += 1;
            if !images.contains(&placeholder(found.as_str())) {
                wrong.push(format!("{file}: image {}", found.as_str()));
            }
        }
        for found in action_ref.find_iter(&text) {
            seen += 1;
            let found = found.as_str();
            let pinned_sha = found
                .rsplit('@')
                .next()
                .is_some_and(|sha| sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()));
            if !pinned_sha && !refs.contains(&placeholder(found)) {
                wrong.push(format!("{file}: action ref {found}"));
            }
        }
    }
    assert!(seen > 5, "the patterns found only {seen} references");
    assert!(
        wrong.is_empty(),
        "not made by the release:\n{}",
        wrong.join("\n")
    );
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
