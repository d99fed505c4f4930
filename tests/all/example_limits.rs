//! Every example a user copies waits no longer than its job may run: examples/*.yml, the GitLab
//! component (templates/*.yml, with its inputs' defaults) and every yaml snippet of README.md and
//! docs/*.md, read at run time. A job that is cut off mid-wait gives no report, so each job's
//! limit (GitHub `timeout-minutes`, 6 h by default on GitHub-hosted runners; GitLab `timeout:` and
//! Azure Pipelines `timeoutInMinutes`, 60 min by default) must hold the publish-offer waits in it
//! plus `MARGIN_SECONDS` for start-up (image pull, install, token) and the closing report. The
//! jobs are read by tests/all/ci_jobs.rs.

use yaml_rust2::{Yaml, YamlLoader};

use crate::ci_jobs::{Component, Job, MARGIN_SECONDS, jobs_of, minutes_text, repo_path};

/// README snippets known not to fit yet (issue 24 item 3): the README is being rewritten, and
/// its snippets are fixed there. Each entry is a failure's text without its line number; the
/// test fails on any failure not listed and on any listed one that no longer happens, so the
/// list only shrinks.
const KNOWN_README_GAPS: &[&str] = &[];

/// One place a user copies from: a file, or a snippet at a line of a markdown file.
struct Source {
    name: String,
    docs: Vec<Yaml>,
}

fn check(source: &Source, job: &Job) -> Option<String> {
    let waited: u64 = job.waits.iter().map(|(_, seconds)| seconds).sum();
    if job.waits.is_empty() || waited + MARGIN_SECONDS <= job.limit {
        return None;
    }
    let what: Vec<&str> = job.waits.iter().map(|(what, _)| what.as_str()).collect();
    Some(format!(
        "{}: job {}: {} may wait {} but the job may run {} ({}), less {} for start-up and report",
        source.name,
        job.name,
        what.join(" + "),
        minutes_text(waited),
        minutes_text(job.limit),
        job.limit_origin,
        minutes_text(MARGIN_SECONDS),
    ))
}

fn file_source(path: &str) -> Source {
    let text =
        std::fs::read_to_string(repo_path(path)).unwrap_or_else(|error| panic!("{path}: {error}"));
    Source {
        name: path.to_owned(),
        docs: YamlLoader::load_from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}")),
    }
}

fn markdown_sources(path: &str) -> Vec<Source> {
    let text =
        std::fs::read_to_string(repo_path(path)).unwrap_or_else(|error| panic!("{path}: {error}"));
    let mut sources = Vec::new();
    let mut snippet: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        match &mut snippet {
            None if line.trim_start().starts_with("```yaml")
                || line.trim_start().starts_with("```yml") =>
            {
                snippet = Some((number + 1, String::new()));
            }
            Some((start, body)) if line.trim_start().starts_with("```") => {
                let docs = YamlLoader::load_from_str(body)
                    .unwrap_or_else(|error| panic!("{path} line {start}: {error}"));
                sources.push(Source {
                    name: format!("{path} line {start}"),
                    docs,
                });
                snippet = None;
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    sources
}

fn listed(dir: &str, extensions: &[&str]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(repo_path(dir)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| extensions.iter().any(|extension| name.ends_with(extension)))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    names.sort();
    names
}

fn failures(sources: &[Source], component: &Component) -> Vec<String> {
    let mut found = Vec::new();
    for source in sources {
        for doc in &source.docs {
            found.extend(
                jobs_of(doc, component)
                    .iter()
                    .filter_map(|job| check(source, job)),
            );
        }
    }
    found
}

#[test]
fn every_example_and_the_component_fit_their_jobs_limits() {
    let component = Component::load();
    let sources: Vec<Source> = listed("examples", &[".yml", ".yaml"])
        .iter()
        .map(|path| file_source(path))
        .collect();
    assert!(
        sources.len() >= 5,
        "examples/ holds {} files",
        sources.len()
    );
    let mut found = failures(&sources, &component);
    // The component on its own, as an `include:` without inputs uses it.
    let alone = Source {
        name: "templates/publish-offer.yml".to_owned(),
        docs: Vec::new(),
    };
    let included = component.included(&Yaml::BadValue);
    assert!(!included.waits.is_empty());
    found.extend(check(&alone, &included));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn every_yaml_snippet_of_the_readme_and_docs_fits_its_jobs_limit() {
    let component = Component::load();
    let mut sources = markdown_sources("README.md");
    for path in listed("docs", &[".md"]) {
        sources.extend(markdown_sources(&path));
    }
    assert!(sources.len() >= 5, "found {} yaml snippets", sources.len());
    let found = failures(&sources, &component);
    let without_line = |failure: &str| {
        let (place, rest) = failure.split_once(": ").unwrap_or(("", failure));
        format!("{}: {rest}", place.split(" line ").next().unwrap_or(place))
    };
    let unexpected: Vec<&String> = found
        .iter()
        .filter(|failure| !KNOWN_README_GAPS.contains(&without_line(failure).as_str()))
        .collect();
    let fixed: Vec<&&str> = KNOWN_README_GAPS
        .iter()
        .filter(|gap| !found.iter().any(|failure| without_line(failure) == **gap))
        .collect();
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "snippets that may wait longer than their job runs:\n{}\nlisted in KNOWN_README_GAPS but fixed (remove them): {fixed:?}",
        unexpected
            .iter()
            .map(|failure| failure.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_limit_check_reads_each_ci_systems_limits() {
    let component = Component::load();
    let load = |text: &str| Source {
        name: "case".to_owned(),
        docs: YamlLoader::load_from_str(text).expect("yaml"),
    };
    let cases = [
        // GitHub: 6 h by default; 5h55m fits, 5h56m does not.
        (
            "jobs: {p: {steps: [{uses: o/publish-offer@v1, with: {timeout: 5h55m}}]}}",
            true,
        ),
        (
            "jobs: {p: {steps: [{uses: o/publish-offer@v1, with: {timeout: 5h56m}}]}}",
            false,
        ),
        (
            "jobs: {p: {timeout-minutes: 15, steps: [{uses: o/publish-offer@v1, with: {timeout: 0}}]}}",
            true,
        ),
        // Two waits in one job add up.
        (
            "jobs: {p: {timeout-minutes: 40, steps: [{uses: o/publish-offer@v1, with: {timeout: 20m}}, {uses: o/publish-offer@v1, with: {timeout: 20m}}]}}",
            false,
        ),
        // The tool's default 60m does not fit GitLab's or Azure's default hour.
        ("publish: {script: publish-offer}", false),
        ("publish: {timeout: 1h 5m, script: [publish-offer]}", true),
        (
            "steps: [{script: 'docker run ghcr.io/o/publish-offer:1', env: {MARKETPLACE_TIMEOUT: 55m}}]",
            true,
        ),
        (
            "steps: [{script: 'docker run ghcr.io/o/publish-offer:1', env: {MARKETPLACE_TIMEOUT: 56m}}]",
            false,
        ),
        (
            "jobs: [{job: w, pool: server, timeoutInMinutes: 60, steps: [{task: Delay@1, inputs: {delayForMinutes: '60'}}]}]",
            false,
        ),
        // status and validate do not wait, whatever the timeout.
        (
            "steps: [{uses: o/publish-offer@v1, with: {command: status}}, {uses: o/publish-offer@v1, with: {command: validate, timeout: 7d}}]",
            true,
        ),
        (
            "publish: {variables: {MARKETPLACE_COMMAND: validate}, script: publish-offer}",
            true,
        ),
        (
            "publish: {variables: {MARKETPLACE_COMMAND: wait}, script: publish-offer}",
            false,
        ),
        // Installing is no wait.
        (
            "steps: [{script: bash install-publish-offer.sh 1.2.3}]",
            true,
        ),
        // The component: its default 60m wait within its default job timeout; a longer one needs job-timeout.
        ("include: [{remote: 'https://x/publish-offer.yml'}]", true),
        (
            "include: [{remote: 'https://x/publish-offer.yml', inputs: {timeout: 2h}}]",
            false,
        ),
        (
            "include: [{remote: 'https://x/publish-offer.yml', inputs: {timeout: 2h, job-timeout: 2h 5m}}]",
            true,
        ),
    ];
    for (text, fits) in cases {
        let found = failures(&[load(text)], &component);
        assert_eq!(found.is_empty(), fits, "{text}: {found:?}");
        let counted: usize = load(text)
            .docs
            .iter()
            .map(|doc| {
                jobs_of(doc, &component)
                    .iter()
                    .map(|job| job.waits.len())
                    .sum::<usize>()
            })
            .sum();
        let waits_nothing = ["install-publish-offer", "status}", "validate"]
            .iter()
            .any(|marker| text.contains(marker));
        assert_eq!(counted == 0, waits_nothing, "{text}");
    }
}
