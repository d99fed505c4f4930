//! Choosing the sink: the CI system from the `ci` input or the environment, and the checks of the
//! `ci`, `result-file` and `dotenv-file` inputs and of the files the CI system gave, kept whole
//! here as they were in mod.rs.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use super::reporter::Reporter;
use super::sink::CiSink;
use super::{azure, files, github, gitlab, last_words, plain};
use crate::config::{ConfigError, Environment, MergedInputs};

/// Sets up reporting from the raw inputs, before they are validated, so that even an invalid
/// input is reported the CI system's way: the system is the `ci` input, else detected from the
/// environment. A bad `ci`, `result-file` or `dotenv-file` is returned as the error to report
/// (and not used).
pub fn setup(inputs: &MergedInputs, environment: &Environment) -> (Reporter, Option<ConfigError>) {
    let mut errors = Vec::new();
    let chosen = inputs.get("ci");
    let name = match chosen
        .map(|value| value.value.to_ascii_lowercase())
        .as_deref()
    {
        Some(name @ ("github" | "azure-pipelines" | "gitlab" | "plain")) => name.to_owned(),
        Some(_) => {
            errors.push(ConfigError::new(format!(
                "ci ({}='{}'): must be one of github, azure-pipelines, gitlab, plain",
                chosen.map_or("ci", |value| value.source.as_str()),
                chosen.map_or(String::new(), |value| value.value.escape_debug().collect())
            )));
            detect(environment).to_owned()
        }
        None => detect(environment).to_owned(),
    };

    // A path is checked where it is used: the dotenv file only matters on GitLab.
    let mut path = |name: &str, written: bool| -> Option<PathBuf> {
        let value = inputs.get(name)?;
        if value.value.len() > 4096 || value.value.chars().any(char::is_control) {
            errors.push(ConfigError::new(format!(
                "{name} ({}): must be a file path on one line, at most 4096 bytes",
                value.source
            )));
            return None;
        }
        let path = PathBuf::from(&value.value);
        // Found out now rather than after an hour's wait, when the file cannot be written.
        if written && let Err(problem) = files::check_writable(name, &value.source, &path) {
            errors.push(ConfigError::new(problem));
            return None;
        }
        Some(path)
    };
    let result_file = path("result-file", true);
    let dotenv_file =
        path("dotenv-file", name == "gitlab").unwrap_or_else(|| PathBuf::from("publish-offer.env"));
    errors.extend(check_command_files(&name, environment));
    last_words::record(last_words::Destinations {
        sink: match name.as_str() {
            "github" => "github",
            "azure-pipelines" => "azure-pipelines",
            "gitlab" => "gitlab",
            _ => "plain",
        },
        github_output: environment
            .get("GITHUB_OUTPUT")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from),
        dotenv_file: Some(dotenv_file.clone()),
        result_file: result_file.clone(),
    });
    let sink: Box<dyn CiSink> = match name.as_str() {
        "github" => Box::new(github::GitHub::from_environment(environment)),
        "azure-pipelines" => Box::new(azure::AzurePipelines::from_environment(environment)),
        "gitlab" => Box::new(gitlab::GitLab::new(dotenv_file)),
        _ => Box::new(plain::Plain::new(crate::terminal::colour_wanted(
            environment,
            io::stdout().is_terminal(),
        ))),
    };
    (
        Reporter::new(sink, result_file),
        ConfigError::combine(errors),
    )
}

/// The files the CI system gave for this step must be writable files in existing folders:
/// found out now, before any request, rather than when the outputs are lost after the wait.
fn check_command_files(sink: &str, environment: &Environment) -> Option<ConfigError> {
    let files: &[&str] = match sink {
        "github" => &["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"],
        _ => &[],
    };
    for variable in files {
        if let Some(value) = environment.get(variable).filter(|value| !value.is_empty())
            && let Err(problem) = files::check_writable(
                variable,
                "environment variable",
                std::path::Path::new(value),
            )
        {
            return Some(ConfigError::new(problem));
        }
    }
    if sink == "azure-pipelines"
        && let Some(value) = environment
            .get("AGENT_TEMPDIRECTORY")
            .filter(|value| !value.is_empty())
        && let Err(problem) = files::check_folder(
            "AGENT_TEMPDIRECTORY",
            "environment variable",
            std::path::Path::new(value),
        )
    {
        return Some(ConfigError::new(problem));
    }
    None
}

fn detect(environment: &Environment) -> &'static str {
    if environment.is_true("GITHUB_ACTIONS") {
        "github"
    } else if environment.is_true("TF_BUILD") {
        "azure-pipelines"
    } else if environment.is_true("GITLAB_CI") {
        "gitlab"
    } else {
        "plain"
    }
}
