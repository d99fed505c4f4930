#!/usr/bin/env python3
"""Benchmark driver: runs publish-offer and the Python peer through the same publish flow
against the fake server (bench/fake_server.py, in this process, on 127.0.0.1) and writes the
figures as Markdown (BENCHMARKS.md) and JSON (bench/out/results.json).

Called by bench/run, which builds the binaries and installs the peer first; see bench/run for
the arguments it passes. Only the standard library is used here.

Clock: time.monotonic_ns() (CLOCK_MONOTONIC) both for the spawn time taken here just before
the process is created and for the server's stamp of each request, so start-up = first request
stamp - spawn stamp, on one clock.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_server import CLIENT_ID, CLIENT_SECRET, PUBLISHER, TENANT_SUFFIX, FakeServer  # noqa: E402

TARGETS = {
    "startup_ms": 5.0,
    "startup_ratio": 50.0,
    "rss_mb": 10.0,
    "cpu_wait_ms": 50.0,
    "binary_mb": 4.0,
    "image_mb": 8.0,
}
MB = 1_000_000  # sizes and RSS in decimal megabytes (RSS: ru_maxrss KiB * 1024 / 1e6)


@dataclass
class Client:
    name: str  # key prefix: ours, ours-gnu, peer
    label: str
    argv: list[str]


@dataclass
class Run:
    key: str
    code: int
    spawn_ns: int
    exit_ns: int
    requests: list  # fake_server.Request
    maxrss_kib: int
    cpu_s: float
    stderr_tail: str

    @property
    def startup_ms(self) -> float:
        return (self.requests[0].at_ns - self.spawn_ns) / 1e6

    @property
    def total_ms(self) -> float:
        return (self.exit_ns - self.spawn_ns) / 1e6


def environment(server: FakeServer, key: str, poll: str, timeout: str) -> dict:
    # The same minimal environment for every client: no CI variables (plain reporting), no
    # proxies, no user site; only what the flow needs.
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MARKETPLACE_API_URL": server.url,
        "MARKETPLACE_AUTHORITY_HOST": server.url,
        "MARKETPLACE_PUBLISHER_ID": PUBLISHER,
        "MARKETPLACE_OFFER_ID": key,
        "MARKETPLACE_TENANT_ID": key + TENANT_SUFFIX,
        "MARKETPLACE_CLIENT_ID": CLIENT_ID,
        "MARKETPLACE_CLIENT_SECRET": CLIENT_SECRET,
        "MARKETPLACE_POLL_INTERVAL": poll,
        "MARKETPLACE_TIMEOUT": timeout,
    }


def spawn(helper: str, argv: list[str], env: dict, stderr) -> tuple[int, int, int, float, int]:
    """Runs argv through the spawn helper (bench/spawn.c): (spawn_ns, exit_ns, exit code, CPU
    seconds, maxrss KiB), measured by the helper with vfork + wait4."""
    result = Path(f"/tmp/bench-{os.getpid()}-{threading.get_ident()}.result")
    subprocess.run([helper, str(result), *argv], env=env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=stderr, cwd="/tmp", check=True)
    spawn_ns, exit_ns, code, user_us, sys_us, maxrss = (int(x) for x in result.read_text().split())
    result.unlink()
    return spawn_ns, exit_ns, code, (user_us + sys_us) / 1e6, maxrss


def run_once(server: FakeServer, helper: str, client: Client, key: str, poll: str, timeout: str,
             **scenario) -> Run:
    server.expect(key, **scenario)
    env = environment(server, key, poll, timeout)
    with tempfile.TemporaryFile() as err:
        spawn_ns, exit_ns, code, cpu_s, maxrss = spawn(helper, client.argv, env, err)
        err.seek(0)
        tail = err.read()[-2000:].decode(errors="replace")
    return Run(key, code, spawn_ns, exit_ns, server.requests_for(key), maxrss, cpu_s, tail)


def check(run: Run, client: Client, polls: int | None = None):
    kinds = [kind(r) for r in run.requests]
    ok = run.code == 0 and kinds[:2] == ["token", "publish"] and all(k in ("poll", "token") for k in kinds[2:])
    if polls is not None:
        ok = ok and kinds.count("poll") == polls and kinds.count("token") == 1
    if not ok:
        sys.exit(f"{client.label}: run {run.key} did not do the expected flow: exit {run.code}, "
                 f"requests {kinds}\n{run.stderr_tail}")


def kind(request) -> str:
    if request.path.endswith("/oauth2/token"):
        return "token"
    if request.path.endswith("/publish"):
        return "publish"
    if "/operations/" in request.path:
        return "poll"
    return "other"


def quantiles(values: list[float]) -> dict:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    return {"n": len(ordered), "min": ordered[0], "p25": q[0], "median": statistics.median(ordered),
            "p75": q[2], "max": ordered[-1]}


def short_runs(server: FakeServer, helper: str, clients: list[Client], runs: int, warmup: int) -> dict:
    """Measurements 1 and 2: 3 polls at 10 ms, interleaved, the order rotated every round."""
    results: dict[str, list[Run]] = {c.name: [] for c in clients}
    for i in range(warmup + runs):
        order = clients[i % len(clients):] + clients[:i % len(clients)]
        for client in order:
            run = run_once(server, helper, client, f"{client.name}-short-{i}", "10ms", "1m", polls=3)
            check(run, client, polls=3)
            if i >= warmup:
                results[client.name].append(run)
    return results


def spawn_floor(helper: str, runs: int) -> dict:
    """Calibration: spawn-to-reaped time and maxrss of /bin/true through the helper (the fixed
    cost inside every start-up and whole-run figure, and the RSS floor)."""
    times, rss = [], []
    for _ in range(runs):
        spawn_ns, exit_ns, _, _, maxrss = spawn(helper, ["/bin/true"], {}, subprocess.DEVNULL)
        times.append((exit_ns - spawn_ns) / 1e6)
        rss.append(maxrss * 1024 / MB)
    return {"ms": quantiles(times), "maxrss_mb": quantiles(rss)}


def long_wait(server: FakeServer, helper: str, clients: list[Client], seconds: float) -> dict[str, Run]:
    """Measurements 3-5: every client waits on its own operation that runs `seconds` (1 s polls),
    all at the same time (they sleep most of it; 2+ cores)."""
    results: dict[str, Run] = {}

    def one(client: Client):
        key = f"{client.name}-wait"
        results[client.name] = run_once(server, helper, client, key, "1s", "10m", seconds=seconds)

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        check(results[client.name], client)
    return results


def wait_figures(run: Run) -> dict:
    kinds = [kind(r) for r in run.requests]
    polls = [r for r in run.requests if kind(r) == "poll"]
    publish = next(r for r in run.requests if kind(r) == "publish")
    first, last = polls[0].at_ns, polls[-1].at_ns
    waited_min = (last - first) / 60e9
    after_first_poll = [r for r in run.requests if first < r.at_ns <= last]
    return {
        "requests": len(run.requests),
        "tokens": kinds.count("token"),
        "polls": len(polls),
        "waited_s": (last - publish.at_ns) / 1e9,
        # requests sent per minute of waiting: every request after the first poll, up to the
        # last one, over the time between the two (poll rate + token refreshes)
        "per_minute": len(after_first_poll) / waited_min if waited_min > 0 else float("nan"),
        "token_refreshes": kinds[2:].count("token"),
        "maxrss_mb": run.maxrss_kib * 1024 / MB,
        "cpu_ms": run.cpu_s * 1000,
        "total_s": run.total_ms / 1000,
    }


def machine() -> dict:
    def read(path):
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kib = next((int(line.split()[1]) for line in read("/proc/meminfo").splitlines()
                    if line.startswith("MemTotal:")), 0)
    os_name = next((line.split("=", 1)[1].strip().strip('"') for line in read("/etc/os-release").splitlines()
                    if line.startswith("PRETTY_NAME=")), platform.system())

    def version(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return "unknown"

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": os_name,
        "loadavg": read("/proc/loadavg").split()[:3],
        "rustc": version(["rustc", "-V"]),
        "python": version([sys.executable, "-VV"]).replace("\n", " "),
        "scheduling": ("SCHED_FIFO" if os.sched_getscheduler(0) == os.SCHED_FIFO else
                       "SCHED_RR" if os.sched_getscheduler(0) == os.SCHED_RR else "normal (SCHED_OTHER)"),
    }


# --- Markdown ------------------------------------------------------------------------------

def fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def ratio(peer: float | None, ours: float | None) -> str:
    if not peer or not ours:
        return "n/a"
    return f"{peer / ours:.1f}x"


def reached(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**yes**" if ok else "**no**")


def markdown(data: dict, notes: str) -> str:
    m = data["machine"]
    b = data["build"]
    short = data["short"]
    wait = data["wait"]
    ours, peer = "ours", "peer"
    s_ours, s_peer = short[ours]["startup_ms"]["median"], short[peer]["startup_ms"]["median"]
    t_ours, t_peer = short[ours]["total_ms"]["median"], short[peer]["total_ms"]["median"]
    w_ours, w_peer = wait[ours], wait[peer]
    binary_mb = b.get("binary_bytes", 0) / MB or None
    image_mb = b.get("image_bytes", 0) / MB if b.get("image_bytes") else None
    peer_deps_mb = b.get("peer_deps_bytes", 0) / MB
    peer_runtime_mb = b.get("peer_runtime_bytes", 0) / MB
    full_wait = w_ours["waited_s"] >= 59  # the CPU target is for a 60 s wait (BENCH_WAIT may be shorter)
    startup_ok = s_ours < TARGETS["startup_ms"] and s_peer / s_ours >= TARGETS["startup_ratio"]
    n = short[ours]["startup_ms"]["n"]
    lines = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add("publish-offer against a Python peer doing exactly the same publish flow (token, publish, "
        "poll to completion) with `requests`, on the same machine, in the same run, against the same "
        "fake CPP/Entra server on 127.0.0.1 "
        "([`bench/fake_server.py`](bench/fake_server.py); peer: [`bench/peer/publish.py`](bench/peer/publish.py)). "
        "This file is written by `bench/run`; the notes at the end come from "
        "[`bench/notes.md`](bench/notes.md).")
    add("")
    add("The machine is shared and noisy: compare the ratios, not the absolute times.")
    add("")
    add(f"- **Date:** {m['date']}")
    add(f"- **Machine:** {m['cpus']} CPUs, {m['cpu_model']}, {m['memory_gib']} GiB RAM; {m['os']}, "
        f"Linux {m['kernel']}; load average {' '.join(m['loadavg'])} at the start, "
        f"{' '.join(data.get('loadavg_end', ['?']))} at the end")
    if m.get("scheduling", "").startswith("SCHED_FIFO"):
        add("- **Scheduling:** the driver, the fake server and every client ran under SCHED_FIFO "
            "(`chrt -f 10`, inherited), so that other tenants' CPU-bound jobs on this shared machine "
            "do not add a scheduler tick to each wake-up; both sides alike. CPU time and RSS do not "
            "depend on it. `BENCH_RT=0 bench/run` measures without it.")
    else:
        add(f"- **Scheduling:** {m.get('scheduling', 'normal')}: other tenants' jobs on this machine "
            f"show up in the times (`bench/run` uses SCHED_FIFO when it may)")
    add(f"- **Ours:** {b.get('ours_label', 'publish-offer')}, built from the {b.get('source') or 'work tree'} "
        f"with {m['rustc']} (the release profile of Cargo.toml)")
    add(f"- **Peer:** `python bench/peer/publish.py` on {m['python']}, "
        f"{b.get('peer_packages', 'requests')} (pinned in `bench/peer/requirements.txt`)")
    add(f"- **Floor:** processes are started by a small static helper ([`bench/spawn.c`](bench/spawn.c): "
        f"vfork, execve, wait4) that takes the spawn time and the rusage; for `/bin/true` it measures "
        f"{fmt(data['spawn_floor']['ms']['median'], 2)} ms spawn-to-exit and "
        f"{fmt(data['spawn_floor']['maxrss_mb']['median'], 1)} MB peak RSS (medians): an upper bound "
        f"of the fixed cost of starting any process here, in the times of both sides, and a floor "
        f"under every RSS figure")
    add("")
    add(f"| figure | ours | peer | ratio (peer / ours) | target | reached |")
    add(f"|---|---:|---:|---:|---|---|")
    add(f"| 1. start-up: spawn to first request at the server, median of {n} | "
        f"{fmt(s_ours, 2)} ms (min {fmt(short[ours]['startup_ms']['min'], 2)}) | "
        f"{fmt(s_peer, 1)} ms (min {fmt(short[peer]['startup_ms']['min'], 1)}) | {ratio(s_peer, s_ours)} | "
        f"< {TARGETS['startup_ms']:g} ms and >= {TARGETS['startup_ratio']:g}x | {reached(startup_ok)} |")
    add(f"| 2. whole run, 3 polls at 10 ms (20 ms of it is the 2 pauses), median of {n} | "
        f"{fmt(t_ours, 1)} ms (min {fmt(short[ours]['total_ms']['min'], 1)}) | "
        f"{fmt(t_peer, 1)} ms (min {fmt(short[peer]['total_ms']['min'], 1)}) | {ratio(t_peer, t_ours)} | | |")
    add(f"| 3. peak RSS, {fmt(w_ours['waited_s'], 0)} s wait at 1 s polls | {fmt(w_ours['maxrss_mb'])} MB | "
        f"{fmt(w_peer['maxrss_mb'])} MB | {ratio(w_peer['maxrss_mb'], w_ours['maxrss_mb'])} | "
        f"< {TARGETS['rss_mb']:g} MB | {reached(w_ours['maxrss_mb'] < TARGETS['rss_mb'])} |")
    add(f"| 4. CPU user+sys, that whole run (start-up included) | {fmt(w_ours['cpu_ms'])} ms | "
        f"{fmt(w_peer['cpu_ms'])} ms | {ratio(w_peer['cpu_ms'], w_ours['cpu_ms'])} | "
        f"< {TARGETS['cpu_wait_ms']:g} ms over 60 s | "
        f"{reached(w_ours['cpu_ms'] < TARGETS['cpu_wait_ms'] if full_wait else None)} |")
    add(f"| 5. requests per waited minute (polls + token refreshes) | "
        f"{fmt(w_ours['per_minute'])} ({w_ours['polls']} polls, {w_ours['token_refreshes']} refreshes) | "
        f"{fmt(w_peer['per_minute'])} ({w_peer['polls']} polls, {w_peer['token_refreshes']} refreshes) | "
        f"{ratio(w_peer['per_minute'], w_ours['per_minute'])} | = poll rate, 60/min | "
        f"{reached(abs(w_ours['per_minute'] - 60) < 1.5 and w_ours['token_refreshes'] == 0)} |")
    peer_total = peer_deps_mb + peer_runtime_mb
    kind_of = ", ".join(word for word, flag in (("static", b.get("static")), ("stripped", b.get("stripped"))) if flag)
    add(f"| 6a. release binary ({kind_of or 'not static, not stripped'}) | "
        f"{fmt(binary_mb, 2) + ' MB' if binary_mb else 'not built'} | "
        f"{fmt(peer_deps_mb, 2)} MB script + packages; {fmt(peer_total, 1)} MB with the CPython runtime it loads "
        f"(stripped interpreter + {b.get('peer_runtime_modules', '?')} stdlib files) | "
        f"{ratio(peer_total, binary_mb)} | <= {TARGETS['binary_mb']:g} MB | "
        f"{reached(binary_mb <= TARGETS['binary_mb'] if binary_mb else None)} |")
    add(f"| 6b. image: {b.get('image_note') or 'not built'} | "
        f"{fmt(image_mb, 2) + ' MB' if image_mb else 'not built'} | "
        f"not built (needs a Python base image from a registry) | n/a | "
        f"< {TARGETS['image_mb']:g} MB | {reached(image_mb < TARGETS['image_mb'] if image_mb else None)} |")
    sizes = b.get("target_sizes") or {}
    if sizes:
        per_target = "; ".join(
            f"`{target}` {fmt(value / MB, 2) + ' MB' if isinstance(value, int) else value}"
            for target, value in sizes.items())
        built = [value / MB for value in sizes.values() if isinstance(value, int)]
        add(f"| 6c. release binary per target (stripped) | {per_target} | (none) | not compared | "
            f"<= {TARGETS['binary_mb']:g} MB | {reached(max(built) <= TARGETS['binary_mb'] if built else None)} |")
    build_s = b.get("clean_build_s")
    add(f"| 7. clean release build (`cargo build --release`, dependencies already fetched) | "
        f"{fmt(build_s, 0) + ' s on ' + str(m['cpus']) + ' CPUs' if build_s else 'not measured'}"
        f"{' (' + b['clean_build_note'] + ')' if b.get('clean_build_note') else ''} | "
        f"(none) | not compared | | |")
    add("")

    add("## Spread and the other build")
    add("")
    add("Start-up and whole run in ms (min / p25 / median / p75 / max); peak RSS and CPU of the short "
        "runs (median); the 60 s wait. `ours-gnu` is the same code built for the default "
        "glibc target (dynamic); `ours` is the static musl binary that the image ships.")
    add("")
    add("| client | start-up | whole run | short run RSS | short run CPU | wait: RSS | wait: CPU | wait: requests |")
    add("|---|---|---|---:|---:|---:|---:|---|")
    for name, label in data["labels"].items():
        st, to = short[name]["startup_ms"], short[name]["total_ms"]
        w = wait[name]

        def q(x):
            return " / ".join(fmt(x[k], 2) for k in ("min", "p25", "median", "p75", "max"))

        add(f"| {label} | {q(st)} | {q(to)} | {fmt(short[name]['maxrss_mb']['median'])} MB | "
            f"{fmt(short[name]['cpu_ms']['median'])} ms | {fmt(w['maxrss_mb'])} MB | {fmt(w['cpu_ms'])} ms | "
            f"{w['requests']} ({w['tokens']} token, 1 publish, {w['polls']} polls) in {fmt(w['total_s'])} s |")
    add("")
    add("The cost of waiting alone is about the wait run's CPU minus a short run's CPU: "
        + "; ".join(f"{label} {fmt(wait[name]['cpu_ms'] - short[name]['cpu_ms']['median'])} ms"
                    for name, label in data["labels"].items())
        + f" for {wait[ours]['polls'] - 3} more polls.")
    add("")
    add("## How to run")
    add("")
    add("```sh")
    add("bench/run            # builds, installs the peer into bench/.venv, measures, rewrites BENCHMARKS.md")
    add("BENCH_RUNS=40 BENCH_WAIT=60 BENCH_CLEAN_BUILD=0 bench/run   # more runs; skip the clean build")
    add("```")
    add("")
    add("It needs the Rust toolchain, Python 3 with `venv` and pip access to PyPI; it adds the "
        "`x86_64-unknown-linux-musl` target with rustup and builds the image with `podman` when "
        "present. It takes 3 to 5 minutes (the clean build and the 60 s wait dominate). CI "
        "(`.ci/run`) does not run it. Raw samples: `bench/out/results.json`.")
    add("")
    if notes.strip():
        add(notes.strip())
        add("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--render", metavar="RESULTS_JSON",
                        help="only write the Markdown again from an earlier results.json (e.g. after editing the notes)")
    parser.add_argument("--spawn", help="the spawn helper built from bench/spawn.c")
    parser.add_argument("--ours", help="the static release binary")
    parser.add_argument("--ours-gnu", help="the glibc release binary (optional)")
    parser.add_argument("--peer-python")
    parser.add_argument("--peer-script")
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds the long operation runs")
    parser.add_argument("--build-json", help="figures of the build step (sizes, build time)")
    parser.add_argument("--notes", help="Markdown appended to the report")
    parser.add_argument("--json-out")
    parser.add_argument("--markdown-out", required=True)
    args = parser.parse_args()
    notes = Path(args.notes).read_text() if args.notes and Path(args.notes).exists() else ""
    if args.render:
        Path(args.markdown_out).write_text(markdown(json.loads(Path(args.render).read_text()), notes))
        return
    if not (args.spawn and args.ours and args.peer_python and args.peer_script and args.json_out):
        parser.error("--spawn, --ours, --peer-python, --peer-script and --json-out are required to measure")

    absolute = os.path.abspath
    clients = [Client("ours", "ours (static musl)", [absolute(args.ours)])]
    if args.ours_gnu:
        clients.append(Client("ours-gnu", "ours-gnu (glibc)", [absolute(args.ours_gnu)]))
    # the venv's interpreter as it is (a symlink): resolving it would leave the venv
    clients.append(Client("peer", "peer (Python + requests)", [absolute(args.peer_python), absolute(args.peer_script)]))

    data = {"machine": machine(), "labels": {c.name: c.label for c in clients}}
    data["build"] = json.loads(Path(args.build_json).read_text()) if args.build_json else {}
    print(f"machine: {data['machine']}", flush=True)

    with FakeServer() as server:
        helper = os.path.abspath(args.spawn)
        data["spawn_floor"] = spawn_floor(helper, args.runs)
        print(f"[1,2] {args.runs} runs each (+{args.warmup} warm-up), 3 polls at 10 ms ...", flush=True)
        short = short_runs(server, helper, clients, args.runs, args.warmup)
        data["short"] = {
            name: {
                "startup_ms": quantiles([r.startup_ms for r in runs]),
                "total_ms": quantiles([r.total_ms for r in runs]),
                "maxrss_mb": quantiles([r.maxrss_kib * 1024 / MB for r in runs]),
                "cpu_ms": quantiles([r.cpu_s * 1000 for r in runs]),
                "samples_startup_ms": [round(r.startup_ms, 3) for r in runs],
                "samples_total_ms": [round(r.total_ms, 3) for r in runs],
            }
            for name, runs in short.items()
        }
        for name, figures in data["short"].items():
            print(f"  {name}: start-up median {figures['startup_ms']['median']:.2f} ms, "
                  f"whole run median {figures['total_ms']['median']:.1f} ms", flush=True)
        print(f"[3,4,5] one {args.wait:g} s wait at 1 s polls per client, all at once ...", flush=True)
        waits = long_wait(server, helper, clients, args.wait)
        data["wait"] = {name: wait_figures(run) for name, run in waits.items()}
        for name, figures in data["wait"].items():
            print(f"  {name}: {figures}", flush=True)
        problems = server.problems()
    data["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    if problems:
        sys.exit("the fake server saw requests outside the expected flow:\n" + "\n".join(problems[:20]))

    Path(args.json_out).write_text(json.dumps(data, indent=1) + "\n")
    report = markdown(data, notes)
    Path(args.markdown_out).write_text(report)
    print()
    print(report)


if __name__ == "__main__":
    main()
