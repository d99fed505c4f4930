//! From raw strings to [`Settings`]: each rule names the input, the variable it came from, and
//! what would be valid. Secret values are never echoed.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::{Host, Url};

use super::duration::parse_duration;
use super::env::{Environment, MergedInputs};
use super::inputs::spec;
use super::{
    ApiChoice, AssertionSource, AzurePipelinesRenewal, Command, Credential, IfRunning, OfferRef,
    OnTimeout, RawInputs, Settings, WaitUntil,
};
use crate::secret::Secret;

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
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The longest value echoed back in an error message.
const ECHO_LIMIT: usize = 80;
/// Publisher and offer ids are short in practice (CPP allows 50); anything near this is a paste
/// gone wrong.
const MAX_ID_LEN: usize = 100;
const MAX_URL_LEN: usize = 2048;
const MAX_SECRET_LEN: usize = 4096;
/// Real secrets and tokens are far longer (Entra secrets ~40 characters); a shorter one is a
/// mistake, and too short to be redacted from the output reliably.
const MIN_SECRET_LEN: usize = 8;
const MAX_TOKEN_LEN: usize = 16 * 1024;
const MAX_EMAILS_LEN: usize = 4096;

/// Reads inputs and reports errors in terms of the variables they came from.
struct Checker<'a> {
    inputs: &'a MergedInputs,
}

impl Checker<'_> {
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
        ConfigError::new(format!("invalid input {}: {rule}", self.describe(name)))
    }

    fn missing(&self, name: &str, why: &str) -> ConfigError {
        let variables = spec(name).variable_names();
        ConfigError::new(format!("missing input {name}{why}")).with_help(format!(
            "set `{name}:` under `with:` in the workflow, or one of the variables {}",
            variables.join(", ")
        ))
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

/// `[A-Za-z0-9][A-Za-z0-9._-]*`: ids go into URL paths, so anything else is refused, not encoded.
pub fn is_identifier(value: &str) -> bool {
    let mut chars = value.chars();
    value.len() <= MAX_ID_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
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

pub(super) fn settings(
    inputs: &MergedInputs,
    environment: &Environment,
) -> Result<Settings, ConfigError> {
    if let Some((name, variable)) = inputs.not_utf8.first() {
        return Err(ConfigError::new(format!(
            "invalid input {name} ({variable}): the value is not valid UTF-8"
        )));
    }
    let raw: RawInputs = envy::from_iter(inputs.envy_pairs())
        .map_err(|error| ConfigError::new(format!("could not read the inputs: {error}")))?;
    let check = Checker { inputs };

    let command = check.choice(&raw.command, "command", Command::Publish, &Command::ALL)?;
    let api = check.choice(
        &raw.api,
        "api",
        ApiChoice::Cpp,
        &[
            ("cpp", ApiChoice::Cpp),
            ("ingestion", ApiChoice::Ingestion),
            ("auto", ApiChoice::Auto),
        ],
    )?;
    let api_url = check.url(&raw.api_url, "api-url", UrlShape::Origin)?;
    let ingestion_url = check.url(&raw.ingestion_url, "ingestion-url", UrlShape::Base)?;
    let authority_host = check.url(&raw.authority_host, "authority-host", UrlShape::Origin)?;

    let operation_url = match (&raw.operation_url, command) {
        (Some(_), _) => {
            let url = check.url(&raw.operation_url, "operation-url", UrlShape::Resource)?;
            Some(operation_url_on_api(
                &check,
                url,
                &api_url,
                &ingestion_url,
                api,
            )?)
        }
        (None, Command::Wait) => {
            return Err(check.missing(
                "operation-url",
                " (command wait resumes the operation it names)",
            ));
        }
        (None, _) => None,
    };

    let offer = if command == Command::Wait {
        // Not needed to follow the operation; a CPP operation URL names its offer, which a
        // cancel (cancel-on-timeout, cancel-on-interrupt) needs.
        let given = match (&raw.publisher_id, &raw.offer_id) {
            (Some(publisher), Some(offer)) => Some(OfferRef {
                publisher_id: check.identifier(publisher, "publisher-id")?,
                offer_id: check.identifier(offer, "offer-id")?,
            }),
            _ => None,
        };
        given.or_else(|| {
            operation_url
                .as_ref()
                .and_then(crate::api::cpp::offer_from_operation_url)
        })
    } else {
        let why = match command {
            Command::Publish => "",
            _ => " (every command but wait names the offer)",
        };
        let offer_id =
            check.identifier(check.required(&raw.offer_id, "offer-id", why)?, "offer-id")?;
        let publisher_id = match (&raw.publisher_id, api) {
            (Some(publisher), _) => check.identifier(publisher, "publisher-id")?,
            // The ingestion API finds the product by offer id within the token's account.
            (None, ApiChoice::Ingestion) => String::new(),
            (None, _) => return Err(check.missing("publisher-id", why)),
        };
        Some(OfferRef {
            publisher_id,
            offer_id,
        })
    };

    let notification_emails = match &raw.notification_emails {
        None => Vec::new(),
        Some(list) if list.len() > MAX_EMAILS_LEN => {
            return Err(check.invalid(
                "notification-emails",
                format!("at most {MAX_EMAILS_LEN} characters"),
            ));
        }
        Some(list) => {
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
            addresses
        }
    };

    let timeout = check.duration(&raw.timeout, "timeout", Duration::from_secs(3600))?;
    let poll_interval =
        check.duration(&raw.poll_interval, "poll-interval", Duration::from_secs(30))?;
    if poll_interval.is_zero() {
        return Err(check.invalid(
            "poll-interval",
            "must be longer than zero, like 500ms, 30s or 5m",
        ));
    }
    let wait_until = check.choice(
        &raw.wait_until,
        "wait-until",
        WaitUntil::Complete,
        &[
            ("complete", WaitUntil::Complete),
            ("preview", WaitUntil::Preview),
        ],
    )?;
    let on_timeout = check.choice(
        &raw.on_timeout,
        "on-timeout",
        OnTimeout::Warn,
        &[("warn", OnTimeout::Warn), ("fail", OnTimeout::Fail)],
    )?;
    let if_running = check.choice(
        &raw.if_running,
        "if-running",
        IfRunning::Attach,
        &[
            ("attach", IfRunning::Attach),
            ("fail", IfRunning::Fail),
            ("cancel-and-restart", IfRunning::CancelAndRestart),
        ],
    )?;
    let cancel_on_timeout = check.boolean(&raw.cancel_on_timeout, "cancel-on-timeout")?;
    let cancel_on_interrupt = check.boolean(&raw.cancel_on_interrupt, "cancel-on-interrupt")?;

    let api_version = raw
        .api_version
        .clone()
        .unwrap_or_else(|| "2017-10-31".to_owned());
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

    let credential = credential(&check, &raw, environment)?;
    if api == ApiChoice::Auto && matches!(credential, Credential::AccessToken(_)) {
        return Err(check.invalid(
            "api",
            "auto needs tokens for both APIs, and an access-token is for one: set api to cpp or ingestion",
        ));
    }
    let cancels = cancel_on_timeout || cancel_on_interrupt;
    let on_cpp = operation_url
        .as_ref()
        .is_none_or(|url| url.origin() == api_url.origin())
        && api != ApiChoice::Ingestion;
    if command == Command::Wait && cancels && on_cpp && offer.is_none() {
        return Err(check.missing(
            "publisher-id",
            " (and offer-id: with command: wait, cancel-on-timeout and cancel-on-interrupt cancel through the offer, which this operation URL does not name)",
        ));
    }
    if api == ApiChoice::Ingestion && if_running == IfRunning::CancelAndRestart {
        return Err(check.invalid(
            "if-running",
            "cancel-and-restart is not possible with api: ingestion, which cancels a configure job, and the running one is not known: use attach or fail",
        ));
    }
    if api == ApiChoice::Ingestion && command == Command::Cancel && operation_url.is_none() {
        return Err(check.missing(
            "operation-url",
            " (the product ingestion API cancels a configure job: give the job's status URL, the operation-url output of the publish)",
        ));
    }

    let extra_root_certificates = environment.get("SSL_CERT_FILE").map(PathBuf::from);

    Ok(Settings {
        command,
        offer,
        notification_emails,
        credential,
        timeout,
        poll_interval,
        wait_until,
        on_timeout,
        cancel_on_timeout,
        cancel_on_interrupt,
        if_running,
        operation_url,
        api,
        api_url,
        ingestion_url,
        authority_host,
        api_version,
        extra_root_certificates,
    })
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
    let on_ingestion = url.origin() == ingestion_url.origin()
        && url
            .path()
            .starts_with(ingestion_url.path().trim_end_matches('/'))
        && api != ApiChoice::Cpp;
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
                let mut error = ConfigError::new(
                    "no credentials: set access-token, or tenant-id + client-id + client-secret, \
                     or configure federated credentials (GitHub OIDC, Azure Pipelines OIDC, \
                     GitLab OIDC, or AZURE_FEDERATED_TOKEN_FILE)",
                );
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
    let tenant_id = check.required(&raw.tenant_id, "tenant-id", why)?;
    if !is_tenant(tenant_id) {
        return Err(check.invalid(
            "tenant-id",
            "must be the directory (tenant) ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain like contoso.onmicrosoft.com",
        ));
    }
    let client_id = check.required(&raw.client_id, "client-id", why)?;
    if !is_guid(client_id) {
        return Err(check.invalid(
            "client-id",
            "must be the application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
        ));
    }
    let tenant_id = tenant_id.to_owned();
    let client_id = client_id.to_owned();

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
        (None, AzurePipelinesRenewal::Unavailable { missing }) => Err(missing),
        // With an idToken, what renewal lacks is an error only once a fresh token is needed.
        (id_token, renewal) => Ok(AssertionSource::AzurePipelines { id_token, renewal }),
    }
}

/// How to ask the OIDC request endpoint for a fresh token, or the first thing missing for it. A
/// value given but invalid is an error either way.
fn azure_pipelines_renewal(
    check: &Checker<'_>,
    raw: &RawInputs,
    environment: &Environment,
) -> Result<AzurePipelinesRenewal, ConfigError> {
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
            return Ok(AzurePipelinesRenewal::Request {
                request_url,
                access_token,
                service_connection_id,
            });
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
    Ok(AzurePipelinesRenewal::Unavailable { missing })
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
    // Registered for redaction now, though it is read again when it is exchanged.
    federated_jwt(token, variable)?;
    Ok(AssertionSource::GitLab {
        variable: variable.to_owned(),
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
            message.contains("client-secret") && message.contains("access-token"),
            "{message}"
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
        assert!(message.contains("missing input tenant-id"), "{message}");
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
            message.contains("invalid input service-connection-id"),
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
            matches!(&renamed.credential, Credential::Federated { assertion: AssertionSource::GitLab { variable }, .. } if variable == "AZURE_ID_TOKEN"),
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
}
