//! Choosing the sink from the typed [`Reporting`] that configuration built (the `ci`,
//! `result-file` and `dotenv-file` inputs are checked there, with every other input).

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use super::reporter::Reporter;
use super::sink::CiSink;
use super::{azure, github, gitlab, last_words, plain};
use crate::environment::{CiSystem, Environment};

/// Where the run reports: the CI system and the files it writes. Configuration builds it from
/// the `ci`, `result-file` and `dotenv-file` inputs (and checks them with the other inputs), or
/// from what it detects when they are not valid, so that even an invalid input is reported the
/// CI system's way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporting {
    pub ci: CiSystem,
    pub result_file: Option<PathBuf>,
    /// GitLab's dotenv report file.
    pub dotenv_file: PathBuf,
}

/// Sets up reporting, before the other inputs are checked: the destinations are recorded for
/// the panic hook and the CI system's sink is made.
pub fn setup(reporting: &Reporting, environment: &Environment) -> Reporter {
    last_words::record(last_words::Destinations {
        sink: reporting.ci.name(),
        github_output: environment
            .get("GITHUB_OUTPUT")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from),
        dotenv_file: Some(reporting.dotenv_file.clone()),
        result_file: reporting.result_file.clone(),
    });
    let sink: Box<dyn CiSink> = match reporting.ci {
        CiSystem::GitHub => Box::new(github::GitHub::from_environment(environment)),
        CiSystem::AzurePipelines => Box::new(azure::AzurePipelines::from_environment(environment)),
        CiSystem::GitLab => Box::new(gitlab::GitLab::new(reporting.dotenv_file.clone())),
        CiSystem::Plain => Box::new(plain::Plain::new(crate::environment::colour_wanted(
            environment,
            io::stderr().is_terminal(),
        ))),
    };
    Reporter::new(sink, reporting.result_file.clone())
}
