//! The one list of inputs: names, defaults, descriptions. `--help`, the environment reader and
//! the tests that keep `action.yml` and the README in step all read it from here.

pub struct InputSpec {
    /// The input's name as written in a workflow (`publisher-id`).
    pub name: &'static str,
    /// The default, as a user would write it; `None` when there is none.
    pub default: Option<&'static str>,
    /// Shown in `--help` before the description: `required`, or which commands need it.
    pub requirement: &'static str,
    pub description: &'static str,
    /// More for `--help` and the README (not action.yml, whose descriptions stay one line).
    pub details: &'static str,
    /// Credentials: registered for redaction as soon as they are read, never echoed in errors.
    pub secret: bool,
    /// Standard variables read last (`AZURE_CLIENT_ID`).
    pub fallbacks: &'static [&'static str],
}

impl InputSpec {
    /// Every variable the input is read from, in order of precedence.
    pub fn variable_names(&self) -> Vec<String> {
        let upper = self.name.to_ascii_uppercase();
        let underscored = upper.replace('-', "_");
        let mut names = vec![format!("INPUT_{upper}")];
        if upper != underscored {
            names.push(format!("INPUT_{underscored}"));
        }
        names.push(format!("MARKETPLACE_{underscored}"));
        names.extend(self.fallbacks.iter().map(|name| (*name).to_owned()));
        names
    }
}

const fn input(
    name: &'static str,
    default: Option<&'static str>,
    requirement: &'static str,
    description: &'static str,
) -> InputSpec {
    InputSpec {
        name,
        default,
        requirement,
        description,
        details: "",
        secret: false,
        fallbacks: &[],
    }
}

pub const INPUTS: &[InputSpec] = &[
    input(
        "command",
        Some("publish"),
        "",
        "what to do: publish, go-live, cancel, status, validate or wait",
    ),
    input(
        "publisher-id",
        None,
        "required except for wait and with api: ingestion",
        "publisher identifier, e.g. contoso: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters",
    ),
    input(
        "offer-id",
        None,
        "required except for wait",
        "offer identifier: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters",
    ),
    input(
        "notification-emails",
        None,
        "",
        "comma-separated addresses told when the publish ends (CPP, non-migrated offers)",
    ),
    InputSpec {
        // AzureCLI@2 sets the AZURESUBSCRIPTION_* names for a workload identity service
        // connection, and with addSpnToEnvironment also servicePrincipalId and tenantId.
        fallbacks: &["AZURE_TENANT_ID", "AZURESUBSCRIPTION_TENANT_ID", "tenantId"],
        ..input(
            "tenant-id",
            None,
            "",
            "Microsoft Entra tenant of the service principal: a GUID, or a domain like contoso.onmicrosoft.com",
        )
    },
    InputSpec {
        fallbacks: &[
            "AZURE_CLIENT_ID",
            "AZURESUBSCRIPTION_CLIENT_ID",
            "servicePrincipalId",
        ],
        ..input(
            "client-id",
            None,
            "",
            "application (client) ID of the service principal, a GUID",
        )
    },
    InputSpec {
        secret: true,
        fallbacks: &["AZURE_CLIENT_SECRET"],
        ..input(
            "client-secret",
            None,
            "",
            "secret: client secret of the service principal (client-credentials grant)",
        )
    },
    InputSpec {
        secret: true,
        ..input(
            "access-token",
            None,
            "",
            "secret: a ready bearer token for the API; when given, no token is requested",
        )
    },
    input(
        "auth",
        Some("auto"),
        "",
        "how to authenticate: auto, secret, token, github-oidc, azure-pipelines-oidc, gitlab-oidc or token-file",
    ),
    input(
        "oidc-audience",
        Some("api://AzureADTokenExchange"),
        "",
        "audience of the OIDC token exchanged for an Entra token (GitHub OIDC; the id_tokens aud in the GitLab component)",
    ),
    InputSpec {
        fallbacks: &["AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"],
        ..input(
            "service-connection-id",
            None,
            "",
            "Azure Pipelines service connection ID, for azure-pipelines-oidc",
        )
    },
    input(
        "oidc-token-variable",
        Some("GITLAB_OIDC_TOKEN"),
        "",
        "GitLab CI: the id_tokens variable holding the job's OIDC token, for gitlab-oidc",
    ),
    InputSpec {
        details: "The requests that start the operation are retried for at least a minute even when timeout is shorter; a status read still in flight at the limit is given up to 10s.",
        ..input(
            "timeout",
            Some("60m"),
            "",
            "how long to wait for the operation (90s, 45m, 2h, 1h30m, 2d; at most 7d); 0 = start and return at once",
        )
    },
    input(
        "poll-interval",
        Some("30s"),
        "",
        "pause between status requests; a longer Retry-After from the service wins; at least 1s against CPP and 10s against the ingestion API (shorter values are raised, except on loopback)",
    ),
    input(
        "wait-until",
        Some("complete"),
        "",
        "complete: until the operation ends; preview: succeed as soon as the preview is ready (go-live pending)",
    ),
    input(
        "on-timeout",
        Some("warn"),
        "",
        "warn (warning, exit 0) or fail (exit 3) when the time limit passes with the operation still running",
    ),
    input(
        "cancel-on-timeout",
        Some("false"),
        "",
        "true: ask the service to cancel the operation when the time limit passes",
    ),
    input(
        "cancel-on-interrupt",
        Some("false"),
        "",
        "true: ask the service to cancel the operation when the step is interrupted (SIGINT/SIGTERM), within 5s, after the outputs are written",
    ),
    input(
        "if-running",
        Some("attach"),
        "",
        "publish/go-live when an operation already runs: attach (wait on it), fail, or cancel-and-restart",
    ),
    input(
        "operation-url",
        None,
        "required for wait, and for cancel with api: ingestion",
        "operation to wait on, or to cancel with api: ingestion (the operation-url output of an earlier step); must be on the API origin",
    ),
    input(
        "api",
        Some("cpp"),
        "",
        "cpp (Cloud Partner Portal), ingestion (Partner Center product ingestion) or auto",
    ),
    input(
        "api-url",
        Some("https://cloudpartner.azure.com"),
        "",
        "Cloud Partner Portal API origin",
    ),
    input(
        "ingestion-url",
        Some("https://graph.microsoft.com/rp/product-ingestion"),
        "",
        "product ingestion API base URL",
    ),
    InputSpec {
        fallbacks: &["AZURE_AUTHORITY_HOST"],
        ..input(
            "authority-host",
            Some("https://login.microsoftonline.com"),
            "",
            "Microsoft Entra ID authority",
        )
    },
    input(
        "api-version",
        Some("2017-10-31"),
        "",
        "api-version query parameter of every CPP call",
    ),
    input(
        "ci",
        None,
        "",
        "CI system to report to: github, azure-pipelines, gitlab or plain (detected when unset)",
    ),
    input(
        "dotenv-file",
        Some("publish-offer.env"),
        "",
        "GitLab CI: dotenv report file the outputs are written to",
    ),
    input(
        "result-file",
        None,
        "",
        "write the full result as JSON to this file (any CI system)",
    ),
];

/// The README's inputs table, generated: the README holds exactly this (a test says so).
pub fn readme_table() -> String {
    let mut table = String::from("| input | default | meaning |\n|---|---|---|\n");
    for spec in INPUTS {
        let default = spec
            .default
            .map(|default| format!("`{default}`"))
            .unwrap_or_default();
        let mut meaning = spec.description.to_owned();
        if !spec.requirement.is_empty() {
            meaning.push_str(&format!(" ({})", spec.requirement));
        }
        if !spec.details.is_empty() {
            meaning.push_str(". ");
            meaning.push_str(spec.details);
        }
        table.push_str(&format!(
            "| `{}` | {default} | {} |\n",
            spec.name,
            meaning.replace('|', "\\|")
        ));
    }
    table
}

pub fn spec(name: &str) -> &'static InputSpec {
    INPUTS
        .iter()
        .find(|spec| spec.name == name)
        .unwrap_or_else(|| panic!("input '{name}' is not in the INPUTS table"))
}
