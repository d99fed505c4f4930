//! Command-line arguments. Settings come from the environment (that is how CI systems pass
//! them); the command line only asks for help, the version, or the sandbox.

use std::ffi::OsString;
use std::fmt::Write as _;

use crate::config::inputs::INPUTS;
use crate::report::Output;
use crate::sandbox::Scenario;

#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Run {
        sandbox: Option<Scenario>,
    },
    /// `--sandbox=list`: the scenarios.
    SandboxList,
    Help,
    Version,
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, String> {
    let mut invocation = Invocation::Run { sandbox: None };
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str() else {
            return Err(format!("unexpected argument {arg:?}: see --help"));
        };
        invocation = match arg {
            "-h" | "--help" => return Ok(Invocation::Help),
            "-V" | "--version" => return Ok(Invocation::Version),
            "--sandbox" => {
                // `--sandbox failed`: the scenario belongs after an `=`, as in cargo's `--color=`.
                if let Some(name) = args
                    .peek()
                    .and_then(|next| next.to_str())
                    .filter(|next| *next == "list" || Scenario::parse(next).is_some())
                {
                    return Err(format!(
                        "unexpected argument '{name}': to choose a sandbox scenario, write \
                         --sandbox={name}"
                    ));
                }
                Invocation::Run {
                    sandbox: Some(Scenario::Succeeded),
                }
            }
            _ => match arg.strip_prefix("--sandbox=") {
                Some("list") => return Ok(Invocation::SandboxList),
                Some(name) => Invocation::Run {
                    sandbox: Some(Scenario::parse(name).ok_or_else(|| {
                        format!(
                            "unknown sandbox scenario '{}': use one of {} (--sandbox=list \
                             describes them)",
                            name.escape_debug(),
                            Scenario::NAMES.join(", ")
                        )
                    })?),
                },
                None => {
                    return Err(format!(
                        "unexpected argument '{}': settings are read from the environment \
                         (INPUT_<NAME> or MARKETPLACE_<NAME>); see --help",
                        arg.escape_debug()
                    ));
                }
            },
        };
    }
    Ok(invocation)
}

pub fn version() -> String {
    format!("publish-offer {}", env!("CARGO_PKG_VERSION"))
}

/// `--help`: every input with its variables and default, the commands, outputs and exit codes.
pub fn help() -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}\n\
         Publishes an Azure Marketplace offer (Cloud Partner Portal or Partner Center product\n\
         ingestion API), waits for the operation, and reports the outcome to the CI system.\n\n\
         USAGE:\n\
         \x20 publish-offer                       run with the inputs found in the environment\n\
         \x20 publish-offer --sandbox[=SCENARIO]  run any command against a simulated service on\n\
         \x20                                     loopback; no credentials or network needed.\n\
         \x20                                     SCENARIO: {} (--sandbox=list)\n\
         \x20 publish-offer --help | --version\n\n\
         Inputs are read from the environment: INPUT_<NAME> as GitHub Actions writes it\n\
         (INPUT_PUBLISHER-ID; INPUT_PUBLISHER_ID also works), then MARKETPLACE_<NAME>\n\
         (MARKETPLACE_PUBLISHER_ID), then for credentials the standard AZURE_* variables and\n\
         those AzureCLI@2 sets (AZURESUBSCRIPTION_*, servicePrincipalId, tenantId).\n\
         Values are trimmed; an empty value counts as unset.\n\n\
         COMMANDS (input command):\n\
         \x20 publish   start a publish and wait for it      needs publisher-id, offer-id, credentials\n\
         \x20 update    put an image version into a plan's draft needs plan-id, image-version, image-source\n\
         \x20           (publish with them: the same change first, then the publish)\n\
         \x20 go-live   go live once the preview is ready      needs publisher-id, offer-id, credentials\n\
         \x20 cancel    cancel the running operation           needs publisher-id, offer-id, credentials\n\
         \x20 status    report the offer's state (exit 0)      needs publisher-id, offer-id, credentials\n\
         \x20 validate  check credentials and offer, no change needs publisher-id, offer-id, credentials\n\
         \x20 wait      resume waiting on an operation         needs operation-url, credentials\n\
         \x20 (publisher-id is not needed with api: ingestion; cancel with api: ingestion needs operation-url)\n\n\
         CREDENTIALS (input auth, default auto: the first configured wins):\n\
         \x20 access-token > client-secret (+ tenant-id, client-id) > AZURE_FEDERATED_TOKEN_FILE >\n\
         \x20 GitHub OIDC (permissions: id-token: write) > Azure Pipelines OIDC (AzureCLI@2's idToken,\n\
         \x20 or service-connection-id + SYSTEM_ACCESSTOKEN) > GitLab OIDC (GITLAB_CI and the\n\
         \x20 oidc-token-variable set by id_tokens:)\n\n\
         INPUTS:",
        version(),
        Scenario::NAMES.join(", ")
    );
    for spec in INPUTS {
        let mut head = format!("  {:<22}", spec.name);
        let mut notes = Vec::new();
        if !spec.requirement.is_empty() {
            notes.push(spec.requirement.to_owned());
        }
        if let Some(default) = spec.default {
            notes.push(format!("default {default}"));
        }
        head.push_str(&notes.join("; "));
        let _ = writeln!(text, "{}", head.trim_end());
        let _ = writeln!(text, "      {}", spec.description);
        if !spec.details.is_empty() {
            let _ = writeln!(text, "      {}", spec.details);
        }
        let _ = writeln!(text, "      {}", spec.variable_names().join(", "));
    }
    let _ = writeln!(
        text,
        "\nOUTPUTS (GitHub names; Azure Pipelines uses operation_id, GitLab PUBLISH_OFFER_OPERATION_ID):"
    );
    for output in Output::ALL {
        let _ = writeln!(text, "  {:<16}{}", output.name(), output.description());
    }
    let _ = write!(
        text,
        "\nEXIT CODES:\n\
         \x20 0    succeeded, preview-ready, not-started, or running (timeout 0, or time limit with on-timeout: warn)\n\
         \x20 1    failed, canceled, rejected, error, unknown\n\
         \x20 2    invalid-input: a configuration error; no request was sent\n\
         \x20 3    running after the time limit with on-timeout: fail\n\
         \x20 130  interrupted by SIGINT; 143 interrupted by SIGTERM\n\n\
         Logs go to stderr; RUST_LOG sets the level (default info, debug when RUNNER_DEBUG=1).\n"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn flags() {
        assert_eq!(parse(args(&[])), Ok(Invocation::Run { sandbox: None }));
        assert_eq!(parse(args(&["--version"])), Ok(Invocation::Version));
        assert_eq!(parse(args(&["--sandbox", "--help"])), Ok(Invocation::Help));
        assert_eq!(
            parse(args(&["--sandbox=failed"])),
            Ok(Invocation::Run {
                sandbox: Some(Scenario::Failed)
            })
        );
        assert!(parse(args(&["--sandbox=nope"])).is_err());
        assert_eq!(
            parse(args(&["--sandbox=list"])),
            Ok(Invocation::SandboxList)
        );
        let spaced = parse(args(&["--sandbox", "failed"])).expect_err("a scenario after a space");
        assert!(spaced.contains("--sandbox=failed"), "{spaced}");
        assert!(parse(args(&["--offer-id=x"])).is_err());
    }

    #[test]
    fn help_lists_every_input_and_its_variables() {
        let help = help();
        for spec in INPUTS {
            for name in spec.variable_names() {
                assert!(help.contains(&name), "{name} missing from --help");
            }
        }
    }
}
