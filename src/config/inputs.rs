//! The one list of inputs, one entry each, as ripgrep keeps each flag in one place: names (the
//! variables follow from the name), kind, choices, default, help. `--help`, the README table,
//! the environment reader and the checks read it from here, and the tests keep `action.yml`
//! and the GitLab component in step with it. Adding an input is one entry here plus the code
//! that uses the value.
//!
//! A default is written once, as a user would write it, and read by the same rule as a value:
//! that is what makes it typed (the test of the defaults parses every one).

use super::{ApiChoice, Auth, Command, IfRunning};
use crate::environment::CiSystem;
use crate::outcome::OnTimeout;
use crate::wait::WaitUntil;

/// What an input's value is, and so which rule checks it (and its default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text with a rule of its own (ids, GUIDs, addresses, a version).
    Text,
    /// A publisher or offer id: [`crate::api::is_identifier`].
    Identifier,
    /// One of these names, in any case (`true` and `false` for a switch).
    Choice(&'static [&'static str]),
    /// `90s`, `45m`, `1h30m`: [`super::duration::parse_duration`].
    Duration,
    Url,
    /// A file the run writes.
    Path,
}

/// The names of a choice table (`WaitUntil::ALL`), so that the names are written once, on
/// the enum they name.
pub const fn names<T: Copy, const N: usize>(all: &[(&'static str, T); N]) -> [&'static str; N] {
    let mut names = [""; N];
    let mut index = 0;
    while index < N {
        names[index] = all[index].0;
        index += 1;
    }
    names
}

const COMMANDS: [&str; 7] = names(&Command::ALL);
const APIS: [&str; 3] = names(&ApiChoice::ALL);
const WAIT_UNTIL: [&str; 2] = names(&WaitUntil::ALL);
const ON_TIMEOUT: [&str; 2] = names(&OnTimeout::ALL);
const IF_RUNNING: [&str; 3] = names(&IfRunning::ALL);
const CI_SYSTEMS: [&str; 4] = names(&CiSystem::ALL);
const AUTH: [&str; 7] = names(&Auth::ALL);
/// The names a switch (`cancel-on-timeout`) takes.
pub const BOOLEAN: [(&str, bool); 2] = [("true", true), ("false", false)];
const SWITCH: [&str; 2] = names(&BOOLEAN);

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
    pub kind: Kind,
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
        kind: Kind::Text,
    }
}

pub const INPUTS: &[InputSpec] = &[
    InputSpec {
        kind: Kind::Choice(&COMMANDS),
        ..input(
            "command",
            Some("publish"),
            "",
            "what to do: publish, update (change the draft and stop), go-live, cancel, status, validate or wait",
        )
    },
    InputSpec {
        kind: Kind::Identifier,
        ..input(
            "publisher-id",
            None,
            "required except for wait and with api: ingestion",
            "publisher identifier, e.g. contoso: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters",
        )
    },
    InputSpec {
        kind: Kind::Identifier,
        ..input(
            "offer-id",
            None,
            "required except for wait",
            "offer identifier: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters",
        )
    },
    input(
        "plan-id",
        None,
        "required with image-version",
        "the plan whose image versions change, as the publisher named it (CPP planId; ingestion: the plan's externalId)",
    ),
    input(
        "image-version",
        None,
        "with image-source: update, or publish after changing the draft",
        "image version to put into the plan's draft: X.Y.Z, three numbers of digits (e.g. 2026.12.6)",
    ),
    InputSpec {
        details: "Each SOURCE is an https SAS URI of a VHD (with its sig=) or an Azure Compute Gallery image version id (/subscriptions/S/resourceGroups/R/providers/Microsoft.Compute/galleries/G/images/I/versions/V). SAS URIs are masked and redacted from the moment they are read; logs name them by account/container/blob.",
        ..input(
            "image-source",
            None,
            "required with image-version",
            "the OS disk of the new version, one line per image type: SOURCE, or IMAGE_TYPE=SOURCE (x64Gen1, x64Gen2, arm64Gen2, ...) when the plan has several",
        )
    },
    input(
        "gallery-tenant-id",
        None,
        "",
        "tenant (GUID) owning the Azure Compute Gallery of gallery sources; defaults to tenant-id",
    ),
    input(
        "deprecate-image-versions",
        None,
        "",
        "ingestion only: earlier versions of the plan to deprecate in the same change, separated by commas or lines",
    ),
    input(
        "deprecation-reason",
        None,
        "",
        "ingestion: the deprecation schedule's reason for deprecate-image-versions: criticalSecurityIssue, endOfSupport or other",
    ),
    input(
        "deprecation-date-offset",
        None,
        "",
        "ingestion: when deprecated versions stop being offered, as an ISO 8601 duration (P90D, P3M)",
    ),
    input(
        "ingestion-configure-schema",
        Some(crate::draft::schema::DEFAULT_CONFIGURE_VERSION),
        "",
        "ingestion: schema version of the configure request that changes the draft (schema.mp.microsoft.com/schema/configure/VERSION); set it when the service says a schema could not be accessed",
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
    InputSpec {
        kind: Kind::Choice(&AUTH),
        ..input(
            "auth",
            Some("auto"),
            "",
            "how to authenticate: auto, secret, token, github-oidc, azure-pipelines-oidc, gitlab-oidc or token-file",
        )
    },
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
        kind: Kind::Duration,
        details: "The requests that start the operation are retried for at least a minute even when timeout is shorter; a status read still in flight at the limit is given up to 10s.",
        ..input(
            "timeout",
            Some("60m"),
            "",
            "how long to wait for the operation (90s, 45m, 2h, 1h30m, 2d; at most 7d); 0 = start and return at once",
        )
    },
    InputSpec {
        kind: Kind::Duration,
        ..input(
            "poll-interval",
            Some("30s"),
            "",
            "pause between status requests; a longer Retry-After from the service wins; at least 1s against CPP and 10s against the ingestion API (shorter values are raised, except on loopback)",
        )
    },
    InputSpec {
        kind: Kind::Choice(&WAIT_UNTIL),
        ..input(
            "wait-until",
            Some("complete"),
            "",
            "complete: until the operation ends; preview: succeed as soon as the preview is ready (go-live pending)",
        )
    },
    InputSpec {
        kind: Kind::Choice(&ON_TIMEOUT),
        ..input(
            "on-timeout",
            Some("warn"),
            "",
            "warn (warning, exit 0) or fail (exit 3) when the time limit passes with the operation still running",
        )
    },
    InputSpec {
        kind: Kind::Choice(&SWITCH),
        ..input(
            "cancel-on-timeout",
            Some("false"),
            "",
            "true: ask the service to cancel the operation when the time limit passes",
        )
    },
    InputSpec {
        kind: Kind::Choice(&SWITCH),
        ..input(
            "cancel-on-interrupt",
            Some("false"),
            "",
            "true: ask the service to cancel the operation when the step is interrupted (SIGINT/SIGTERM), within 5s, after the outputs are written",
        )
    },
    InputSpec {
        kind: Kind::Choice(&IF_RUNNING),
        ..input(
            "if-running",
            Some("attach"),
            "",
            "publish/go-live when an operation already runs: attach (wait on it), fail, or cancel-and-restart",
        )
    },
    InputSpec {
        kind: Kind::Url,
        ..input(
            "operation-url",
            None,
            "required for wait, and for cancel with api: ingestion",
            "operation to wait on, or to cancel with api: ingestion (the operation-url output of an earlier step); must be on the API origin",
        )
    },
    InputSpec {
        kind: Kind::Choice(&APIS),
        ..input(
            "api",
            Some("cpp"),
            "",
            "cpp (Cloud Partner Portal), ingestion (Partner Center product ingestion) or auto",
        )
    },
    InputSpec {
        kind: Kind::Url,
        ..input(
            "api-url",
            Some("https://cloudpartner.azure.com"),
            "",
            "Cloud Partner Portal API origin",
        )
    },
    InputSpec {
        kind: Kind::Url,
        ..input(
            "ingestion-url",
            Some("https://graph.microsoft.com/rp/product-ingestion"),
            "",
            "product ingestion API base URL",
        )
    },
    InputSpec {
        kind: Kind::Url,
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
    InputSpec {
        kind: Kind::Choice(&CI_SYSTEMS),
        ..input(
            "ci",
            None,
            "",
            "CI system to report to: github, azure-pipelines, gitlab or plain (detected when unset)",
        )
    },
    InputSpec {
        kind: Kind::Path,
        ..input(
            "dotenv-file",
            Some("publish-offer.env"),
            "",
            "GitLab CI: dotenv report file the outputs are written to",
        )
    },
    InputSpec {
        kind: Kind::Path,
        ..input(
            "result-file",
            None,
            "",
            "write the full result as JSON to this file (any CI system)",
        )
    },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every choice input's default is one of its names, and its description names them all.
    #[test]
    fn choices_are_described_and_defaults_are_choices() {
        for spec in INPUTS {
            let Kind::Choice(names) = spec.kind else {
                continue;
            };
            if let Some(default) = spec.default {
                assert!(names.contains(&default), "{}: default {default}", spec.name);
            }
            if names != SWITCH {
                for name in names {
                    assert!(spec.description.contains(name), "{}: {name}", spec.name);
                }
            }
        }
    }

    #[test]
    fn every_input_has_one_entry() {
        for (index, spec) in INPUTS.iter().enumerate() {
            assert!(
                INPUTS[index + 1..]
                    .iter()
                    .all(|other| other.name != spec.name),
                "{} twice",
                spec.name
            );
        }
    }
}
