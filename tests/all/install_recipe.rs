//! examples/install-publish-offer.sh, the install recipe for CI agents without Docker: against a
//! loopback stand-in for the release, it downloads the binary for this machine, verifies it
//! against SHA256SUMS (the release's, or a pinned copy), and the installed binary runs. A binary
//! whose checksum differs is refused and nothing is left in place.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{FileServer, wait_bounded};

const VERSION: &str = "1.2.3";

fn recipe() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/install-publish-offer.sh")
}

/// This machine's asset name, as the recipe maps `uname`.
fn asset() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "aarch64") => "publish-offer-aarch64-unknown-linux-musl",
        ("macos", "aarch64") => "publish-offer-aarch64-apple-darwin",
        ("macos", _) => "publish-offer-x86_64-apple-darwin",
        _ => "publish-offer-x86_64-unknown-linux-musl",
    }
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

fn built_binary() -> Vec<u8> {
    std::fs::read(env!("CARGO_BIN_EXE_publish-offer")).expect("the built binary")
}

fn install(server: &FileServer, dir: &Path, extra: &[(&str, &str)]) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(recipe())
        .arg(VERSION)
        .arg(dir.join("bin"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "PUBLISH_OFFER_DOWNLOAD_URL",
            server.url(&format!("/download/v{VERSION}")),
        )
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in extra {
        command.env(name, value);
    }
    wait_bounded(command.spawn().expect("bash"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_recipe_downloads_verifies_and_the_binary_runs() {
    let binary = built_binary();
    let server = FileServer::start();
    server.put(&format!("/download/v{VERSION}/{}", asset()), &binary);
    let sums = format!(
        "{}  publish-offer-other\n{}  {}\n",
        "0".repeat(64),
        sha256_hex(&binary),
        asset()
    );
    server.put(&format!("/download/v{VERSION}/SHA256SUMS"), sums.as_bytes());
    let dir = tempfile::tempdir().expect("temp dir");

    let output = install(&server, dir.path(), &[("TF_BUILD", "True")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let installed = dir.path().join("bin/publish-offer");
    assert_eq!(
        lines,
        vec![
            format!(
                "##vso[task.prependpath]{}",
                dir.path().join("bin").display()
            ),
            installed.display().to_string()
        ],
        "{}",
        text(&output)
    );
    assert_eq!(
        server.requests(),
        vec![
            format!("/download/v{VERSION}/SHA256SUMS"),
            format!("/download/v{VERSION}/{}", asset())
        ]
    );
    let ran = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("run the installed binary");
    assert!(ran.status.success());
    assert!(String::from_utf8_lossy(&ran.stdout).starts_with("publish-offer "));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("bin"))
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec!["publish-offer"],
        "a download was left behind"
    );
}

#[test]
fn the_recipe_refuses_a_binary_that_does_not_match_a_pinned_sums_file() {
    // The release's own SHA256SUMS agrees with the tampered binary; the pinned copy does not.
    let binary = built_binary();
    let tampered = b"#!/bin/sh\necho tampered\n";
    let server = FileServer::start();
    server.put(&format!("/download/v{VERSION}/{}", asset()), tampered);
    let served_sums = format!("{}  {}\n", sha256_hex(tampered), asset());
    server.put(
        &format!("/download/v{VERSION}/SHA256SUMS"),
        served_sums.as_bytes(),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let pinned = dir.path().join("SHA256SUMS");
    std::fs::write(&pinned, format!("{}  {}\n", sha256_hex(&binary), asset())).expect("pinned");

    let output = install(
        &server,
        dir.path(),
        &[("PUBLISH_OFFER_SHA256SUMS", pinned.to_str().expect("utf-8"))],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains(&format!(
            "refused {}",
            server.url(&format!("/download/v{VERSION}/{}", asset()))
        )) && text(&output).contains(&sha256_hex(&binary)),
        "{}",
        text(&output)
    );
    assert_eq!(
        server.requests(),
        vec![format!("/download/v{VERSION}/{}", asset())]
    );
    assert!(!dir.path().join("bin/publish-offer").exists());
    assert_eq!(
        std::fs::read_dir(dir.path().join("bin"))
            .expect("dir")
            .count(),
        0
    );
}

#[test]
fn the_recipe_refuses_a_release_without_a_checksum_for_the_machine() {
    let server = FileServer::start();
    server.put(&format!("/download/v{VERSION}/{}", asset()), b"anything");
    server.put(
        &format!("/download/v{VERSION}/SHA256SUMS"),
        format!("{}  publish-offer-other\n", "0".repeat(64)).as_bytes(),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let output = install(&server, dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains(&format!("SHA256SUMS has no checksum for {}", asset())),
        "{}",
        text(&output)
    );
    assert_eq!(
        server.requests(),
        vec![format!("/download/v{VERSION}/SHA256SUMS")]
    );
}

#[test]
fn the_recipe_sends_plain_http_only_to_loopback_even_behind_userinfo() {
    // `http://127.0.0.1:1@mirror.example/...` starts like a loopback URL, but its host is
    // mirror.example (127.0.0.1:1 is userinfo): plain http must not leave the machine for it.
    // The loopback server stands in as the proxy such a request would go through.
    let proxy = FileServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let output = install(
        &proxy,
        dir.path(),
        &[
            (
                "PUBLISH_OFFER_DOWNLOAD_URL",
                "http://127.0.0.1:1@mirror.example/download",
            ),
            ("http_proxy", &proxy.url("")),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("PUBLISH_OFFER_DOWNLOAD_URL must be https"),
        "{}",
        text(&output)
    );
    assert_eq!(
        proxy.requests(),
        Vec::<String>::new(),
        "plain http went to another host\n{}",
        text(&output)
    );
}
