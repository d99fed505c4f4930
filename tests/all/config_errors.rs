//! Configuration errors: exit 2, a message naming the input and what is valid, `status` output
//! `invalid-input`, and not a single request.

use crate::support::*;

#[track_caller]
fn assert_invalid(step: Step, server: &FakeServer, expected: &[&str]) -> Finished {
    let run = step.github().run();
    run.assert_code(2);
    run.assert_output("status", "invalid-input");
    let error = run
        .commands()
        .into_iter()
        .find(|line| line.starts_with("::error title=invalid input::"))
        .unwrap_or_else(|| panic!("no error annotation\n{}", run.dump()))
        .to_owned();
    for text in expected {
        assert!(error.contains(text), "{text:?} not in {error}");
    }
    assert!(
        server.requests().is_empty(),
        "requests sent: {:?}",
        server.requests()
    );
    run.assert_no_secret(&[CLIENT_SECRET]);
    run
}

#[test]
fn each_configuration_error_names_the_input() {
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "timeout",
            "30",
            vec!["timeout (INPUT_TIMEOUT='30')", "30s", "30m"],
        ),
        ("timeout", "1M", vec!["unknown unit 'M'"]),
        ("timeout", "8d", vec!["at most 7d"]),
        (
            "poll-interval",
            "0",
            vec!["poll-interval", "longer than zero"],
        ),
        (
            "wait-until",
            "later",
            vec!["wait-until", "complete, preview"],
        ),
        ("on-timeout", "explode", vec!["on-timeout", "warn, fail"]),
        (
            "publisher-id",
            "con/toso",
            vec![
                "publisher-id (INPUT_PUBLISHER-ID='con/toso')",
                "letters, digits",
            ],
        ),
        ("offer-id", "../x", vec!["offer-id"]),
        (
            "api-url",
            "http://cloudpartner.example.com",
            vec!["api-url", "https://"],
        ),
        (
            "authority-host",
            "https://login.example.com/tenant",
            vec!["authority-host", "no path"],
        ),
        ("api-version", "2017/10/31", vec!["api-version"]),
        (
            "notification-emails",
            "a@contoso.com;b",
            vec!["notification-emails", "not an email address"],
        ),
        ("tenant-id", "contoso tenant", vec!["tenant-id"]),
        ("client-id", "my-app", vec!["client-id", "GUID"]),
        (
            "ci",
            "jenkins",
            vec!["ci", "github, azure-pipelines, gitlab, plain"],
        ),
        (
            "command",
            "deploy",
            vec![
                "command",
                "publish, update, go-live, cancel, status, validate, wait",
            ],
        ),
    ];
    for (input, value, expected) in cases {
        let server = FakeServer::start();
        assert_invalid(
            step().against(&server).input(input, value),
            &server,
            &expected,
        );
    }
}

#[test]
fn missing_inputs_say_what_to_set() {
    let server = FakeServer::start();
    assert_invalid(
        step().against(&server).without("INPUT_OFFER-ID"),
        &server,
        &["offer-id is missing", "set `offer-id:` under `with:`"],
    );
    let server = FakeServer::start();
    assert_invalid(
        step().against(&server).without("INPUT_TENANT-ID"),
        &server,
        &["tenant-id is missing", "AZURE_TENANT_ID"],
    );
    let server = FakeServer::start();
    assert_invalid(
        step().against(&server).without("INPUT_CLIENT-SECRET"),
        &server,
        &["credentials are missing", "access-token", "client-secret"],
    );
}

#[test]
fn a_secret_in_a_bad_input_is_not_echoed() {
    let server = FakeServer::start();
    let run = assert_invalid(
        step()
            .against(&server)
            .input("client-secret", "line-one-secret\nline-two"),
        &server,
        &["client-secret (INPUT_CLIENT-SECRET)", "one line"],
    );
    run.assert_no_secret(&["line-one-secret", "line-two"]);
}

#[test]
fn invalid_input_outside_github_prints_plain_error() {
    let server = FakeServer::start();
    let run = step().against(&server).input("timeout", "30").run();
    run.assert_code(2);
    assert!(run.commands().is_empty(), "{}", run.dump());
    run.assert_stderr_has("error: invalid input: timeout (INPUT_TIMEOUT='30')");
    run.assert_stderr_lacks("input: invalid input");
    assert!(server.requests().is_empty());
}

#[test]
fn marketplace_and_azure_fallbacks_and_underscore_inputs() {
    let server = simple_server();
    let run = step()
        .github()
        .env("MARKETPLACE_API", "cpp")
        .env("INPUT_API_URL", &server.url())
        .env("MARKETPLACE_AUTHORITY_HOST", &server.url())
        .env("MARKETPLACE_PUBLISHER_ID", PUBLISHER)
        .env("INPUT_OFFER_ID", OFFER)
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        // The runner writes every declared input, empty when not given: empty means unset.
        .env("INPUT_CLIENT-SECRET", "  ")
        .env("MARKETPLACE_POLL_INTERVAL", "100ms")
        .run();
    run.assert_code(0)
        .assert_no_secret(&[CLIENT_SECRET, TOKEN_PREFIX]);
    run.assert_output("status", "succeeded");
}

#[test]
fn help_and_version() {
    let run = step().arg("--help").run();
    run.assert_code(0);
    for text in [
        "INPUT_PUBLISHER-ID",
        "MARKETPLACE_PUBLISHER_ID",
        "AZURE_CLIENT_SECRET",
        "poll-interval",
        "EXIT CODES",
    ] {
        assert!(run.stdout.contains(text), "{text} not in --help");
    }
    let run = step().arg("--version").run();
    run.assert_code(0);
    assert_eq!(
        run.stdout.trim(),
        format!("publish-offer {}", env!("CARGO_PKG_VERSION"))
    );
    step().arg("--bogus").run().assert_code(2);
}

#[test]
fn a_missing_federated_token_file_is_an_input_error() {
    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_CLIENT-SECRET")
        .env("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent/token")
        .run();
    run.assert_code(2);
    run.assert_stdout_has("AZURE_FEDERATED_TOKEN_FILE (/nonexistent/token) is not a readable file");
    assert!(server.requests().is_empty());
}

#[test]
fn a_bad_argument_is_reported_as_invalid_input_too() {
    let run = step().github().arg("--offer-id=x").run();
    run.assert_code(2);
    run.assert_output("status", "invalid-input");
    assert!(
        run.command_starting("::error title=invalid input::")
            .contains("unexpected argument '--offer-id=x'"),
        "{}",
        run.dump()
    );
    // Printed once: in a shell, the error line alone says it.
    let run = step().arg("--sandbox=nope").run();
    run.assert_code(2);
    let everything = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(
        everything
            .matches("unknown sandbox scenario 'nope'")
            .count(),
        1,
        "{}",
        run.dump()
    );
}

#[test]
fn an_invalid_result_file_is_not_written() {
    let server = FakeServer::start();
    let one_line_too_many = step()
        .github()
        .against(&server)
        .input("result-file", "out\nfile.json");
    let run = one_line_too_many.run();
    run.assert_code(2);
    let written: Vec<_> = std::fs::read_dir(one_line_too_many.dir())
        .expect("dir")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("file.json"))
        .collect();
    assert!(written.is_empty(), "{written:?}");

    // A folder that does not exist is found at the start, not after the wait.
    assert_invalid(
        step()
            .against(&server)
            .input("result-file", "missing/result.json"),
        &server,
        &["result-file", "missing is not an existing folder"],
    );
    // The dotenv file is written only on GitLab, so only there does its folder matter.
    let gitlab = step()
        .env("GITLAB_CI", "true")
        .against(&server)
        .input("dotenv-file", "missing/vars.env");
    let run = gitlab.run();
    run.assert_code(2);
    run.assert_stdout_has("dotenv-file (INPUT_DOTENV-FILE)");
    run.assert_stdout_has("missing is not an existing folder");
    assert!(server.requests().is_empty());
    let elsewhere = simple_server();
    step()
        .github()
        .against(&elsewhere)
        .input("dotenv-file", "missing/vars.env")
        .run()
        .assert_code(0);
}

#[test]
fn ssl_cert_file_adds_roots_or_is_an_input_error() {
    // The server's certificate comes from a CA that only SSL_CERT_FILE names, as with a
    // TLS-inspecting proxy: trusted with it, the whole run (token, publish, polls) goes over TLS.
    let server = serve_simple(FakeServer::start_tls());
    let run = step()
        .github()
        .against(&server)
        .env("SSL_CERT_FILE", TEST_CA)
        .run();
    run.assert_code(0);
    run.assert_output("status", "succeeded");
    assert!(
        server.requests_to("GET", "/api/").len() >= 2,
        "{}",
        run.dump()
    );

    // Without it, the built-in roots do not know that CA: no request gets through, the error
    // says why and points at SSL_CERT_FILE, and waiting would not help, so there is no retry.
    let server = serve_simple(FakeServer::start_tls());
    let run = step().github().against(&server).run();
    run.assert_code(1);
    run.assert_output("status", "error");
    assert!(server.requests().is_empty(), "{}", run.dump());
    let error = run.command_starting("::error title=get token from Microsoft Entra ID::");
    assert!(
        error.contains("invalid peer certificate: UnknownIssuer")
            && error.contains("SSL_CERT_FILE"),
        "{}",
        run.dump()
    );
    run.assert_stderr_lacks("retrying");

    for (path, expected) in [
        ("/nonexistent/roots.pem", "cannot read it"),
        (
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            "no PEM certificates",
        ),
    ] {
        let server = FakeServer::start();
        let run = step()
            .github()
            .against(&server)
            .env("SSL_CERT_FILE", path)
            .run();
        run.assert_code(2);
        run.assert_output("status", "invalid-input");
        run.assert_stdout_has("SSL_CERT_FILE");
        run.assert_stdout_has(expected);
        assert!(server.requests().is_empty());
    }
}

#[test]
fn every_problem_in_one_report_and_folders_are_not_files() {
    let server = FakeServer::start();
    let folder = tempfile::tempdir().expect("dir");
    let folder_path = folder.path().display().to_string();
    let run = assert_invalid(
        step()
            .against(&server)
            .without("INPUT_OFFER-ID")
            .input("timeout", "30")
            .input("result-file", &folder_path),
        &server,
        &[
            "offer-id is missing",
            "timeout (INPUT_TIMEOUT='30')",
            "is a folder",
        ],
    );
    // One annotation, one line per problem.
    let error = run.command_starting("::error title=invalid input::");
    assert_eq!(error.matches("%0A").count(), 3, "{error}");

    // The dotenv file too, on GitLab where it is written.
    let run = step()
        .env("GITLAB_CI", "true")
        .against(&server)
        .input("dotenv-file", &folder_path)
        .run();
    run.assert_code(2);
    run.assert_stdout_has("is a folder");
    assert!(server.requests().is_empty());
}

/// An `operation-url` on the API's origin but of no operation's shape is an input error like the
/// others: reported with them in one list, before any request.
#[test]
fn an_operation_url_of_no_known_shape_is_reported_with_the_other_input_errors() {
    let server = FakeServer::start();
    let url = format!("{}/api/publishers/{PUBLISHER}/offers/{OFFER}", server.url());
    assert_invalid(
        step()
            .against(&server)
            .input("command", "wait")
            .input("operation-url", &url)
            .input("poll-interval", "banana"),
        &server,
        &[
            "poll-interval (INPUT_POLL-INTERVAL='banana')",
            "operation-url (INPUT_OPERATION-URL=",
            "/api/publishers/{publisher}/offers/{offer}/operations/{id}",
        ],
    );
}

/// The ingestion base is a whole path: an `operation-url` under a longer sibling
/// (`/rp/product-ingestion-other`) is not under it, and is refused before any request.
#[test]
fn an_operation_url_beside_the_ingestion_base_is_not_under_it() {
    let server = FakeServer::start();
    let base = format!("{}/rp/product-ingestion", server.url());
    let beside = format!(
        "{}/rp/product-ingestion-other/configure/0b5e4c6a-1f00-4d3e-9a55-7c4b1e2f9a10/status",
        server.url()
    );
    let run = step()
        .against(&server)
        .input("api", "ingestion")
        .input("ingestion-url", &base)
        .input("command", "wait")
        .input("operation-url", &beside)
        .run();
    run.assert_code(2);
    run.assert_stderr_has("operation-url");
    run.assert_stderr_has("the token is sent only there");
    assert!(server.requests().is_empty(), "{}", run.dump());
}

#[test]
fn every_bad_input_is_refused_before_any_request() {
    let long = "x".repeat(5000);
    let mut cases: Vec<(&str, String)> = Vec::new();
    // Inputs that must be present: blank is missing.
    for input in [
        "publisher-id",
        "offer-id",
        "tenant-id",
        "client-id",
        "client-secret",
    ] {
        cases.push((input, String::new()));
        cases.push((input, "   \t ".to_owned()));
    }
    // Identifiers, URLs, enums, durations, booleans: wrong type, overlong, unicode, path
    // characters, line breaks.
    let bad_values = |extra: &[&str]| -> Vec<String> {
        let mut values: Vec<String> = vec![
            long.clone(),
            "ünïcode".into(),
            "a/b".into(),
            "..".into(),
            "a?b".into(),
            "a#b".into(),
            "a%2e".into(),
            "a\r\nb".into(),
            "a\nb".into(),
        ];
        values.extend(extra.iter().map(|v| (*v).to_owned()));
        values
    };
    for input in ["publisher-id", "offer-id"] {
        for value in bad_values(&["-x", "a b"]) {
            cases.push((input, value));
        }
    }
    for input in ["tenant-id", "client-id"] {
        for value in bad_values(&["a b", "12"]) {
            cases.push((input, value));
        }
    }
    for input in ["timeout", "poll-interval"] {
        for value in bad_values(&["30", "-1s", "1.5h", "abc", "1M", "10d", "1h 30m", "PT30S"]) {
            cases.push((input, value));
        }
    }
    for input in [
        "wait-until",
        "on-timeout",
        "cancel-on-interrupt",
        "cancel-on-timeout",
        "if-running",
        "api",
        "auth",
        "command",
        "ci",
    ] {
        for value in bad_values(&["yes", "1", "TRUE!"]) {
            cases.push((input, value));
        }
    }
    for input in ["api-url", "authority-host", "ingestion-url"] {
        for value in bad_values(&[
            "cloudpartner.azure.com",
            "http://example.com",
            "https://",
            "file:///etc/passwd",
            "https://a@b.com",
            "https://x.com/?q",
            "https://x.com/#f",
        ]) {
            cases.push((input, value));
        }
    }
    for value in bad_values(&["2017 10 31", ""])
        .into_iter()
        .filter(|v| !v.is_empty() && v != "..")
    {
        cases.push(("api-version", value));
    }
    for value in bad_values(&["a@", "@b", "a@b@c", "<a@b.c>"])
        .into_iter()
        .filter(|v| v != "..")
    {
        cases.push(("notification-emails", value));
    }
    for value in [
        long.repeat(2),
        "a\nb".to_owned(),
        "a\r\nb".to_owned(),
        "ü-secret-value".to_owned(),
    ] {
        cases.push(("client-secret", value));
    }
    for value in [
        long.repeat(4),
        "a b".to_owned(),
        "a\nb".to_owned(),
        "ünïcode".to_owned(),
    ] {
        cases.push(("access-token", value));
    }
    for value in ["a\nb", "a\rb", "a\u{7}b"] {
        cases.push(("result-file", value.to_owned()));
        cases.push(("dotenv-file", value.to_owned()));
    }

    let server = FakeServer::start();
    let mut failures = Vec::new();
    for (input, value) in &cases {
        let run = step().github().against(&server).input(input, value).run();
        let outputs = run.outputs();
        if run.code != 2 || outputs.get("status").map(String::as_str) != Some("invalid-input") {
            failures.push(format!(
                "{input}={value:?}: exit {} status {:?}",
                run.code,
                outputs.get("status")
            ));
        }
    }
    assert!(failures.is_empty(), "accepted:\n{}", failures.join("\n"));
    assert!(
        server.requests().is_empty(),
        "requests were sent: {:?}",
        server.requests().len()
    );
}

#[test]
fn a_misspelled_variable_is_warned_about_once_in_every_mode_and_never_fails() {
    for github in [false, true] {
        let server = simple_server();
        let mut run = step()
            .against(&server)
            .env("MARKETPLACE_TIMOUT", "97m")
            .env("INPUT_OFER-ID", "x")
            // Another action's input: not ours, not close to ours.
            .env("INPUT_GITHUB-TOKEN", "ghs_not_ours");
        if github {
            run = run.github();
        }
        let run = run.run();
        run.assert_code(0);
        for warning in [
            "MARKETPLACE_TIMOUT is not an input of publish-offer and is ignored; did you mean MARKETPLACE_TIMEOUT?",
            "INPUT_OFER-ID is not an input of publish-offer and is ignored; did you mean INPUT_OFFER_ID?",
        ] {
            assert_eq!(run.stderr.matches(warning).count(), 1, "{}", run.dump());
        }
        run.assert_stderr_lacks("GITHUB-TOKEN")
            .assert_stderr_lacks("97m");
    }
}

#[test]
fn several_bad_inputs_are_listed_one_per_line_in_the_summary() {
    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .input("timeout", "30")
        .input("on-timeout", "explode")
        .run();
    run.assert_code(2);
    run.assert_summary_has("**invalid input**:\n\n- timeout (INPUT\\_TIMEOUT='30')")
        .assert_summary_has("\n- on-timeout (INPUT\\_ON-TIMEOUT='explode')");
    assert!(server.requests().is_empty());
}

/// Without an operation URL, auto looks the offer up in the ingestion API and may go on with
/// CPP: one access token cannot serve both, so it is refused before anything is sent.
#[test]
fn auto_with_an_access_token_and_no_url_is_bad_input() {
    let server = FakeServer::start();
    let run = step()
        .github()
        .against(&server)
        .without("INPUT_API")
        .without("INPUT_TENANT-ID")
        .without("INPUT_CLIENT-ID")
        .without("INPUT_CLIENT-SECRET")
        .input("access-token", "given-access-token-0123456789")
        .run();
    run.assert_code(2);
    run.assert_output("status", "invalid-input");
    run.assert_stdout_has("an access-token is for one");
    assert!(server.requests().is_empty());
}
