#!/usr/bin/env python3
"""Writes the mutation-testing table into TESTING.md from cargo-mutants' result lists.

Usage: mutants_report.py OUT SURVIVORS_FILE TESTING_MD FILE...

OUT/unit/mutants.out holds pass 1 (unit tests), OUT/suite/mutants.out pass 2 (the whole suite on
the survivors of pass 1). Each list line is `path:line:column: description`.
"""

import json
import re
import sys
from pathlib import Path

BEGIN = "<!-- mutants:begin -->"
END = "<!-- mutants:end -->"
LOCATION = re.compile(r"^(?P<file>[^:]+):\d+:\d+: (?P<description>.*)$")


def read(directory: Path, name: str) -> list[str]:
    path = directory / f"{name}.txt"
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line.strip()]


def file_of(line: str) -> str:
    match = LOCATION.match(line)
    return match.group("file") if match else line.split(":", 1)[0]


def key(line: str) -> str:
    """A survivor without its line and column, which move as the code changes."""
    match = LOCATION.match(line)
    return f"{match.group('file')}: {match.group('description')}" if match else line


FAILED_TEST = re.compile(r"^test (?P<name>\S+) \.\.\. FAILED$")


def killers(results: Path) -> dict[str, list[str]]:
    """For each mutant caught in `results`, the tests that failed on it (from its log)."""
    outcomes = results / "outcomes.json"
    if not outcomes.exists():
        return {}
    found = {}
    for outcome in json.loads(outcomes.read_text()).get("outcomes", []):
        scenario = outcome.get("scenario")
        if not isinstance(scenario, dict) or outcome.get("summary") != "CaughtMutant":
            continue
        log = results / outcome.get("log_path", "")
        names = []
        if log.is_file():
            for line in log.read_text(errors="replace").splitlines():
                match = FAILED_TEST.match(line.strip())
                if match and match.group("name") not in names:
                    names.append(match.group("name"))
        found[scenario["Mutant"]["name"]] = names
    return found


def main() -> int:
    out, survivors_file, testing_md, *files = sys.argv[1:]
    unit = Path(out) / "unit" / "mutants.out"
    suite = Path(out) / "suite" / "mutants.out"
    if not unit.is_dir():
        print(f"no results in {unit}: run scripts/mutants.sh first", file=sys.stderr)
        return 1
    explained = {}
    survivors_path = Path(survivors_file)
    if survivors_path.exists():
        for line in survivors_path.read_text().splitlines():
            if line.strip() and not line.startswith("#") and "\t" in line:
                mutant, why = line.split("\t", 1)
                explained[mutant.strip()] = why.strip()

    unit_lists = {name: read(unit, name) for name in ("caught", "missed", "timeout", "unviable")}
    suite_ran = (suite / "outcomes.json").exists()
    suite_lists = {name: read(suite, name) for name in ("caught", "missed", "timeout", "unviable")}

    rows = []
    survivors = []
    totals = [0] * 6
    for file in files:
        def count(lists, name):
            return sum(1 for line in lists[name] if file_of(line) == file)

        viable_unit = count(unit_lists, "caught") + count(unit_lists, "timeout")
        unviable = count(unit_lists, "unviable")
        if suite_ran:
            by_suite = count(suite_lists, "caught") + count(suite_lists, "timeout")
            missed_lines = [l for l in suite_lists["missed"] if file_of(l) == file]
        else:
            by_suite = 0
            missed_lines = [l for l in unit_lists["missed"] if file_of(l) == file]
        missed = len(missed_lines)
        viable = viable_unit + by_suite + missed
        caught = viable_unit + by_suite
        share = f"{100 * caught / viable:.1f}%" if viable else "n/a"
        rows.append(f"| `{file}` | {viable} | {viable_unit} | {by_suite} | {missed} | {unviable} | {share} |")
        for i, value in enumerate((viable, viable_unit, by_suite, missed, unviable, caught)):
            totals[i] += value
        survivors.extend(missed_lines)

    viable, by_unit, by_suite, missed, unviable, caught = totals
    share = f"{100 * caught / viable:.1f}%" if viable else "n/a"
    lines = [
        BEGIN,
        "",
        "| file | viable mutants | caught by unit tests | caught by the whole suite (pass 2) | missed | unviable | caught |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        f"| **all** | {viable} | {by_unit} | {by_suite} | {missed} | {unviable} | {share} |",
        "",
    ]
    if not suite_ran:
        lines += ["Pass 2 (the whole suite) has not run: the missed column is pass 1's.", ""]
    if survivors:
        lines += ["Survivors, each with the reason no test can tell it apart:", ""]
        for line in sorted(survivors):
            why = explained.get(key(line), "UNEXPLAINED")
            lines.append(f"- `{line}`: {why}")
    else:
        lines.append("No survivors.")
    caught_late = killers(suite) if suite_ran else {}
    if caught_late:
        lines += [
            "",
            "Survivors of the unit tests that the whole suite kills, with the tests that failed:",
            "",
        ]
        for mutant in sorted(caught_late):
            tests = ", ".join(f"`{name}`" for name in caught_late[mutant][:4]) or "(see its log)"
            more = len(caught_late[mutant]) - 4
            if more > 0:
                tests += f" and {more} more"
            lines.append(f"- `{mutant}`: {tests}")
    lines += ["", END]

    path = Path(testing_md)
    text = path.read_text() if path.exists() else f"# Testing\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + "\n".join(lines) + tail)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
