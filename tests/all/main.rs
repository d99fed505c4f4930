//! End-to-end tests: the real binary against the fake server on loopback. One test binary, as in
//! release-plz, so it links once.

// Test builders take `json!(...)` temporaries by value; references would only add noise.
#![allow(clippy::needless_pass_by_value)]

#[path = "../support/mod.rs"]
mod support;

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
mod ci_systems;
mod config_errors;
mod gitlab_component;
mod go_live;
mod interrupt;
mod packaging;
mod publish;
mod publish_ingestion;
mod release;
mod reporting;
mod retries;
mod sandbox;
mod sinks;
mod status;
mod wait;
