//! Test helpers: run the real binary against the fake server, read what it wrote.
//!
//! A test in three parts, each with one helper:
//!
//! ```ignore
//! // 1. The service: a fake on loopback, given the routes of the scenario (support/scenario.rs).
//! let server = FakeServer::start();
//! server.tokens().publish_accepted().operation(vec![running(), complete()]);
//! // or `server.offer_status(json!(..))`, `server.publish_answers(vec![Reply::json(409, ..)])`,
//! // `serve_publish(&server, states)`, `simple_server()` for the common happy path.
//!
//! // 2. The step: the environment a CI runner gives the binary.
//! let run = step().github().against(&server).input("wait-until", "preview").run();
//!
//! // 3. What it did: each assertion prints the whole run (exit code, stdout, stderr, outputs,
//! // summary) when it fails.
//! run.assert_code(0)
//!     .assert_stdout_has("::notice")
//!     .assert_stderr_lacks("retrying")
//!     .assert_output("status", "succeeded")
//!     .assert_no_secret(&[CLIENT_SECRET]);
//! assert_no_unexpected(&server);
//! ```
//!
//! Modules: `scenario` (routes and CPP bodies, re-exported here), `fake_server` (the HTTP fake and
//! [`Reply`]), `ingestion` (the product ingestion API's routes), `oidc` (federated tokens),
//! `reference` (the services' documented answers from `tests/fixtures/`), `runner_parsers`
//! (how the runners parse what the binary prints), `fake_proxy`, `file_server`.

#![allow(dead_code)]

pub mod fake_proxy;
pub mod fake_server;
pub mod file_server;
pub mod ingestion;
pub mod oidc;
pub mod reference;
pub mod runner_parsers;
pub mod scenario;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use fake_proxy::FakeProxy;
pub use fake_server::{FakeServer, Reply};
pub use file_server::FileServer;
pub use scenario::*;

/// The test CA, which alone vouches for the certificate of [`FakeServer::start_tls`].
pub const TEST_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem");

pub const TENANT: &str = "contoso.onmicrosoft.com";
pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT_SECRET: &str = "cl1ent~SECRET.value_9f8e7d";
pub const PUBLISHER: &str = "contoso";
pub const OFFER: &str = "contoso-offer";
/// Every token the fake Entra issues starts with this, so tests can look for any of them.
pub const TOKEN_PREFIX: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOi.fake-access-token-";

pub const OPERATION_ID: &str = "56615b67-2185-49fe-80d2-c4ddf77bb2e8";

pub fn operation_path() -> String {
    format!("/api/publishers/{PUBLISHER}/offers/{OFFER}/operations/{OPERATION_ID}")
}

pub fn offer_path(tail: &str) -> String {
    format!("/api/publishers/{PUBLISHER}/offers/{OFFER}/{tail}")
}

/// A step invocation: the environment a CI runner would give the binary.
pub struct Step {
    env: Vec<(String, String)>,
    args: Vec<String>,
    dir: tempfile::TempDir,
    github: bool,
}

pub fn step() -> Step {
    Step {
        env: Vec::new(),
        args: Vec::new(),
        dir: tempfile::tempdir().expect("temp dir"),
        github: false,
    }
}

impl Step {
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn output_file(&self) -> PathBuf {
        self.dir.path().join("github_output")
    }

    pub fn summary_file(&self) -> PathBuf {
        self.dir.path().join("step_summary.md")
    }

    /// As a GitHub Actions step: command files in a temp dir.
    pub fn github(mut self) -> Self {
        self.github = true;
        let output = self.output_file().display().to_string();
        let summary = self.summary_file().display().to_string();
        self.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
    }

    /// An input as the GitHub runner passes it: `INPUT_PUBLISHER-ID`.
    pub fn input(self, name: &str, value: &str) -> Self {
        let variable = format!("INPUT_{}", name.to_ascii_uppercase());
        self.env(&variable, value)
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.retain(|(existing, _)| existing != name);
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The value this step gives `name`, if any.
    pub fn env_value(&self, name: &str) -> Option<String> {
        self.env
            .iter()
            .find(|(existing, _)| existing == name)
            .map(|(_, value)| value.clone())
    }

    /// Every variable this step sets, for running the binary some other way (through a shell).
    pub fn env_pairs(&self) -> &[(String, String)] {
        &self.env
    }

    pub fn without(mut self, name: &str) -> Self {
        self.env.retain(|(existing, _)| existing != name);
        self
    }

    /// Tokens of a few seconds stand for tokens of minutes: the debug build's time scale of 60
    /// makes the token floor 1 s (a minute) and the refresh margin 5 s (five minutes), so a 2 s
    /// token is renewed after half its life, as a 2-minute one would be.
    pub fn short_tokens(self) -> Self {
        self.env("PUBLISH_OFFER_TEST_TIME_SCALE", "60")
    }

    /// The `wait` command on `url` alone, as a scheduled job runs it: no publisher or offer id.
    pub fn waiting_on(self, url: &str) -> Self {
        self.without("INPUT_PUBLISHER-ID")
            .without("INPUT_OFFER-ID")
            .input("command", "wait")
            .input("operation-url", url)
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// The inputs of a publish against `server`: URLs, ids, service-principal credentials, quick
    /// polls; the CPP API and a wait to the end, named, so that a test of CPP sends only the
    /// requests it serves (the defaults, `api: auto` and `wait-until: preview`, are tested by
    /// taking these away: `.without("INPUT_API")`).
    pub fn against(self, server: &FakeServer) -> Self {
        self.input("api", "cpp")
            .input("wait-until", "complete")
            .input("api-url", &server.url())
            .input("authority-host", &server.url())
            .input("publisher-id", PUBLISHER)
            .input("offer-id", OFFER)
            .input("tenant-id", TENANT)
            .input("client-id", CLIENT_ID)
            .input("client-secret", CLIENT_SECRET)
            .input("poll-interval", "100ms")
            .input("timeout", "20s")
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_publish-offer"));
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    pub fn spawn(&self) -> Child {
        self.command().spawn().expect("start publish-offer")
    }

    /// Runs the binary to its end, within [`run_limit`].
    pub fn run(&self) -> Finished {
        self.wait(self.spawn())
    }

    /// Waits for a spawned run to end, within [`run_limit`].
    pub fn wait(&self, child: Child) -> Finished {
        self.finished(wait_bounded(child))
    }

    pub fn finished(&self, output: Output) -> Finished {
        Finished {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs_raw: std::fs::read_to_string(self.output_file()).unwrap_or_default(),
            summary: std::fs::read_to_string(self.summary_file()).unwrap_or_default(),
        }
    }
}

/// How long one run of the binary may take before the watchdog kills it and fails the test: far
/// beyond any test's own time limits (20 s at most), so only a hang reaches it, and it fails in a
/// minute instead of stalling the suite. `PUBLISH_OFFER_TEST_RUN_LIMIT` (seconds) overrides it:
/// the mutation-testing script lowers it.
pub fn run_limit() -> Duration {
    std::env::var("PUBLISH_OFFER_TEST_RUN_LIMIT")
        .ok()
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs)
}

/// Waits for `child` and collects what it wrote, as `Child::wait_with_output` does, but kills it
/// and fails the test when it runs longer than [`run_limit`]. Stdout and stderr are read on their
/// own threads so a full pipe cannot stall the child.
#[track_caller]
pub fn wait_bounded(mut child: Child) -> Output {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let limit = run_limit();
    let started = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for publish-offer") {
            Some(status) => break status,
            None if started.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                let stdout = stdout.join().unwrap_or_default();
                let stderr = stderr.join().unwrap_or_default();
                panic!(
                    "publish-offer still ran after {limit:?}: killed (a hang; \
                     PUBLISH_OFFER_TEST_RUN_LIMIT sets the limit in seconds)\n--- stdout\n{}--- stderr\n{}",
                    String::from_utf8_lossy(&stdout),
                    String::from_utf8_lossy(&stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

pub struct Finished {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs_raw: String,
    pub summary: String,
}

impl Finished {
    /// Everything the run wrote, for failure messages.
    pub fn dump(&self) -> String {
        format!(
            "exit code {}\n--- stdout\n{}--- stderr\n{}--- outputs\n{}--- summary\n{}",
            self.code, self.stdout, self.stderr, self.outputs_raw, self.summary
        )
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.dump());
        self
    }

    /// Asserts that stdout holds `needle`; on failure prints the whole run.
    #[track_caller]
    pub fn assert_stdout_has(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("stdout", &self.stdout, needle.as_ref(), true)
    }

    /// Asserts that stdout does not hold `needle`; on failure prints the whole run.
    #[track_caller]
    pub fn assert_stdout_lacks(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("stdout", &self.stdout, needle.as_ref(), false)
    }

    #[track_caller]
    pub fn assert_stderr_has(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("stderr", &self.stderr, needle.as_ref(), true)
    }

    #[track_caller]
    pub fn assert_stderr_lacks(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("stderr", &self.stderr, needle.as_ref(), false)
    }

    /// Asserts on the step summary (`GITHUB_STEP_SUMMARY`).
    #[track_caller]
    pub fn assert_summary_has(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("summary", &self.summary, needle.as_ref(), true)
    }

    #[track_caller]
    pub fn assert_summary_lacks(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("summary", &self.summary, needle.as_ref(), false)
    }

    /// Asserts on the raw `GITHUB_OUTPUT` file, as written.
    #[track_caller]
    pub fn assert_outputs_has(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("outputs", &self.outputs_raw, needle.as_ref(), true)
    }

    #[track_caller]
    pub fn assert_outputs_lacks(&self, needle: impl AsRef<str>) -> &Self {
        self.assert_in("outputs", &self.outputs_raw, needle.as_ref(), false)
    }

    /// Asserts that step output `name` is `expected`; on failure prints the whole run.
    #[track_caller]
    pub fn assert_output(&self, name: &str, expected: impl AsRef<str>) -> &Self {
        assert_eq!(
            self.output(name),
            expected.as_ref(),
            "output {name}\n{}",
            self.dump()
        );
        self
    }

    #[track_caller]
    fn assert_in(&self, place: &str, text: &str, needle: &str, wanted: bool) -> &Self {
        let verb = if wanted { "lacks" } else { "holds" };
        assert!(
            text.contains(needle) == wanted,
            "{place} {verb} {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// The step outputs, heredoc values included; a later value wins, as on GitHub.
    pub fn outputs(&self) -> HashMap<String, String> {
        parse_github_output(&self.outputs_raw)
    }

    #[track_caller]
    pub fn output(&self, name: &str) -> String {
        self.outputs()
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no output {name}\n{}", self.dump()))
    }

    /// The workflow command that starts with `prefix` (`::error title=publish offer::`).
    #[track_caller]
    pub fn command_starting(&self, prefix: &str) -> String {
        self.commands()
            .into_iter()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no command starting {prefix:?}\n{}", self.dump()))
            .to_owned()
    }

    /// Stdout lines that start with `prefix` (`"::error"`, `"  step "`).
    pub fn stdout_lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with(prefix))
            .collect()
    }

    /// Stdout lines that are workflow commands.
    pub fn commands(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with("::"))
            .collect()
    }

    /// Asserts that none of `secrets` appears anywhere the run wrote, except in the mask
    /// commands that exist to hide them.
    #[track_caller]
    pub fn assert_no_secret(&self, secrets: &[&str]) -> &Self {
        let stdout: Vec<&str> = self
            .stdout
            .lines()
            .filter(|line| {
                !line.starts_with("::add-mask::") && !line.starts_with("##vso[task.setsecret]")
            })
            .collect();
        for (place, text) in [
            ("stdout", stdout.join("\n")),
            ("stderr", self.stderr.clone()),
            ("outputs", self.outputs_raw.clone()),
            ("summary", self.summary.clone()),
        ] {
            assert_no_secret_in(place, &text, secrets, &self.dump());
        }
        self
    }
}

/// Fails when `text` holds a secret as written or as an output escaping spells it (Markdown
/// backslashes, workflow-command percent codes, JSON backslashes): a reader sees it either way.
#[track_caller]
pub fn assert_no_secret_in(place: &str, text: &str, secrets: &[&str], context: &str) {
    let unescaped = text
        .replace('\\', "")
        .replace("%AZP25", "%")
        .replace("%25", "%")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%3B", ";")
        .replace("%5D", "]");
    for secret in secrets {
        assert!(
            !text.contains(secret) && !unescaped.contains(&secret.replace('\\', "")),
            "secret {secret:?} found in {place}\n{context}"
        );
    }
}

pub fn parse_github_output(text: &str) -> HashMap<String, String> {
    let mut outputs = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for next in lines.by_ref() {
                if next == delimiter {
                    break;
                }
                value.push(next);
            }
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_owned(), value.to_owned());
        }
    }
    outputs
}

pub fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn repo_text(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The README and every page of docs/: where the examples and the reference live.
pub fn doc_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("docs/")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    files.sort();
    files.insert(0, "README.md".to_owned());
    files
}

pub fn example_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("examples/")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
        .map(|name| format!("examples/{name}"))
        .collect();
    files.sort();
    files
}
