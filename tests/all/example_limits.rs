//! Every example a user copies waits no longer than its job may run: examples/*.yml, the GitLab
//! component (templates/*.yml, with its inputs' defaults) and every yaml snippet of README.md and
//! docs/*.md, read at run time. A job that is cut off mid-wait gives no report, so each job's
//! limit (GitHub `timeout-minutes`, 6 h by default on GitHub-hosted runners; GitLab `timeout:` and
//! Azure Pipelines `timeoutInMinutes`, 60 min by default) must hold the publish-offer waits in it
//! (`timeout`, MARKETPLACE_TIMEOUT or INPUT_TIMEOUT, 60m when unset; an agentless Delay@1) plus
//! `MARGIN` for start-up (image pull, install, token) and the closing report. The runner-minutes
//! of docs/long-publishes.md are checked against the watch examples' schedules here too.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

/// Start-up (image pull or install, token exchange) and the closing report.
const MARGIN_SECONDS: u64 = 5 * 60;
const GITHUB_DEFAULT_SECONDS: u64 = 6 * 3600;
const GITLAB_AZURE_DEFAULT_SECONDS: u64 = 3600;
/// publish-offer's own default `timeout`.
const TOOL_DEFAULT_WAIT: &str = "60m";

/// README snippets known not to fit yet (issue 24 item 3): the README is being rewritten, and
/// its snippets are fixed there. Each entry is a failure's text without its line number; the
/// test fails on any failure not listed and on any listed one that no longer happens, so the
/// list only shrinks.
const KNOWN_README_GAPS: &[&str] = &[
    "README.md: job (a job holding this step): step 1 (timeout 3d) may wait 4320m but the job may run 360m (GitHub-hosted default), less 5m for start-up and report",
    "README.md: job (a job holding this step): step 2 (timeout 3d) may wait 4320m but the job may run 360m (GitHub-hosted default), less 5m for start-up and report",
    "README.md: job (a job holding this step): step 6 (timeout 6h) may wait 360m but the job may run 360m (GitHub-hosted default), less 5m for start-up and report",
    "README.md: job (the pipeline's one job): step publish (timeout 2h) may wait 120m but the job may run 60m (Azure Pipelines default), less 5m for start-up and report",
    "README.md: job publish: the script (timeout 60m) may wait 60m but the job may run 60m (GitLab default), less 5m for start-up and report",
    "README.md: job publish-offer (the component, included): the script (timeout 2h) may wait 120m but the job may run 70m (timeout: 1h 10m), less 5m for start-up and report",
    "README.md: job (the pipeline's one job): step publish (timeout 60m) may wait 60m but the job may run 60m (Azure Pipelines default), less 5m for start-up and report",
    "README.md: job publish: the script (timeout 2h) may wait 120m but the job may run 60m (GitLab default), less 5m for start-up and report",
];

fn repo_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// One place a user copies from: a file, or a snippet at a line of a markdown file.
struct Source {
    name: String,
    docs: Vec<Yaml>,
}

/// A job (or, for a bare list of GitHub steps, one step) with the waits it holds.
struct Job {
    name: String,
    limit: u64,
    limit_origin: String,
    waits: Vec<(String, u64)>,
}

/// A duration as publish-offer (90s, 45m, 1h30m, 2d), GitLab (2h 10m, 3 hours) or a bare number
/// of `bare_unit` seconds writes it.
fn seconds(text: &str, bare_unit: u64) -> Option<u64> {
    let text = text.trim();
    if let Ok(number) = text.parse::<u64>() {
        return Some(number * bare_unit);
    }
    let mut total = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "s" | "sec" | "second" | "seconds" => 1,
            "m" | "min" | "minute" | "minutes" => 60,
            "h" | "hr" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return None,
        };
        total += number * unit;
        rest = rest[unit_end..].trim_start();
    }
    Some(total)
}

fn scalar(yaml: &Yaml) -> Option<String> {
    match yaml {
        Yaml::String(text) | Yaml::Real(text) => Some(text.clone()),
        Yaml::Integer(number) => Some(number.to_string()),
        _ => None,
    }
}

fn minutes_text(seconds: u64) -> String {
    format!("{}m", seconds / 60)
}

/// Whether a script, command line or image runs publish-offer (not install-publish-offer.sh,
/// not a directory named publish-offer-bin).
fn runs_tool(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices("publish-offer").any(|(at, word)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + word.len()).copied();
        matches!(
            before,
            None | Some(b' ' | b'\t' | b'\n' | b'/' | b'"' | b'\'')
        ) && matches!(
            after,
            None | Some(b' ' | b'\n' | b':' | b'@' | b'"' | b'\'' | b';')
        )
    })
}

/// `status` and `validate` read and return; only the other commands wait on an operation.
fn waits_for(command: Option<String>) -> bool {
    !matches!(command.as_deref(), Some("status" | "validate"))
}

fn first_of(envs: &[&Yaml], names: &[&str]) -> Option<String> {
    envs.iter()
        .find_map(|env| names.iter().find_map(|name| scalar(&env[*name])))
}

/// The wait a run of publish-offer configured by `env` lists (first found wins) may take.
fn env_wait(envs: &[&Yaml], what: &str) -> Option<(String, u64)> {
    if !waits_for(first_of(envs, &["MARKETPLACE_COMMAND", "INPUT_COMMAND"])) {
        return None;
    }
    Some(
        match first_of(envs, &["MARKETPLACE_TIMEOUT", "INPUT_TIMEOUT"]) {
            Some(value) => wait_of(what, &value),
            None => wait_of(what, TOOL_DEFAULT_WAIT),
        },
    )
}

fn wait_of(what: &str, value: &str) -> (String, u64) {
    // An unreadable value (an expression) counts as a week: the check then names it.
    let seconds = seconds(value, 1).unwrap_or(7 * 86_400);
    (format!("{what} (timeout {value})"), seconds)
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

// ---- GitHub Actions ------------------------------------------------------------------------

fn github_step_wait(
    step: &Yaml,
    job_env: &Yaml,
    workflow_env: &Yaml,
    index: usize,
) -> Option<(String, u64)> {
    let what = format!(
        "step {}",
        step["id"]
            .as_str()
            .or(step["name"].as_str())
            .map_or_else(|| (index + 1).to_string(), str::to_owned)
    );
    if step["uses"].as_str().is_some_and(runs_tool) {
        if !waits_for(scalar(&step["with"]["command"])) {
            return None;
        }
        let value =
            scalar(&step["with"]["timeout"]).unwrap_or_else(|| TOOL_DEFAULT_WAIT.to_owned());
        return Some(wait_of(&what, &value));
    }
    if step["run"].as_str().is_some_and(runs_tool) {
        return env_wait(&[&step["env"], job_env, workflow_env], &what);
    }
    None
}

fn github_jobs(workflow: &Yaml) -> Vec<Job> {
    let Some(jobs) = workflow["jobs"].as_hash() else {
        return Vec::new();
    };
    jobs.iter()
        .map(|(name, job)| {
            let (limit, limit_origin) = match scalar(&job["timeout-minutes"]) {
                Some(minutes) => (
                    seconds(&minutes, 60).unwrap_or(0),
                    format!("timeout-minutes: {minutes}"),
                ),
                None => (GITHUB_DEFAULT_SECONDS, "GitHub-hosted default".to_owned()),
            };
            let steps = job["steps"].as_vec().map(Vec::as_slice).unwrap_or_default();
            Job {
                name: scalar(name).unwrap_or_default(),
                limit,
                limit_origin,
                waits: steps
                    .iter()
                    .enumerate()
                    .filter_map(|(index, step)| {
                        github_step_wait(step, &job["env"], &workflow["env"], index)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// A bare list of steps is a menu of alternatives: each step on its own, in a job with no limit set.
fn github_step_menu(steps: &[Yaml]) -> Vec<Job> {
    steps
        .iter()
        .enumerate()
        .filter_map(|(index, step)| github_step_wait(step, &Yaml::BadValue, &Yaml::BadValue, index))
        .map(|wait| Job {
            name: "(a job holding this step)".to_owned(),
            limit: GITHUB_DEFAULT_SECONDS,
            limit_origin: "GitHub-hosted default".to_owned(),
            waits: vec![wait],
        })
        .collect()
}

// ---- Azure Pipelines -----------------------------------------------------------------------

/// Jobs and steps lists with template expressions (`${{ each ... }}:`, `${{ if ... }}:`) flattened.
fn azure_items(list: &Yaml) -> Vec<&Yaml> {
    let mut items = Vec::new();
    for item in list.as_vec().map(Vec::as_slice).unwrap_or_default() {
        match item.as_hash() {
            Some(hash)
                if hash.len() == 1
                    && hash
                        .keys()
                        .all(|key| key.as_str().is_some_and(|key| key.starts_with("${{"))) =>
            {
                for value in hash.values() {
                    items.extend(azure_items(value));
                }
            }
            _ => items.push(item),
        }
    }
    items
}

fn azure_step_wait(step: &Yaml, index: usize) -> Option<(String, u64)> {
    let what = format!(
        "step {}",
        step["name"]
            .as_str()
            .map_or_else(|| (index + 1).to_string(), str::to_owned)
    );
    if step["task"]
        .as_str()
        .is_some_and(|task| task.starts_with("Delay@"))
    {
        let minutes = scalar(&step["inputs"]["delayForMinutes"]).unwrap_or_default();
        return Some((
            format!("{what} (Delay {minutes} min)"),
            seconds(&minutes, 60).unwrap_or(0),
        ));
    }
    let script = ["script", "bash", "pwsh", "powershell"]
        .iter()
        .filter_map(|key| step[*key].as_str())
        .chain(step["inputs"]["inlineScript"].as_str())
        .any(runs_tool);
    if script {
        env_wait(&[&step["env"]], &what)
    } else {
        None
    }
}

fn azure_job(name: String, job: &Yaml) -> Job {
    let (limit, limit_origin) = match scalar(&job["timeoutInMinutes"]) {
        Some(minutes) => (
            seconds(&minutes, 60).unwrap_or(0),
            format!("timeoutInMinutes: {minutes}"),
        ),
        None => (
            GITLAB_AZURE_DEFAULT_SECONDS,
            "Azure Pipelines default".to_owned(),
        ),
    };
    let waits = azure_items(&job["steps"])
        .into_iter()
        .enumerate()
        .filter_map(|(index, step)| azure_step_wait(step, index))
        .collect();
    Job {
        name,
        limit,
        limit_origin,
        waits,
    }
}

fn azure_jobs(pipeline: &Yaml) -> Vec<Job> {
    let mut jobs = Vec::new();
    let mut job_lists = vec![&pipeline["jobs"]];
    for stage in azure_items(&pipeline["stages"]) {
        job_lists.push(&stage["jobs"]);
    }
    for list in job_lists {
        for job in azure_items(list) {
            let name = scalar(&job["job"])
                .or_else(|| scalar(&job["deployment"]))
                .unwrap_or_default();
            jobs.push(azure_job(name, job));
        }
    }
    if !pipeline["steps"].is_badvalue() {
        jobs.push(azure_job("(the pipeline's one job)".to_owned(), pipeline));
    }
    jobs
}

// ---- GitLab CI -----------------------------------------------------------------------------

const GITLAB_KEYWORDS: &[&str] = &[
    "include",
    "variables",
    "stages",
    "default",
    "workflow",
    "spec",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

fn gitlab_script_runs_tool(job: &Yaml) -> bool {
    match &job["script"] {
        Yaml::String(line) => runs_tool(line),
        Yaml::Array(lines) => lines.iter().filter_map(Yaml::as_str).any(runs_tool),
        _ => false,
    }
}

fn gitlab_jobs(pipeline: &Yaml, template: &Component) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (name, job) in pipeline.as_hash().into_iter().flatten() {
        let name = scalar(name).unwrap_or_default();
        if GITLAB_KEYWORDS.contains(&name.as_str()) || !gitlab_script_runs_tool(job) {
            continue;
        }
        let (limit, limit_origin) = match scalar(&job["timeout"]) {
            Some(timeout) => (
                seconds(&timeout, 60).unwrap_or(0),
                format!("timeout: {timeout}"),
            ),
            None => (GITLAB_AZURE_DEFAULT_SECONDS, "GitLab default".to_owned()),
        };
        let waits = env_wait(&[&job["variables"], &pipeline["variables"]], "the script");
        jobs.push(Job {
            name,
            limit,
            limit_origin,
            waits: waits.into_iter().collect(),
        });
    }
    for include in pipeline["include"].as_vec().into_iter().flatten() {
        let location = ["component", "remote", "project", "local"]
            .iter()
            .find_map(|key| include[*key].as_str())
            .unwrap_or_default();
        if location.contains("publish-offer") {
            jobs.push(template.included(&include["inputs"]));
        }
    }
    jobs
}

/// templates/publish-offer.yml: its inputs' defaults and the jobs they fill in.
struct Component {
    defaults: Vec<(String, String)>,
    jobs_text: String,
}

impl Component {
    fn load() -> Component {
        let text =
            std::fs::read_to_string(repo_path("templates/publish-offer.yml")).expect("template");
        let (header, jobs_text) = text.split_once("\n---\n").expect("spec header, ---, jobs");
        let spec = YamlLoader::load_from_str(header)
            .expect("valid YAML")
            .remove(0);
        let defaults = spec["spec"]["inputs"]
            .as_hash()
            .expect("spec:inputs")
            .iter()
            .map(|(name, input)| {
                (
                    scalar(name).unwrap_or_default(),
                    scalar(&input["default"]).unwrap_or_default(),
                )
            })
            .collect();
        Component {
            defaults,
            jobs_text: jobs_text.to_owned(),
        }
    }

    /// The component's jobs with `inputs` given (the rest at their defaults).
    fn jobs_with(&self, inputs: &Yaml) -> Yaml {
        let mut text = self.jobs_text.clone();
        for (name, default) in &self.defaults {
            let value = scalar(&inputs[name.as_str()]).unwrap_or_else(|| default.clone());
            text = text.replace(&format!("$[[ inputs.{name} ]]"), &value);
        }
        YamlLoader::load_from_str(&text)
            .expect("the component's jobs as YAML")
            .remove(0)
    }

    fn included(&self, inputs: &Yaml) -> Job {
        let jobs = gitlab_jobs(&self.jobs_with(inputs), self);
        let mut job = jobs
            .into_iter()
            .next()
            .expect("the component's job runs publish-offer");
        job.name = format!("{} (the component, included)", job.name);
        job
    }
}

// ---- sources -------------------------------------------------------------------------------

fn jobs_of(doc: &Yaml, component: &Component) -> Vec<Job> {
    if let Some(steps) = doc.as_vec() {
        return github_step_menu(steps);
    }
    if doc["jobs"].as_hash().is_some() {
        return github_jobs(doc);
    }
    if doc["jobs"].as_vec().is_some()
        || doc["stages"].as_vec().is_some()
        || doc["steps"].as_vec().is_some()
    {
        return azure_jobs(doc);
    }
    gitlab_jobs(doc, component)
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

// ---- docs/long-publishes.md: runner-minutes per day ---------------------------------------

/// How many values a cron field takes in `0..range`: `*`, `*/n`, `a-b`, `a,b,c` or one value.
fn cron_values(field: &str, range: u64) -> u64 {
    field
        .split(',')
        .map(|part| {
            if part == "*" {
                range
            } else if let Some(step) = part.strip_prefix("*/") {
                step.parse::<u64>().map_or(0, |step| range.div_ceil(step))
            } else if let Some((low, high)) = part.split_once('-') {
                let bound = |text: &str| text.parse::<u64>().unwrap_or(0);
                bound(high).saturating_sub(bound(low)) + 1
            } else {
                1
            }
        })
        .sum()
}

/// Runs a day of a cron schedule that runs every day.
fn runs_a_day(cron: &str) -> u64 {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{cron}");
    assert!(
        fields[2..].iter().all(|field| *field == "*"),
        "{cron}: not daily"
    );
    cron_values(fields[0], 60) * cron_values(fields[1], 24)
}

/// The watch example's runs a day, its watching job's limit and its wait, in minutes.
fn watch_cost(path: &str, component: &Component) -> (u64, u64, u64) {
    let text = std::fs::read_to_string(repo_path(path)).expect("example");
    let doc = YamlLoader::load_from_str(&text).expect("yaml").remove(0);
    let jobs = jobs_of(&doc, component);
    let is_pause = |what: &String| what.contains("(Delay ");
    let watching = jobs
        .iter()
        .filter(|job| job.waits.iter().all(|(what, _)| !is_pause(what)))
        .max_by_key(|job| job.waits.iter().map(|(_, seconds)| *seconds).sum::<u64>())
        .expect("a watching job");
    let wait: u64 = watching.waits.iter().map(|(_, seconds)| seconds).sum();
    let pause = jobs
        .iter()
        .flat_map(|job| &job.waits)
        .find(|(what, _)| is_pause(what))
        .map(|(_, seconds)| seconds / 60);
    let cron = doc["on"]["schedule"][0]["cron"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            // A GitLab schedule lives in the project's settings; the example names it in a comment.
            let after = text.split_once("Pipeline schedules: \"")?.1;
            Some(after.split_once('"')?.0.to_owned())
        });
    let runs = match (cron, pause) {
        (Some(cron), _) => runs_a_day(&cron),
        (None, Some(pause)) => 1440 / pause,
        (None, None) => panic!("{path}: neither a schedule nor a pause"),
    };
    (runs, watching.limit / 60, wait / 60)
}

#[test]
fn the_runner_minutes_of_long_publishes_are_the_examples() {
    assert_eq!(runs_a_day("17 * * * *"), 24);
    assert_eq!(runs_a_day("*/30 * * * *"), 48);
    assert_eq!(runs_a_day("0,30 */2 * * *"), 24);
    let component = Component::load();
    let page = std::fs::read_to_string(repo_path("docs/long-publishes.md")).expect("page");
    let mut rows = 0;
    for line in page.lines().filter(|line| line.contains("| examples/")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (runs, limit, wait) = watch_cost(cells[2], &component);
        let expected = [runs, limit, runs * limit, runs * (wait + 1)].map(|n| n.to_string());
        assert_eq!(cells[3..7], expected, "{line}");
        rows += 1;
    }
    assert_eq!(rows, 3, "one row per watch example");
}
