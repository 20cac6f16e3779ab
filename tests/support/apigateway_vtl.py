"""Render API Gateway mapping templates with airspeed-ext, emulating `$input`, `$util`, `$context`.

Only the parts of API Gateway's VTL environment our templates use are emulated, and each one
the way AWS documents it: `$input.json` yields JSON text, `$input.path` the value itself,
`$util.base64Encode` base64 of the UTF-8 bytes. For a missing path, engines differ: `$input.json`
gives an empty string here by default, the JSON text `""` on LocalStack; `missing_json` picks one.
"""

import base64
import functools
import json
from dataclasses import dataclass, field

import airspeed

_MISSING = object()
# What `$input.json` gives for a missing path: an empty string, or LocalStack's JSON text '""'.
MISSING_JSON_FORMS = ("", '""')


def _select(document, path: str):
    if path == "$":
        return document
    if not path.startswith("$."):
        raise ValueError(f"unsupported JSONPath {path!r}")
    node = document
    for part in path[2:].split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


class InputVariable:
    def __init__(self, body: str, missing_json: str = ""):
        self.body = body
        self.missing_json = missing_json
        self._document = json.loads(body) if body.strip() else None

    def json(self, path):
        value = _select(self._document, path)
        return self.missing_json if value is _MISSING else json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def path(self, path):
        value = _select(self._document, path)
        return None if value is _MISSING else value


class UtilVariable:
    @staticmethod
    def base64Encode(text):  # noqa: N802 - API Gateway's spelling
        return base64.b64encode(str(text).encode("utf-8")).decode("ascii")

    @staticmethod
    def base64Decode(text):  # noqa: N802
        return base64.b64decode(str(text)).decode("utf-8")

    @staticmethod
    def escapeJavaScript(text):  # noqa: N802
        return json.dumps(str(text))[1:-1].replace("'", "\\'")

    @staticmethod
    def parseJson(text):  # noqa: N802
        return json.loads(text)


@dataclass
class RequestContext:
    requestTimeEpoch: int = 1767225600123  # noqa: N815 - API Gateway's spelling
    requestId: str = "c0ffee00-0000-4000-8000-000000000001"  # noqa: N815
    error: dict = field(default_factory=dict)

    def as_namespace(self) -> dict:
        return {"requestTimeEpoch": self.requestTimeEpoch, "requestId": self.requestId, "error": self.error}


def render(template: str, body: str = "", context: RequestContext | None = None, missing_json: str = "") -> str:
    context = context or RequestContext()
    namespace = {
        "input": InputVariable(body, missing_json),
        "util": UtilVariable(),
        "context": context.as_namespace(),
    }
    return _parsed(template).merge(namespace)


@functools.lru_cache(maxsize=32)
def _parsed(template: str) -> airspeed.Template:
    """Parsing dominates a render; fuzzing renders one template thousands of times."""
    return airspeed.Template(template)
