//! publish-offer: publishes an Azure Marketplace offer from a CI step, waits for the operation
//! truthfully, and reports it the way the CI system expects.
//!
//! The story in folders: [`config`] reads and validates every input once; [`transport`] sends
//! HTTP requests and retries them; [`auth`] gets tokens; [`api`] talks to the services; [`wait`] follows an operation; [`commands`] put those together;
//! [`report`] tells the CI system; [`outcome`] is the table of results and exit codes.

pub mod api;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod descriptors;
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
pub mod value_kind;
pub mod wait;
