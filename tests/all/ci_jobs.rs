//! What a CI configuration asks of its jobs, for the limit checks of tests/all/example_limits.rs:
//! each job that runs publish-offer (GitHub Actions, Azure Pipelines, GitLab CI and the GitLab
//! component with its inputs' defaults), its time limit and the waits it holds (`timeout`,
//! MARKETPLACE_TIMEOUT or INPUT_TIMEOUT, 60m when unset; an agentless Delay@1).

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

/// Start-up (image pull or install, token exchange) and the closing report.
pub(crate) const MARGIN_SECONDS: u64 = 5 * 60;
pub(crate) const GITHUB_DEFAULT_SECONDS: u64 = 6 * 3600;
pub(crate) const GITLAB_AZURE_DEFAULT_SECONDS: u64 = 3600;
/// publish-offer's own default `timeout`.
pub(crate) const TOOL_DEFAULT_WAIT: &str = "60m";

pub(crate) fn repo_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A job (or, for a bare list of GitHub steps, one step) with the waits it holds.
pub(crate) struct Job {
    pub(crate) name: String,
    pub(crate) limit: u64,
    pub(crate) limit_origin: String,
    pub(crate) waits: Vec<(String, u64)>,
}

/// A duration as publish-offer (90s, 45m, 1h30m, 2d), GitLab (2h 10m, 3 hours) or a bare number
/// of `bare_unit` seconds writes it.
pub(crate) fn seconds(text: &str, bare_unit: u64) -> Option<u64> {
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

pub(crate) fn minutes_text(seconds: u64) -> String {
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
pub(crate) struct Component {
    defaults: Vec<(String, String)>,
    jobs_text: String,
}

impl Component {
    pub(crate) fn load() -> Component {
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

    pub(crate) fn included(&self, inputs: &Yaml) -> Job {
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

pub(crate) fn jobs_of(doc: &Yaml, component: &Component) -> Vec<Job> {
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
