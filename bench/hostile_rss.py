#!/usr/bin/env python3
"""Peak RSS of publish-offer when the service answers with an 8 MiB body of a hostile shape.

Each shape is served on 127.0.0.1 by a stdlib server (token, publish 202 + Location, then the
operation status with the hostile body), the binary runs a publish against it, and its peak RSS
(wait4's ru_maxrss) is printed. Not a timing test: it prints figures, and exits 1 only when a
run's RSS is at or above the limit (32 MiB), so CI can run it as a check.

    python3 bench/hostile_rss.py [path/to/publish-offer]    # default: target/release, else debug

The debug build is larger than the release one; its figures are an upper bound. The binary is
started through bench/spawn.c (compiled here with musl-gcc or cc into a temp dir): a child of
this Python process would report this process's own RSS (Linux keeps the pre-exec high-water
mark), which holds the 8 MiB bodies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIMIT_MIB = 32
# Just under the client's 8 MiB cap on a body, so that every shape is read, not refused.
SIZE = 8 * 1024 * 1024 - 4096
TENANT = "contoso.onmicrosoft.com"
OPERATION = "/api/publishers/contoso/offers/contoso-offer/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8"


def fill(prefix: str, item: str, suffix: str, separator: str = ",") -> bytes:
    """prefix + item (separator item)* + suffix, as close to SIZE as the item allows."""
    room = SIZE - len(prefix) - len(suffix)
    count = max(1, (room + len(separator)) // (len(item) + len(separator)))
    return (prefix + separator.join([item] * count) + suffix).encode()


def shapes() -> dict[str, tuple[int, bytes]]:
    done = '{"status":"complete","steps":['
    long_text = "x" * (SIZE - 200)
    return {
        # ~2.8 million empty steps: a tree of objects is the costliest shape to build.
        "wide: empty steps": (200, fill(done, "{}", "]}")),
        "wide: numbers": (200, fill('{"status":"complete","x":[', "0", "]}")),
        "wide: steps with messages": (
            200,
            fill(done, '{"id":"s","status":"complete","messages":[{"messageHtml":"m","level":"error"}]}', "]}"),
        ),
        "wide: object keys": (
            200,
            ('{"status":"complete",' + ",".join(f'"k{n}":0' for n in range(SIZE // 12)) + "}").encode()[:SIZE - 2]
            .rsplit(b",", 1)[0] + b"}",
        ),
        "nested: arrays 3 deep": (
            200,
            fill('{"status":"complete","x":[', "[" + ",".join(["[" + ",".join(["0"] * 100) + "]"] * 100) + "]", "]}"),
        ),
        "deep: nesting past the limit": (200, b"[" * SIZE),
        "long: one 8 MiB message": (
            200,
            json.dumps({"status": "complete", "messages": [{"messageHtml": long_text, "level": "error"}]}).encode(),
        ),
        "long: 8 MiB error body on publish": (
            422,
            json.dumps({"error": {"code": "Invalid", "message": long_text}}).encode(),
        ),
    }


class Server(ThreadingHTTPServer):
    daemon_threads = True
    status: int = 200
    body: bytes = b""


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == f"/{TENANT}/oauth2/token":
            token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.fake-access-token-1"
            self._send(200, json.dumps({"access_token": token, "expires_in": 3599}).encode())
        elif self.path.endswith("/publish?api-version=2017-10-31") and self.server.status != 200:
            self._send(self.server.status, self.server.body)
        elif self.path.endswith("/publish?api-version=2017-10-31"):
            self._send(202, b"", {"Location": OPERATION + "?api-version=2017-10-31"})
        else:
            self._send(404, b"{}")

    def do_GET(self):
        if self.path.startswith(OPERATION):
            self._send(200, self.server.body)
        else:
            self._send(404, b"{}")


def build_spawn_helper(root: str, directory: str) -> str:
    helper = os.path.join(directory, "spawn")
    for compiler in (["musl-gcc", "-static"], ["cc", "-static"], ["cc"]):
        result = subprocess.run([*compiler, "-O2", "-o", helper, f"{root}/bench/spawn.c"],
                                stderr=subprocess.DEVNULL)
        if result.returncode == 0:
            return helper
    raise SystemExit("cannot compile bench/spawn.c (needs musl-gcc or cc)")


def peak_rss_kib(helper: str, binary: str, url: str, directory: str) -> tuple[int, int]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "INPUT_API-URL": url,
        "INPUT_AUTHORITY-HOST": url,
        "INPUT_PUBLISHER-ID": "contoso",
        "INPUT_OFFER-ID": "contoso-offer",
        "INPUT_TENANT-ID": TENANT,
        "INPUT_CLIENT-ID": "11111111-2222-3333-4444-555555555555",
        "INPUT_CLIENT-SECRET": "cl1ent~SECRET.value_9f8e7d",
        "INPUT_POLL-INTERVAL": "100ms",
        "INPUT_TIMEOUT": "2s",
    }
    result = os.path.join(directory, "result")
    # Hyphenated variable names are passed straight to the process, never through a shell.
    subprocess.run([helper, result, binary], env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    with open(result) as handle:
        _spawn, _exit, code, _user, _sys, maxrss = handle.read().split()
    return int(maxrss), int(code)


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = sys.argv[1] if len(sys.argv) > 1 else next(
        (path for path in (f"{root}/target/release/publish-offer", f"{root}/target/debug/publish-offer")
         if os.path.exists(path)),
        "",
    )
    if not binary:
        print("no binary: cargo build first, or pass its path", file=sys.stderr)
        return 2
    directory = tempfile.mkdtemp(prefix="hostile-rss-")
    helper = build_spawn_helper(root, directory)
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"binary: {binary}")
    print(f"| shape (body {SIZE / 1048576:.2f} MiB) | peak RSS | exit code |")
    print("|---|---:|---:|")
    worst = 0
    for name, (status, body) in shapes().items():
        assert len(body) <= 8 * 1024 * 1024, name
        server.status, server.body = status, body
        kib, code = peak_rss_kib(helper, binary, url, directory)
        worst = max(worst, kib)
        print(f"| {name} | {kib / 1024:.1f} MiB | {code} |", flush=True)
    server.shutdown()
    print(f"worst: {worst / 1024:.1f} MiB (limit {LIMIT_MIB} MiB)")
    return 0 if worst < LIMIT_MIB * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
