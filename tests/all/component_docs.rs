//! docs/gitlab.md, the GitLab component's catalog README: its inputs table lists every input of
//! templates/publish-offer.yml, in order, with the template's default and description.

use yaml_rust2::{Yaml, YamlLoader};

fn repo_text(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A default as the table writes it: in backticks, empty when unset.
fn shown_default(default: &Yaml) -> String {
    match default {
        Yaml::String(text) if text.is_empty() => String::new(),
        Yaml::String(text) => format!("`{text}`"),
        Yaml::Boolean(value) => format!("`{value}`"),
        other => panic!("unexpected default {other:?}"),
    }
}

#[test]
fn the_component_readme_lists_every_input_with_its_default() {
    let template = repo_text("templates/publish-offer.yml");
    let header = template.split("\n---\n").next().expect("a spec header");
    let spec = YamlLoader::load_from_str(header).expect("yaml").remove(0);
    let inputs = spec["spec"]["inputs"].as_hash().expect("spec:inputs");

    let page = repo_text("docs/gitlab.md");
    let rows: Vec<Vec<&str>> = page
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| line.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    let names: Vec<String> = rows
        .iter()
        .map(|row| row[0].trim_matches('`').to_owned())
        .collect();
    let declared: Vec<&str> = inputs.keys().filter_map(Yaml::as_str).collect();
    assert_eq!(
        names, declared,
        "the table's inputs are the template's, in order"
    );

    for (row, (name, input)) in rows.iter().zip(inputs) {
        let name = name.as_str().expect("name");
        let description = input["description"].as_str().expect("description");
        assert_eq!(
            row[2],
            description.replace('|', "\\|"),
            "description of {name}"
        );
        match name {
            // The release PR rewrites the image; the rules default is a list.
            "image" => assert!(row[1].contains("`-shell` image"), "{row:?}"),
            "rules" => assert_eq!(row[1], "manual on the default branch"),
            _ => assert_eq!(
                row[1],
                shown_default(&input["default"]),
                "default of {name}"
            ),
        }
    }
}

/// The component's job runs by hand on the default branch unless `rules` says otherwise, one at a
/// time per offer, in its environment, and stops at `job-timeout`, which by default stays above
/// the default `timeout` (tests/all/example_limits.rs checks the margin).
#[test]
fn the_component_job_is_manual_serial_per_offer_and_time_limited() {
    let template = repo_text("templates/publish-offer.yml");
    let documents = YamlLoader::load_from_str(&template).expect("yaml");
    let rules = &documents[0]["spec"]["inputs"]["rules"];
    assert_eq!(rules["type"].as_str(), Some("array"));
    let default_rules = rules["default"].as_vec().expect("a list of rules");
    assert_eq!(default_rules.len(), 1);
    assert_eq!(
        default_rules[0]["if"].as_str(),
        Some("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")
    );
    assert_eq!(default_rules[0]["when"].as_str(), Some("manual"));

    let job = &documents[1]["$[[ inputs.job-name ]]"];
    assert_eq!(job["rules"].as_str(), Some("$[[ inputs.rules ]]"));
    assert_eq!(
        job["resource_group"].as_str(),
        Some("publish-offer-$[[ inputs.publisher-id ]]-$[[ inputs.offer-id ]]")
    );
    assert_eq!(
        job["environment"]["name"].as_str(),
        Some("$[[ inputs.environment ]]")
    );
    assert_eq!(job["timeout"].as_str(), Some("$[[ inputs.job-timeout ]]"));
}
