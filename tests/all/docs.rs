//! The documentation as a reader meets it: every relative link between the README and docs/
//! leads somewhere, and the README's first two commands do what they say on a fresh copy of the
//! repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The pages whose links are checked: the README, docs/ and the other top-level guides.
fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    for top in ["README.md", "SECURITY.md", "TESTING.md", "BENCHMARKS.md"] {
        pages.insert(0, root().join(top));
    }
    pages
}

/// Pages other branches write (issue 24's long publishes and GitLab pages, the image-version
/// feature's page). A link to one is
/// checked like any other once the page exists; until then it is allowed only because it is
/// listed here. Remove an entry when its branch has merged.
const WRITTEN_ELSEWHERE: &[&str] = &[];

/// The text outside fenced code blocks: a link inside an example is not a link.
fn prose(markdown: &str) -> String {
    let mut fenced = false;
    let mut text = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// The anchor GitHub gives a heading: lower case, spaces to `-`, punctuation other than `-` and
/// `_` dropped, and `-1`, `-2`... on repeats.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut anchors = BTreeSet::new();
    for line in prose(markdown).lines() {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#').trim();
        let slug: String = heading
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                '-' | '_' => Some(c),
                c if c.is_alphanumeric() => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        let count = seen.entry(slug.clone()).or_default();
        anchors.insert(if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    anchors
}

/// `base/../x/./y` without touching the file system, so a missing target is reported as such.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every relative link of every page that leads nowhere: a missing file, or an `#anchor` no
/// heading of its page makes.
fn broken_links() -> Vec<String> {
    let link = regex_lite::Regex::new(r"\]\(([^)\s]+)\)").expect("regex");
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        let name = page
            .strip_prefix(root())
            .unwrap_or(&page)
            .display()
            .to_string();
        for found in link.captures_iter(&prose(&text)) {
            let target = &found[1];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                page.clone()
            } else {
                normalize(&page.parent().expect("a folder").join(file))
            };
            let relative = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            if !path.exists() {
                if !WRITTEN_ELSEWHERE.contains(&relative.as_str()) {
                    broken.push(format!("{name}: {target}: no file {relative}"));
                }
                continue;
            }
            if !anchor.is_empty() {
                let target_text = std::fs::read_to_string(&path).unwrap_or_default();
                if !anchors(&target_text).contains(anchor) {
                    broken.push(format!("{name}: {target}: no heading makes #{anchor}"));
                }
            }
        }
    }
    assert!(checked > 30, "found only {checked} relative links");
    broken
}

#[test]
fn every_link_between_the_readme_and_docs_leads_somewhere() {
    let broken = broken_links();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_check_knows_github_anchors() {
    let page = "# Try it\n## 3. Trust your CI system: federated credentials\n## Try it\n\
                ```sh\n# not a heading\n```\n### `api: auto`, one lookup\n";
    let found = anchors(page);
    let expected = [
        "try-it",
        "3-trust-your-ci-system-federated-credentials",
        "try-it-1",
        "api-auto-one-lookup",
    ];
    assert_eq!(
        found,
        expected.iter().map(|anchor| (*anchor).to_owned()).collect()
    );
    assert_eq!(
        normalize(Path::new("/r/docs/../README.md")),
        Path::new("/r/README.md")
    );
}

/// The README stays a front page: the reference lives in docs/.
#[test]
fn the_readme_is_a_front_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 260,
        "README.md has {lines} lines; move reference to docs/"
    );
}

/// One command of the README's first shell block, and what its comment promises.
struct ReadmeCommand {
    line: String,
    status: Option<String>,
}

/// The first two commands of the README's first `sh` block, exactly as written (comments
/// dropped), with the status each promises (`# -> succeeded ...`).
fn first_two_commands() -> Vec<ReadmeCommand> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a sh block in the README");
    block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .take(2)
        .map(|line| {
            let (command, comment) = line.split_once(" #").unwrap_or((line, ""));
            let status = comment.split_once("-> ").map(|(_, promise)| {
                promise
                    .split([' ', ':'])
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            });
            ReadmeCommand {
                line: command.trim().to_owned(),
                status,
            }
        })
        .collect()
}

/// A fresh copy of the repository's tracked files (what a clone holds: no target/, nothing
/// untracked), always at the same place so that its build is incremental from one test run to
/// the next instead of compiling every dependency each time.
fn fresh_copy() -> PathBuf {
    let base = root().join("target/newcomer");
    let copy = base.join("checkout");
    if copy.exists() {
        std::fs::remove_dir_all(&copy).expect("remove the old copy");
    }
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .expect("git ls-files (the newcomer test copies the tracked files)");
    assert!(listed.status.success(), "{listed:?}");
    let mut copied = 0;
    for file in listed
        .stdout
        .split(|byte| *byte == 0)
        .filter(|f| !f.is_empty())
    {
        let relative = Path::new(std::str::from_utf8(file).expect("a UTF-8 path"));
        let source = root().join(relative);
        // A tracked file deleted in the working tree is not part of what a clone would build.
        if !source.is_file() {
            continue;
        }
        let target = copy.join(relative);
        std::fs::create_dir_all(target.parent().expect("a folder")).expect("mkdir");
        std::fs::copy(&source, &target).expect("copy");
        copied += 1;
    }
    assert!(copied > 20, "copied only {copied} files");
    copy
}

/// Issue 23 item 7: a newcomer follows the README's first two commands as written, from a clean
/// checkout (a copy of the tracked files), with a clean environment: no `MARKETPLACE_*`, no CI
/// variables. The build goes to target/newcomer/target: the `cargo test` running this holds the
/// lock of the tree's own target/, and a separate folder also keeps it from reusing the tree's
/// build.
#[test]
fn newcomer_the_readmes_first_two_commands_work_as_written() {
    let commands = first_two_commands();
    assert_eq!(commands.len(), 2, "the README's first sh block");
    assert!(
        commands[0].line.starts_with("cargo build") && commands[1].line.starts_with("cargo run"),
        "the README starts with a build and a run: {:?} {:?}",
        commands[0].line,
        commands[1].line
    );
    let copy = fresh_copy();
    for command in &commands {
        let mut run = Command::new("sh");
        run.args(["-c", &command.line])
            .current_dir(&copy)
            .env_clear()
            .env("CARGO_TARGET_DIR", root().join("target/newcomer/target"))
            // No network in the tests: the dependencies are already in the cargo home.
            .env("CARGO_NET_OFFLINE", "true");
        for name in [
            "PATH",
            "HOME",
            "CARGO_HOME",
            "RUSTUP_HOME",
            "RUSTUP_TOOLCHAIN",
        ] {
            if let Some(value) = std::env::var_os(name) {
                run.env(name, value);
            }
        }
        let output = run.output().expect("sh");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{}\n{:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            command.line,
            output.status
        );
        if let Some(status) = &command.status {
            assert!(
                stdout.contains(&format!("publish-offer: {status} after")),
                "{} promises {status}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                command.line
            );
        }
    }
    assert!(
        commands[1].status.is_some(),
        "the README's second command says what it ends with (# -> status)"
    );
}
