#!/usr/bin/env python3
"""A tiny fake Cloud Partner Portal + Microsoft Entra ID server for .ci/image-test.

Standard library only. Listens on 127.0.0.1 (an ephemeral port unless --port is given), writes
the port to --port-file once it is listening, and logs one line per request to stderr.

  POST /{tenant}/oauth2/token, /{tenant}/oauth2/v2.0/token
      -> 200 {"access_token": "image-test-access-token-5e1d9c", "expires_in": "3599"}
  POST /api/publishers/{p}/offers/{o}/publish            (needs the bearer token)
      -> 202, Location: /api/publishers/{p}/offers/{o}/operations/{OPERATION_ID}?api-version=...
  GET  /api/publishers/{p}/offers/{o}/operations/{OPERATION_ID}   (needs the bearer token)
      -> 200 {"status": "running", ...} for the first --running-polls reads, then
         {"status": "complete", ...}; with --forever it stays "running".
  anything else -> 404
"""

import argparse
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "image-test-access-token-5e1d9c"
OPERATION_ID = "56615b67-2185-49fe-80d2-c4ddf77bb2e8"
API_VERSION = "2017-10-31"

TOKEN_PATH = re.compile(r"^/[^/]+/oauth2/(v2\.0/)?token$")
PUBLISH_PATH = re.compile(r"^/api/publishers/([^/]+)/offers/([^/]+)/publish$")
OPERATION_PATH = re.compile(r"^/api/publishers/([^/]+)/offers/([^/]+)/operations/([^/]+)$")


def steps(done):
    def step(step_id, name, status, progress):
        return {
            "id": step_id,
            "stepName": name,
            "status": status,
            "progressPercentage": progress,
            "estimatedTimeFrame": "" if status == "complete" else "about 1 hour",
            "messages": [],
        }

    return [
        step("validation", "Validation", "complete", 100),
        step("certification", "Certification", "complete" if done else "inProgress",
             100 if done else 40),
        step("live", "Live", "complete" if done else "notStarted", 100 if done else 0),
    ]


class State:
    def __init__(self, running_polls, forever):
        self.running_polls = running_polls
        self.forever = forever
        self.polls = 0
        self.lock = threading.Lock()

    def next_status(self):
        with self.lock:
            self.polls += 1
            if self.forever or self.polls <= self.running_polls:
                return "running"
            return "complete"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-cpp/1"
    state = None  # set in main()

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        sys.stderr.write("fake-cpp: %s\n" % (format % args))

    def reply(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authorised(self):
        if self.headers.get("Authorization") == "Bearer " + TOKEN:
            return True
        self.reply(401, {"error": {"code": "Unauthorized", "message": "bad or missing token"}})
        return False

    def do_POST(self):  # noqa: N802 (the base class's name)
        path = self.path.split("?", 1)[0]
        self.read_body()
        if TOKEN_PATH.match(path):
            self.reply(200, {"token_type": "Bearer", "access_token": TOKEN, "expires_in": "3599"})
            return
        match = PUBLISH_PATH.match(path)
        if match:
            if not self.authorised():
                return
            publisher, offer = match.groups()
            location = "/api/publishers/%s/offers/%s/operations/%s?api-version=%s" % (
                publisher, offer, OPERATION_ID, API_VERSION)
            self.reply(202, None, [("Location", location)])
            return
        self.reply(404, {"error": {"code": "NotFound", "message": "no such resource"}})

    def do_GET(self):  # noqa: N802 (the base class's name)
        path = self.path.split("?", 1)[0]
        match = OPERATION_PATH.match(path)
        if match and match.group(3) == OPERATION_ID:
            if not self.authorised():
                return
            status = self.state.next_status()
            done = status == "complete"
            self.reply(200, {
                "id": OPERATION_ID,
                "status": status,
                "offerVersion": 7,
                "steps": steps(done),
                "previewLinks": [],
                "liveLinks": ["https://azuremarketplace.microsoft.com/marketplace/apps/contoso.contoso-vm"]
                if done else [],
            })
            return
        self.reply(404, {"error": {"code": "NotFound", "message": "no such resource"}})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--running-polls", type=int, default=2,
                        help="operation reads answered 'running' before 'complete'")
    parser.add_argument("--forever", action="store_true",
                        help="the operation never ends")
    args = parser.parse_args()

    Handler.state = State(args.running_polls, args.forever)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as out:
        out.write("%d\n" % server.server_address[1])
    # Renamed into place so a reader never sees a half-written file.
    os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
