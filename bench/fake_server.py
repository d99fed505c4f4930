"""A fake Entra (v1 token endpoint) + Cloud Partner Portal server for the benchmarks.

A small standalone copy of what tests/support/fake_server.rs and tests/support/mod.rs serve for
the plain publish flow, in standard-library Python so that the benchmark driver can run it in
its own process and stamp every request with the same clock it uses to stamp process spawns
(time.monotonic_ns, CLOCK_MONOTONIC).

It listens on 127.0.0.1 only. Every run uses its own offer id, so the state of one run never
leaks into the next; the scenario of an offer (how long its operation stays "running") is set by
the driver with `expect()` before the client starts. A request no route expects, a wrong form
field, a missing bearer token or a wrong body is recorded in `problems` and answered 400/500:
the driver fails the whole benchmark on any problem, so both clients are held to exactly the
same flow.

Run it on its own for manual experiments:  python3 bench/fake_server.py [PORT]
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Each run uses its own tenant "<run key>.onmicrosoft.com" and offer "<run key>", so that the
# requests of runs that overlap in time can be told apart.
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "cl1ent~SECRET.value_9f8e7d"
PUBLISHER = "contoso"
API_VERSION = "2017-10-31"
RESOURCE = "https://cloudpartner.azure.com"
TOKEN_PREFIX = "eyJ0eXAiOiJKV1QiLCJhbGciOi.fake-access-token-"
OPERATION_ID = "56615b67-2185-49fe-80d2-c4ddf77bb2e8"

TOKEN_RE = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/token$")
TENANT_SUFFIX = ".onmicrosoft.com"
OFFER_RE = re.compile(r"^/api/publishers/(?P<p>[^/]+)/offers/(?P<o>[^/]+)/(?P<tail>.+)$")


@dataclass
class Request:
    at_ns: int  # time.monotonic_ns() when the request line had been read
    method: str
    path: str
    query: str
    key: str | None  # the run: the offer id, or the tenant's first label for a token request


@dataclass
class Scenario:
    """How an offer's operation behaves: "running" until `polls` reads have been answered or
    `seconds` have passed since the publish, then "complete". `token_lifetime` is the
    expires_in of issued tokens."""

    polls: int | None = None
    seconds: float | None = None
    token_lifetime: int = 3599
    token_padding: int = 0  # characters added to each token: Entra's are 1.5 to 2.5 KB
    # filled in as the run goes
    published_at_ns: int | None = None
    reads: int = 0


def operation(status: str, progress: int) -> dict:
    step_status = "complete" if status == "complete" else "inProgress"
    return {
        "status": status,
        "messages": [],
        "publishingVersion": 2,
        "offerVersion": 7,
        "cancellationRequestState": "canCancel",
        "steps": [
            {
                "id": "validation",
                "stepName": "Validate Pre-Requisites",
                "description": "",
                "status": step_status,
                "progressPercentage": progress,
                "estimatedTimeFrame": "< 1 day",
                "messages": [],
            }
        ],
        "previewLinks": [],
        "liveLinks": [],
    }


@dataclass
class State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Request] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    tokens_issued: int = 0
    default: dict = field(default_factory=lambda: {"polls": 1})  # scenario of an offer not announced


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as both clients pool connections
    disable_nagle_algorithm = True
    server_version = "fake-cpp"
    sys_version = ""
    state: State  # set on the subclass made by FakeServer

    def parse_request(self) -> bool:  # the request line has just been read
        self.at_ns = time.monotonic_ns()
        return super().parse_request()

    def log_message(self, format, *args):  # quiet
        pass

    # --- plumbing -------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        # Head and body in one write: two small writes would meet Nagle's algorithm and the
        # client's delayed ACK, and every answer would take 40 ms more.
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def _json(self, status: int, value, headers: dict | None = None):
        self._send(status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _problem(self, message: str, status: int = 400):
        with self.state.lock:
            self.state.problems.append(f"{self.command} {self.path}: {message}")
        self._json(status, {"error": {"code": "BenchProblem", "message": message}})

    def _record(self, offer: str | None) -> Request:
        path, _, query = self.path.partition("?")
        request = Request(self.at_ns, self.command, path, query, offer)
        with self.state.lock:
            self.state.requests.append(request)
        return request

    def _bearer_ok(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer " + TOKEN_PREFIX)

    # --- routes ---------------------------------------------------------------------------
    def _post(self):
        path, _, query = self.path.partition("?")
        body = self._body()
        token = TOKEN_RE.match(path)
        if token:
            key = token["tenant"].removesuffix(TENANT_SUFFIX)
            form = dict(urllib.parse.parse_qsl(body.decode()))
            self._record(key)
            expected = {
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "resource": RESOURCE,
            }
            wrong = [k for k, v in expected.items() if form.get(k) != v]
            if wrong:
                return self._problem(f"token form fields wrong or missing: {wrong}")
            with self.state.lock:
                self.state.tokens_issued += 1
                n = self.state.tokens_issued
                scenario = self.state.scenarios.get(key)
                lifetime = scenario.token_lifetime if scenario else 3599
                padding = "x" * scenario.token_padding if scenario else ""
            return self._json(
                200,
                {"token_type": "Bearer", "expires_in": str(lifetime), "ext_expires_in": str(lifetime),
                 "access_token": f"{TOKEN_PREFIX}{n}.{padding}" if padding else f"{TOKEN_PREFIX}{n}"},
            )
        match = OFFER_RE.match(path)
        if match and match["tail"] == "publish":
            offer = match["o"]
            self._record(offer)
            if match["p"] != PUBLISHER:
                return self._problem("wrong publisher")
            if urllib.parse.parse_qs(query).get("api-version") != [API_VERSION]:
                return self._problem("wrong api-version")
            if not self._bearer_ok():
                return self._problem("no bearer token", 401)
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            if document != {"metadata": {}}:
                return self._problem(f"wrong publish body {body!r}")
            with self.state.lock:
                scenario = self.state.scenarios.get(offer)
                if scenario is None:
                    scenario = self.state.scenarios[offer] = Scenario(**self.state.default)
                scenario.published_at_ns = time.monotonic_ns()
            location = f"/api/publishers/{PUBLISHER}/offers/{offer}/operations/{OPERATION_ID}?api-version={API_VERSION}"
            return self._send(202, b"", {"Location": location})
        self._record(None)
        self._problem("unexpected request", 500)

    def _get(self):
        path, _, query = self.path.partition("?")
        match = OFFER_RE.match(path)
        if match and match["tail"] == f"operations/{OPERATION_ID}":
            offer = match["o"]
            self._record(offer)
            if urllib.parse.parse_qs(query).get("api-version") != [API_VERSION]:
                return self._problem("wrong api-version")
            if not self._bearer_ok():
                return self._problem("no bearer token", 401)
            with self.state.lock:
                scenario = self.state.scenarios.get(offer)
                if scenario is None or scenario.published_at_ns is None:
                    scenario = None
                else:
                    scenario.reads += 1
                    if scenario.seconds is not None:
                        elapsed = (time.monotonic_ns() - scenario.published_at_ns) / 1e9
                        done = elapsed >= scenario.seconds
                        progress = min(99, int(100 * elapsed / max(scenario.seconds, 1e-9)))
                    else:
                        done = scenario.reads >= (scenario.polls or 1)
                        progress = min(99, int(100 * scenario.reads / (scenario.polls or 1)))
            if scenario is None:
                return self._problem("operation read before any publish", 404)
            return self._json(200, operation("complete", 100) if done else operation("running", progress))
        self._record(None)
        self._problem("unexpected request", 500)

    def _guard(self, route):
        try:
            route()
        except Exception as error:  # a bug here must fail the benchmark, not look like a slow server
            with self.state.lock:
                self.state.problems.append(f"{self.command} {self.path}: fake server error {error!r}")
            raise

    def do_POST(self):
        self._guard(self._post)

    def do_GET(self):
        self._guard(self._get)

    do_PUT = do_DELETE = do_PATCH = do_GET


class FakeServer:
    def __init__(self, port: int = 0, **default_scenario):
        self.state = State()
        if default_scenario:
            self.state.default = default_scenario
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def expect(self, offer: str, **scenario) -> None:
        with self.state.lock:
            self.state.scenarios[offer] = Scenario(**scenario)

    def requests_for(self, key: str) -> list[Request]:
        with self.state.lock:
            return [r for r in self.state.requests if r.key == key]

    def requests_between(self, start_ns: int, end_ns: int) -> list[Request]:
        with self.state.lock:
            return [r for r in self.state.requests if start_ns <= r.at_ns <= end_ns]

    def problems(self) -> list[str]:
        with self.state.lock:
            return list(self.state.problems)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="fake CPP/Entra server on 127.0.0.1")
    parser.add_argument("port", type=int, nargs="?", default=0)
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long each offer's operation runs after its publish (default 30)")
    args = parser.parse_args()
    with FakeServer(args.port, seconds=args.seconds) as server:
        print(f"fake CPP/Entra on {server.url}: tenant KEY{TENANT_SUFFIX}, offer KEY, publisher {PUBLISHER}, "
              f"client {CLIENT_ID}, secret {CLIENT_SECRET}; operations run {args.seconds:g} s; Ctrl-C stops",
              flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
