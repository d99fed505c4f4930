#!/usr/bin/env python3
"""The benchmark peer: publish a Cloud Partner Portal offer and wait for the operation, the way
Python publishing scripts and tools do it with `requests`.

Exactly the flow of publish-offer for `command: publish` with a client secret:
  1. POST {authority}/{tenant}/oauth2/token   (client-credentials grant, v1 `resource`)
  2. POST {api}/api/publishers/{p}/offers/{o}/publish?api-version=...   {"metadata": {}}
     -> 202 + Location
  3. GET  Location every poll interval until the operation ends or the time limit passes.

Same inputs as publish-offer (MARKETPLACE_<NAME> or INPUT_<NAME>), same durations (10ms, 1s,
1h30m), one `requests.Session` (connection reuse), urllib3 retries with backoff for transient
statuses, Retry-After honoured, the token refreshed before it expires, a line per status change,
`status=...` written to $GITHUB_OUTPUT when set. Exit codes: 0 succeeded (or still running at
the time limit), 1 failed/canceled/error, 2 bad input.
"""

import os
import re
import sys
import time
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RESOURCE = "https://cloudpartner.azure.com"
HTTP_TIMEOUT = (20, 60)  # connect, read
REFRESH_MARGIN = 300.0
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def setting(name, default=None, required=False):
    for variable in (f"INPUT_{name.upper()}", f"INPUT_{name.upper().replace('-', '_')}",
                     f"MARKETPLACE_{name.upper().replace('-', '_')}"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    if required:
        sys.exit(f"::error::input {name} is required")
    return default


def duration(name, default):
    text = setting(name, default)
    parts = re.findall(r"(\d+)(ms|s|m|h|d)", text)
    if text != "0" and "".join(n + u for n, u in parts) != text:
        sys.exit(f"::error::input {name}: not a duration: {text!r}")
    return sum(int(n) * UNITS[u] for n, u in parts)


def output(name, value):
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(f"{name}={value}\n")


class Token:
    def __init__(self, session, authority, tenant, client_id, secret):
        self.session = session
        self.url = f"{authority.rstrip('/')}/{tenant}/oauth2/token"
        self.form = {"grant_type": "client_credentials", "client_id": client_id,
                     "client_secret": secret, "resource": RESOURCE}
        self.value = None
        self.refresh_at = 0.0

    def header(self):
        now = time.monotonic()
        if self.value is None or now >= self.refresh_at:
            response = self.session.post(self.url, data=self.form, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            body = response.json()
            lifetime = float(body.get("expires_in", 3600))
            self.value = body["access_token"]
            self.refresh_at = now + lifetime - min(REFRESH_MARGIN, lifetime / 2)
            print(f"::add-mask::{self.value}", flush=True)
        return {"Authorization": f"Bearer {self.value}"}


def main():
    api_url = setting("api-url", "https://cloudpartner.azure.com").rstrip("/")
    authority = setting("authority-host", "https://login.microsoftonline.com")
    publisher = setting("publisher-id", required=True)
    offer = setting("offer-id", required=True)
    tenant = setting("tenant-id", required=True)
    client_id = setting("client-id", required=True)
    secret = setting("client-secret", required=True)
    api_version = setting("api-version", "2017-10-31")
    poll_interval = duration("poll-interval", "30s")
    timeout = duration("timeout", "60m")
    print(f"::add-mask::{secret}", flush=True)

    session = requests.Session()
    session.headers["User-Agent"] = "publish-offer-peer/1.0"
    retries = Retry(total=5, backoff_factor=1, status_forcelist=[429, 500, 502, 503, 504],
                    allowed_methods=["GET", "POST"], respect_retry_after_header=True)
    session.mount("https://", HTTPAdapter(max_retries=retries))
    session.mount("http://", HTTPAdapter(max_retries=retries))
    token = Token(session, authority, tenant, client_id, secret)

    started = time.monotonic()
    deadline = started + timeout
    response = session.post(f"{api_url}/api/publishers/{publisher}/offers/{offer}/publish",
                            params={"api-version": api_version}, json={"metadata": {}},
                            headers=token.header(), timeout=HTTP_TIMEOUT)
    if response.status_code != 202 or "Location" not in response.headers:
        print(f"::error title=publish offer::{response.status_code} {response.text[:500]}")
        output("status", "rejected")
        return 1
    location = urljoin(api_url + "/", response.headers["Location"])
    print(f"publish started: {location}", flush=True)
    output("operation-url", location)

    last = None
    while True:
        response = session.get(location, headers=token.header(), timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        operation = response.json()
        status = str(operation.get("status", "")).lower()
        steps = [(s.get("stepName"), s.get("status"), s.get("progressPercentage"))
                 for s in operation.get("steps", [])]
        if (status, steps) != last:
            print(f"operation {status}: " + ", ".join(f"{n} {s} {p}%" for n, s, p in steps), flush=True)
            last = (status, steps)
        if status in ("complete", "completed", "succeeded"):
            output("status", "succeeded")
            return 0
        if status in ("failed", "canceled", "cancelled"):
            for step in operation.get("steps", []):
                for message in step.get("messages", []):
                    print(f"::error title={step.get('stepName')}::{message.get('messageHtml')}")
            output("status", "failed" if status == "failed" else "canceled")
            return 1
        now = time.monotonic()
        if now >= deadline:
            print(f"::warning::still running after {timeout:g}s")
            output("status", "running")
            return 0
        hint = float(response.headers.get("Retry-After", 0) or 0)
        time.sleep(min(max(poll_interval, hint), deadline - now))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except requests.RequestException as error:
        print(f"::error title=request failed::{error}")
        output("status", "error")
        sys.exit(1)
