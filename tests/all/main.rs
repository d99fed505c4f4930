//! End-to-end tests: the real binary against the fake server on loopback. One test binary, as in
//! release-plz, so it links once.

// Test builders take `json!(...)` temporaries by value; references would only add noise.
#![allow(clippy::needless_pass_by_value)]

#[path = "../support/mod.rs"]
mod support;

mod action_install;
mod ci_jobs;
mod ci_systems;
mod component_docs;
mod composite_action;
mod config_errors;
mod contract;
mod example_limits;
mod federated;
mod gitlab_component;
mod install_recipe;
mod lifecycle;
mod long_publish_costs;
mod packaging;
mod publish;
mod reliability;
mod reporting;
mod sandbox;
mod service_boundary;
mod sinks;
