//! From raw strings to [`Settings`]: each rule names the input, the variable it came from, and
//! what would be valid. Secret values are never echoed.

use std::cell::RefCell;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::{Host, Url};

use super::duration::parse_duration;
use super::env::{Environment, MergedInputs};
use super::inputs::spec;
use super::{ApiChoice, Command, IfRunning, RawInputs, Settings};
use crate::api::{MAX_ID_LEN, OfferRef, is_identifier};
use crate::auth::{AssertionSource, AzurePipelinesRenewal, Credential};
use crate::outcome::{OnTimeout, Problem};
use crate::secret::Secret;
use crate::wait::WaitUntil;

/// A configuration error: exit code 2, no request sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
    help: Option<String>,
}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError {
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A hint saying what to do, shown on its own line after the message.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// This problem and `other`, one line each; each hint is kept once.
    #[must_use]
    pub fn and(mut self, other: ConfigError) -> ConfigError {
        self.message.push('\n');
        self.message.push_str(&other.message);
        if let Some(help) = other.help {
            match &mut self.help {
                Some(helps) if helps.contains(&help) => {}
                Some(helps) => {
                    helps.push_str("; ");
                    helps.push_str(&help);
                }
                None => self.help = Some(help),
            }
        }
        self
    }

    /// Every problem in one error, or `None` when there is none.
    pub fn combine(errors: Vec<ConfigError>) -> Option<ConfigError> {
        errors.into_iter().reduce(ConfigError::and)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl From<&ConfigError> for Problem {
    fn from(error: &ConfigError) -> Self {
        Problem::invalid_input(error.to_string(), error.help().map(str::to_owned))
    }
}

/// The longest value echoed back in an error message.
const ECHO_LIMIT: usize = 80;
const MAX_URL_LEN: usize = 2048;
const MAX_SECRET_LEN: usize = 4096;
/// Real secrets and tokens are far longer (Entra secrets ~40 characters); a shorter one is a
/// mistake, and too short to be redacted from the output reliably.
const MIN_SECRET_LEN: usize = 8;
const MAX_TOKEN_LEN: usize = 16 * 1024;
const MAX_EMAILS_LEN: usize = 4096;

/// Where the run is configured, for help that fits: `with:` in a GitHub workflow, variables
/// elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunsIn {
    GitHub,
    OtherCi,
    Shell,
}

impl RunsIn {
    fn detect(inputs: &MergedInputs, environment: &Environment) -> RunsIn {
        match inputs
            .get("ci")
            .map(|ci| ci.value.to_ascii_lowercase())
            .as_deref()
        {
            Some("github") => RunsIn::GitHub,
            Some("azure-pipelines" | "gitlab") => RunsIn::OtherCi,
            Some("plain") if !environment.is_true("CI") => RunsIn::Shell,
            _ if environment.is_true("GITHUB_ACTIONS") => RunsIn::GitHub,
            _ if environment.is_true("TF_BUILD")
                || environment.is_true("GITLAB_CI")
                || environment.is_true("CI") =>
            {
                RunsIn::OtherCi
            }
            _ => RunsIn::Shell,
        }
    }
}

/// Reads inputs and records errors in terms of the variables they came from.
struct Checker<'a> {
    inputs: &'a MergedInputs,
    runs_in: RunsIn,
    problems: RefCell<Vec<ConfigError>>,
}

impl<'a> Checker<'a> {
    fn new(inputs: &'a MergedInputs, environment: &Environment) -> Self {
        Checker {
            inputs,
            runs_in: RunsIn::detect(inputs, environment),
            problems: RefCell::new(Vec::new()),
        }
    }

    /// Records a problem; the checks go on.
    fn record(&self, error: ConfigError) {
        self.problems.borrow_mut().push(error);
    }

    /// The value, or `None` with the problem recorded.
    fn keep<T>(&self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|error| self.record(error)).ok()
    }

    /// `timeout (INPUT_TIMEOUT='30')`, or without the value for secrets.
    fn describe(&self, name: &str) -> String {
        let spec = spec(name);
        match self.inputs.get(name) {
            Some(value) if !spec.secret => {
                format!("{name} ({}={})", value.source, echo(&value.value))
            }
            Some(value) => format!("{name} ({})", value.source),
            None => name.to_owned(),
        }
    }

    fn invalid(&self, name: &str, rule: impl fmt::Display) -> ConfigError {
        ConfigError::new(format!("{}: {rule}", self.describe(name)))
    }

    /// `offer-id is missing`, with where to set it in this kind of run.
    fn missing(&self, name: &str, why: &str) -> ConfigError {
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
    fn general_help(&self) -> &'static str {
        match self.runs_in {
            RunsIn::GitHub => "the action's inputs are described in its README (Inputs)",
            RunsIn::OtherCi => "`publish-offer --help` lists every input and its variables",
            RunsIn::Shell => {
                "`publish-offer --help` lists every input and its variables; \
                 `publish-offer --sandbox` tries every command without credentials"
            }
        }
    }

    fn required<'v>(
        &self,
        value: &'v Option<String>,
        name: &str,
        why: &str,
    ) -> Result<&'v str, ConfigError> {
        value.as_deref().ok_or_else(|| self.missing(name, why))
    }

    fn choice<T: Copy>(
        &self,
        value: &Option<String>,
        name: &str,
        default: T,
        choices: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        let Some(value) = value else {
            return Ok(default);
        };
        choices
            .iter()
            .find(|(choice, _)| choice.eq_ignore_ascii_case(value))
            .map(|(_, parsed)| *parsed)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(choice, _)| *choice).collect();
                self.invalid(name, format!("must be one of {}", names.join(", ")))
            })
    }

    fn boolean(&self, value: &Option<String>, name: &str) -> Result<bool, ConfigError> {
        self.choice(value, name, false, &[("true", true), ("false", false)])
    }

    fn duration(
        &self,
        value: &Option<String>,
        name: &str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match value {
            None => Ok(default),
            Some(text) => parse_duration(text).map_err(|error| self.invalid(name, error)),
        }
    }

    fn identifier(&self, value: &str, name: &str) -> Result<String, ConfigError> {
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
    fn url(&self, value: &Option<String>, name: &str, shape: UrlShape) -> Result<Url, ConfigError> {
        let default = spec(name).default.unwrap_or_default();
        let text = value.as_deref().unwrap_or(default);
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
enum UrlShape {
    /// Scheme, host and port only (`api-url`, `authority-host`).
    Origin,
    /// A base URL that paths are appended to (`ingestion-url`).
    Base,
    /// A full resource URL, query included (`operation-url`).
    Resource,
}

/// Shows a value in an error: quoted, control characters escaped, long values cut.
fn echo(value: &str) -> String {
    let escaped: String = value.escape_debug().collect();
    if escaped.chars().count() > ECHO_LIMIT {
        let cut: String = escaped.chars().take(ECHO_LIMIT).collect();
        format!("'{cut}...'")
    } else {
        format!("'{escaped}'")
    }
}

fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A tenant is a GUID or a verified domain (`contoso.onmicrosoft.com`); it goes into the token
/// URL's path.
fn is_tenant(value: &str) -> bool {
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

fn is_email(address: &str) -> bool {
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

/// Every problem of the inputs at once: each check records what it finds and the run goes on to
/// the next input, so one run names them all (as a compiler lists every error).
pub(super) fn settings(
    inputs: &MergedInputs,
    environment: &Environment,
) -> Result<Settings, ConfigError> {
    let check = Checker::new(inputs, environment);
    for (name, variable) in &inputs.not_utf8 {
        check.record(ConfigError::new(format!(
            "{name} ({variable}): the value is not valid UTF-8"
        )));
    }
    let raw: RawInputs = envy::from_iter(inputs.envy_pairs())
        .map_err(|error| ConfigError::new(format!("could not read the inputs: {error}")))?;

    let (command, api) = command_and_api(&check, &raw);
    let target = check_target(&check, &raw, command, api);
    // Checked even when a URL is bad: only the command and the API say what the offer needs.
    let offer = match (command, api) {
        (Some(command), Some(api)) => check_offer(
            &check,
            &raw,
            command,
            api,
            target
                .as_ref()
                .and_then(|target| target.operation_url.as_ref()),
        ),
        _ => None,
    };
    let notification_emails = check.keep(notification_emails(
        &check,
        raw.notification_emails.as_deref(),
    ));
    let waiting = check_waiting(&check, &raw);
    let api_version = check.keep(api_version(&check, raw.api_version.as_deref()));
    let credential = check.keep(credential(&check, &raw, environment));
    if let (Some(target), Some(waiting), Some(credential)) = (&target, &waiting, &credential) {
        check_combinations(&check, target, waiting, credential, offer.as_ref());
    }
    let general_help = check.general_help();
    let problems = check.problems.into_inner();
    if let Some(error) = ConfigError::combine(problems) {
        return Err(match error.help {
            Some(_) => error,
            None => error.with_help(general_help),
        });
    }
    let (
        Some(target),
        Some(offer),
        Some(notification_emails),
        Some(waiting),
        Some(api_version),
        Some(credential),
    ) = (
        target,
        offer,
        notification_emails,
        waiting,
        api_version,
        credential,
    )
    else {
        return Err(ConfigError::new("the inputs could not be read"));
    };
    Ok(Settings {
        command: target.command,
        offer,
        notification_emails,
        credential,
        timeout: waiting.timeout,
        poll_interval: waiting.poll_interval,
        wait_until: waiting.wait_until,
        on_timeout: waiting.on_timeout,
        cancel_on_timeout: waiting.cancel_on_timeout,
        cancel_on_interrupt: waiting.cancel_on_interrupt,
        if_running: waiting.if_running,
        operation_url: target.operation_url,
        api: target.api,
        api_url: target.api_url,
        ingestion_url: target.ingestion_url,
        authority_host: target.authority_host,
        api_version,
        extra_root_certificates: environment.get("SSL_CERT_FILE").map(PathBuf::from),
    })
}

/// What the run acts on: the command, the API and its URLs, the operation URL.
struct Target {
    command: Command,
    api: ApiChoice,
    api_url: Url,
    ingestion_url: Url,
    authority_host: Url,
    operation_url: Option<Url>,
}

/// The command and the API, read first: what else is needed depends on them.
fn command_and_api(check: &Checker<'_>, raw: &RawInputs) -> (Option<Command>, Option<ApiChoice>) {
    let command =
        check.keep(check.choice(&raw.command, "command", Command::Publish, &Command::ALL));
    let api = check.keep(check.choice(
        &raw.api,
        "api",
        ApiChoice::Cpp,
        &[
            ("cpp", ApiChoice::Cpp),
            ("ingestion", ApiChoice::Ingestion),
            ("auto", ApiChoice::Auto),
        ],
    ));
    (command, api)
}

fn check_target(
    check: &Checker<'_>,
    raw: &RawInputs,
    command: Option<Command>,
    api: Option<ApiChoice>,
) -> Option<Target> {
    let api_url = check.keep(check.url(&raw.api_url, "api-url", UrlShape::Origin));
    let ingestion_url = check.keep(check.url(&raw.ingestion_url, "ingestion-url", UrlShape::Base));
    let authority_host =
        check.keep(check.url(&raw.authority_host, "authority-host", UrlShape::Origin));
    let (command, api, api_url, ingestion_url, authority_host) =
        (command?, api?, api_url?, ingestion_url?, authority_host?);
    let operation_url = match (&raw.operation_url, command) {
        (Some(_), _) => Some(
            check.keep(
                check
                    .url(&raw.operation_url, "operation-url", UrlShape::Resource)
                    .and_then(|url| {
                        operation_url_on_api(check, url, &api_url, &ingestion_url, api)
                    }),
            )?,
        ),
        (None, Command::Wait) => {
            check.record(check.missing(
                "operation-url",
                " (command wait resumes the operation it names)",
            ));
            return None;
        }
        (None, _) => None,
    };
    Some(Target {
        command,
        api,
        api_url,
        ingestion_url,
        authority_host,
        operation_url,
    })
}

/// The offer: every command but `wait` names it; `wait` may, or takes it from a CPP operation URL.
fn check_offer(
    check: &Checker<'_>,
    raw: &RawInputs,
    command: Command,
    api: ApiChoice,
    operation_url: Option<&Url>,
) -> Option<Option<OfferRef>> {
    if command == Command::Wait {
        // Not needed to follow the operation; a CPP operation URL names its offer, which a
        // cancel (cancel-on-timeout, cancel-on-interrupt) needs.
        let given = match (&raw.publisher_id, &raw.offer_id) {
            (Some(publisher), Some(offer)) => {
                let publisher_id = check.keep(check.identifier(publisher, "publisher-id"));
                let offer_id = check.keep(check.identifier(offer, "offer-id"));
                Some(OfferRef {
                    publisher_id: publisher_id?,
                    offer_id: offer_id?,
                })
            }
            _ => None,
        };
        return Some(
            given.or_else(|| operation_url.and_then(crate::api::cpp::offer_from_operation_url)),
        );
    }
    let why = match command {
        Command::Publish => "",
        _ => " (every command but wait names the offer)",
    };
    let offer_id = check.keep(
        check
            .required(&raw.offer_id, "offer-id", why)
            .and_then(|offer| check.identifier(offer, "offer-id")),
    );
    let publisher_id = match (&raw.publisher_id, api) {
        (Some(publisher), _) => check.keep(check.identifier(publisher, "publisher-id")),
        // The ingestion API finds the product by offer id within the token's account.
        (None, ApiChoice::Ingestion) => Some(String::new()),
        (None, _) => {
            check.record(check.missing("publisher-id", why));
            None
        }
    };
    Some(Some(OfferRef {
        publisher_id: publisher_id?,
        offer_id: offer_id?,
    }))
}

fn notification_emails(
    check: &Checker<'_>,
    list: Option<&str>,
) -> Result<Vec<String>, ConfigError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    if list.len() > MAX_EMAILS_LEN {
        return Err(check.invalid(
            "notification-emails",
            format!("at most {MAX_EMAILS_LEN} characters"),
        ));
    }
    let addresses: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = addresses.iter().find(|address| !is_email(address)) {
        return Err(check.invalid(
            "notification-emails",
            format!(
                "{} is not an email address; give addresses separated by commas, like a@contoso.com,b@contoso.com",
                echo(bad)
            ),
        ));
    }
    Ok(addresses)
}

/// How the run waits and what it does when the wait ends early.
struct Waiting {
    timeout: Duration,
    poll_interval: Duration,
    wait_until: WaitUntil,
    on_timeout: OnTimeout,
    if_running: IfRunning,
    cancel_on_timeout: bool,
    cancel_on_interrupt: bool,
}

fn check_waiting(check: &Checker<'_>, raw: &RawInputs) -> Option<Waiting> {
    let timeout = check.keep(check.duration(&raw.timeout, "timeout", Duration::from_secs(3600)));
    let poll_interval = check.keep(
        check
            .duration(&raw.poll_interval, "poll-interval", Duration::from_secs(30))
            .and_then(|interval| {
                if interval.is_zero() {
                    Err(check.invalid(
                        "poll-interval",
                        "must be longer than zero, like 500ms, 30s or 5m",
                    ))
                } else {
                    Ok(interval)
                }
            }),
    );
    let wait_until = check.keep(check.choice(
        &raw.wait_until,
        "wait-until",
        WaitUntil::Complete,
        &[
            ("complete", WaitUntil::Complete),
            ("preview", WaitUntil::Preview),
        ],
    ));
    let on_timeout = check.keep(check.choice(
        &raw.on_timeout,
        "on-timeout",
        OnTimeout::Warn,
        &[("warn", OnTimeout::Warn), ("fail", OnTimeout::Fail)],
    ));
    let if_running = check.keep(check.choice(
        &raw.if_running,
        "if-running",
        IfRunning::Attach,
        &[
            ("attach", IfRunning::Attach),
            ("fail", IfRunning::Fail),
            ("cancel-and-restart", IfRunning::CancelAndRestart),
        ],
    ));
    let cancel_on_timeout = check.keep(check.boolean(&raw.cancel_on_timeout, "cancel-on-timeout"));
    let cancel_on_interrupt =
        check.keep(check.boolean(&raw.cancel_on_interrupt, "cancel-on-interrupt"));
    Some(Waiting {
        timeout: timeout?,
        poll_interval: poll_interval?,
        wait_until: wait_until?,
        on_timeout: on_timeout?,
        if_running: if_running?,
        cancel_on_timeout: cancel_on_timeout?,
        cancel_on_interrupt: cancel_on_interrupt?,
    })
}

fn api_version(check: &Checker<'_>, given: Option<&str>) -> Result<String, ConfigError> {
    let api_version = given.unwrap_or("2017-10-31");
    if api_version.is_empty()
        || api_version.len() > 40
        || !api_version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
    {
        return Err(check.invalid(
            "api-version",
            "must look like 2017-10-31: letters, digits, '-' and '.'",
        ));
    }
    Ok(api_version.to_owned())
}

/// Inputs that are valid alone but not together.
fn check_combinations(
    check: &Checker<'_>,
    target: &Target,
    waiting: &Waiting,
    credential: &Credential,
    offer: Option<&Option<OfferRef>>,
) {
    let (command, api) = (target.command, target.api);
    if api == ApiChoice::Auto && matches!(credential, Credential::AccessToken(_)) {
        check.record(check.invalid(
            "api",
            "auto needs tokens for both APIs, and an access-token is for one: set api to cpp or ingestion",
        ));
    }
    let cancels = waiting.cancel_on_timeout || waiting.cancel_on_interrupt;
    let on_cpp = target
        .operation_url
        .as_ref()
        .is_none_or(|url| url.origin() == target.api_url.origin())
        && api != ApiChoice::Ingestion;
    if command == Command::Wait && cancels && on_cpp && offer.is_some_and(Option::is_none) {
        check.record(check.missing(
            "publisher-id",
            " (and offer-id: with command: wait, cancel-on-timeout and cancel-on-interrupt cancel through the offer, which this operation URL does not name)",
        ));
    }
    if api == ApiChoice::Ingestion && waiting.if_running == IfRunning::CancelAndRestart {
        check.record(check.invalid(
            "if-running",
            "cancel-and-restart is not possible with api: ingestion, which cancels a configure job, and the running one is not known: use attach or fail",
        ));
    }
    if api == ApiChoice::Ingestion && command == Command::Cancel && target.operation_url.is_none() {
        check.record(check.missing(
            "operation-url",
            " (the product ingestion API cancels a configure job: give the job's status URL, the operation-url output of the publish)",
        ));
    }
}

/// `operation-url` must point where the token may go: the CPP origin, or under the ingestion base.
fn operation_url_on_api(
    check: &Checker<'_>,
    url: Url,
    api_url: &Url,
    ingestion_url: &Url,
    api: ApiChoice,
) -> Result<Url, ConfigError> {
    let on_cpp = url.origin() == api_url.origin() && api != ApiChoice::Ingestion;
    let base = ingestion_url.path().trim_end_matches('/');
    // Under the base as a whole segment: `/rp/product-ingestion-other` is not under it.
    let under_base = url
        .path()
        .strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    let on_ingestion =
        url.origin() == ingestion_url.origin() && under_base && api != ApiChoice::Cpp;
    // Of a shape the CPP API follows: found now, with the other input errors, rather than when
    // the command starts. (The version is a placeholder: only the shape is checked.)
    if on_cpp
        && !on_ingestion
        && crate::api::cpp::rebuild_operation_url(api_url, "0", &url).is_none()
    {
        return Err(check.invalid(
            "operation-url",
            "names no operation of the Cloud Partner Portal API: expected \
             {api-url}/api/publishers/{publisher}/offers/{offer}/operations/{id} or \
             {api-url}/api/operations/{id} (the operation-url output of the step that started it)",
        ));
    }
    if on_cpp || on_ingestion {
        Ok(url)
    } else {
        Err(check.invalid(
            "operation-url",
            format!(
                "must be on the API origin {} (the token is sent only there); use the \
                 operation-url output of the step that started the operation",
                match api {
                    ApiChoice::Ingestion => ingestion_url.as_str().trim_end_matches('/').to_owned(),
                    _ => api_url.origin().ascii_serialization(),
                }
            ),
        ))
    }
}

/// Picks the one way to authenticate. With `auth: auto` the first configured source wins:
/// access-token > client-secret > token-file > github-oidc > azure-pipelines-oidc > gitlab-oidc.
fn credential(
    check: &Checker<'_>,
    raw: &RawInputs,
    environment: &Environment,
) -> Result<Credential, ConfigError> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Auth {
        Auto,
        Token,
        Secret,
        TokenFile,
        GitHub,
        AzurePipelines,
        GitLab,
    }
    let auth = check.choice(
        &raw.auth,
        "auth",
        Auth::Auto,
        &[
            ("auto", Auth::Auto),
            ("token", Auth::Token),
            ("secret", Auth::Secret),
            ("token-file", Auth::TokenFile),
            ("github-oidc", Auth::GitHub),
            ("azure-pipelines-oidc", Auth::AzurePipelines),
            ("gitlab-oidc", Auth::GitLab),
        ],
    )?;
    let gitlab_variable = raw
        .oidc_token_variable
        .as_deref()
        .unwrap_or("GITLAB_OIDC_TOKEN");

    let chosen = match auth {
        Auth::Auto => {
            if raw.access_token.is_some() {
                Auth::Token
            } else if raw.client_secret.is_some() {
                Auth::Secret
            } else if environment.get("AZURE_FEDERATED_TOKEN_FILE").is_some() {
                Auth::TokenFile
            } else if environment.get("ACTIONS_ID_TOKEN_REQUEST_URL").is_some() {
                Auth::GitHub
            } else if environment.get(AZURE_CLI_ID_TOKEN).is_some()
                || (environment.get("SYSTEM_OIDCREQUESTURI").is_some()
                    && raw.service_connection_id.is_some())
            {
                Auth::AzurePipelines
            } else if environment.is_true("GITLAB_CI") && environment.get(gitlab_variable).is_some()
            {
                Auth::GitLab
            } else {
                let mut error = ConfigError::new(match check.runs_in {
                    RunsIn::GitHub => {
                        "credentials are missing: set access-token, or tenant-id + client-id + \
                         client-secret, or configure federated credentials (GitHub OIDC with \
                         tenant-id + client-id)"
                    }
                    RunsIn::OtherCi | RunsIn::Shell => {
                        "credentials are missing: set MARKETPLACE_ACCESS_TOKEN, or \
                         AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (or their \
                         MARKETPLACE_ names), or configure federated credentials (Azure Pipelines \
                         OIDC, GitLab OIDC, AZURE_FEDERATED_TOKEN_FILE)"
                    }
                });
                if raw.client_id.is_some() && environment.get("GITHUB_ACTIONS").is_some() {
                    error = error.with_help(
                        "for GitHub OIDC, add `permissions: id-token: write` to the job; for a \
                         secret, pass `client-secret: ${{ secrets.AZURE_CLIENT_SECRET }}`",
                    );
                }
                return Err(error);
            }
        }
        explicit => explicit,
    };

    if chosen == Auth::Token {
        let token = raw
            .access_token
            .as_ref()
            .ok_or_else(|| check.missing("access-token", " (auth: token)"))?;
        return access_token(check, token).map(Credential::AccessToken);
    }

    let why = match chosen {
        Auth::Secret => " (needed with client-secret)",
        _ => " (needed for federated credentials)",
    };
    // Both checked before either is reported: one run names every problem.
    let tenant_id = check.required(&raw.tenant_id, "tenant-id", why).and_then(|tenant| {
        if is_tenant(tenant) {
            Ok(tenant.to_owned())
        } else {
            Err(check.invalid(
                "tenant-id",
                "must be the directory (tenant) ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain like contoso.onmicrosoft.com",
            ))
        }
    });
    let client_id = check.required(&raw.client_id, "client-id", why).and_then(|client| {
        if is_guid(client) {
            Ok(client.to_owned())
        } else {
            Err(check.invalid(
                "client-id",
                "must be the application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
            ))
        }
    });
    let (tenant_id, client_id) = match (tenant_id, client_id) {
        (Ok(tenant_id), Ok(client_id)) => (tenant_id, client_id),
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => return Err(error),
        (Err(tenant), Err(client)) => return Err(tenant.and(client)),
    };

    let assertion = match chosen {
        Auth::Secret => {
            let secret = raw
                .client_secret
                .as_ref()
                .ok_or_else(|| check.missing("client-secret", " (auth: secret)"))?;
            let value = secret.expose();
            // Entra issues secrets of printable ASCII; anything else is a paste gone wrong.
            if value.len() < MIN_SECRET_LEN
                || value.len() > MAX_SECRET_LEN
                || !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
            {
                return Err(check.invalid(
                    "client-secret",
                    format!(
                        "must be one line of {MIN_SECRET_LEN} to {MAX_SECRET_LEN} printable ASCII characters"
                    ),
                ));
            }
            return Ok(Credential::ClientSecret {
                tenant_id,
                client_id,
                secret: secret.clone(),
            });
        }
        Auth::TokenFile => {
            let path = environment.get("AZURE_FEDERATED_TOKEN_FILE").ok_or_else(|| {
                ConfigError::new("auth is token-file but AZURE_FEDERATED_TOKEN_FILE is not set")
                    .with_help("set AZURE_FEDERATED_TOKEN_FILE to the path of the file holding the federated token (JWT)")
            })?;
            let path = PathBuf::from(path);
            // Read again at every exchange; here only checked, so a wrong path is an input error.
            if std::fs::metadata(&path)
                .map(|meta| !meta.is_file())
                .unwrap_or(true)
            {
                return Err(ConfigError::new(format!(
                    "AZURE_FEDERATED_TOKEN_FILE ({}) is not a readable file",
                    path.display()
                ))
                .with_help("point it at the file holding the federated token (JWT), e.g. the projected service account token"));
            }
            AssertionSource::TokenFile(path)
        }
        Auth::GitHub => github_oidc(check, raw, environment)?,
        Auth::AzurePipelines => azure_pipelines_oidc(check, raw, environment)?,
        Auth::GitLab => gitlab_oidc(check, gitlab_variable, environment)?,
        Auth::Auto | Auth::Token => unreachable!("resolved above"),
    };
    Ok(Credential::Federated {
        tenant_id,
        client_id,
        assertion,
    })
}

fn access_token(check: &Checker<'_>, token: &Secret) -> Result<Secret, ConfigError> {
    let value = token.expose();
    // People paste the header value; the scheme is ours to add.
    let value = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
        _ => value,
    };
    if value.len() < MIN_SECRET_LEN
        || value.len() > MAX_TOKEN_LEN
        || !value.bytes().all(|byte| byte.is_ascii_graphic())
    {
        return Err(check.invalid(
            "access-token",
            format!("must be a bearer token: {MIN_SECRET_LEN} to {MAX_TOKEN_LEN} printable ASCII characters, no spaces"),
        ));
    }
    Ok(Secret::new(value))
}

fn github_oidc(
    check: &Checker<'_>,
    raw: &RawInputs,
    environment: &Environment,
) -> Result<AssertionSource, ConfigError> {
    let request_url = environment.get("ACTIONS_ID_TOKEN_REQUEST_URL").ok_or_else(|| {
        ConfigError::new("GitHub OIDC is not available: ACTIONS_ID_TOKEN_REQUEST_URL is not set")
            .with_help("add `permissions: id-token: write` to the job (or workflow) so the runner can issue an OIDC token")
    })?;
    let request_url = Url::parse(request_url)
        .ok()
        .filter(|url| url.scheme() == "https" || is_loopback(url))
        .ok_or_else(|| ConfigError::new("ACTIONS_ID_TOKEN_REQUEST_URL is not an https:// URL"))?;
    let request_token = environment
        .get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        .ok_or_else(|| {
            ConfigError::new(
                "GitHub OIDC is not available: ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set",
            )
            .with_help("add `permissions: id-token: write` to the job (or workflow)")
        })?;
    let audience = raw
        .oidc_audience
        .clone()
        .unwrap_or_else(|| "api://AzureADTokenExchange".to_owned());
    if audience.len() > 256
        || audience
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(check.invalid(
            "oidc-audience",
            "must be one word of at most 256 characters, like api://AzureADTokenExchange",
        ));
    }
    Ok(AssertionSource::GitHub {
        request_url,
        request_token: Secret::new(request_token),
        audience,
    })
}

/// The variable AzureCLI@2 sets, with `addSpnToEnvironment: true` and a workload identity
/// service connection, to the OIDC token it logged in with.
const AZURE_CLI_ID_TOKEN: &str = "idToken";

fn azure_pipelines_oidc(
    check: &Checker<'_>,
    raw: &RawInputs,
    environment: &Environment,
) -> Result<AssertionSource, ConfigError> {
    let id_token = match environment.get(AZURE_CLI_ID_TOKEN) {
        Some(token) => Some(federated_jwt(token, AZURE_CLI_ID_TOKEN)?),
        None => None,
    };
    match (id_token, azure_pipelines_renewal(check, raw, environment)?) {
        (None, Err(missing)) => Err(missing),
        (id_token, Ok(renewal)) => Ok(AssertionSource::AzurePipelines { id_token, renewal }),
        // With an idToken, what renewal lacks is an error only once a fresh token is needed.
        (id_token, Err(missing)) => Ok(AssertionSource::AzurePipelines {
            id_token,
            renewal: AzurePipelinesRenewal::Unavailable {
                missing: missing.to_string(),
            },
        }),
    }
}

/// How to ask the OIDC request endpoint for a fresh token, or (inner error) the first thing
/// missing for it. A value given but invalid is an error either way (outer error).
fn azure_pipelines_renewal(
    check: &Checker<'_>,
    raw: &RawInputs,
    environment: &Environment,
) -> Result<Result<AzurePipelinesRenewal, ConfigError>, ConfigError> {
    let request_url = match environment.get("SYSTEM_OIDCREQUESTURI") {
        None => None,
        Some(text) => Some(
            Url::parse(text)
                .ok()
                .filter(|url| url.scheme() == "https" || is_loopback(url))
                .ok_or_else(|| ConfigError::new("SYSTEM_OIDCREQUESTURI is not an https:// URL"))?,
        ),
    };
    let service_connection_id = match raw.service_connection_id.as_deref() {
        None => None,
        Some(id) if is_guid(id) => Some(id.to_owned()),
        Some(_) => {
            return Err(check.invalid(
                "service-connection-id",
                "must be the service connection's ID, a GUID",
            ));
        }
    };
    let access_token = environment.get("SYSTEM_ACCESSTOKEN").map(Secret::new);
    let missing = match (request_url, access_token, service_connection_id) {
        (Some(request_url), Some(access_token), Some(service_connection_id)) => {
            return Ok(Ok(AzurePipelinesRenewal::Request {
                request_url,
                access_token,
                service_connection_id,
            }));
        }
        (None, _, _) => ConfigError::new(
            "Azure Pipelines OIDC is not available: SYSTEM_OIDCREQUESTURI is not set",
        )
        .with_help("run the step in an Azure Pipelines job"),
        (_, None, _) => ConfigError::new(
            "Azure Pipelines OIDC needs SYSTEM_ACCESSTOKEN, which is not set",
        )
        .with_help(
            "map it into the step's environment: `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`",
        ),
        (_, _, None) => check.missing(
            "service-connection-id",
            " (the Azure Pipelines service connection whose federated credential is used)",
        ),
    };
    Ok(Err(missing))
}

/// GitLab's ID token is a variable of the job: checked here, and read again at every exchange.
fn gitlab_oidc(
    check: &Checker<'_>,
    variable: &str,
    environment: &Environment,
) -> Result<AssertionSource, ConfigError> {
    let mut chars = variable.chars();
    let is_variable_name = variable.len() <= 128
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_variable_name {
        return Err(check.invalid(
            "oidc-token-variable",
            "must be the name of the id_tokens variable, like GITLAB_OIDC_TOKEN: letters, digits and '_'",
        ));
    }
    let token = environment.get(variable).ok_or_else(|| {
        ConfigError::new(format!(
            "GitLab OIDC is not available: the variable {variable} is not set"
        ))
        .with_help(format!(
            "declare the ID token in the job: `id_tokens: {{ {variable}: {{ aud: api://AzureADTokenExchange }} }}` (the audience of the app registration's federated credential)"
        ))
    })?;
    // Checked, and registered for redaction, now; its expiry is checked at every exchange.
    let token = federated_jwt(token, variable)?;
    Ok(AssertionSource::GitLab {
        variable: variable.to_owned(),
        token,
    })
}

/// A JWT from a CI system's variable: three base64url parts. The value is never echoed.
fn federated_jwt(value: &str, variable: &str) -> Result<Secret, ConfigError> {
    let token = Secret::new(value);
    let parts: Vec<&str> = value.split('.').collect();
    let is_jwt = value.len() <= MAX_TOKEN_LEN
        && parts.len() == 3
        && parts[..2].iter().all(|part| !part.is_empty())
        && parts.iter().all(|part| {
            part.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'='))
        });
    if is_jwt {
        Ok(token)
    } else {
        Err(ConfigError::new(format!(
            "{variable} does not hold a JWT (three base64url parts separated by '.')"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::merge_inputs;

    const CLIENT: &str = "00000000-0000-0000-0000-0000000000c1";

    fn settings_from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let environment = Environment::from_pairs(pairs.iter().copied());
        settings(&merge_inputs(&environment), &environment)
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("INPUT_PUBLISHER-ID", "contoso"),
            ("INPUT_OFFER-ID", "contoso-offer"),
            ("INPUT_TENANT-ID", "contoso.onmicrosoft.com"),
            ("INPUT_CLIENT-ID", CLIENT),
            ("INPUT_CLIENT-SECRET", "very-secret-value"),
        ]
    }

    fn error_with(extra: &[(&'static str, &'static str)]) -> String {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        match settings_from(&pairs) {
            Ok(_) => panic!("accepted {extra:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn defaults() {
        let settings = settings_from(&base()).expect("valid");
        assert_eq!(settings.command, Command::Publish);
        assert_eq!(settings.timeout, Duration::from_secs(3600));
        assert_eq!(settings.poll_interval, Duration::from_secs(30));
        assert_eq!(settings.wait_until, WaitUntil::Complete);
        assert_eq!(settings.on_timeout, OnTimeout::Warn);
        assert_eq!(settings.api_url.as_str(), "https://cloudpartner.azure.com/");
        assert_eq!(
            settings.authority_host.as_str(),
            "https://login.microsoftonline.com/"
        );
        assert_eq!(settings.api_version, "2017-10-31");
        assert!(matches!(
            settings.credential,
            Credential::ClientSecret { .. }
        ));
        assert!(settings.notification_emails.is_empty());
    }

    #[test]
    fn debug_of_settings_hides_credentials() {
        let mut pairs = base();
        pairs.push(("INPUT_ACCESS-TOKEN", "token-value-that-is-secret"));
        let settings = settings_from(&pairs).expect("valid");
        let debug = format!("{settings:?}");
        assert!(!debug.contains("token-value-that-is-secret"), "{debug}");
        let settings = settings_from(&base()).expect("valid");
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("very-secret-value") && debug.contains("***"),
            "{debug}"
        );
    }

    #[test]
    fn errors_name_the_input_and_variable() {
        let message = error_with(&[("INPUT_TIMEOUT", "30")]);
        assert!(
            message.contains("timeout (INPUT_TIMEOUT='30')"),
            "{message}"
        );
        assert!(message.contains("30s"), "{message}");

        let message = error_with(&[("MARKETPLACE_WAIT_UNTIL", "later")]);
        assert!(
            message.contains("wait-until (MARKETPLACE_WAIT_UNTIL='later')"),
            "{message}"
        );
        assert!(message.contains("complete, preview"), "{message}");
    }

    #[test]
    fn ids_are_refused_not_encoded() {
        for bad in ["a/b", "..", "a?b", "a#b", "a%2F", "-lead", "a b", "ü"] {
            let mut pairs = base();
            pairs.push(("INPUT_OFFER_ID", bad));
            pairs.retain(|(name, _)| *name != "INPUT_OFFER-ID");
            assert!(settings_from(&pairs).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "https://example.com",
        ] {
            let mut pairs = base();
            pairs.push(("INPUT_API-URL", ok));
            assert!(settings_from(&pairs).is_ok(), "{ok} refused");
        }
        for bad in [
            "http://example.com",
            "ftp://127.0.0.1",
            "https://example.com/path",
            "https://user:pw@example.com",
            "https://example.com?x=1",
            "not a url",
        ] {
            let mut pairs = base();
            pairs.push(("INPUT_API-URL", bad));
            assert!(settings_from(&pairs).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn secrets_are_not_echoed() {
        let mut pairs = base();
        pairs.push(("INPUT_ACCESS-TOKEN", "has space in-the-token"));
        let message = settings_from(&pairs)
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(
            message.contains("access-token (INPUT_ACCESS-TOKEN)"),
            "{message}"
        );
        assert!(!message.contains("in-the-token"), "{message}");
    }

    #[test]
    fn missing_credentials_say_what_to_set() {
        let pairs = [("INPUT_PUBLISHER-ID", "p"), ("INPUT_OFFER-ID", "o")];
        let message = settings_from(&pairs)
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(
            message.contains("AZURE_CLIENT_SECRET") && message.contains("MARKETPLACE_ACCESS_TOKEN"),
            "{message}"
        );
        let github = settings_from(&[
            ("INPUT_PUBLISHER-ID", "p"),
            ("INPUT_OFFER-ID", "o"),
            ("GITHUB_ACTIONS", "true"),
        ])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
        assert!(
            github.contains("client-secret") && github.contains("access-token"),
            "{github}"
        );

        let pairs = [
            ("INPUT_PUBLISHER-ID", "p"),
            ("INPUT_OFFER-ID", "o"),
            ("INPUT_CLIENT-SECRET", "very-secret-value"),
        ];
        let message = settings_from(&pairs)
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(message.contains("tenant-id is missing"), "{message}");
    }

    #[test]
    fn access_token_wins_and_bearer_prefix_is_dropped() {
        let mut pairs = base();
        pairs.push(("INPUT_ACCESS-TOKEN", "Bearer abc.def.ghi"));
        let settings = settings_from(&pairs).expect("valid");
        match settings.credential {
            Credential::AccessToken(token) => assert_eq!(token.expose(), "abc.def.ghi"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn emails_are_split_and_checked() {
        let mut pairs = base();
        pairs.push((
            "INPUT_NOTIFICATION-EMAILS",
            " a@contoso.com , b@contoso.com,",
        ));
        let settings = settings_from(&pairs).expect("valid");
        assert_eq!(
            settings.notification_emails,
            ["a@contoso.com", "b@contoso.com"]
        );
        assert!(
            error_with(&[("INPUT_NOTIFICATION-EMAILS", "a@contoso.com b@x.com")])
                .contains("not an email")
        );
    }

    #[test]
    fn poll_interval_must_be_positive() {
        assert!(error_with(&[("INPUT_POLL-INTERVAL", "0")]).contains("longer than zero"));
        let mut pairs = base();
        pairs.push(("INPUT_POLL-INTERVAL", "500ms"));
        assert_eq!(
            settings_from(&pairs).expect("valid").poll_interval,
            Duration::from_millis(500)
        );
    }

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

    fn without_secret(extra: &[(&'static str, &'static str)]) -> Result<Settings, ConfigError> {
        let mut pairs = base();
        pairs.retain(|(name, _)| *name != "INPUT_CLIENT-SECRET");
        pairs.extend_from_slice(extra);
        settings_from(&pairs)
    }

    #[test]
    fn auto_takes_azure_cli_id_token_and_says_what_renewal_lacks() {
        let settings = without_secret(&[
            ("idToken", JWT),
            (
                "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
                "99999999-8888-7777-6666-555555555555",
            ),
            (
                "SYSTEM_OIDCREQUESTURI",
                "https://dev.azure.com/contoso/_apis/oidc",
            ),
        ])
        .expect("valid");
        match settings.credential {
            Credential::Federated {
                assertion:
                    AssertionSource::AzurePipelines {
                        id_token: Some(token),
                        renewal: AzurePipelinesRenewal::Unavailable { missing },
                    },
                ..
            } => {
                assert_eq!(token.expose(), JWT);
                assert!(
                    missing.to_string().contains("SYSTEM_ACCESSTOKEN"),
                    "{missing}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A value given but invalid is refused, idToken or not.
        let message = without_secret(&[("idToken", JWT), ("INPUT_SERVICE-CONNECTION-ID", "conn")])
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(
            message.contains("service-connection-id (INPUT_SERVICE-CONNECTION-ID="),
            "{message}"
        );
        let message = without_secret(&[("idToken", "not-a-jwt-at-all")])
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(message.contains("idToken does not hold a JWT"), "{message}");
        assert!(!message.contains("not-a-jwt-at-all"), "{message}");
    }

    #[test]
    fn auto_takes_the_gitlab_id_token_only_under_gitlab_and_after_a_secret() {
        let gitlab =
            without_secret(&[("GITLAB_CI", "true"), ("GITLAB_OIDC_TOKEN", JWT)]).expect("valid");
        assert_eq!(gitlab.credential.kind(), "gitlab-oidc");
        assert!(without_secret(&[("GITLAB_OIDC_TOKEN", JWT)]).is_err());
        let mut pairs = base();
        pairs.extend([("GITLAB_CI", "true"), ("GITLAB_OIDC_TOKEN", JWT)]);
        assert_eq!(
            settings_from(&pairs).expect("valid").credential.kind(),
            "secret"
        );
        let renamed = without_secret(&[
            ("GITLAB_CI", "true"),
            ("INPUT_OIDC-TOKEN-VARIABLE", "AZURE_ID_TOKEN"),
            ("AZURE_ID_TOKEN", JWT),
        ])
        .expect("valid");
        assert!(
            matches!(&renamed.credential, Credential::Federated { assertion: AssertionSource::GitLab { variable, .. }, .. } if variable == "AZURE_ID_TOKEN"),
            "{:?}",
            renamed.credential
        );
    }

    #[test]
    fn github_oidc_without_permission_says_what_to_add() {
        let pairs = [
            ("INPUT_PUBLISHER-ID", "p"),
            ("INPUT_OFFER-ID", "o"),
            ("INPUT_TENANT-ID", "contoso.onmicrosoft.com"),
            ("INPUT_CLIENT-ID", CLIENT),
            ("INPUT_AUTH", "github-oidc"),
        ];
        let error = settings_from(&pairs).map(|_| ()).expect_err("refused");
        assert!(
            error
                .help()
                .is_some_and(|help| help.contains("id-token: write")),
            "{error:?}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_one_line_each() {
        let error = settings_from(&[
            ("MARKETPLACE_TIMEOUT", "30"),
            ("MARKETPLACE_WAIT_UNTIL", "later"),
            ("MARKETPLACE_TENANT_ID", "not a tenant"),
        ])
        .map(|_| ())
        .expect_err("refused");
        let message = error.to_string();
        let lines: Vec<&str> = message.lines().collect();
        for (start, variable) in [
            ("offer-id is missing", "MARKETPLACE_OFFER_ID"),
            ("publisher-id is missing", "MARKETPLACE_PUBLISHER_ID"),
            ("timeout (MARKETPLACE_TIMEOUT='30')", "30s"),
            (
                "wait-until (MARKETPLACE_WAIT_UNTIL='later')",
                "complete, preview",
            ),
            ("credentials are missing", "MARKETPLACE_ACCESS_TOKEN"),
        ] {
            let line = lines
                .iter()
                .find(|line| line.starts_with(start))
                .unwrap_or_else(|| panic!("no line for {start}: {message}"));
            assert!(line.contains(variable), "{line}");
        }
        assert!(!message.contains("invalid input"), "{message}");
        // A bad URL does not hide the inputs checked after it.
        let message = settings_from(&[
            ("MARKETPLACE_API_URL", "ftp://example.com"),
            ("MARKETPLACE_PUBLISHER_ID", "p"),
        ])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
        assert!(
            message.contains("api-url (MARKETPLACE_API_URL=")
                && message.contains("offer-id is missing"),
            "{message}"
        );
        // In a shell, the hint points at --help and the sandbox.
        let help = error.help().unwrap_or_default();
        assert!(
            help.contains("--help") && help.contains("--sandbox"),
            "{help}"
        );
    }

    #[test]
    fn missing_inputs_are_named_the_way_the_run_sets_them() {
        let shell = settings_from(&[("INPUT_PUBLISHER-ID", "p")])
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(shell.contains("set MARKETPLACE_OFFER_ID"), "{shell}");
        assert!(!shell.contains("with:"), "{shell}");
        let github = settings_from(&[("INPUT_PUBLISHER-ID", "p"), ("GITHUB_ACTIONS", "true")])
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(github.contains("set `offer-id:` under `with:`"), "{github}");
        let tenant = settings_from(&[
            ("INPUT_PUBLISHER-ID", "p"),
            ("INPUT_OFFER-ID", "o"),
            ("INPUT_CLIENT-SECRET", "very-secret-value"),
            ("GITHUB_ACTIONS", "true"),
        ])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
        assert!(
            tenant.contains("tenant-id is missing")
                && tenant.contains("AZURE_TENANT_ID")
                && tenant.contains("client-id is missing"),
            "{tenant}"
        );
    }
}
