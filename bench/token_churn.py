#!/usr/bin/env python3
"""A day's wait with 5-minute tokens, played in minutes (issue 22, item 3).

What grows with a long wait is counted in events, not seconds: token requests, mask commands,
polls and the secrets held for redaction. So the whole wait is played with every duration
divided by one factor (SCALE, 300 by default): the authority's token lifetime (5 minutes ->
1 s), the poll interval (the default 30 s -> 100 ms), the time limit (24 hours -> 288 s), and
the program's own token durations (refresh margin 5 minutes -> 1 s, minimum lifetime 60 s ->
200 ms) through PUBLISH_OFFER_TEST_TIME_SCALE, which only the debug build reads. The same
number of refreshes (one every 2.5 scaled minutes: 576 in the day), polls (2880) and mask
commands happen as in the real day; only the waiting between them is shorter.

Memory is the resident set (VmRSS of /proc/PID/status) sampled every 0.5 s, printed at each
scaled hour mark and as the peak: a registry that grew with every token would show RSS rising
through the day. Output is every byte written to stdout, in GitHub mode (so the mask commands
are there to count).

Usage: cargo build && python3 bench/token_churn.py [--scale 300] [--binary target/debug/publish-offer]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_server import (CLIENT_ID, CLIENT_SECRET, PUBLISHER, TENANT_SUFFIX,  # noqa: E402
                         FakeServer)

DAY_S = 24 * 3600
TOKEN_LIFETIME_S = 5 * 60
POLL_S = 30


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=300)
    parser.add_argument("--binary", default="target/debug/publish-offer")
    parser.add_argument("--token-chars", type=int, default=1800,
                        help="the length of each token (an Entra access token is 1.5 to 2.5 KB)")
    parser.add_argument("--hours", type=int, default=24, help="a shorter wait, for a quick look")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    scale = args.scale
    lifetime = TOKEN_LIFETIME_S // scale
    if lifetime * scale != TOKEN_LIFETIME_S:
        sys.exit("the scale must divide 300 (Entra's expires_in is whole seconds)")
    timeout_ms = args.hours * 3600 * 1000 // scale
    poll_ms = POLL_S * 1000 // scale

    key = "churn"
    with FakeServer() as server, tempfile.TemporaryDirectory() as tmp:
        padding = max(0, args.token_chars - 60)
        server.expect(key, seconds=10 * DAY_S, token_lifetime=lifetime, token_padding=padding)
        env = {
            "PATH": "/usr/bin:/bin",
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": f"{tmp}/output",
            "GITHUB_STEP_SUMMARY": f"{tmp}/summary",
            "INPUT_API-URL": server.url,
            "INPUT_AUTHORITY-HOST": server.url,
            "INPUT_PUBLISHER-ID": PUBLISHER,
            "INPUT_OFFER-ID": key,
            "INPUT_TENANT-ID": key + TENANT_SUFFIX,
            "INPUT_CLIENT-ID": CLIENT_ID,
            "INPUT_CLIENT-SECRET": CLIENT_SECRET,
            "INPUT_POLL-INTERVAL": f"{poll_ms}ms",
            "INPUT_TIMEOUT": f"{timeout_ms}ms",
            "PUBLISH_OFFER_TEST_TIME_SCALE": str(scale),
        }
        out_path = Path(tmp) / "stdout"
        err_path = Path(tmp) / "stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.monotonic()
            child = subprocess.Popen([args.binary], env=env, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=err, cwd=tmp)
            samples: list[tuple[float, int]] = []

            def sample():
                while child.poll() is None:
                    rss = rss_kib(child.pid)
                    if rss is not None:
                        samples.append((time.monotonic() - started, rss))
                    time.sleep(0.5)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            code = child.wait()
            sampler.join()
        stdout = out_path.read_bytes()
        stderr = err_path.read_text(errors="replace")
        # The token requests are keyed by the tenant's first label, the others by the offer id:
        # both are `key`.
        requests = server.requests_for(key)
        problems = server.problems()

    tokens = sum(1 for r in requests if r.path.endswith("/oauth2/token"))
    polls = sum(1 for r in requests if r.method == "GET")
    masks = stdout.count(b"::add-mask::")
    print(f"scale 1/{scale}: token lifetime {lifetime} s, poll {poll_ms} ms, time limit {timeout_ms / 1000:.0f} s "
          f"(a {args.hours} h wait with {TOKEN_LIFETIME_S // 60} min tokens of about {args.token_chars} characters)")
    print(f"exit code {code}; problems at the fake server: {problems or 'none'}")
    print(f"token requests: {tokens}   polls: {polls}   mask commands: {masks}")
    lines = stdout.count(b"\n")
    print(f"stdout: {len(stdout)} bytes ({len(stdout) / 1024:.1f} KiB), {lines} lines")
    print(f"registry limit logged: {'yes' if 'tokens obtained during this run' in stderr else 'no'}")
    for hour in [h for h in (1, 6, 12, 18, 24) if h <= args.hours]:
        at = hour * 3600 / scale
        before = [rss for t, rss in samples if t <= at]
        if before:
            print(f"RSS at scaled hour {hour:2d}: {before[-1] / 1024:.1f} MiB")
    if samples:
        print(f"peak RSS sampled: {max(rss for _, rss in samples) / 1024:.1f} MiB "
              f"({len(samples)} samples)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
