//! The service boundary, URLs: every Location and Operation-Location the service sends is rebuilt
//! from the offer's own ids or refused, never followed to another origin or offer.

use crate::support::*;
use serde_json::json;

#[test]
fn location_on_another_origin_is_refused_and_gets_no_token() {
    let elsewhere = FakeServer::start();
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::empty(202).header(
        "Location",
        &format!(
            "{}/api/operations/x?api-version=2017-10-31",
            elsewhere.url()
        ),
    )]);
    serve_nothing_running(&server);
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_output("status", "error");
    assert!(
        elsewhere.requests().is_empty(),
        "the other origin was contacted"
    );
    let error = run.command_starting("::error title=publish offer::");
    assert!(
        error.contains("refused to send the token to") && error.contains(&elsewhere.url()),
        "{}",
        run.dump()
    );
}

#[test]
fn redirects_to_another_origin_are_not_followed() {
    let elsewhere = FakeServer::start();
    let server = FakeServer::start();
    server.tokens();
    serve_publish(&server, vec![]);
    server.operation_answers(vec![
        Reply::empty(307).header("Location", &format!("{}/steal", elsewhere.url())),
    ]);
    let run = step().github().against(&server).run();
    run.assert_code(1);
    assert!(
        elsewhere.requests().is_empty(),
        "followed a redirect to another origin"
    );
    assert!(
        run.command_starting("::error title=get operation status::")
            .contains("redirected to http://127.0.0.1:"),
        "{}",
        run.dump()
    );
}

/// A recorded answer under tests/fixtures/cpp (status line, headers, blank line, body), served as
/// the fake's reply. A documented absolute URL on the real service is moved to the fake's origin.
fn cpp_fixture(name: &str, server: &FakeServer) -> Reply {
    let path = format!("{}/tests/fixtures/cpp/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let text = text.replace("https://cloudpartner.azure.com", &server.url());
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let mut reply = Reply::Respond {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    };
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        reply = reply.header(name.trim(), value.trim());
    }
    reply
}

const NON_MIGRATED_PATH: &str = "/api/operations/contoso$contoso-offer$2$preview";

fn complete_operation() -> serde_json::Value {
    operation(
        "complete",
        json!([cpp_step("cert", "Certification", "complete", 100)]),
    )
}

#[test]
fn publish_follows_both_documented_location_shapes() {
    for (fixture, path, id) in [
        (
            "publish-202-location-migrated.http",
            operation_path(),
            OPERATION_ID,
        ),
        (
            "publish-202-location-non-migrated.http",
            NON_MIGRATED_PATH.to_owned(),
            "contoso$contoso-offer$2$preview",
        ),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.publish_answers(vec![cpp_fixture(fixture, &server)]);
        server.route("GET", &path, vec![Reply::json(200, complete_operation())]);
        let run = step().github().against(&server).run();
        run.assert_code(0);
        assert_eq!(run.output("status"), "succeeded", "{fixture}");
        assert_eq!(run.output("operation-id"), id, "{fixture}");
        assert_eq!(
            run.output("operation-url"),
            format!("{}{path}?api-version=2017-10-31", server.url()),
            "{fixture}"
        );
        let polls = server.requests_to("GET", &path);
        assert_eq!(polls.len(), 1, "{fixture}\n{}", run.dump());
        assert_eq!(polls[0].query, "api-version=2017-10-31");
        assert_no_unexpected(&server);
    }
}

#[test]
fn go_live_and_cancel_follow_an_operation_location() {
    for (command, fixture, tail) in [
        ("go-live", "golive-202-operation-location.http", "golive"),
        ("cancel", "cancel-202-operation-location.http", "cancel"),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.offer_status(json!({"status": "WaitingForPublisherReview", "steps": []}));
        server.route(
            "POST",
            &offer_path(tail),
            vec![cpp_fixture(fixture, &server)],
        );
        let last = if command == "cancel" {
            "canceled"
        } else {
            "complete"
        };
        server.operation(vec![
            operation("running", json!([])),
            operation(last, json!([])),
        ]);
        let run = step()
            .github()
            .against(&server)
            .input("command", command)
            .run();
        run.assert_code(0);
        assert_eq!(
            run.output("status"),
            "succeeded",
            "{command}\n{}",
            run.dump()
        );
        assert_eq!(run.output("operation-id"), OPERATION_ID, "{command}");
        // Followed, not attached through the offer status.
        assert_eq!(
            server.requests_to("GET", &operation_path()).len(),
            2,
            "{command}\n{}",
            run.dump()
        );
        run.assert_output("attached", "false");
    }
}

#[test]
fn location_wins_over_operation_location() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![
        Reply::empty(202)
            .header(
                "Operation-Location",
                &format!(
                    "{}/api/operations/contoso$contoso-offer$9$preview",
                    server.url()
                ),
            )
            .header(
                "Location",
                &format!("{}?api-version=2017-10-31", operation_path()),
            ),
    ]);
    server.operation(vec![complete_operation()]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("operation-id", OPERATION_ID);
    assert_no_unexpected(&server);
}

#[test]
fn a_hostile_location_is_rebuilt_not_passed_through() {
    let server = FakeServer::start();
    server.tokens();
    // Query, fragment and userinfo a later `run:` step would execute or a table would split on.
    let origin = server.url().replace("http://", "http://user:pw@");
    let location = format!(
        "{origin}{}?api-version=2017-10-31&x=$(touch%20pwned)&y=`id`&z='|'{{}}#frag$(id)",
        operation_path()
    );
    server.publish_answers(vec![Reply::empty(202).header("Location", &location)]);
    server.operation(vec![complete_operation()]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    let url = run.output("operation-url");
    assert_eq!(
        url,
        format!(
            "{}{}?api-version=2017-10-31",
            server.url(),
            operation_path()
        )
    );
    let polls = server.requests_to("GET", &operation_path());
    assert_eq!(polls[0].query, "api-version=2017-10-31");
    for forbidden in ["$(", "`", "'", "|", "{", "#", "pw@"] {
        assert!(
            !run.outputs_raw.contains(forbidden),
            "{forbidden}\n{}",
            run.dump()
        );
    }
    // The summary has backticks and bars of its own; none of the service's got in.
    for forbidden in ["$(", "touch", "'", "{", "frag", "pw@"] {
        assert!(
            !run.summary.contains(forbidden),
            "{forbidden}\n{}",
            run.summary
        );
    }
}

#[test]
fn a_location_of_no_known_shape_is_accepted_without_a_followable_location() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::empty(202).header(
        "Location",
        "/api/publishers/contoso/offers/contoso-offer/operations/x/extra?api-version=1",
    )]);
    serve_running_operation(&server);
    server.operation(vec![complete_operation()]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("attached", "true");
    run.assert_stderr_has("names no operation to follow");
    assert_eq!(server.requests_to("POST", &offer_path("publish")).len(), 1);
}

#[test]
fn wait_rebuilds_its_operation_url_and_refuses_one_of_no_known_shape() {
    let server = FakeServer::start();
    server.tokens();
    server.route(
        "GET",
        NON_MIGRATED_PATH,
        vec![Reply::json(200, complete_operation())],
    );
    let given = format!(
        "{}{NON_MIGRATED_PATH}?api-version=2017-10-31&extra=$(id)",
        server.url()
    );
    let run = step()
        .github()
        .against(&server)
        .input("command", "wait")
        .input("operation-url", &given)
        .run();
    run.assert_code(0);
    run.assert_output(
        "operation-url",
        format!("{}{NON_MIGRATED_PATH}?api-version=2017-10-31", server.url()),
    );
    assert_eq!(
        server.requests_to("GET", NON_MIGRATED_PATH)[0].query,
        "api-version=2017-10-31"
    );

    let server = FakeServer::start();
    server.tokens();
    let run = step()
        .github()
        .against(&server)
        .input("command", "wait")
        .input(
            "operation-url",
            &format!("{}/api/other/thing", server.url()),
        )
        .run();
    run.assert_code(2);
    run.assert_output("status", "invalid-input");
    let error = run.command_starting("::error title=invalid input::");
    assert!(error.contains("operation-url"), "{}", run.dump());
    assert!(error.contains("names no operation"), "{}", run.dump());
    assert!(
        server.requests_to("GET", "/api/").is_empty(),
        "{:?}",
        server.requests()
    );
}

#[test]
fn a_running_operation_listed_with_a_link_of_no_known_shape_is_skipped() {
    let server = FakeServer::start();
    server.tokens();
    server.publish_answers(vec![Reply::json(
        409,
        json!({"error": {"code": "Conflict", "message": "An operation is already in progress"}}),
    )]);
    server.running_operations(vec![Reply::json(
        200,
        json!([
            {"status": "running", "operationUrl": "/api/operations/x'$(id)"},
            {"status": "running", "operationUrl": "https://elsewhere.example/api/operations/a$b"},
            {"id": OPERATION_ID, "status": "running"},
        ]),
    )]);
    server.operation(vec![complete_operation()]);
    let run = step().github().against(&server).run();
    run.assert_code(0);
    run.assert_output("attached", "true");
    run.assert_output("operation-id", OPERATION_ID);
    run.assert_outputs_lacks("$(id)");
    assert!(
        server
            .requests()
            .iter()
            .all(|request| !request.path.contains("x'")),
        "{:?}",
        server.requests()
    );
}

/// A Location on the API but naming another offer's operation (either shape) is not followed:
/// the run would report that offer's outcome, and hand on its URL, as this one's.
#[test]
fn a_location_naming_another_offers_operation_is_not_followed() {
    for location in [
        format!("/api/publishers/{PUBLISHER}/offers/other-offer/operations/{OPERATION_ID}"),
        "/api/operations/contoso$other-offer$2$preview".to_owned(),
    ] {
        let server = FakeServer::start();
        server.tokens();
        server.publish_answers(vec![Reply::empty(202).header("Location", &location)]);
        serve_running_operation(&server);
        server.operation(vec![complete_operation()]);
        let run = step().github().against(&server).run();
        run.assert_code(0);
        run.assert_output("attached", "true");
        run.assert_stderr_has("another offer");
        assert!(
            !run.output("operation-url").contains("other-offer"),
            "{}",
            run.dump()
        );
        assert!(
            server
                .requests()
                .iter()
                .all(|request| !request.path.contains("other-offer")),
            "{:?}",
            server.requests()
        );
    }
}
