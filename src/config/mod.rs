//! Configuration: every input is read from the environment and validated once, at start, into
//! typed [`Settings`]. Nothing here sends a request; a bad input ends the run with exit code 2
//! before any network traffic.
//!
//! Two stages, as in ripgrep: [`RawInputs`] holds the strings as found (merged from the
//! variables each input may come from, [`env`]), and [`Settings::from_inputs`] checks them and
//! builds typed values. Each input is described once, in [`inputs::INPUTS`]: its names,
//! default, choices and help.

mod check;
mod credentials;
mod draft;
pub mod duration;
pub mod env;
mod error;
pub mod inputs;
mod reporting;
mod settings;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::api::OfferRef;
use crate::api::draft::DraftRequest;
use crate::auth::Credential;
use crate::outcome::OnTimeout;
use crate::report::Reporting;
use crate::secret::Secret;
use crate::wait::WaitUntil;
pub use check::is_loopback;
pub use env::{Environment, MergedInputs, merge_inputs};
pub use error::ConfigError;
use inputs::INPUTS;
pub use reporting::reporting;

/// The inputs as found (trimmed, empty = absent), looked up by their name in the INPUTS table:
/// an input is described there only, never restated here. Secret inputs are registered for
/// redaction as this is made, before any check can echo anything.
pub struct RawInputs<'a> {
    inputs: &'a MergedInputs,
    secrets: BTreeMap<&'static str, Secret>,
}

impl<'a> RawInputs<'a> {
    pub fn new(inputs: &'a MergedInputs) -> Self {
        let secrets = INPUTS
            .iter()
            .filter(|spec| spec.secret)
            .filter_map(|spec| {
                let value = inputs.get(spec.name)?;
                Some((spec.name, Secret::new(value.value.as_str())))
            })
            .collect();
        RawInputs { inputs, secrets }
    }

    /// The value of a plain input (`timeout`), `None` when unset.
    pub fn text(&self, name: &str) -> Option<&'a str> {
        let spec = inputs::spec(name);
        debug_assert!(
            !spec.secret,
            "{name} is secret: read it with RawInputs::secret"
        );
        self.inputs.get(spec.name).map(|value| value.value.as_str())
    }

    /// The value of a secret input (`client-secret`), `None` when unset.
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets.get(inputs::spec(name).name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Publish,
    /// Change the draft (the image inputs) and stop.
    Update,
    GoLive,
    Cancel,
    Status,
    Validate,
    Wait,
}

impl Command {
    pub const ALL: [(&'static str, Command); 7] = [
        ("publish", Command::Publish),
        ("update", Command::Update),
        ("go-live", Command::GoLive),
        ("cancel", Command::Cancel),
        ("status", Command::Status),
        ("validate", Command::Validate),
        ("wait", Command::Wait),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, command)| *command == self)
            .map_or("publish", |(name, _)| name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfRunning {
    Attach,
    Fail,
    CancelAndRestart,
}

impl IfRunning {
    pub const ALL: [(&'static str, IfRunning); 3] = [
        ("attach", IfRunning::Attach),
        ("fail", IfRunning::Fail),
        ("cancel-and-restart", IfRunning::CancelAndRestart),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiChoice {
    Cpp,
    Ingestion,
    Auto,
}

impl ApiChoice {
    pub const ALL: [(&'static str, ApiChoice); 3] = [
        ("cpp", ApiChoice::Cpp),
        ("ingestion", ApiChoice::Ingestion),
        ("auto", ApiChoice::Auto),
    ];
}

/// The ways to authenticate, as the `auth` input names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Auto,
    Token,
    Secret,
    TokenFile,
    GitHub,
    AzurePipelines,
    GitLab,
}

impl Auth {
    pub const ALL: [(&'static str, Auth); 7] = [
        ("auto", Auth::Auto),
        ("token", Auth::Token),
        ("secret", Auth::Secret),
        ("token-file", Auth::TokenFile),
        ("github-oidc", Auth::GitHub),
        ("azure-pipelines-oidc", Auth::AzurePipelines),
        ("gitlab-oidc", Auth::GitLab),
    ];
}

/// Validated settings: everything the run needs, typed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub command: Command,
    /// `None` only for `wait`, which works from an operation URL alone.
    pub offer: Option<OfferRef>,
    pub notification_emails: Vec<String>,
    pub credential: Credential,
    pub timeout: Duration,
    pub poll_interval: Duration,
    pub wait_until: WaitUntil,
    pub on_timeout: OnTimeout,
    pub cancel_on_timeout: bool,
    pub cancel_on_interrupt: bool,
    pub if_running: IfRunning,
    pub operation_url: Option<Url>,
    pub api: ApiChoice,
    pub api_url: Url,
    pub ingestion_url: Url,
    pub authority_host: Url,
    pub api_version: String,
    /// Extra trusted roots (PEM) from `SSL_CERT_FILE`, for TLS-inspecting proxies.
    pub extra_root_certificates: Option<PathBuf>,
    /// The draft change the image inputs ask for (`command: update`, or `publish` with them).
    pub draft: Option<DraftRequest>,
}

impl Settings {
    /// Validates the merged inputs, the reporting ones included (see [`read`]). `environment`
    /// supplies what is not an input: the CI system, its OIDC request variables and
    /// `SSL_CERT_FILE`.
    pub fn from_inputs(
        inputs: &MergedInputs,
        environment: &Environment,
    ) -> Result<Settings, ConfigError> {
        read(inputs, environment).settings
    }
}

/// Everything configuration makes of the inputs: where to report, which holds even when the
/// inputs are not valid, and the settings or every problem of the inputs.
pub struct Configuration {
    pub reporting: Reporting,
    pub settings: Result<Settings, ConfigError>,
}

/// The one stage that checks every input: the reporting inputs (`ci`, `result-file`,
/// `dotenv-file` and the CI system's files) and all the others. Their problems come in one
/// error, the reporting ones first.
pub fn read(inputs: &MergedInputs, environment: &Environment) -> Configuration {
    let (reporting, chosen_ci, problems) = reporting::check(inputs, environment);
    let settings = settings::settings(inputs, environment, chosen_ci);
    let settings = match (ConfigError::combine(problems), settings) {
        (None, settings) => settings,
        (Some(error), Ok(_)) => Err(error),
        (Some(reporting_error), Err(error)) => Err(reporting_error.and(error)),
    };
    Configuration {
        reporting,
        settings,
    }
}
