//! End-to-end tests: the real binary against the fake server on loopback. One test binary, as in
//! release-plz, so it links once.

// Test builders take `json!(...)` temporaries by value; references would only add noise.
#![allow(clippy::needless_pass_by_value)]

#[path = "../support/mod.rs"]
mod support;

mod ci_systems;
mod composite_action;
mod config_errors;
mod contract;
mod cross_runner;
mod federated;
mod gitlab_component;
mod lifecycle;
mod packaging;
mod publish;
mod redirects;
mod reliability;
mod reporting;
mod sandbox;
mod service_boundary;
mod sinks;
