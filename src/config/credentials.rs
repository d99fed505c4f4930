//! The credential: which way to authenticate, and the inputs and CI variables each way needs.
//! Secret values are never echoed.

use std::path::PathBuf;

use url::Url;

use super::check::{Checker, MAX_SECRET_LEN, MAX_TOKEN_LEN, MIN_SECRET_LEN, RunsIn};
use super::check::{is_guid, is_loopback, is_tenant};
use super::env::Environment;
use super::inputs::spec;
use super::{Auth, ConfigError, RawInputs};
use crate::auth::{AssertionSource, AzurePipelinesRenewal, Credential};
use crate::secret::Secret;

/// Picks the one way to authenticate. With `auth: auto` the first configured source wins:
/// access-token > client-secret > token-file > github-oidc > azure-pipelines-oidc > gitlab-oidc.
pub(super) fn credential(
    check: &Checker<'_>,
    raw: &RawInputs<'_>,
    environment: &Environment,
) -> Result<Credential, ConfigError> {
    let auth = check.choice(raw.text("auth"), "auth", &Auth::ALL)?;
    let gitlab_variable = raw
        .text("oidc-token-variable")
        .unwrap_or(spec("oidc-token-variable").default.unwrap_or_default());
    let chosen = match auth {
        Auth::Auto => detect(check, raw, environment, gitlab_variable)?,
        explicit => explicit,
    };
    if chosen == Auth::Token {
        let token = raw
            .secret("access-token")
            .ok_or_else(|| check.missing("access-token", " (auth: token)"))?;
        return access_token(check, token).map(Credential::AccessToken);
    }
    let (tenant_id, client_id) = tenant_and_client(check, raw, chosen)?;
    let assertion = match chosen {
        Auth::Secret => {
            let secret = raw
                .secret("client-secret")
                .ok_or_else(|| check.missing("client-secret", " (auth: secret)"))?;
            return Ok(Credential::ClientSecret {
                tenant_id,
                client_id,
                secret: client_secret(check, secret)?,
            });
        }
        Auth::TokenFile => token_file(environment)?,
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

/// `auth: auto`: the first source configured, or what to set when there is none.
fn detect(
    check: &Checker<'_>,
    raw: &RawInputs<'_>,
    environment: &Environment,
    gitlab_variable: &str,
) -> Result<Auth, ConfigError> {
    Ok(if raw.secret("access-token").is_some() {
        Auth::Token
    } else if raw.secret("client-secret").is_some() {
        Auth::Secret
    } else if environment.get("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        Auth::TokenFile
    } else if environment.get("ACTIONS_ID_TOKEN_REQUEST_URL").is_some() {
        Auth::GitHub
    } else if environment.get(AZURE_CLI_ID_TOKEN).is_some()
        || (environment.get("SYSTEM_OIDCREQUESTURI").is_some()
            && raw.text("service-connection-id").is_some())
    {
        Auth::AzurePipelines
    } else if environment.is_true("GITLAB_CI") && environment.get(gitlab_variable).is_some() {
        Auth::GitLab
    } else {
        return Err(missing_credentials(check, raw, environment));
    })
}

/// No way to authenticate is configured: what to set, in the words of this kind of run.
fn missing_credentials(
    check: &Checker<'_>,
    raw: &RawInputs<'_>,
    environment: &Environment,
) -> ConfigError {
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
    if raw.text("client-id").is_some() && environment.get("GITHUB_ACTIONS").is_some() {
        error = error.with_help(
            "for GitHub OIDC, add `permissions: id-token: write` to the job; for a \
                 secret, pass `client-secret: ${{ secrets.AZURE_CLIENT_SECRET }}`",
        );
    }
    error
}

/// The service principal's tenant and client ids, for a secret or a federated credential.
fn tenant_and_client(
    check: &Checker<'_>,
    raw: &RawInputs<'_>,
    chosen: Auth,
) -> Result<(String, String), ConfigError> {
    let why = match chosen {
        Auth::Secret => " (needed with client-secret)",
        _ => " (needed for federated credentials)",
    };
    // Both checked before either is reported: one run names every problem.
    let tenant_id = check.required(raw.text("tenant-id"), "tenant-id", why).and_then(|tenant| {
        if is_tenant(tenant) {
            Ok(tenant.to_owned())
        } else {
            Err(check.invalid(
                "tenant-id",
                "must be the directory (tenant) ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain like contoso.onmicrosoft.com",
            ))
        }
    });
    let client_id = check.required(raw.text("client-id"), "client-id", why).and_then(|client| {
        if is_guid(client) {
            Ok(client.to_owned())
        } else {
            Err(check.invalid(
                "client-id",
                "must be the application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
            ))
        }
    });
    match (tenant_id, client_id) {
        (Ok(tenant_id), Ok(client_id)) => Ok((tenant_id, client_id)),
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => Err(error),
        (Err(tenant), Err(client)) => Err(tenant.and(client)),
    }
}

fn client_secret(check: &Checker<'_>, secret: &Secret) -> Result<Secret, ConfigError> {
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
    Ok(secret.clone())
}

/// `AZURE_FEDERATED_TOKEN_FILE`: checked now, read again at every exchange.
fn token_file(environment: &Environment) -> Result<AssertionSource, ConfigError> {
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
    Ok(AssertionSource::TokenFile(path))
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
    raw: &RawInputs<'_>,
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
        .text("oidc-audience")
        .or(spec("oidc-audience").default)
        .unwrap_or_default()
        .to_owned();
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
    raw: &RawInputs<'_>,
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
    raw: &RawInputs<'_>,
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
    let service_connection_id = match raw.text("service-connection-id") {
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
