//! publish-offer: publishes an Azure Marketplace offer from a CI step, waits for the operation
//! truthfully, and reports it the way the CI system expects.
//!
//! The story in folders: [`environment`] is what the process was started with, read once (and
//! the CI system it runs in); [`config`] reads and validates every input once; [`transport`] sends
//! HTTP requests and retries them; [`auth`] gets tokens; [`api`] talks to the services; [`draft`]
//! is the pure change of an offer's draft (a new VM image version in a plan) before a publish;
//! [`wait`] follows an operation; [`commands`] put those together; [`report`] tells the CI
//! system; [`outcome`] is the table of results and exit codes.

pub mod api;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod descriptors;
pub mod draft;
pub mod environment;
pub mod interrupt;
pub mod logging;
pub mod outcome;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod secret;
pub mod terminal;
pub mod text;
pub mod transport;
pub mod wait;
