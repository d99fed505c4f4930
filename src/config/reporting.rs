//! The reporting inputs: the CI system (`ci`) and the files the run writes (`result-file`,
//! `dotenv-file`, and those the CI system gives the step). Checked with the other inputs; when
//! they are not valid, reporting still gets what it needs to report that, the CI system's way.

use std::path::PathBuf;

use super::ConfigError;
use super::env::{Environment, MergedInputs};
use super::inputs::spec;
use crate::environment::CiSystem;
use crate::report::Reporting;
use crate::report::files::check_writable;

/// Where to report; problems of the reporting inputs are left out (see [`check`]).
pub fn reporting(inputs: &MergedInputs, environment: &Environment) -> Reporting {
    check(inputs, environment).0
}

/// Where to report, the `ci` input when it is valid, and the problems of the reporting inputs.
/// A bad `ci` gives the detected system, a bad path none (or the default dotenv file).
pub(super) fn check(
    inputs: &MergedInputs,
    environment: &Environment,
) -> (Reporting, Option<CiSystem>, Vec<ConfigError>) {
    let mut problems = Vec::new();
    let chosen = match inputs.get("ci") {
        None => None,
        Some(value) => {
            let chosen = CiSystem::ALL
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&value.value))
                .map(|(_, ci)| *ci);
            if chosen.is_none() {
                let names: Vec<&str> = CiSystem::ALL.iter().map(|(name, _)| *name).collect();
                problems.push(ConfigError::new(format!(
                    "ci ({}='{}'): must be one of {}",
                    value.source,
                    value.value.escape_debug(),
                    names.join(", ")
                )));
            }
            chosen
        }
    };
    let ci = chosen.unwrap_or_else(|| CiSystem::detect(environment));
    let result_file = path(inputs, "result-file", true, &mut problems);
    // A path is checked where it is used: the dotenv file only matters on GitLab.
    let dotenv_file = path(inputs, "dotenv-file", ci == CiSystem::GitLab, &mut problems)
        .unwrap_or_else(|| PathBuf::from(spec("dotenv-file").default.unwrap_or_default()));
    problems.extend(check_command_files(ci, environment));
    let reporting = Reporting {
        ci,
        result_file,
        dotenv_file,
    };
    (reporting, chosen, problems)
}

/// A path input: one line, not too long, and (`written`) a file that can be written.
fn path(
    inputs: &MergedInputs,
    name: &str,
    written: bool,
    problems: &mut Vec<ConfigError>,
) -> Option<PathBuf> {
    let value = inputs.get(name)?;
    if value.value.len() > 4096 || value.value.chars().any(char::is_control) {
        problems.push(ConfigError::new(format!(
            "{name} ({}): must be a file path on one line, at most 4096 bytes",
            value.source
        )));
        return None;
    }
    let path = PathBuf::from(&value.value);
    // Found out now rather than after an hour's wait, when the file cannot be written.
    if written && let Err(problem) = check_writable(name, &value.source, &path) {
        problems.push(ConfigError::new(problem));
        return None;
    }
    Some(path)
}

/// The files the CI system gave for this step must be writable files in existing folders:
/// found out now, before any request, rather than when the outputs are lost after the wait.
fn check_command_files(ci: CiSystem, environment: &Environment) -> Option<ConfigError> {
    let files: &[&str] = match ci {
        CiSystem::GitHub => &["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"],
        _ => &[],
    };
    for variable in files {
        if let Some(value) = environment.get(variable).filter(|value| !value.is_empty())
            && let Err(problem) = check_writable(
                variable,
                "environment variable",
                std::path::Path::new(value),
            )
        {
            return Some(ConfigError::new(problem));
        }
    }
    if ci == CiSystem::AzurePipelines
        && let Some(value) = environment
            .get("AGENT_TEMPDIRECTORY")
            .filter(|value| !value.is_empty())
        && let Err(problem) = crate::report::files::check_folder(
            "AGENT_TEMPDIRECTORY",
            "environment variable",
            std::path::Path::new(value),
        )
    {
        return Some(ConfigError::new(problem));
    }
    None
}
