//! The release: tags it makes (version, minor, major, never backwards), its workflow, and docs that
//! name only those tags.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use yaml_rust2::YamlLoader;

use crate::support::*;

/// What `.github/scripts/release-tags` says a release of `version` makes.
fn release_tags(version: &str) -> std::collections::HashMap<String, String> {
    release_tags_beside(version, &[])
}

/// What `.github/scripts/release-tags` says a release of `version` makes in a repository that
/// holds the tags `released`.
fn release_tags_beside(
    version: &str,
    released: &[&str],
) -> std::collections::HashMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/scripts/release-tags");
    let output = Command::new("bash")
        .arg(script)
        .args([version, "ghcr.io/OWNER/publish-offer"])
        .args(released)
        .output()
        .expect("run release-tags");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn release_tags_are_the_version_its_minor_and_major() {
    let stable = release_tags("1.2.3");
    let image = "ghcr.io/OWNER/publish-offer";
    assert_eq!(
        stable["runtime-tags"],
        format!("{image}:1.2.3,{image}:1.2,{image}:1")
    );
    assert_eq!(
        stable["shell-tags"],
        format!("{image}:1.2.3-shell,{image}:1.2-shell,{image}:1-shell")
    );
    assert_eq!(stable["version-tag"], "v1.2.3");
    assert_eq!(stable["moving-tags"], "v1.2 v1");
    // The GitLab CI/CD catalog takes only a plain semantic version as a release tag.
    assert_eq!(stable["component-tag"], "1.2.3");
    let prerelease = release_tags("1.2.3-rc.1");
    assert_eq!(prerelease["runtime-tags"], format!("{image}:1.2.3-rc.1"));
    assert_eq!(prerelease["moving-tags"], "");
}

/// A patch of an older line does not take the moving tags of a newer release: 1.2.5 released
/// after 1.3.0 moved v1 and :1 back to 1.2.5.
#[test]
fn release_tags_never_move_a_tag_back_to_an_older_line() {
    let image = "ghcr.io/OWNER/publish-offer";
    let released = [
        "v1.2.4",
        "v1.3.0",
        "v1.4.0-rc.1",
        "v2.0.0",
        "v0.9.9",
        "latest",
    ];
    let patch = release_tags_beside("1.2.5", &released);
    assert_eq!(patch["moving-tags"], "v1.2");
    assert_eq!(patch["runtime-tags"], format!("{image}:1.2.5,{image}:1.2"));
    assert_eq!(
        patch["shell-tags"],
        format!("{image}:1.2.5-shell,{image}:1.2-shell")
    );

    let behind_a_patch = release_tags_beside("1.3.0", &["v1.3.1"]);
    assert_eq!(behind_a_patch["moving-tags"], "");
    assert_eq!(behind_a_patch["runtime-tags"], format!("{image}:1.3.0"));

    // A pre-release of a newer line and releases of other majors hold nothing back.
    let newest = release_tags_beside("1.3.1", &released);
    assert_eq!(newest["moving-tags"], "v1.3 v1");
}

/// The release workflow pushes the images under release-tags' tags and moves its moving tags.
#[test]
fn the_release_workflow_uses_the_release_tags() {
    let text = repo_text(".github/workflows/release.yml");
    let workflow = YamlLoader::load_from_str(&text).expect("YAML").remove(0);
    let image_steps = workflow["jobs"]["image"]["steps"]
        .as_vec()
        .expect("image steps");
    let tags_step = image_steps
        .iter()
        .find(|step| step["id"].as_str() == Some("tags"))
        .expect("a step with id tags");
    // Both give release-tags the repository's tags, so that neither moves a tag backwards.
    let with_released_tags = |run: &str| {
        run.contains("git/matching-refs/tags/v")
            && (run.contains(".github/scripts/release-tags \"$VERSION\" \"$image\" $released")
                || run.contains(".github/scripts/release-tags \"$VERSION\" unused $released"))
    };
    assert!(
        tags_step["run"].as_str().is_some_and(with_released_tags),
        "the tags step runs release-tags with the released tags"
    );
    let pushed: Vec<&str> = image_steps
        .iter()
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("docker/build-push-action@"))
        })
        .map(|step| step["with"]["tags"].as_str().expect("tags"))
        .collect();
    assert_eq!(
        pushed,
        [
            "${{ steps.tags.outputs.runtime-tags }}",
            "${{ steps.tags.outputs.shell-tags }}"
        ]
    );
    let moving = workflow["jobs"]["moving-tags"]["steps"]
        .as_vec()
        .expect("moving-tags steps")
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect::<String>();
    assert!(with_released_tags(&moving), "{moving}");
    assert!(moving.contains("s/^moving-tags=//p"), "{moving}");
}

/// A prepare run and a publish run never share a concurrency group. GitHub keeps one pending run
/// per group and cancels the one pending before it: with a single group, a publish run queued
/// behind a running prepare was cancelled by the next dispatch, and nothing pushes
/// action/release.env again to publish that release.
#[test]
fn the_release_workflow_never_cancels_a_pending_publish_for_a_prepare() {
    let text = repo_text(".github/workflows/release.yml");
    let workflow = YamlLoader::load_from_str(&text).expect("YAML").remove(0);
    let concurrency = &workflow["concurrency"];
    assert_eq!(concurrency["cancel-in-progress"].as_bool(), Some(false));
    let group = concurrency["group"].as_str().expect("a concurrency group");
    assert!(group.contains("${{ github.event_name }}"), "{group}");
}

/// The release PR's lines that point the GitLab component's default image at the release, run
/// twice as two releases would: a repository not named publish-offer (a renamed fork, upper-case
/// owner) got its image written at the first release and the second found no line to replace.
#[test]
fn the_release_pr_sets_the_gitlab_component_image_release_after_release() {
    let text = repo_text(".github/workflows/release.yml");
    let workflow = YamlLoader::load_from_str(&text).expect("YAML").remove(0);
    let run = workflow["jobs"]["release-pr"]["steps"]
        .as_vec()
        .expect("release-pr steps")
        .iter()
        .find(|step| step["name"].as_str() == Some("The release PR's files"))
        .and_then(|step| step["run"].as_str())
        .expect("the step writing the release PR's files");
    let image_lines: String = run
        .lines()
        .map(str::trim_start)
        .filter(|line| {
            line.starts_with("image_line=")
                || line.starts_with("sed -E -i")
                || line.starts_with("grep -qxF \"$image_line\"")
        })
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(image_lines.lines().count(), 3, "{run}");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("templates")).expect("mkdir");
    let template = dir.path().join("templates/publish-offer.yml");
    std::fs::write(&template, repo_text("templates/publish-offer.yml")).expect("copy");
    for (repository, version, image) in [
        (
            "Octo-Org/Offer-Tools",
            "1.0.0",
            "ghcr.io/octo-org/offer-tools:1.0.0-shell",
        ),
        (
            "Octo-Org/Offer-Tools",
            "1.0.1",
            "ghcr.io/octo-org/offer-tools:1.0.1-shell",
        ),
        (
            "octo/publish-offer",
            "1.1.0",
            "ghcr.io/octo/publish-offer:1.1.0-shell",
        ),
    ] {
        let output = Command::new("bash")
            .args(["-e", "-c", &image_lines])
            .current_dir(dir.path())
            .env("GITHUB_REPOSITORY", repository)
            .env("VERSION", version)
            .output()
            .expect("bash");
        assert!(
            output.status.success(),
            "{repository} {version}: {output:?}"
        );
        let written = std::fs::read_to_string(&template).expect("template");
        assert!(
            written
                .lines()
                .any(|line| line == format!("      default: {image}")),
            "{written}"
        );
    }
}

/// Every image tag and action ref in the README, examples/, action.yml and the install scripts'
/// messages is one the release makes (`X.Y.Z`-style placeholders read as 1.2.3), under the
/// `OWNER` placeholder the README explains, never a made-up owner.
#[test]
fn docs_name_only_tags_the_release_makes() {
    let stable = release_tags("1.2.3");
    let prerelease = release_tags("1.2.3-rc.1");
    let mut images = BTreeSet::new();
    let mut refs = BTreeSet::new();
    for tags in [&stable, &prerelease] {
        for key in ["runtime-tags", "shell-tags"] {
            images.extend(tags[key].split(',').map(str::to_owned));
        }
        refs.insert(format!("OWNER/publish-offer@{}", tags["version-tag"]));
        // The component, from a GitLab mirror's catalog entry: <host>/<group>/<mirror>/publish-offer@1.2.3.
        refs.insert(format!("<mirror>/publish-offer@{}", tags["component-tag"]));
        refs.extend(
            tags["moving-tags"]
                .split_whitespace()
                .map(|tag| format!("OWNER/publish-offer@{tag}")),
        );
    }
    let image_ref = regex_lite::Regex::new(
        r"ghcr\.io/[A-Za-z0-9_.<>-]+/publish-offer:[A-Za-z0-9_.-]*[A-Za-z0-9]",
    )
    .expect("regex");
    let action_ref =
        regex_lite::Regex::new(r"[A-Za-z0-9_.<>-]+/publish-offer@[A-Za-z0-9_.-]*[A-Za-z0-9]")
            .expect("regex");
    let mut files = example_files();
    files.extend(doc_files());
    files.extend(
        [
            "action.yml",
            "action/install.sh",
            "action/install.ps1",
            "templates/publish-offer.yml",
        ]
        .map(str::to_owned),
    );
    // The release PR writes the GitLab component's default image with the real owner.
    let released_owner =
        regex_lite::Regex::new(r"ghcr\.io/[a-z0-9_.-]+/publish-offer:").expect("regex");
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in &files {
        let mut text = repo_text(file);
        if file.starts_with("templates/") {
            text = released_owner
                .replace_all(&text, "ghcr.io/OWNER/publish-offer:")
                .into_owned();
        }
        assert!(
            !text.contains("contoso/publish-offer") && !text.contains("ghcr.io/contoso"),
            "{file} names a placeholder owner; write OWNER/publish-offer"
        );
        let placeholder = |found: &str| {
            found
                .replace("X.Y.Z", "1.2.3")
                .replace("X.Y", "1.2")
                .replace(":X", ":1")
                .replace("@vX", "@v1")
        };
        for found in image_ref.find_iter(&text) {
            seen += 1;
            if !images.contains(&placeholder(found.as_str())) {
                wrong.push(format!("{file}: image {}", found.as_str()));
            }
        }
        for found in action_ref.find_iter(&text) {
            seen += 1;
            let found = found.as_str();
            let pinned_sha = found
                .rsplit('@')
                .next()
                .is_some_and(|sha| sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()));
            if !pinned_sha && !refs.contains(&placeholder(found)) {
                wrong.push(format!("{file}: action ref {found}"));
            }
        }
    }
    assert!(seen > 5, "the patterns found only {seen} references");
    assert!(
        wrong.is_empty(),
        "not made by the release:\n{}",
        wrong.join("\n")
    );
}
