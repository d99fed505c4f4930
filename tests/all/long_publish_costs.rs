//! docs/long-publishes.md: the runner-minutes per day of each watch pattern are computed from
//! the watch examples' schedules (or pauses), their watching job's limit and its wait.

use yaml_rust2::YamlLoader;

use crate::ci_jobs::{Component, jobs_of, repo_path};

/// How many values a cron field takes in `0..range`: `*`, `*/n`, `a-b`, `a,b,c` or one value.
fn cron_values(field: &str, range: u64) -> u64 {
    field
        .split(',')
        .map(|part| {
            if part == "*" {
                range
            } else if let Some(step) = part.strip_prefix("*/") {
                step.parse::<u64>().map_or(0, |step| range.div_ceil(step))
            } else if let Some((low, high)) = part.split_once('-') {
                let bound = |text: &str| text.parse::<u64>().unwrap_or(0);
                bound(high).saturating_sub(bound(low)) + 1
            } else {
                1
            }
        })
        .sum()
}

/// Runs a day of a cron schedule that runs every day.
fn runs_a_day(cron: &str) -> u64 {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{cron}");
    assert!(
        fields[2..].iter().all(|field| *field == "*"),
        "{cron}: not daily"
    );
    cron_values(fields[0], 60) * cron_values(fields[1], 24)
}

/// The watch example's runs a day, its watching job's limit and its wait, in minutes.
fn watch_cost(path: &str, component: &Component) -> (u64, u64, u64) {
    let text = std::fs::read_to_string(repo_path(path)).expect("example");
    let doc = YamlLoader::load_from_str(&text).expect("yaml").remove(0);
    let jobs = jobs_of(&doc, component);
    let is_pause = |what: &String| what.contains("(Delay ");
    let watching = jobs
        .iter()
        .filter(|job| job.waits.iter().all(|(what, _)| !is_pause(what)))
        .max_by_key(|job| job.waits.iter().map(|(_, seconds)| *seconds).sum::<u64>())
        .expect("a watching job");
    let wait: u64 = watching.waits.iter().map(|(_, seconds)| seconds).sum();
    let pause = jobs
        .iter()
        .flat_map(|job| &job.waits)
        .find(|(what, _)| is_pause(what))
        .map(|(_, seconds)| seconds / 60);
    let cron = doc["on"]["schedule"][0]["cron"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            // A GitLab schedule lives in the project's settings; the example names it in a comment.
            let after = text.split_once("Pipeline schedules: \"")?.1;
            Some(after.split_once('"')?.0.to_owned())
        });
    let runs = match (cron, pause) {
        (Some(cron), _) => runs_a_day(&cron),
        (None, Some(pause)) => 1440 / pause,
        (None, None) => panic!("{path}: neither a schedule nor a pause"),
    };
    (runs, watching.limit / 60, wait / 60)
}

#[test]
fn the_runner_minutes_of_long_publishes_are_the_examples() {
    assert_eq!(runs_a_day("17 * * * *"), 24);
    assert_eq!(runs_a_day("*/30 * * * *"), 48);
    assert_eq!(runs_a_day("0,30 */2 * * *"), 24);
    let component = Component::load();
    let page = std::fs::read_to_string(repo_path("docs/long-publishes.md")).expect("page");
    let mut rows = 0;
    for line in page.lines().filter(|line| line.contains("| examples/")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (runs, limit, wait) = watch_cost(cells[2], &component);
        let expected = [runs, limit, runs * limit, runs * (wait + 1)].map(|n| n.to_string());
        assert_eq!(cells[3..7], expected, "{line}");
        rows += 1;
    }
    assert_eq!(rows, 3, "one row per watch example");
}
