"""Post reports to the local collector exactly as clients do (including with no Content-Type at all).

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


def post(url: str, body: bytes | str | dict, content_type: str | None = JSON, timeout: float = 15.0) -> Reply:
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"refusing to post outside this machine: {url}")
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    headers = {"Content-Type": content_type} if content_type else {}
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.read().decode("utf-8", errors="replace"))
    finally:
        connection.close()
