#!/usr/bin/env bash
# Mutation testing of the files where a wrong line makes the product lie or leak: secret
# redaction, annotation selection, operation parsing, the outcome table, retry and waiting.
#
#   scripts/mutants.sh            both passes, then TESTING.md's numbers
#   scripts/mutants.sh --report   only rewrite TESTING.md from the last results
#
# Pass 1 runs every mutant against the unit tests (`cargo test --lib`: seconds per mutant).
# Pass 2 runs only the survivors of pass 1 against the whole suite, end-to-end tests included
# (`--iterate` skips what pass 1 caught or could not build). The results stay in
# target/mutants/{unit,suite}; the table in TESTING.md between the `mutants:` markers is
# rewritten from them, and each survivor is listed with its explanation from
# scripts/mutants-survivors.txt (one `mutant<TAB>explanation` per line; "UNEXPLAINED" otherwise).
#
# It takes tens of minutes and is not part of .ci/run. Environment:
#   MUTANTS_JOBS        parallel builds (default 1)
#   MUTANTS_TIMEOUT     seconds before a mutant's test run counts as a hang (default 300)
#   PUBLISH_OFFER_TEST_RUN_LIMIT  the e2e watchdog, lowered here to 30 s: a mutant that hangs
#                       the binary fails its test in half a minute (no test runs longer than 20 s)
#   PROPTEST_CASES      cases per property test (default 16)
set -euo pipefail

cd "$(dirname "$0")/.."

FILES=(
    src/secret.rs
    src/report/annotations.rs
    src/api/model.rs
    src/outcome.rs
    src/transport/retry.rs
    src/wait/mod.rs
)
OUT=target/mutants
JOBS=${MUTANTS_JOBS:-1}
TIMEOUT=${MUTANTS_TIMEOUT:-300}
export PUBLISH_OFFER_TEST_RUN_LIMIT=${PUBLISH_OFFER_TEST_RUN_LIMIT:-30}
# Property tests run 16 cases per mutant instead of 256: they guard escaping and parsing helpers
# outside these files, and 256 cases would triple the time of pass 1.
export PROPTEST_CASES=${PROPTEST_CASES:-16}

if ! command -v cargo-mutants >/dev/null; then
    echo "cargo-mutants is not installed: cargo install --locked cargo-mutants" >&2
    exit 1
fi

file_args=()
for file in "${FILES[@]}"; do
    file_args+=(--file "$file")
done
# --copy-target: the scratch copy starts from this tree's build instead of building every
# dependency again. --no-shuffle: the same order each time, so runs can be compared.
common=(--no-shuffle --copy-target=true -j "$JOBS" --timeout "$TIMEOUT" "${file_args[@]}")

run_passes() {
    rm -rf "$OUT/unit" "$OUT/suite"
    mkdir -p "$OUT/unit" "$OUT/suite"
    # Exit code 2 means some mutants were missed, 3 that some timed out: expected here.
    echo "== pass 1: unit tests" >&2
    # --cargo-arg=--lib: only the library and its unit tests are built and run, not the binary and
    # the end-to-end tests (`-- --lib` alone would still build them for every mutant).
    cargo mutants "${common[@]}" --cargo-arg=--lib --output "$OUT/unit" || [ $? -le 3 ]
    cp -r "$OUT/unit/mutants.out" "$OUT/suite/mutants.out"
    echo "== pass 2: the whole suite, on the survivors of pass 1" >&2
    cargo mutants "${common[@]}" --iterate --output "$OUT/suite" || [ $? -le 3 ]
}

if [ "${1:-}" != "--report" ]; then
    run_passes
fi
python3 scripts/mutants_report.py "$OUT" scripts/mutants-survivors.txt TESTING.md "${FILES[@]}"
