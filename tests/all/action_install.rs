//! The composite action's install step: download, verify the checksum, use the tool cache, and
//! fail with advice when it cannot.

use crate::support::{FileServer, parse_github_output, repo_file};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const VERSION: &str = "1.2.3";

const LINUX_X64_ASSET: &str = "publish-offer-x86_64-unknown-linux-musl";

const ASSET_BYTES: &[u8] = b"#!/bin/sh\necho 'a stand-in for the release binary'\n";

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

/// A copy of action/ whose release.env and SHA256SUMS name a release on `server`, as the release
/// PR commit writes them, with a runner's tool cache and command files beside it.
struct Runner {
    dir: tempfile::TempDir,
    os: &'static str,
    arch: &'static str,
    tool_cache_name: &'static str,
    repository: &'static str,
    /// `http_proxy` for the install, when set.
    proxy: Option<String>,
}

struct Installed {
    code: i32,
    stdout: String,
    outputs: HashMap<String, String>,
}

impl Runner {
    fn new(release_env: &str, sums: &str) -> Runner {
        let dir = tempfile::tempdir().expect("temp dir");
        let action = dir.path().join("action");
        std::fs::create_dir_all(&action).expect("action dir");
        std::fs::copy(repo_file("action/install.sh"), action.join("install.sh")).expect("copy");
        std::fs::write(action.join("release.env"), release_env).expect("release.env");
        std::fs::write(action.join("SHA256SUMS"), sums).expect("SHA256SUMS");
        std::fs::create_dir_all(dir.path().join("tool-cache")).expect("tool cache");
        Runner {
            dir,
            os: "Linux",
            arch: "X64",
            tool_cache_name: "tool-cache",
            repository: "Octo-Org/publish-offer",
            proxy: None,
        }
    }

    fn released_on(server: &FileServer, sums: &str) -> Runner {
        let release_env = format!(
            "# written by the release PR\nversion={VERSION}\ndownload_url={}\n",
            server.url(&format!("/download/v{VERSION}"))
        );
        Runner::new(&release_env, sums)
    }

    fn on(mut self, os: &'static str, arch: &'static str) -> Runner {
        self.os = os;
        self.arch = arch;
        self
    }

    /// RUNNER_TOOL_CACHE as a directory named `name` (a runner's path may hold anything).
    fn with_tool_cache_named(mut self, name: &'static str) -> Runner {
        self.tool_cache_name = name;
        std::fs::create_dir_all(self.cache()).expect("tool cache");
        self
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join(self.tool_cache_name)
    }

    fn cached_binary(&self) -> PathBuf {
        self.cache()
            .join(format!("publish-offer/{VERSION}/x64/publish-offer"))
    }

    fn install(&self) -> Installed {
        let output_file = self.dir.path().join("github_output");
        let _ = std::fs::remove_file(&output_file);
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(self.dir.path().join("action/install.sh"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUNNER_OS", self.os)
            .env("RUNNER_ARCH", self.arch)
            .env("RUNNER_TOOL_CACHE", self.cache())
            .env("RUNNER_TEMP", self.dir.path())
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_ACTION_REPOSITORY", self.repository)
            .stdin(Stdio::null());
        if let Some(proxy) = &self.proxy {
            command.env("http_proxy", proxy);
        }
        let output = command.output().expect("run install.sh");
        let outputs = std::fs::read_to_string(&output_file).unwrap_or_default();
        Installed {
            code: output.status.code().unwrap_or(-1),
            stdout: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            outputs: parse_github_output(&outputs),
        }
    }
}

fn linux_x64_sums() -> String {
    format!(
        "{}  publish-offer-aarch64-unknown-linux-musl\n{}  {LINUX_X64_ASSET}\n",
        "0".repeat(64),
        sha256_hex(ASSET_BYTES)
    )
}

fn asset_path(asset: &str) -> String {
    format!("/download/v{VERSION}/{asset}")
}

#[test]
fn install_downloads_verifies_and_then_uses_the_tool_cache() {
    let server = FileServer::start();
    server.put(&asset_path(LINUX_X64_ASSET), ASSET_BYTES);
    let runner = Runner::released_on(&server, &linux_x64_sums());

    let first = runner.install();
    assert_eq!(first.code, 0, "{}", first.stdout);
    let binary = runner.cached_binary();
    assert_eq!(
        first.outputs.get("path").map(String::as_str),
        Some(binary.to_str().expect("utf-8 path")),
        "{}",
        first.stdout
    );
    assert_eq!(std::fs::read(&binary).expect("cached binary"), ASSET_BYTES);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&binary).expect("metadata").permissions(),
    );
    assert_eq!(mode & 0o777, 0o755);
    assert!(
        runner
            .cache()
            .join(format!("publish-offer/{VERSION}/x64.complete"))
            .exists()
    );
    assert!(
        first.stdout.contains("downloaded and verified"),
        "{}",
        first.stdout
    );
    assert_eq!(server.requests(), vec![asset_path(LINUX_X64_ASSET)]);

    let second = runner.install();
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert_eq!(second.outputs.get("path"), first.outputs.get("path"));
    assert!(
        second.stdout.contains("from the tool cache"),
        "{}",
        second.stdout
    );
    assert_eq!(server.requests().len(), 1, "the cache hit downloaded again");
}

#[test]
fn install_refuses_a_binary_whose_checksum_differs() {
    let server = FileServer::start();
    server.put(&asset_path(LINUX_X64_ASSET), b"#!/bin/sh\necho tampered\n");
    let runner = Runner::released_on(&server, &linux_x64_sums());

    let installed = runner.install();
    assert_eq!(installed.code, 1, "{}", installed.stdout);
    assert!(
        installed
            .stdout
            .contains("::error title=publish-offer: no binary::refused ")
            && installed.stdout.contains(&sha256_hex(ASSET_BYTES)),
        "{}",
        installed.stdout
    );
    assert!(installed.outputs.is_empty(), "{:?}", installed.outputs);
    assert!(!runner.cached_binary().exists());
    assert!(
        !runner
            .cache()
            .join(format!("publish-offer/{VERSION}/x64.complete"))
            .exists()
    );
    let leftovers: Vec<_> = std::fs::read_dir(runner.cached_binary().parent().expect("dir"))
        .expect("cache dir")
        .collect();
    assert!(leftovers.is_empty(), "partial download left: {leftovers:?}");
}

#[test]
fn install_replaces_a_cached_binary_that_no_longer_matches() {
    let server = FileServer::start();
    server.put(&asset_path(LINUX_X64_ASSET), ASSET_BYTES);
    let runner = Runner::released_on(&server, &linux_x64_sums());
    assert_eq!(runner.install().code, 0);
    std::fs::write(runner.cached_binary(), b"#!/bin/sh\necho swapped\n").expect("tamper");

    let installed = runner.install();
    assert_eq!(installed.code, 0, "{}", installed.stdout);
    assert!(
        installed.stdout.contains("::warning "),
        "{}",
        installed.stdout
    );
    assert_eq!(
        std::fs::read(runner.cached_binary()).expect("binary"),
        ASSET_BYTES
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn install_verifies_in_a_tool_cache_whose_path_has_spaces_and_a_backslash() {
    // GNU sha256sum escapes a file name holding a backslash or a newline and then starts its line
    // with a backslash: the sum read from that line never equalled the committed one.
    let server = FileServer::start();
    server.put(&asset_path(LINUX_X64_ASSET), ASSET_BYTES);
    let runner =
        Runner::released_on(&server, &linux_x64_sums()).with_tool_cache_named("tool cache\\x y");

    let first = runner.install();
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert_eq!(
        first.outputs.get("path").map(String::as_str),
        Some(runner.cached_binary().to_str().expect("utf-8 path"))
    );
    assert_eq!(
        std::fs::read(runner.cached_binary()).expect("binary"),
        ASSET_BYTES
    );
    let second = runner.install();
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert!(
        second.stdout.contains("from the tool cache"),
        "{}",
        second.stdout
    );
    assert_eq!(server.requests().len(), 1, "the cache hit downloaded again");
}

#[test]
fn install_reads_a_release_env_whose_last_line_has_no_newline() {
    let server = FileServer::start();
    server.put(&asset_path(LINUX_X64_ASSET), ASSET_BYTES);
    let release_env = format!(
        "version={VERSION}\ndownload_url={}",
        server.url(&format!("/download/v{VERSION}"))
    );
    let runner = Runner::new(&release_env, &linux_x64_sums());

    let installed = runner.install();
    assert_eq!(installed.code, 0, "{}", installed.stdout);
    assert_eq!(
        std::fs::read(runner.cached_binary()).expect("binary"),
        ASSET_BYTES
    );
}

#[test]
fn install_does_not_trust_a_symlink_in_the_tool_cache() {
    // A link in the cache passes the checksum while its target matches; the target, outside the
    // cache, can change after the check. The cache must hold the verified file itself.
    let server = FileServer::start();
    server.put(&asset_path(LINUX_X64_ASSET), ASSET_BYTES);
    let runner = Runner::released_on(&server, &linux_x64_sums());
    assert_eq!(runner.install().code, 0);
    let elsewhere = runner.dir.path().join("elsewhere");
    std::fs::write(&elsewhere, ASSET_BYTES).expect("write");
    std::fs::set_permissions(
        &elsewhere,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    std::fs::remove_file(runner.cached_binary()).expect("rm");
    std::os::unix::fs::symlink(&elsewhere, runner.cached_binary()).expect("symlink");

    let installed = runner.install();
    assert_eq!(installed.code, 0, "{}", installed.stdout);
    assert!(
        installed.stdout.contains("::warning "),
        "{}",
        installed.stdout
    );
    let cached = std::fs::symlink_metadata(runner.cached_binary()).expect("cached binary");
    assert!(cached.file_type().is_file(), "{cached:?}");
    assert_eq!(
        std::fs::read(runner.cached_binary()).expect("binary"),
        ASSET_BYTES
    );
    assert_eq!(server.requests().len(), 2);

    // A link to a directory: `mv` would have put the download inside it.
    let dir_elsewhere = runner.dir.path().join("dir-elsewhere");
    std::fs::create_dir(&dir_elsewhere).expect("mkdir");
    std::fs::remove_file(runner.cached_binary()).expect("rm");
    std::os::unix::fs::symlink(&dir_elsewhere, runner.cached_binary()).expect("symlink");
    let installed = runner.install();
    assert_eq!(installed.code, 0, "{}", installed.stdout);
    assert_eq!(
        std::fs::read(runner.cached_binary()).expect("binary"),
        ASSET_BYTES
    );
    assert_eq!(
        std::fs::read_dir(&dir_elsewhere).expect("dir").count(),
        0,
        "the download went through the link"
    );
}

#[track_caller]
fn assert_fails_with_advice(installed: &Installed, reason: &str) {
    assert_eq!(installed.code, 1, "{}", installed.stdout);
    let error = installed
        .stdout
        .lines()
        .find(|line| line.starts_with("::error title=publish-offer: no binary::"))
        .unwrap_or_else(|| panic!("no error annotation in:\n{}", installed.stdout));
    assert!(error.contains(reason), "{error}");
    assert!(
        error.contains("uses: Octo-Org/publish-offer@vX.Y.Z")
            && error.contains("uses: docker://ghcr.io/octo-org/publish-offer:X.Y.Z"),
        "{error}"
    );
    assert!(installed.outputs.is_empty(), "{:?}", installed.outputs);
}

#[test]
fn install_without_the_release_asset_fails_with_advice() {
    let server = FileServer::start();
    let runner = Runner::released_on(&server, &linux_x64_sums());
    let installed = runner.install();
    assert_fails_with_advice(&installed, "HTTP 404");
    assert_eq!(server.requests(), vec![asset_path(LINUX_X64_ASSET)]);
}

#[test]
fn install_on_a_revision_without_a_release_fails_at_once() {
    // What main holds until its first release PR: the committed files, empty.
    let release_env = std::fs::read_to_string(repo_file("action/release.env")).expect("file");
    let sums = std::fs::read_to_string(repo_file("action/SHA256SUMS")).expect("file");
    let committed_is_unreleased = release_env.lines().any(|line| line == "version=");
    let runner = if committed_is_unreleased {
        Runner::new(&release_env, &sums)
    } else {
        Runner::new("version=\ndownload_url=\n", "")
    };
    assert_fails_with_advice(&runner.install(), "names no release");
}

#[test]
fn install_advises_the_image_of_the_repository_the_action_comes_from() {
    // The release pushes ghcr.io/<owner>/<name>, both lower-cased: a repository not named
    // publish-offer was advised an image that does not exist.
    let mut runner = Runner::new("version=\ndownload_url=\n", "");
    runner.repository = "Octo-Org/Offer-Tools";
    let installed = runner.install();
    assert_eq!(installed.code, 1, "{}", installed.stdout);
    assert!(
        installed
            .stdout
            .contains("uses: Octo-Org/Offer-Tools@vX.Y.Z")
            && installed
                .stdout
                .contains("uses: docker://ghcr.io/octo-org/offer-tools:X.Y.Z"),
        "{}",
        installed.stdout
    );
}

#[test]
fn install_without_a_checksum_for_the_runner_fails_without_downloading() {
    let server = FileServer::start();
    server.put(
        &asset_path("publish-offer-aarch64-apple-darwin"),
        ASSET_BYTES,
    );
    let runner = Runner::released_on(&server, &linux_x64_sums()).on("macOS", "ARM64");
    assert_fails_with_advice(
        &runner.install(),
        "no checksum for publish-offer-aarch64-apple-darwin",
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    let unsupported = Runner::released_on(&server, &linux_x64_sums()).on("Linux", "ARM");
    assert_fails_with_advice(
        &unsupported.install(),
        "no release binary for runner Linux/ARM",
    );
}

#[test]
fn install_picks_the_asset_of_each_runner() {
    let cases = [
        ("Linux", "X64", "publish-offer-x86_64-unknown-linux-musl"),
        ("Linux", "ARM64", "publish-offer-aarch64-unknown-linux-musl"),
        ("macOS", "ARM64", "publish-offer-aarch64-apple-darwin"),
        ("macOS", "X64", "publish-offer-x86_64-apple-darwin"),
    ];
    let server = FileServer::start();
    let mut sums = String::new();
    for (_, _, asset) in cases {
        server.put(&asset_path(asset), asset.as_bytes());
        sums.push_str(&format!("{}  {asset}\n", sha256_hex(asset.as_bytes())));
    }
    for (os, arch, asset) in cases {
        let runner = Runner::released_on(&server, &sums).on(os, arch);
        let installed = runner.install();
        assert_eq!(installed.code, 0, "{os}/{arch}: {}", installed.stdout);
        let path = installed.outputs.get("path").expect("path output");
        assert_eq!(std::fs::read(path).expect("binary"), asset.as_bytes());
        assert!(
            path.ends_with(&format!("/{}/publish-offer", arch.to_ascii_lowercase())),
            "{path}"
        );
    }
}

#[test]
fn install_sends_plain_http_only_to_loopback_even_behind_userinfo() {
    // The host of `http://127.0.0.1:1@mirror.example/...` is mirror.example: plain http must
    // not go there. The loopback server stands in as the proxy the request would go through.
    let proxy = FileServer::start();
    let release_env =
        format!("version={VERSION}\ndownload_url=http://127.0.0.1:1@mirror.example/download\n");
    let mut runner = Runner::new(&release_env, &linux_x64_sums());
    runner.proxy = Some(proxy.url(""));
    let installed = runner.install();
    assert_eq!(installed.code, 1, "{}", installed.stdout);
    assert!(
        installed.stdout.contains("download_url must be https"),
        "{}",
        installed.stdout
    );
    assert_eq!(
        proxy.requests(),
        Vec::<String>::new(),
        "plain http went to another host\n{}",
        installed.stdout
    );
}
