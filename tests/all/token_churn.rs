//! An authority that hands out a fresh short-lived token on every call: the run must not follow
//! it into a token request, a new secret and a mask command per poll (output and memory without
//! bound over a long wait).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::support::*;

/// The token endpoint: a new token each call, living `expires_in` seconds (as Entra spells it,
/// a string). Returns the count of tokens issued.
fn churning_tokens(server: &FakeServer, expires_in: &'static str) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("POST", &format!("/{TENANT}/oauth2/token"), move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": expires_in,
                   "access_token": format!("{TOKEN_PREFIX}churn-{n:05}")}),
        )
    });
    issued
}

/// A run that polls a running operation until its time limit.
fn long_wait(server: &FakeServer) {
    server.publish_accepted().operation(vec![running()]);
}

#[test]
fn a_token_living_under_a_minute_is_a_malformed_answer() {
    for expires_in in ["0", "1", "59"] {
        let server = FakeServer::start();
        let issued = churning_tokens(&server, expires_in);
        long_wait(&server);
        let run = step()
            .github()
            .against(&server)
            .input("timeout", "3s")
            .run();
        run.assert_code(1)
            .assert_stdout_has("under the 60 s any token lives; it is not used")
            .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
        run.assert_output("status", "error");
        // Asked once, never used: no publish sent with it.
        assert_eq!(issued.load(Ordering::SeqCst), 1, "{}", run.dump());
        assert!(
            server
                .requests_to("POST", &offer_path("publish"))
                .is_empty()
        );
    }
}

/// Every duration shrunk by 300 (the debug build's `PUBLISH_OFFER_TEST_TIME_SCALE`, as in
/// bench/token-churn): tokens of 1 s play 5-minute tokens, renewed every 0.5 s (2.5 minutes),
/// over 18 s (an hour and a half). Each token is masked at most once, and once 32 have been
/// seen the log says the oldest are forgotten.
#[test]
fn each_token_is_masked_once_and_the_registry_stops_at_its_limit() {
    let server = FakeServer::start();
    let issued = churning_tokens(&server, "1");
    long_wait(&server);
    let run = step()
        .github()
        .against(&server)
        .env("PUBLISH_OFFER_TEST_TIME_SCALE", "300")
        .input("timeout", "18s")
        .run();
    let masks: Vec<&str> = run
        .commands()
        .into_iter()
        .filter(|line| line.starts_with(&format!("::add-mask::{TOKEN_PREFIX}")))
        .collect();
    let issued = issued.load(Ordering::SeqCst);
    let polls = server.requests_to("GET", &operation_path()).len();
    let context = format!("{issued} tokens, {polls} polls\n{}", run.dump());
    let mut distinct = masks.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        masks.len(),
        "a token masked twice: {context}"
    );
    // An early refresh is given no time of its own, so an answer may arrive too late to be
    // used; and a token is masked when the next line is written, if it is still held (one
    // forgotten before that has expired and is never printed). So: at most one mask a token,
    // and at least the 32 held at the end.
    assert!(masks.len() <= issued && masks.len() >= 32, "{context}");
    assert!(issued < polls, "{context}");
    run.assert_stderr_has("32 tokens obtained during this run");
}

/// A first token that serves, then answers too short-lived to use on every early refresh (each
/// poll past the token's half-life, until it expires): a token never used is never masked, and
/// it never pushes the one in use out of the registry. Durations shrunk by 60: the first token
/// plays 10 minutes, refreshed from minute 5; polls every 100 ms play every 6 s.
#[test]
fn a_token_too_short_to_use_is_not_masked_nor_counted() {
    let server = FakeServer::start();
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    server.route_fn("POST", &format!("/{TENANT}/oauth2/token"), move |_, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let expires_in = if n == 1 { "10" } else { "0" };
        Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": expires_in,
                   "access_token": format!("{TOKEN_PREFIX}short-{n:05}")}),
        )
    });
    long_wait(&server);
    let run = step()
        .github()
        .against(&server)
        .env("PUBLISH_OFFER_TEST_TIME_SCALE", "60")
        .input("timeout", "9s")
        .run();
    let masks: Vec<&str> = run
        .commands()
        .into_iter()
        .filter(|line| line.starts_with(&format!("::add-mask::{TOKEN_PREFIX}")))
        .collect();
    let issued = issued.load(Ordering::SeqCst);
    let context = format!("{issued} tokens, masks {masks:?}\n{}", run.dump());
    assert!(issued > 33, "{context}");
    assert_eq!(
        masks,
        vec![format!("::add-mask::{TOKEN_PREFIX}short-00001")],
        "{context}"
    );
    assert!(
        !run.stderr.contains("tokens obtained during this run"),
        "{context}"
    );
}
