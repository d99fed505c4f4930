//! What a credential is: how a token is obtained, and the words logs and the `auth` input use
//! for each kind. Configuration builds one; [`super::TokenSource`] uses it.

use std::path::PathBuf;

use url::Url;

use crate::secret::Secret;

/// How a token is obtained. Tenant and client ids are not secret; everything else is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A ready bearer token; never refreshed.
    AccessToken(Secret),
    /// Client-credentials grant with a client secret (v1 endpoint, `resource=`).
    ClientSecret {
        tenant_id: String,
        client_id: String,
        secret: Secret,
    },
    /// Workload identity federation: a JWT from `assertion` is exchanged for a token at the v2
    /// endpoint. A fresh assertion is fetched for every exchange.
    Federated {
        tenant_id: String,
        client_id: String,
        assertion: AssertionSource,
    },
}

impl Credential {
    /// How the credential is described in logs and `auth` values.
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::AccessToken(_) => "token",
            Credential::ClientSecret { .. } => "secret",
            Credential::Federated { assertion, .. } => assertion.kind(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum AssertionSource {
    /// `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with the request token.
    GitHub {
        request_url: Url,
        request_token: Secret,
        audience: String,
    },
    /// Azure Pipelines: the `idToken` AzureCLI@2 exposes (`addSpnToEnvironment: true`) while it
    /// is fresh, then (or without one) a new token from the OIDC request endpoint.
    AzurePipelines {
        id_token: Option<Secret>,
        renewal: AzurePipelinesRenewal,
    },
    /// GitLab: the JWT of an `id_tokens:` variable, read with the environment at start. GitLab
    /// issues it for the job's whole timeout, so the same token serves every exchange.
    GitLab { variable: String, token: Secret },
    /// A file holding the JWT, re-read on every exchange (Kubernetes rotates it).
    TokenFile(PathBuf),
}

/// How a fresh Azure Pipelines OIDC token is obtained, or why it cannot be.
#[derive(Debug, Clone)]
pub enum AzurePipelinesRenewal {
    /// `POST $SYSTEM_OIDCREQUESTURI?api-version=7.1&serviceConnectionId=...`.
    Request {
        request_url: Url,
        access_token: Secret,
        service_connection_id: String,
    },
    /// What is missing to ask for one: the error when a fresh token is needed.
    /// The message of the configuration error it would be; shown when a fresh token is needed
    /// or, as a warning, when the wait may outlive the token at hand.
    Unavailable { missing: String },
}

impl AssertionSource {
    pub fn kind(&self) -> &'static str {
        match self {
            AssertionSource::GitHub { .. } => "github-oidc",
            AssertionSource::AzurePipelines { .. } => "azure-pipelines-oidc",
            AssertionSource::GitLab { .. } => "gitlab-oidc",
            AssertionSource::TokenFile(_) => "token-file",
        }
    }
}
