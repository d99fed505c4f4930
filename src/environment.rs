//! What the process was started with, read once: the variables ([`Environment`]) and, from
//! them, the CI system the run is in ([`CiSystem`]) and whether its log may be coloured. Every
//! other module is handed these values; none reads `std::env` itself.

use std::collections::HashMap;
use std::ffi::OsString;

/// The process environment as read at start: every variable whose name and value are UTF-8.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
    /// Names (lossily decoded) of variables skipped because they were not UTF-8.
    pub(crate) not_utf8: Vec<String>,
}

impl Environment {
    pub fn from_process() -> Self {
        Self::from_os_pairs(std::env::vars_os())
    }

    pub fn from_os_pairs(pairs: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut environment = Environment::default();
        for (name, value) in pairs {
            match (name.into_string(), value.into_string()) {
                (Ok(name), Ok(value)) => {
                    environment.vars.insert(name, value);
                }
                (name, _) => environment.not_utf8.push(match name {
                    Ok(name) => name,
                    Err(name) => name.to_string_lossy().into_owned(),
                }),
            }
        }
        environment
    }

    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Environment {
            vars: pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
            not_utf8: Vec::new(),
        }
    }

    /// A variable's trimmed value; empty counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// Whether a variable is set to `true` (any case), the way CI systems flag themselves.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    }

    pub(crate) fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
}

/// The CI system the run reports to: the `ci` input, else detected once from the variables
/// each system sets for its jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiSystem {
    GitHub,
    AzurePipelines,
    GitLab,
    Plain,
}

impl CiSystem {
    /// The names the `ci` input takes, in the order `--help` lists them.
    pub const ALL: [(&'static str, CiSystem); 4] = [
        ("github", CiSystem::GitHub),
        ("azure-pipelines", CiSystem::AzurePipelines),
        ("gitlab", CiSystem::GitLab),
        ("plain", CiSystem::Plain),
    ];

    pub fn name(self) -> &'static str {
        match self {
            CiSystem::GitHub => "github",
            CiSystem::AzurePipelines => "azure-pipelines",
            CiSystem::GitLab => "gitlab",
            CiSystem::Plain => "plain",
        }
    }

    /// The system this job runs under, from the variable it sets; `Plain` outside CI.
    pub fn detect(environment: &Environment) -> CiSystem {
        if environment.is_true("GITHUB_ACTIONS") {
            CiSystem::GitHub
        } else if environment.is_true("TF_BUILD") {
            CiSystem::AzurePipelines
        } else if environment.is_true("GITLAB_CI") {
            CiSystem::GitLab
        } else {
            CiSystem::Plain
        }
    }
}

/// Whether the job runs in any CI system: `CI=true` or a system's own flag.
pub fn in_ci(environment: &Environment) -> bool {
    ["CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI"]
        .iter()
        .any(|name| environment.is_true(name))
}

/// Whether to colour a stream, as cargo and ripgrep decide: `NO_COLOR` (non-empty) never; in
/// CI never; `CLICOLOR_FORCE` (not `0`) always; `CLICOLOR=0` never; else only on a terminal that
/// is not `TERM=dumb`.
pub fn colour_wanted(environment: &Environment, is_terminal: bool) -> bool {
    if environment.get("NO_COLOR").is_some() {
        return false;
    }
    // CI logs never get an escape code, even when asked for: the runners store and show them
    // as text, and their parsers read the lines.
    if in_ci(environment) {
        return false;
    }
    if environment
        .get("CLICOLOR_FORCE")
        .is_some_and(|value| value != "0")
    {
        return true;
    }
    environment.get("CLICOLOR") != Some("0")
        && is_terminal
        && environment.get("TERM") != Some("dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn colour_follows_the_conventions() {
        assert!(colour_wanted(&environment(&[]), true));
        assert!(!colour_wanted(&environment(&[]), false), "a pipe or file");
        assert!(!colour_wanted(&environment(&[("NO_COLOR", "1")]), true));
        assert!(colour_wanted(&environment(&[("NO_COLOR", "")]), true));
        assert!(!colour_wanted(&environment(&[("TERM", "dumb")]), true));
        assert!(!colour_wanted(&environment(&[("CI", "true")]), true));
        assert!(!colour_wanted(
            &environment(&[("GITHUB_ACTIONS", "true")]),
            true
        ));
        assert!(!colour_wanted(&environment(&[("CLICOLOR", "0")]), true));
        assert!(colour_wanted(
            &environment(&[("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(!colour_wanted(
            &environment(&[("CLICOLOR_FORCE", "0")]),
            false
        ));
        assert!(
            !colour_wanted(
                &environment(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
                true
            ),
            "NO_COLOR wins, as in cargo"
        );
        for ci in ["CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI"] {
            let value = if ci == "TF_BUILD" { "True" } else { "true" };
            assert!(
                !colour_wanted(&environment(&[("CLICOLOR_FORCE", "1"), (ci, value)]), true),
                "no escape code in a CI log under {ci}, even when asked for"
            );
        }
    }

    #[test]
    fn the_ci_system_is_detected_from_its_own_variable() {
        assert_eq!(CiSystem::detect(&environment(&[])), CiSystem::Plain);
        assert_eq!(
            CiSystem::detect(&environment(&[("CI", "true")])),
            CiSystem::Plain
        );
        assert_eq!(
            CiSystem::detect(&environment(&[("TF_BUILD", "True")])),
            CiSystem::AzurePipelines
        );
        for (name, system) in CiSystem::ALL {
            assert_eq!(system.name(), name);
        }
    }
}
