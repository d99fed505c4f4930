#!/usr/bin/env python3
"""Peak RSS of `command: update` (issue 21) on a large CPP offer document, and the refusal past
the cap.

A stdlib server on 127.0.0.1 serves Entra's token endpoint and a CPP offer of type
microsoft-azure-virtualmachines whose one plan holds thousands of image versions, each with a SAS
URI, built to the size asked (4 MiB by default, as a publisher with daily images and years of
versions would have), with an ETag; a PUT with the right If-Match stores the document and answers
it, as CPP does. The binary runs `command: update` with the image inputs: it reads the offer
whole, adds one version, writes it back and checks the answer. Its peak RSS (wait4's ru_maxrss,
taken by bench/spawn.c as in bench/hostile_rss.py) is printed, with the same for an offer just
over the 16 MiB cap, which must be refused (exit 1) with nothing written.

    python3 bench/draft_rss.py [path/to/publish-offer] [MiB]   # default: target/release, else debug

Prints figures; exits 1 when the 4 MiB run fails or the over-cap offer is not refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hostile_rss import build_spawn_helper

TENANT = "contoso.onmicrosoft.com"
OFFER = "/api/publishers/contoso/offers/contoso-offer"
CAP = 16 * 1024 * 1024


def offer(size: int) -> bytes:
    """A CPP VM offer of about `size` bytes: one plan, versions 1.0.N with SAS sources."""
    entry = lambda n: {  # noqa: E731
        "osVhdUrl": f"https://contosoimages.blob.core.windows.net/vhds/contoso-1.0.{n}.vhd"
        f"?sv=2022-11-02&sr=b&sp=r&se=2027-01-01T00%3A00%3A00Z&sig=Signature{n:08d}%2Babcdefghijklmnop%3D",
        "lunVhdDetails": [],
    }
    per_entry = len(json.dumps({"1.0.0": entry(0)}))
    count = max(1, (size - 2048) // per_entry)
    versions = {f"1.0.{n}": entry(n) for n in range(count)}
    document = {
        "offerTypeId": "microsoft-azure-virtualmachines",
        "id": "contoso-offer",
        "publisherId": "contoso",
        "version": 12,
        "definition": {
            "displayText": "Contoso VM",
            "offer": {"microsoft-azure-marketplace.title": "Contoso VM"},
            "plans": [{
                "planId": "daily",
                "microsoft-azure-virtualmachines.skuTitle": "Daily",
                "microsoft-azure-virtualmachines.vmImages": versions,
            }],
        },
    }
    return json.dumps(document).encode()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    document: bytes = b"{}"
    version: int = 1
    writes: int = 0


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

    def _etag(self) -> str:
        return f'"etag-{self.server.version}"'

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == f"/{TENANT}/oauth2/token":
            token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.fake-access-token-1"
            self._send(200, json.dumps({"access_token": token, "expires_in": 3599}).encode())
        else:
            self._send(404, b"{}")

    def do_GET(self):
        if self.path.split("?")[0] == OFFER:
            self._send(200, self.server.document, {"ETag": self._etag()})
        else:
            self._send(404, b"{}")

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.split("?")[0] != OFFER:
            self._send(404, b"{}")
        elif self.headers.get("If-Match") != self._etag():
            self._send(412, b'{"error":{"code":"PreconditionFailed","message":"ETag mismatch"}}')
        else:
            self.server.document, self.server.version = body, self.server.version + 1
            self.server.writes += 1
            self._send(200, body, {"ETag": self._etag()})


def run(helper: str, binary: str, url: str, directory: str) -> tuple[int, int]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "INPUT_COMMAND": "update",
        "INPUT_API-URL": url,
        "INPUT_AUTHORITY-HOST": url,
        "INPUT_PUBLISHER-ID": "contoso",
        "INPUT_OFFER-ID": "contoso-offer",
        "INPUT_TENANT-ID": TENANT,
        "INPUT_CLIENT-ID": "11111111-2222-3333-4444-555555555555",
        "INPUT_CLIENT-SECRET": "cl1ent~SECRET.value_9f8e7d",
        "INPUT_PLAN-ID": "daily",
        "INPUT_IMAGE-VERSION": "2026.12.6",
        "INPUT_IMAGE-SOURCE": "https://contosoimages.blob.core.windows.net/vhds/new.vhd?sv=2022-11-02&sr=b&sp=r&sig=NewSignature%3D",
        "INPUT_TIMEOUT": "60s",
    }
    result = os.path.join(directory, "result")
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
    mib = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
    if not binary:
        print("no binary: cargo build first, or pass its path", file=sys.stderr)
        return 2
    directory = tempfile.mkdtemp(prefix="draft-rss-")
    helper = build_spawn_helper(root, directory)
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"binary: {binary}")
    print("| offer document | versions in the plan | peak RSS | exit code | written |")
    print("|---|---:|---:|---:|---|")
    failed = False
    for size, must_succeed in ((int(mib * 1024 * 1024), True), (CAP + 64 * 1024, False)):
        server.document, server.version, server.writes = offer(size), 1, 0
        versions = server.document.count(b'"osVhdUrl"')
        kib, code = run(helper, binary, url, directory)
        print(f"| {len(server.document) / 1048576:.2f} MiB | {versions} | {kib / 1024:.1f} MiB | {code} "
              f"| {'yes' if server.writes else 'no'} |", flush=True)
        if must_succeed:
            failed |= code != 0 or server.writes != 1
        else:
            failed |= code == 0 or server.writes != 0
    server.shutdown()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
