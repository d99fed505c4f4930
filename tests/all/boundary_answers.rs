//! The service boundary, answers: hostile, echoed, oversized or malformed answers are bounded,
//! redacted and reported, and refusals name the call.

use crate::support::reference::*;
use crate::support::*;
use serde_json::json;

#[test]
fn cpp_refusals_name_the_call_the_status_and_the_service_message() {
    for (status, message) in [
        (400, "The request body is malformed."),
        (
            404,
            "The offer 'contoso-offer' of publisher 'contoso' was not found.",
        ),
        (
            422,
            "The offer failed validation: the plan contoso has no virtual machine image.",
        ),
    ] {
        let server = FakeServer::start();
        server.publish_answers(vec![answer(status, &format!("cpp/error-{status}.json"))]);
        let run = reference_cpp_step(&server).run();
        run.assert_code(1);
        assert_eq!(run.output("status"), "rejected", "{status}");
        let error = run.command_starting("::error title=publish offer::");
        assert!(error.contains(&status.to_string()), "{error}");
        assert!(error.contains(message), "{error}");
        // Refused: nothing was started, so nothing is followed or looked for.
        assert_eq!(
            server.requests().len(),
            2,
            "{status}: token and publish only"
        );
    }

    // 409 with if-running: fail is refused the same way.
    let server = FakeServer::start();
    server.publish_answers(vec![answer(409, "cpp/error-409.json")]);
    let run = reference_cpp_step(&server)
        .input("if-running", "fail")
        .run();
    run.assert_code(1);
    run.assert_output("status", "rejected");
    assert!(
        run.command_starting("::error title=publish offer::")
            .contains("An operation is already in progress for this offer."),
        "{}",
        run.dump()
    );
}

fn token_path() -> String {
    format!("/{TENANT}/oauth2/token")
}

#[test]
fn the_secret_echoed_form_encoded_by_the_token_endpoint_is_redacted() {
    let server = FakeServer::start();
    // The spellings the program itself puts on the wire: the form body (`~` as `%7E`), and the
    // same percent-encoded with lower-case hex, or with `%20` for spaces.
    let form: String = url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect();
    assert_ne!(
        form, CLIENT_SECRET,
        "the test secret must change when encoded"
    );
    let lower = form.replace("%7E", "%7e");
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            401,
            json!({
                "error": "invalid_client",
                "error_description": format!(
                    "AADSTS7000215: Invalid client secret provided. Received client_secret={form} (also {lower}, {CLIENT_SECRET})"
                ),
            }),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, &form, &lower]);
    run.assert_output("status", "error");
    let error = run.command_starting("::error title=get token from Microsoft Entra ID::");
    assert!(error.contains("AADSTS7000215"), "{}", run.dump());
    assert!(error.contains("client_secret=***"), "{}", run.dump());
    assert!(
        server
            .requests_to("POST", &offer_path("publish"))
            .is_empty()
    );
}

#[test]
fn a_token_too_short_to_be_real_is_a_malformed_answer_and_never_echoed() {
    let server = FakeServer::start();
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "tkn42"}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1)
        .assert_no_secret(&[CLIENT_SECRET, "tkn42"]);
    run.assert_output("status", "error");
    let error = run.command_starting("::error title=get token from Microsoft Entra ID::");
    assert!(error.contains("too short to be a token"), "{}", run.dump());
    // The authority's answer is final: asked once, and no API request carries the token.
    assert_eq!(server.requests_to("POST", &token_path()).len(), 1);
    assert!(
        server
            .requests_to("POST", &offer_path("publish"))
            .is_empty()
    );
    run.assert_stdout_lacks("::add-mask::tkn42");
}

#[test]
fn a_token_that_holds_a_line_break_is_refused_not_sent() {
    let server = FakeServer::start();
    let token = format!("{TOKEN_PREFIX}1\nX-Injected: yes");
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": token}),
        )],
    );
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_output("status", "error");
    run.assert_stdout_lacks("X-Injected");
    run.assert_stdout_lacks(format!("::add-mask::{TOKEN_PREFIX}"));
    assert!(
        server
            .requests_to("POST", &offer_path("publish"))
            .is_empty()
    );
}

#[test]
fn a_request_that_cannot_be_built_is_an_error_at_once_not_a_possible_publish() {
    let server = FakeServer::start();
    server.route(
        "GET",
        "/_apis/oidc/token",
        vec![Reply::json(200, json!({"value": "never-asked"}))],
    );
    let started = std::time::Instant::now();
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
        )
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "gh-request-token\nX-Injected: yes",
        )
        .run();
    run.assert_code(1);
    run.assert_output("status", "error");
    let error = run.command_starting("::error title=get GitHub Actions OIDC token::");
    assert!(
        error.contains("the request cannot be built"),
        "{}",
        run.dump()
    );
    assert!(error.contains("nothing was sent"), "{}", run.dump());
    run.assert_stdout_lacks("may have reached");
    run.assert_stderr_lacks("may have reached");
    assert!(
        !run.stdout
            .lines()
            .any(|line| line.starts_with("X-Injected")),
        "{}",
        run.dump()
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // Not retried, and no search for a running publish: done in far less than the minute a
    // search would take.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn an_answer_of_70000_steps_keeps_a_bounded_number_and_counts_the_rest() {
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    let one_step = r#"{"id":"s","stepName":"Step","status":"complete","messages":[{"messageHtml":"m","level":"warning"}]}"#;
    let complete = format!(
        r#"{{"status":"complete","steps":[{}]}}"#,
        vec![one_step; 70_000].join(",")
    );
    assert!(complete.len() < 8 * 1024 * 1024);
    server.operation_answers(vec![Reply::text(200, "application/json", &complete)]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    // 70,000 steps (each with a message) used to print a line each, and more; now a reading
    // keeps 1,000 steps and counts the other 69,000; the log and the summary list 100 and say
    // how many more there were.
    let lines = run.stdout.lines().count() + run.stderr.lines().count();
    assert!(lines < 1_000, "{lines} lines");
    run.assert_stdout_has("… 69900 more steps");
    run.assert_summary_has("69900 more steps are not listed");
    assert!(run.summary.len() < 200_000, "{} bytes", run.summary.len());
}

/// A token with a run of blanks (the authority may put spaces in one) echoed by the service is
/// printed on one line, blanks collapsed: that spelling is redacted too.
#[test]
fn a_token_with_a_run_of_blanks_echoed_by_the_service_is_redacted() {
    let token = "eyJ0eXAi  tok_with-a-run-of-blanks";
    let server = FakeServer::start();
    server.route(
        "POST",
        &token_path(),
        vec![Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": token}),
        )],
    );
    server.publish_answers(vec![Reply::json(
        400,
        json!({"error": {"code": "BadRequest", "message": format!("token {token} is bad")}}),
    )]);
    let run = step().github().against(&server).run();
    run.assert_code(1).assert_no_secret(&[
        CLIENT_SECRET,
        token,
        "eyJ0eXAi tok_with-a-run-of-blanks",
    ]);
    let error = run.command_starting("::error title=publish offer::");
    assert!(error.contains("token *** is bad"), "{}", run.dump());
}
