//! End-to-end tests: the real binary against the fake server on loopback. One test binary, as in
//! release-plz, so it links once.
//!
//! One file a feature; a new test goes where a reader of that feature would look for it:
//!
//! | file | what it checks |
//! | --- | --- |
//! | `publish` | the publish flow on the CPP API: token, publish, wait, outcome, exit code |
//! | `publish_ingestion` | publish on the product ingestion API, and `api: auto` |
//! | `attach` | a publish refused or lost while one runs attaches instead of publishing again |
//! | `go_live`, `cancel`, `status`, `wait` | those commands (and cancel-on-timeout, if-running) on both APIs |
//! | `retries`, `interrupt` | transient failures and their pacing; signals; the HTTPS proxy |
//! | `trace` | the debug trace of each request: the service's ids, never a secret |
//! | `auth_secret`, `auth_github`, `auth_azure`, `auth_gitlab`, `auth_federated` | authentication, one file a way to get a token |
//! | `token_churn` | an authority handing out short-lived tokens: the floor, one mask a token, the registry's bound |
//! | `boundary_locations`, `boundary_answers` | hostile URLs and hostile answers from the service |
//! | `config_errors` | bad input: named, exit 2, no request sent |
//! | `ci_systems`, `reporting`, `sinks` | output per CI system (snapshots), what reaches it, and the sinks' failures |
//! | `starved`, `disk_full` | a runner short of file descriptors or disk space: the status still reaches the outputs, and a cut write is never read as a value |
//! | `ship_image_cpp` | the image inputs on CPP: a version put into a plan's draft (ETag, 412, read-back), then published |
//! | `sandbox` | the credential-free sandbox |
//! | `ship_image_ingestion` | a new VM image version put into a plan's draft on the product ingestion API, then published |
//! | `action_install`, `action_run_step`, `gitlab_component`, `packaging`, `release` | the action, the GitLab component, the README tables and the release |
//!
//! A test against the services' documented answers (`tests/fixtures/`, served through
//! `support::reference`) lives with its feature too, named `cpp_...`, `ingestion_...` or `entra_...`.
//! A test reads as its scenario: build the fake service with the helpers in `support/scenario.rs`
//! (`server.tokens().publish_accepted().operation(..)`), run with `step().github().against(&server)`,
//! and assert with `run.assert_code(..)`, `run.assert_stdout_has(..)`, which print the run on
//! failure. Keep each file under 600 lines: split by feature, not by kind of test.

// Test builders take `json!(...)` temporaries by value; references would only add noise.
#![allow(clippy::needless_pass_by_value)]

#[path = "../support/mod.rs"]
mod support;

mod action_hardening;
mod action_install;
mod action_run_step;
mod attach;
mod auth_azure;
mod auth_federated;
mod auth_github;
mod auth_gitlab;
mod auth_secret;
mod boundary_answers;
mod boundary_locations;
mod cancel;
mod ci_jobs;
mod ci_systems;
mod component_docs;
mod config_errors;
mod cross_runner;
mod disk_full;
mod docs;
mod example_limits;
mod gitlab_component;
mod go_live;
mod ingestion_lists;
mod install_recipe;
mod interrupt;
mod long_publish_costs;
mod packaging;
mod publish;
mod publish_ingestion;
mod redirects;
mod release;
mod reporting;
mod retries;
mod sandbox;
mod ship_image_cpp;
mod ship_image_ingestion;
mod sinks;
mod starved;
mod status;
mod token_churn;
mod trace;
mod wait;
