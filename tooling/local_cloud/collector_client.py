"""Post reports to the local collector exactly as clients do (including with no Content-Type at all), and read what
it answers.

http.client rather than urllib: urllib adds `Content-Type: application/x-www-form-urlencoded` to
every body, and the shipped reporter sends none.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    content_type: str | None = None

    @property
    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def message(self) -> str:
        body = self.json
        if isinstance(body, dict):
            return " ".join(str(body[k]) for k in ("message", "reason") if body.get(k))
        return self.text


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float) -> Reply:
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"refusing to {method.lower()} outside this machine: {url}")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return Reply(response.status, text, response.getheader("Content-Type"))
    finally:
        connection.close()


def post(url: str, body: bytes | str | dict, content_type: str | None = JSON, timeout: float = 15.0) -> Reply:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return _request("POST", url, body, {"Content-Type": content_type} if content_type else {}, timeout)


def get(url: str, timeout: float = 15.0) -> Reply:
    """A GET as `curl <url>` sends it: no body, no Content-Type."""
    return _request("GET", url, None, {}, timeout)
