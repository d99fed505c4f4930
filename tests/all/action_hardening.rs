//! The composite action's shell steps as the runner starts them: install.sh retrying a flaky
//! release download with a User-Agent, the no-release advice naming the repository the action's
//! path names, BASH_ENV/ENV never sourced, and a job image without bash or curl told what to
//! install (action/preflight.sh). Against a loopback server that can drop or refuse requests.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::wait_bounded;

const VERSION: &str = "1.2.3";
const ASSET: &str = "publish-offer-x86_64-unknown-linux-musl";
const ASSET_BYTES: &[u8] = b"#!/bin/sh\necho 'a stand-in for the release binary'\n";

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bytes");
    std::fs::write(&file, bytes).expect("write");
    let output = Command::new("sha256sum")
        .arg(&file)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&output.stdout)[..64].to_owned()
}

/// What the server does with one request, in order; the last one repeats.
#[derive(Clone, Copy)]
enum Answer {
    /// Close the connection without a reply (curl: "Empty reply from server").
    Drop,
    Status(u16),
    Asset,
}

/// A loopback server answering every request by the next `Answer`, recording the User-Agents.
struct FlakyServer {
    port: u16,
    user_agents: Arc<Mutex<Vec<String>>>,
}

impl FlakyServer {
    fn start(answers: Vec<Answer>) -> FlakyServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        let user_agents = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&user_agents);
        thread::spawn(move || {
            for (index, stream) in listener.incoming().flatten().enumerate() {
                let answer = answers[index.min(answers.len() - 1)];
                answer_one(stream, answer, &recorded);
            }
        });
        FlakyServer { port, user_agents }
    }

    fn download_url(&self) -> String {
        format!("http://127.0.0.1:{}/download/v{VERSION}", self.port)
    }

    fn user_agents(&self) -> Vec<String> {
        self.user_agents.lock().expect("user agents").clone()
    }
}

fn answer_one(stream: TcpStream, answer: Answer, user_agents: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    let mut agent = String::new();
    while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
        if let Some(value) = line.strip_prefix("User-Agent: ") {
            agent = value.trim_end().to_owned();
        }
        line.clear();
    }
    user_agents.lock().expect("user agents").push(agent);
    let (status, body) = match answer {
        Answer::Drop => return,
        Answer::Status(code) => (format!("{code} Try Later"), Vec::new()),
        Answer::Asset => ("200 OK".to_owned(), ASSET_BYTES.to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = &stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// A checkout of the action where the runner puts it, `<dir>/_actions/<owner>/<repo>/v1`, with
/// release.env and SHA256SUMS as a release PR writes them.
struct Checkout {
    dir: tempfile::TempDir,
    action_path: PathBuf,
}

impl Checkout {
    fn new(owner_repo: &str, download_url: &str) -> Checkout {
        let dir = tempfile::tempdir().expect("temp dir");
        let action_path = dir.path().join("_actions").join(owner_repo).join("v1");
        let scripts = action_path.join("action");
        std::fs::create_dir_all(&scripts).expect("action dir");
        for script in ["install.sh", "preflight.sh"] {
            std::fs::copy(repo_file(&format!("action/{script}")), scripts.join(script))
                .expect("copy");
        }
        let release_env = if download_url.is_empty() {
            "version=\ndownload_url=\n".to_owned()
        } else {
            format!("version={VERSION}\ndownload_url={download_url}\n")
        };
        std::fs::write(scripts.join("release.env"), release_env).expect("release.env");
        let sums = format!("{}  {ASSET}\n", sha256_hex(ASSET_BYTES));
        std::fs::write(scripts.join("SHA256SUMS"), sums).expect("SHA256SUMS");
        std::fs::create_dir_all(dir.path().join("tool-cache")).expect("tool cache");
        Checkout { dir, action_path }
    }

    /// Runs the composite step `id` of action.yml as the runner does: its `run:` written to a
    /// file, its `shell:` with `{0}` replaced by that file (a bare `sh` runs as `sh -e {0}`), in
    /// an environment holding only PATH, the runner's variables and `extra`.
    fn run_step(&self, id: &str, path: &str, extra: &[(&str, &str)]) -> (i32, String) {
        let action = action();
        let step = composite_step(&action, id);
        let script = self.dir.path().join(format!("{id}.sh"));
        std::fs::write(&script, step["run"].as_str().expect("run")).expect("script");
        let shell = step["shell"].as_str().expect("shell");
        let shell = if shell == "sh" { "sh -e {0}" } else { shell };
        let mut words = shell
            .split(' ')
            .map(|word| word.replace("{0}", script.to_str().expect("utf-8 path")));
        let mut command = Command::new(words.next().expect("a shell"));
        command
            .args(words)
            .env_clear()
            .env("PATH", path)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TOOL_CACHE", self.dir.path().join("tool-cache"))
            .env("RUNNER_TEMP", self.dir.path())
            .env("GITHUB_OUTPUT", self.dir.path().join("github_output"))
            .env("GITHUB_ACTION_PATH", &self.action_path)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in extra {
            command.env(name, value);
        }
        let output: Output = wait_bounded(command.spawn().expect("start the step's shell"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code().unwrap_or(-1), text)
    }
}

fn host_path() -> String {
    std::env::var("PATH").unwrap_or_default()
}

fn action() -> Yaml {
    let text = std::fs::read_to_string(repo_file("action.yml")).expect("action.yml");
    YamlLoader::load_from_str(&text)
        .expect("valid YAML")
        .remove(0)
}

fn composite_step<'a>(action: &'a Yaml, id: &str) -> &'a Yaml {
    action["runs"]["steps"]
        .as_vec()
        .expect("runs.steps")
        .iter()
        .find(|step| step["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn install_retries_a_dropped_connection_and_server_errors_and_names_itself() {
    // A dropped connection is retried only with --retry-all-errors; four failures in a row
    // outlast the former --retry 3. curl doubles its pause: about 15 s in all.
    let server = FlakyServer::start(vec![
        Answer::Drop,
        Answer::Status(503),
        Answer::Status(503),
        Answer::Status(503),
        Answer::Asset,
    ]);
    let checkout = Checkout::new("Octo-Org/publish-offer", &server.download_url());
    let (code, output) = checkout.run_step("install-posix", &host_path(), &[]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("downloaded and verified"), "{output}");
    let agents = server.user_agents();
    assert_eq!(agents.len(), 5, "{agents:?}\n{output}");
    let expected =
        format!("publish-offer-action/{VERSION} (+https://github.com/Octo-Org/publish-offer)");
    assert!(agents.iter().all(|agent| *agent == expected), "{agents:?}");
}

#[test]
fn install_does_not_retry_a_missing_asset() {
    let server = FlakyServer::start(vec![Answer::Status(404)]);
    let checkout = Checkout::new("Octo-Org/publish-offer", &server.download_url());
    let (code, output) = checkout.run_step("install-posix", &host_path(), &[]);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("HTTP 404"), "{output}");
    assert_eq!(server.user_agents().len(), 1, "a 404 was retried");
}

#[test]
fn the_no_release_advice_names_the_repository_of_the_action_path() {
    // GITHUB_ACTION_REPOSITORY is empty in a composite action's steps: the path names it.
    let checkout = Checkout::new("Octo-Org/Offer-Tools", "");
    let (code, output) = checkout.run_step("install-posix", &host_path(), &[]);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("uses: Octo-Org/Offer-Tools@vX.Y.Z")
            && output.contains("uses: docker://ghcr.io/octo-org/offer-tools:X.Y.Z"),
        "{output}"
    );
    assert!(!output.contains("OWNER"), "{output}");
}

#[test]
fn the_bash_steps_never_source_bash_env_or_env() {
    let checkout = Checkout::new("Octo-Org/publish-offer", "");
    let marker = checkout.dir.path().join("sourced");
    let hook = checkout.dir.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!("echo sourced >> '{}'\n", marker.to_str().expect("utf-8")),
    )
    .expect("hook");
    let hook = hook.to_str().expect("utf-8");
    let environment = [("BASH_ENV", hook), ("ENV", hook)];

    // The runner's plain `bash` shell would source it: the hook works.
    let plain = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", "true"])
        .envs(environment)
        .status()
        .expect("bash");
    assert!(plain.success());
    assert!(marker.exists(), "the hook was not sourced by plain bash");
    std::fs::remove_file(&marker).expect("remove marker");

    let (code, output) = checkout.run_step("install-posix", &host_path(), &environment);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("names no release"), "{output}");
    let binary = env!("CARGO_BIN_EXE_publish-offer");
    let run = checkout.run_step(
        "run-posix",
        &host_path(),
        &[
            ("BASH_ENV", hook),
            ("ENV", hook),
            ("PUBLISH_OFFER_BINARY", binary),
        ],
    );
    assert_eq!(run.0, 2, "{}", run.1);
    assert!(!marker.exists(), "a step sourced BASH_ENV or ENV");
}

/// A directory of links to the named host tools, to stand for a job image holding only them.
fn image_with(tools: &[&str]) -> tempfile::TempDir {
    let bin = tempfile::tempdir().expect("temp dir");
    for tool in tools {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .expect("sh");
        let target = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        assert!(!target.is_empty(), "the host has no {tool}");
        std::os::unix::fs::symlink(target, bin.path().join(tool)).expect("link");
    }
    bin
}

#[test]
fn a_job_image_without_bash_or_curl_is_told_what_to_install() {
    let checkout = Checkout::new("Octo-Org/publish-offer", "");
    let minimal = image_with(&["sh", "sed"]);
    let (code, output) = checkout.run_step(
        "preflight-posix",
        minimal.path().to_str().expect("utf-8"),
        &[],
    );
    assert_eq!(code, 1, "{output}");
    let errors: Vec<&str> = output
        .lines()
        .filter(|line| line.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{output}");
    assert!(
        errors[0].starts_with(
            "::error title=publish-offer: missing tools::the job has no bash, curl, sha256sum "
        ) && errors[0].contains("apt-get install -y bash curl"),
        "{output}"
    );

    let no_curl = image_with(&["sh", "sed", "bash", "sha256sum"]);
    let (code, output) = checkout.run_step(
        "preflight-posix",
        no_curl.path().to_str().expect("utf-8"),
        &[],
    );
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("the job has no curl (in"), "{output}");

    let complete = image_with(&["sh", "sed", "bash", "curl", "sha256sum"]);
    let (code, output) = checkout.run_step(
        "preflight-posix",
        complete.path().to_str().expect("utf-8"),
        &[],
    );
    assert_eq!((code, output.as_str()), (0, ""));
}

#[test]
fn the_preflight_runs_before_every_bash_step() {
    let action = action();
    let ids: Vec<&str> = action["runs"]["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .map(|step| step["id"].as_str().expect("id"))
        .collect();
    let preflight = ids.iter().position(|id| *id == "preflight-posix");
    assert_eq!(preflight, Some(0), "{ids:?}");
    for id in ["install-posix", "run-posix"] {
        assert_eq!(
            composite_step(&action, id)["shell"].as_str(),
            Some("env -u BASH_ENV -u ENV bash --noprofile --norc -eo pipefail {0}"),
            "{id}"
        );
    }
}
