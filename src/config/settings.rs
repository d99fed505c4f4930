//! From raw strings to [`Settings`]: each rule names the input, the variable it came from, and
//! what would be valid. Secret values are never echoed.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::check::{Checker, UrlShape, echo, is_email};
use super::credentials::credential;
use super::env::{Environment, MergedInputs};
use super::inputs::spec;
use super::{ApiChoice, Command, ConfigError, IfRunning, RawInputs, Settings};
use crate::api::OfferRef;
use crate::auth::Credential;
use crate::environment::CiSystem;
use crate::outcome::OnTimeout;
use crate::wait::WaitUntil;

const MAX_EMAILS_LEN: usize = 4096;

/// Every problem of the inputs at once: each check records what it finds and the run goes on to
/// the next input, so one run names them all (as a compiler lists every error). `chosen_ci` is
/// the `ci` input when it is valid: it says how to phrase what is missing.
pub(super) fn settings(
    inputs: &MergedInputs,
    environment: &Environment,
    chosen_ci: Option<CiSystem>,
) -> Result<Settings, ConfigError> {
    let mut check = Checker::new(inputs, environment, chosen_ci);
    for (name, variable) in &inputs.not_utf8 {
        check.record(ConfigError::new(format!(
            "{name} ({variable}): the value is not valid UTF-8"
        )));
    }
    let raw = RawInputs::new(inputs);
    let settings = check_all(&mut check, &raw, environment);
    let general_help = check.general_help();
    if let Some(error) = ConfigError::combine(check.into_problems()) {
        return Err(match error.help() {
            Some(_) => error,
            None => error.with_help(general_help),
        });
    }
    settings.ok_or_else(|| ConfigError::new("the inputs could not be read"))
}

/// Checks every input (each problem recorded) and builds the settings when all are valid.
fn check_all(
    check: &mut Checker<'_>,
    raw: &RawInputs<'_>,
    environment: &Environment,
) -> Option<Settings> {
    let (command, api) = command_and_api(check, raw);
    let target = check_target(check, raw, command, api);
    // Checked even when a URL is bad: only the command and the API say what the offer needs.
    let offer = match (command, api) {
        (Some(command), Some(api)) => {
            let operation_url = target
                .as_ref()
                .and_then(|target| target.operation_url.as_ref());
            check_offer(check, raw, command, api, operation_url)
        }
        _ => OfferCheck::Invalid,
    };
    let notification_emails =
        check.keep(notification_emails(check, raw.text("notification-emails")));
    let waiting = check_waiting(check, raw);
    let api_version = check.keep(api_version(check, raw.text("api-version")));
    let credential = check.keep(credential(check, raw, environment));
    let draft = super::draft::check_draft(
        check,
        raw,
        command,
        api,
        waiting.as_ref().map(|waiting| waiting.if_running),
    );
    if let (Some(target), Some(waiting), Some(credential)) = (&target, &waiting, &credential) {
        check_combinations(check, target, waiting, credential, &offer);
    }
    let offer = match offer {
        OfferCheck::Named(offer) => Some(offer),
        OfferCheck::Unnamed => None,
        OfferCheck::Invalid => return None,
    };
    let (target, waiting, draft) = (target?, waiting?, draft.ok()?);
    Some(Settings {
        command: target.command,
        offer,
        notification_emails: notification_emails?,
        credential: credential?,
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
        api_version: api_version?,
        extra_root_certificates: environment.get("SSL_CERT_FILE").map(PathBuf::from),
        draft,
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
fn command_and_api(
    check: &mut Checker<'_>,
    raw: &RawInputs<'_>,
) -> (Option<Command>, Option<ApiChoice>) {
    let command = check.keep(check.choice(raw.text("command"), "command", &Command::ALL));
    let api = check.keep(check.choice(raw.text("api"), "api", &ApiChoice::ALL));
    (command, api)
}

fn check_target(
    check: &mut Checker<'_>,
    raw: &RawInputs<'_>,
    command: Option<Command>,
    api: Option<ApiChoice>,
) -> Option<Target> {
    let api_url = check.keep(check.url(raw.text("api-url"), "api-url", UrlShape::Origin));
    let ingestion_url =
        check.keep(check.url(raw.text("ingestion-url"), "ingestion-url", UrlShape::Base));
    let authority_host = check.keep(check.url(
        raw.text("authority-host"),
        "authority-host",
        UrlShape::Origin,
    ));
    let (command, api, api_url, ingestion_url, authority_host) =
        (command?, api?, api_url?, ingestion_url?, authority_host?);
    let operation_url = match (raw.text("operation-url"), command) {
        (Some(_), _) => Some(
            check.keep(
                check
                    .url(
                        raw.text("operation-url"),
                        "operation-url",
                        UrlShape::Resource,
                    )
                    .and_then(|url| {
                        operation_url_on_api(check, url, &api_url, &ingestion_url, api)
                    }),
            )?,
        ),
        // `wait` without it follows the offer's current operation: the offer check asks for
        // one of the two.
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

/// What the offer check found.
enum OfferCheck {
    Named(OfferRef),
    /// Only with `wait`: neither the inputs nor the operation URL name the offer.
    Unnamed,
    /// Missing or invalid; the problem is recorded.
    Invalid,
}

/// The offer: every command but `wait` names it; `wait` may, or takes it from a CPP operation URL.
fn check_offer(
    check: &mut Checker<'_>,
    raw: &RawInputs<'_>,
    command: Command,
    api: ApiChoice,
    operation_url: Option<&Url>,
) -> OfferCheck {
    if command == Command::Wait {
        return check_wait_offer(check, raw, api, operation_url);
    }
    let why = match command {
        Command::Publish => "",
        _ => " (every command but wait names the offer)",
    };
    let offer_id = check.keep(
        check
            .required(raw.text("offer-id"), "offer-id", why)
            .and_then(|offer| check.identifier(offer, "offer-id")),
    );
    let publisher_id = match (raw.text("publisher-id"), api) {
        (Some(publisher), _) => check.keep(check.identifier(publisher, "publisher-id")),
        // The ingestion API finds the product by offer id within the token's account.
        (None, ApiChoice::Ingestion) => Some(String::new()),
        (None, _) => {
            check.record(check.missing("publisher-id", why));
            None
        }
    };
    match (publisher_id, offer_id) {
        (Some(publisher_id), Some(offer_id)) => OfferCheck::Named(OfferRef {
            publisher_id,
            offer_id,
        }),
        _ => OfferCheck::Invalid,
    }
}

/// The offer of `wait`: it follows the operation `operation-url` names, or else the offer's
/// current operation, which needs the offer (`offer-id` alone on the ingestion API). With an
/// operation URL the offer is optional; a CPP operation URL names its offer, which a cancel
/// (cancel-on-timeout, cancel-on-interrupt) needs.
fn check_wait_offer(
    check: &mut Checker<'_>,
    raw: &RawInputs<'_>,
    api: ApiChoice,
    operation_url: Option<&Url>,
) -> OfferCheck {
    let by_url = raw.text("operation-url").is_some();
    let publisher = match (raw.text("publisher-id"), api) {
        (None, ApiChoice::Ingestion) => Some(""),
        (given, _) => given,
    };
    let given = match (publisher, raw.text("offer-id")) {
        (Some(publisher), Some(offer)) => {
            let publisher_id = if publisher.is_empty() {
                Some(String::new())
            } else {
                check.keep(check.identifier(publisher, "publisher-id"))
            };
            let offer_id = check.keep(check.identifier(offer, "offer-id"));
            match (publisher_id, offer_id) {
                (Some(publisher_id), Some(offer_id)) => Some(OfferRef {
                    publisher_id,
                    offer_id,
                }),
                _ => return OfferCheck::Invalid,
            }
        }
        _ => None,
    };
    if given.is_none() && !by_url {
        let (offer, missing) = match (api, raw.text("publisher-id"), raw.text("offer-id")) {
            (ApiChoice::Ingestion, _, _) => ("offer-id", "neither is set"),
            (_, None, None) => ("publisher-id and offer-id", "neither is set"),
            (_, Some(_), None) => ("publisher-id and offer-id", "offer-id is missing"),
            (_, _, _) => ("publisher-id and offer-id", "publisher-id is missing"),
        };
        check.record(ConfigError::new(format!(
            "command wait needs operation-url (to follow the operation it names: the \
             operation-url output of the step that started it) or {offer} (to follow the \
             offer's current operation, or report its last outcome when none runs): {missing}"
        )));
        return OfferCheck::Invalid;
    }
    match given.or_else(|| operation_url.and_then(crate::api::cpp::offer_from_operation_url)) {
        Some(offer) => OfferCheck::Named(offer),
        None => OfferCheck::Unnamed,
    }
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

fn check_waiting(check: &mut Checker<'_>, raw: &RawInputs<'_>) -> Option<Waiting> {
    let timeout = check.keep(check.duration(raw.text("timeout"), "timeout"));
    let poll_interval = check.keep(
        check
            .duration(raw.text("poll-interval"), "poll-interval")
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
    let wait_until =
        check.keep(check.choice(raw.text("wait-until"), "wait-until", &WaitUntil::ALL));
    let on_timeout =
        check.keep(check.choice(raw.text("on-timeout"), "on-timeout", &OnTimeout::ALL));
    let if_running =
        check.keep(check.choice(raw.text("if-running"), "if-running", &IfRunning::ALL));
    let cancel_on_timeout =
        check.keep(check.boolean(raw.text("cancel-on-timeout"), "cancel-on-timeout"));
    let cancel_on_interrupt =
        check.keep(check.boolean(raw.text("cancel-on-interrupt"), "cancel-on-interrupt"));
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
    let api_version = given.or(spec("api-version").default).unwrap_or_default();
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
    check: &mut Checker<'_>,
    target: &Target,
    waiting: &Waiting,
    credential: &Credential,
    offer: &OfferCheck,
) {
    let (command, api) = (target.command, target.api);
    // With an operation URL, auto takes the API from the URL and asks that one only.
    if api == ApiChoice::Auto
        && target.operation_url.is_none()
        && matches!(credential, Credential::AccessToken(_))
    {
        check.record(check.invalid(
            "api",
            "auto (the default) needs tokens for both APIs, and an access-token is for one: set api to cpp or ingestion",
        ));
    }
    let cancels = waiting.cancel_on_timeout || waiting.cancel_on_interrupt;
    let on_cpp = target
        .operation_url
        .as_ref()
        .is_none_or(|url| url.origin() == target.api_url.origin())
        && api != ApiChoice::Ingestion;
    if command == Command::Wait && cancels && on_cpp && matches!(offer, OfferCheck::Unnamed) {
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
