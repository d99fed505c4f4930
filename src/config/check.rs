//! The checker: reads inputs and records errors in terms of the variables they came from, so
//! that one run names every problem. Also the small predicates the rules share.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use super::ConfigError;
use super::duration::parse_duration;
use super::env::{Environment, MergedInputs};
use super::inputs::{BOOLEAN, Kind, spec};
use crate::api::{MAX_ID_LEN, is_identifier};
use crate::environment::CiSystem;

/// The longest value echoed back in an error message.
const ECHO_LIMIT: usize = 80;
const MAX_URL_LEN: usize = 2048;
pub(super) const MAX_SECRET_LEN: usize = 4096;
/// Real secrets and tokens are far longer (Entra secrets ~40 characters); a shorter one is a
/// mistake, and too short to be redacted from the output reliably.
pub(super) const MIN_SECRET_LEN: usize = 8;
pub(super) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Where the run is configured, for help that fits: `with:` in a GitHub workflow, variables
/// elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RunsIn {
    GitHub,
    OtherCi,
    Shell,
}

impl RunsIn {
    /// From the `ci` input when it is valid, else from the CI system detected: `ci: plain`
    /// inside CI still runs in CI.
    fn detect(chosen: Option<CiSystem>, environment: &Environment) -> RunsIn {
        let in_ci = environment.is_true("CI");
        match chosen {
            Some(CiSystem::GitHub) => RunsIn::GitHub,
            Some(CiSystem::AzurePipelines | CiSystem::GitLab) => RunsIn::OtherCi,
            Some(CiSystem::Plain) if !in_ci => RunsIn::Shell,
            _ => match CiSystem::detect(environment) {
                CiSystem::GitHub => RunsIn::GitHub,
                CiSystem::AzurePipelines | CiSystem::GitLab => RunsIn::OtherCi,
                CiSystem::Plain if in_ci => RunsIn::OtherCi,
                CiSystem::Plain => RunsIn::Shell,
            },
        }
    }
}

/// Reads inputs and records errors in terms of the variables they came from.
pub(super) struct Checker<'a> {
    inputs: &'a MergedInputs,
    pub(super) runs_in: RunsIn,
    problems: Vec<ConfigError>,
}

impl<'a> Checker<'a> {
    /// `chosen`: the `ci` input, when it is valid.
    pub(super) fn new(
        inputs: &'a MergedInputs,
        environment: &Environment,
        chosen: Option<CiSystem>,
    ) -> Self {
        Checker {
            inputs,
            runs_in: RunsIn::detect(chosen, environment),
            problems: Vec::new(),
        }
    }

    /// Records a problem; the checks go on.
    pub(super) fn record(&mut self, error: ConfigError) {
        self.problems.push(error);
    }

    /// Every problem recorded, in the order found.
    pub(super) fn into_problems(self) -> Vec<ConfigError> {
        self.problems
    }

    /// The value, or `None` with the problem recorded.
    pub(super) fn keep<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|error| self.record(error)).ok()
    }

    /// `timeout (INPUT_TIMEOUT='30')`, or without the value for secrets.
    pub(super) fn describe(&self, name: &str) -> String {
        let spec = spec(name);
        match self.inputs.get(name) {
            Some(value) if !spec.secret => {
                format!("{name} ({}={})", value.source, echo(&value.value))
            }
            Some(value) => format!("{name} ({})", value.source),
            None => name.to_owned(),
        }
    }

    pub(super) fn invalid(&self, name: &str, rule: impl fmt::Display) -> ConfigError {
        ConfigError::new(format!("{}: {rule}", self.describe(name)))
    }

    /// `offer-id is missing`, with where to set it in this kind of run.
    pub(super) fn missing(&self, name: &str, why: &str) -> ConfigError {
        let spec = spec(name);
        let fallbacks = spec.fallbacks.join(" or ");
        let set = match self.runs_in {
            RunsIn::GitHub if fallbacks.is_empty() => format!("set `{name}:` under `with:`"),
            RunsIn::GitHub => format!("set `{name}:` under `with:`, or {fallbacks} in `env:`"),
            RunsIn::OtherCi | RunsIn::Shell => {
                let mut variables = vec![format!("MARKETPLACE_{}", super::env::env_key(name))];
                variables.extend(spec.fallbacks.iter().map(|name| (*name).to_owned()));
                format!("set {}", variables.join(" or "))
            }
        };
        ConfigError::new(format!("{name} is missing{why}: {set}"))
    }

    /// The one hint for the whole report: where every input is described, and in a shell how to
    /// try the tool without credentials.
    pub(super) fn general_help(&self) -> &'static str {
        match self.runs_in {
            RunsIn::GitHub => "the action's inputs are described in its README (Inputs)",
            RunsIn::OtherCi => "`publish-offer --help` lists every input and its variables",
            RunsIn::Shell => {
                "`publish-offer --help` lists every input and its variables; \
                 `publish-offer --sandbox` tries every command without credentials"
            }
        }
    }

    pub(super) fn required<'v>(
        &self,
        value: Option<&'v str>,
        name: &str,
        why: &str,
    ) -> Result<&'v str, ConfigError> {
        value.ok_or_else(|| self.missing(name, why))
    }

    /// The value, else the input's default as the INPUTS table writes it: a default is read by
    /// the same rule as a value, so it is written once, in the table. (Every default is valid:
    /// the test of the defaults says so.)
    fn or_default<'v>(&self, value: Option<&'v str>, name: &str) -> Result<&'v str, ConfigError> {
        value
            .or(spec(name).default)
            .ok_or_else(|| self.missing(name, ""))
    }

    /// One of `choices` (any case), or the default.
    pub(super) fn choice<T: Copy>(
        &self,
        value: Option<&str>,
        name: &str,
        choices: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        // The names the table describes are the names checked.
        debug_assert!(
            matches!(spec(name).kind, Kind::Choice(names)
                if names.iter().eq(choices.iter().map(|(choice, _)| choice))),
            "the choices of {name} differ from its INPUTS entry"
        );
        let value = self.or_default(value, name)?;
        choices
            .iter()
            .find(|(choice, _)| choice.eq_ignore_ascii_case(value))
            .map(|(_, parsed)| *parsed)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(choice, _)| *choice).collect();
                self.invalid(name, format!("must be one of {}", names.join(", ")))
            })
    }

    pub(super) fn boolean(&self, value: Option<&str>, name: &str) -> Result<bool, ConfigError> {
        self.choice(value, name, &BOOLEAN)
    }

    pub(super) fn duration(
        &self,
        value: Option<&str>,
        name: &str,
    ) -> Result<Duration, ConfigError> {
        let text = self.or_default(value, name)?;
        parse_duration(text).map_err(|error| self.invalid(name, error))
    }

    pub(super) fn identifier(&self, value: &str, name: &str) -> Result<String, ConfigError> {
        if is_identifier(value) {
            Ok(value.to_owned())
        } else {
            Err(self.invalid(
                name,
                format!(
                    "must be 1 to {MAX_ID_LEN} characters: letters, digits, '.', '_' or '-', \
                     starting with a letter or digit"
                ),
            ))
        }
    }

    /// An `https://` URL; `http://` only for loopback hosts, so that tests and the sandbox run
    /// without TLS but no token ever crosses a network in clear text.
    pub(super) fn url(
        &self,
        value: Option<&str>,
        name: &str,
        shape: UrlShape,
    ) -> Result<Url, ConfigError> {
        let text = self.or_default(value, name)?;
        let rule = match shape {
            UrlShape::Origin => {
                "must be an https:// origin like https://example.com (http:// only for loopback \
                 hosts such as http://127.0.0.1:8080), with no path, query or credentials"
            }
            UrlShape::Base => {
                "must be an https:// URL (http:// only for loopback hosts such as \
                 http://127.0.0.1:8080), with no query, fragment or credentials"
            }
            UrlShape::Resource => {
                "must be an https:// URL (http:// only for loopback hosts such as \
                 http://127.0.0.1:8080), with no fragment or credentials"
            }
        };
        if text.len() > MAX_URL_LEN || text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(self.invalid(name, rule));
        }
        let url = Url::parse(text).map_err(|_| self.invalid(name, rule))?;
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => is_loopback(&url),
            _ => false,
        };
        let shape_ok = url.host().is_some()
            && url.username().is_empty()
            && url.password().is_none()
            && url.fragment().is_none()
            && match shape {
                UrlShape::Origin => url.path() == "/" && url.query().is_none(),
                UrlShape::Base => url.query().is_none(),
                UrlShape::Resource => true,
            };
        if scheme_ok && shape_ok {
            Ok(url)
        } else {
            Err(self.invalid(name, rule))
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum UrlShape {
    /// Scheme, host and port only (`api-url`, `authority-host`).
    Origin,
    /// A base URL that paths are appended to (`ingestion-url`).
    Base,
    /// A full resource URL, query included (`operation-url`).
    Resource,
}

/// Shows a value in an error: quoted, control characters escaped, long values cut.
pub(super) fn echo(value: &str) -> String {
    let escaped: String = value.escape_debug().collect();
    if escaped.chars().count() > ECHO_LIMIT {
        let cut: String = escaped.chars().take(ECHO_LIMIT).collect();
        format!("'{cut}...'")
    } else {
        format!("'{escaped}'")
    }
}

pub(super) fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A tenant is a GUID or a verified domain (`contoso.onmicrosoft.com`); it goes into the token
/// URL's path.
pub(super) fn is_tenant(value: &str) -> bool {
    is_guid(value)
        || (value.len() <= 253
            && value.contains('.')
            && value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-')))
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

pub(super) fn is_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    address.len() <= 254
        && address.is_ascii()
        && !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && address.chars().all(|c| {
            !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '"' | ',' | ';')
        })
}
