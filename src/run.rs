//! One run, from the environment to an exit code.

use tokio::time::Instant;

use std::time::Duration;

use crate::api::Api;
use crate::api::backend::Backend;
use crate::api::cpp::Cpp;
use crate::api::error::ApiError;
use crate::api::ingestion::{Ingestion, Lookup};
use crate::auth::{TokenSource, Tokens};
use crate::commands::{self, Context};
use crate::config::{self, ApiChoice, ConfigError, Settings, merge_inputs};
use crate::environment::{CiSystem, Environment};
use crate::interrupt::Interrupt;
use crate::outcome::{ExitPolicy, Outcome, Problem, Status};
use crate::report::{self, Reporter};
use crate::sandbox::{Sandbox, Scenario};
use crate::transport::retry::RetryPolicy;
use crate::transport::{HttpClient, SetupError};

pub async fn run(environment: Environment, interrupt: Interrupt, sandbox: Option<Scenario>) -> u8 {
    let started = Instant::now();
    let mut inputs = merge_inputs(&environment);
    let running_sandbox = match sandbox {
        Some(scenario) => match Sandbox::start(scenario, &inputs).await {
            Ok(sandbox) => {
                sandbox.configure(&mut inputs);
                Some(sandbox)
            }
            Err(error) => {
                tracing::error!("cannot start the sandbox service on loopback: {error}");
                return 1;
            }
        },
        None => None,
    };
    // Reporting is set up whatever the inputs are worth, so that even an invalid input is
    // reported the CI system's way (status output, error annotation).
    let configuration = config::read(&inputs, &environment);
    let mut reporter = report::setup(&configuration.reporting, &environment);
    reporter.count_from(started);
    configuration
        .unknown
        .iter()
        .for_each(|warning| tracing::warn!("{warning}"));
    let settings = match configuration.settings {
        Ok(settings) => settings,
        Err(error) => return invalid_input(&mut reporter, &error),
    };
    // A hidden trigger for the test of the panic hook; it does not exist in release builds.
    #[cfg(debug_assertions)]
    if environment.get("PUBLISH_OFFER_TEST_PANIC") == Some("1") {
        panic!("PUBLISH_OFFER_TEST_PANIC is set");
    }
    let http = match HttpClient::new(
        settings.extra_root_certificates.as_deref(),
        RetryPolicy::default(),
    ) {
        Ok(http) => http,
        Err(error) => return invalid_input(&mut reporter, &http_setup_error(error)),
    };
    announce(
        &settings,
        configuration.reporting.ci,
        &mut reporter,
        &environment,
    );
    let tokens = token_source(&settings, &reporter, running_sandbox.is_some());
    let api = Api::new(http, token_cache(tokens, &environment));
    let backend = match interrupt
        .guard(choose_backend(&settings, &api, started))
        .await
    {
        Ok(Ok(backend)) => backend,
        Ok(Err(error)) => {
            let problem = Some(Problem::from(&error));
            let outcome = Outcome {
                problem,
                ..Outcome::new(Status::Error, ExitPolicy::default())
            };
            return finish(&mut reporter, &outcome);
        }
        Err(signal) => {
            let outcome = Outcome::new(Status::Interrupted(signal), ExitPolicy::default());
            return finish(&mut reporter, &outcome);
        }
    };
    let mut context = Context {
        settings: &settings,
        backend,
        reporter: &mut reporter,
        record: commands::Record::default(),
        interrupt: &interrupt,
        started,
    };
    let outcome = commands::run(&mut context).await;
    finish(&mut reporter, &outcome)
}

fn finish(reporter: &mut Reporter, outcome: &Outcome) -> u8 {
    reporter.finish(outcome);
    outcome.exit_code()
}

/// Where tokens come from, as the log says at the start (with a warning when the wait may
/// outlive the credential). In the sandbox the credentials are the sandbox's own: a user who
/// gave no secret is not told of one.
fn token_source(settings: &Settings, reporter: &Reporter, sandbox: bool) -> TokenSource {
    let source = TokenSource::new(settings.credential.clone(), settings.authority_host.clone());
    let described = if sandbox {
        "the sandbox's credentials (no secret of yours is used)".to_owned()
    } else {
        source.describe()
    };
    tracing::info!(
        "reporting to {}; authenticating with {described}",
        reporter.sink_name()
    );
    if let Some(warning) = source.lifetime_warning(settings.timeout) {
        tracing::warn!("{warning}");
    }
    source
}

/// Tells the reporter what the run is about, and shows the live line on a terminal.
fn announce(settings: &Settings, ci: CiSystem, reporter: &mut Reporter, environment: &Environment) {
    let subject = match (&settings.offer, &settings.operation_url) {
        (Some(offer), _) if offer.publisher_id.is_empty() => offer.offer_id.clone(),
        (Some(offer), _) => format!("{}/{}", offer.publisher_id, offer.offer_id),
        (None, Some(url)) => url.to_string(),
        (None, None) => String::new(),
    };
    reporter.set_subject(settings.command.name(), subject);
    if ci == CiSystem::Plain && report::live::Live::wanted(environment) {
        reporter.show_live(settings.timeout);
    }
}

/// The API to use. With `api: auto` the offer is looked up in the product ingestion API by its
/// external id; CPP is used when it is not found there (or the credentials may not read it).
async fn choose_backend<'a>(
    settings: &Settings,
    api: &'a Api,
    started: Instant,
) -> Result<Backend<'a>, ApiError> {
    let offer_id = settings.offer.as_ref().map(|offer| offer.offer_id.clone());
    let cpp = || {
        Backend::Cpp(Cpp::new(
            api,
            settings.api_url.clone(),
            settings.api_version.clone(),
            settings.offer.clone(),
        ))
    };
    let ingestion = || {
        Backend::Ingestion(Ingestion::new(
            api,
            settings.ingestion_url.clone(),
            offer_id.clone(),
        ))
    };
    match settings.api {
        ApiChoice::Cpp => Ok(cpp()),
        ApiChoice::Ingestion => Ok(ingestion()),
        ApiChoice::Auto => {
            if let Some(url) = &settings.operation_url {
                // `wait` and friends: the URL says which API.
                let on_ingestion = url
                    .as_str()
                    .starts_with(settings.ingestion_url.as_str().trim_end_matches('/'));
                return Ok(if on_ingestion { ingestion() } else { cpp() });
            }
            let deadline = started + settings.timeout.max(Duration::from_secs(60));
            let probe = Ingestion::new(api, settings.ingestion_url.clone(), offer_id.clone());
            match probe.lookup(deadline).await {
                Ok(Lookup::Found(product)) => {
                    tracing::info!("api auto: the offer is {product} in the product ingestion API");
                    Ok(ingestion())
                }
                Ok(Lookup::NotFound) => {
                    tracing::info!(
                        "api auto: the offer is not in the product ingestion API; using CPP"
                    );
                    Ok(cpp())
                }
                Err(error) if matches!(error.status(), Some(401 | 403 | 404)) => {
                    tracing::warn!("api auto: {error}; using CPP");
                    Ok(cpp())
                }
                Err(error) => Err(error),
            }
        }
    }
}

/// A bad command line, reported like an invalid input: `status` is `invalid-input`.
pub fn invalid_arguments(environment: &Environment, message: &str) -> u8 {
    let reporting = config::reporting(&merge_inputs(environment), environment);
    let mut reporter = report::setup(&reporting, environment);
    invalid_input(&mut reporter, &ConfigError::new(message))
}

/// The token cache for `source`. The benchmark's day-long wait played in minutes
/// (bench/token_churn.py) shrinks every duration by one factor, the cache's own included, with
/// `PUBLISH_OFFER_TEST_TIME_SCALE`; like the panic trigger, it does not exist in release builds.
fn token_cache(source: TokenSource, environment: &Environment) -> Tokens {
    let tokens = Tokens::new(source);
    #[cfg(debug_assertions)]
    if let Some(factor) = environment
        .get("PUBLISH_OFFER_TEST_TIME_SCALE")
        .and_then(|factor| factor.parse::<u32>().ok())
    {
        return tokens.time_scaled(factor);
    }
    #[cfg(not(debug_assertions))]
    let _ = environment;
    tokens
}

/// A run that cannot start (too few file descriptors, no async runtime): an error, reported the
/// CI system's way with `message` saying why, and said on stderr too, where a reader of a broken
/// runner looks first.
pub fn cannot_start(environment: &Environment, message: &str) -> u8 {
    crate::logging::stderr_line(&format!("publish-offer: {message}; status is error"));
    let reporting = config::reporting(&merge_inputs(environment), environment);
    let mut reporter = report::setup(&reporting, environment);
    let outcome = Outcome {
        problem: Some(Problem {
            title: "cannot start".to_owned(),
            message: message.to_owned(),
            help: None,
        }),
        ..Outcome::new(Status::Error, ExitPolicy::default())
    };
    reporter.finish(&outcome);
    outcome.exit_code()
}

/// The transport's setup failure as the input it came from: extra roots are `SSL_CERT_FILE`.
fn http_setup_error(error: SetupError) -> ConfigError {
    ConfigError::new(match error {
        SetupError::UnreadableRoots { path, source } => {
            format!(
                "SSL_CERT_FILE ({}): cannot read it: {source}",
                path.display()
            )
        }
        SetupError::NoCertificates { path } => format!(
            "SSL_CERT_FILE ({}): no PEM certificates in it (expected -----BEGIN CERTIFICATE----- blocks)",
            path.display()
        ),
        SetupError::Client(_) => error.to_string(),
    })
}

fn invalid_input(reporter: &mut Reporter, error: &ConfigError) -> u8 {
    finish(reporter, &Outcome::invalid_input(error))
}
