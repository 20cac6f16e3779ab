"""A product's releases and security advisories, and the rule that tells a reporter whether they concern it.

The data (docs/releases.md): a product's catalogue entry may carry it under `releases`, or a stack names a releases
file for the product (`analytics-collector:releases`), so the operator of a built-in product sets it without editing
this package:

    {
      "latest": "1.4.2",                           # the newest release, in the product's version_format
      "advisories": [                              # optional; ids unique
        {
          "id": "ACME-2026-001",                   # a letter or digit, then up to 63 letters, digits or . _ : -
          "severity": "high",                      # one of SEVERITIES
          "summary": "What is wrong, in a line.",  # at most 300 characters
          "url": "https://example.com/advisories/ACME-2026-001",
          "affected": [{"introduced": "1.2.0", "fixed": "1.3.1"}]   # ranges, OSV style (below)
        }
      ]
    }

The collector answers `GET products/<id>/releases` with the same object and the product's id (`answer`), the same
document to every caller. The reporter reads it back (`read_answer`) and decides locally (`verdict`):

- A version is affected by a range when introduced <= version < fixed: `introduced` inclusive, `fixed`
  exclusive, either left out for an open end (not both). An advisory affects a version when any of its ranges does.
- Versions compare by SemVer 2.0.0 precedence: major, minor, patch as numbers, then a pre-release is lower than its
  release (1.3.1-rc.1 < 1.3.1), pre-release identifiers compared one by one (numbers as numbers, below text);
  build metadata (+...) is ignored.
- A newer version is available when `latest` is above the reporter's own version.

Standard library only: the reporter Lambda ships this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

SEVERITIES = ("low", "medium", "high", "critical")
_SEVERITY_WORD = re.compile(r"[a-z][a-z0-9_-]*")
# SemVer 2.0.0's own grammar (semver.org, "Is there a suggested regular expression"): no leading zeros, no empty
# identifier.
_NUMBER = r"0|[1-9][0-9]*"
_IDENTIFIER = rf"(?:{_NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"({_NUMBER})\.({_NUMBER})\.({_NUMBER})"
    rf"(?:-({_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_ADVISORY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_ADVISORY_ID_ALLOWED = "a letter or digit, then up to 63 letters, digits or . _ : -"
_HTTPS_URL = re.compile(r"https://[^\s/?#]+[^\s]*")
_MAX_URL = 2048
_MAX_SUMMARY = 300

_RELEASES_KEYS = {"latest", "advisories"}
_ADVISORY_KEYS = {"id", "severity", "summary", "url", "affected"}
_RANGE_KEYS = {"introduced", "fixed"}
# The answer adds the product it is for.
_ANSWER_KEYS = {"product", *_RELEASES_KEYS}


class ReleasesError(ValueError):
    """Releases data, or an answer carrying it, is not valid."""


@dataclass(frozen=True)
class Version:
    text: str  # as written, for the data and the log lines
    precedence: tuple[Any, ...]

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a SemVer 2.0.0 version such as 1.4.2 or 1.5.0-rc.1")
        major, minor, patch, pre, _build = match.groups()
        # No pre-release sorts above every pre-release of the same release; a number below any text identifier.
        pre_key = (1,) if pre is None else (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
        return cls(text, (int(major), int(minor), int(patch), pre_key))

    def __lt__(self, other: Version) -> bool:
        return self.precedence < other.precedence

    def __le__(self, other: Version) -> bool:
        return self.precedence <= other.precedence


@dataclass(frozen=True)
class Range:
    introduced: Optional[Version]  # inclusive; None: from the first version
    fixed: Optional[Version]  # exclusive; None: not fixed in any release

    def contains(self, version: Version) -> bool:
        return (self.introduced is None or self.introduced <= version) and (self.fixed is None or version < self.fixed)

    def as_json(self) -> dict[str, str]:
        ends = {"introduced": self.introduced, "fixed": self.fixed}
        return {key: end.text for key, end in ends.items() if end is not None}


@dataclass(frozen=True)
class Advisory:
    id: str
    severity: str
    summary: str
    url: str
    affected: tuple[Range, ...]

    def affects(self, version: Version) -> bool:
        return any(found.contains(version) for found in self.affected)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "summary": self.summary,
            "url": self.url,
            "affected": [found.as_json() for found in self.affected],
        }


@dataclass(frozen=True)
class Releases:
    latest: Version
    advisories: tuple[Advisory, ...] = ()
    source: str = ""  # where it was read, for messages

    def as_json(self) -> dict[str, Any]:
        return {"latest": self.latest.text, "advisories": [advisory.as_json() for advisory in self.advisories]}

    def answer(self, product_id: str) -> dict[str, Any]:
        """What `GET products/<id>/releases` answers every caller."""
        return {"product": product_id, **self.as_json()}


@dataclass(frozen=True)
class Verdict:
    version: str
    newer: Optional[str]  # the latest version when it is above this one, else None
    affecting: tuple[Advisory, ...]


def verdict(releases: Releases, version: str) -> Verdict:
    """What the releases say to a deployment running `version` (ValueError when it is not SemVer)."""
    running = Version.parse(version)
    return Verdict(
        version=version,
        newer=releases.latest.text if running < releases.latest else None,
        affecting=tuple(advisory for advisory in releases.advisories if advisory.affects(running)),
    )


# --- validation ------------------------------------------------------------------------------------------------


def _error(source: str, key: str, value: Any, allowed: str) -> ReleasesError:
    return ReleasesError(f"{source}: {key} = {value!r} is not allowed: expected {allowed}")


def _object(source: str, key: str, value: Any, known: set[str], required: tuple[str, ...], strict: bool) -> dict:
    if not isinstance(value, dict):
        raise _error(source, key, value, "an object")
    unknown = sorted(set(value) - known)
    if strict and unknown:
        raise ReleasesError(f"{source}: {key}.{unknown[0]} is not a releases key: allowed keys are {sorted(known)}")
    for name in required:
        if name not in value:
            raise ReleasesError(f"{source}: {key}.{name} is missing: {key} declares {', '.join(required)}")
    return value


def _text(source: str, key: str, value: Any, limit: int, pattern: Optional[re.Pattern[str]], allowed: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _error(source, key, value, allowed)
    if pattern is not None and not pattern.fullmatch(value):
        raise _error(source, key, value, allowed)
    return value


def _version(source: str, key: str, value: Any, in_format: Callable[[str], bool], allowed: str) -> Version:
    try:
        version = Version.parse(value)
    except ValueError:
        raise _error(source, key, value, allowed) from None
    if not in_format(value):
        raise _error(source, key, value, allowed)
    return version


def _range(source: str, key: str, value: Any, in_format: Callable[[str], bool], allowed: str, strict: bool) -> Range:
    data = _object(source, key, value, _RANGE_KEYS, (), strict)
    if not set(data) & _RANGE_KEYS:
        raise _error(source, key, value, 'introduced, fixed or both (from the first version: {"introduced": "0.0.0"})')
    ends = {name: _version(source, f"{key}.{name}", data[name], in_format, allowed) for name in _RANGE_KEYS & set(data)}
    found = Range(ends.get("introduced"), ends.get("fixed"))
    if found.introduced is not None and found.fixed is not None and not found.introduced < found.fixed:
        raise _error(source, f"{key}.fixed", found.fixed.text, f"a version above introduced ({found.introduced.text})")
    return found


def _advisory(
    source: str, key: str, value: Any, in_format: Callable[[str], bool], allowed: str, strict: bool
) -> Advisory:
    data = _object(source, key, value, _ADVISORY_KEYS, tuple(sorted(_ADVISORY_KEYS)), strict)
    ranges = data["affected"]
    if not isinstance(ranges, list) or not ranges:
        raise _error(source, f"{key}.affected", ranges, "a non-empty list of ranges")
    severity = data["severity"]
    if strict and severity not in SEVERITIES:
        raise _error(source, f"{key}.severity", severity, f"one of {', '.join(SEVERITIES)}")
    # A reporter passes on a severity a newer collector adds rather than dropping the whole answer.
    severity = _text(source, f"{key}.severity", severity, 32, _SEVERITY_WORD, "a severity word such as high")
    url = _text(source, f"{key}.url", data["url"], _MAX_URL, _HTTPS_URL, "an https:// URL without spaces")
    return Advisory(
        id=_text(source, f"{key}.id", data["id"], 64, _ADVISORY_ID, _ADVISORY_ID_ALLOWED),
        severity=severity,
        summary=_text(
            source, f"{key}.summary", data["summary"], _MAX_SUMMARY, None, "a non-empty line of at most 300 characters"
        ),
        url=url,
        affected=tuple(
            _range(source, f"{key}.affected[{i}]", item, in_format, allowed, strict) for i, item in enumerate(ranges)
        ),
    )


def parse(
    data: Any,
    source: str,
    key: str = "releases",
    in_format: Callable[[str], bool] = lambda _version: True,
    format_name: str = "",
    strict: bool = True,
) -> Releases:
    """Releases from their JSON data; `source` and `key` name them in errors. `in_format` checks each version against
    the product's version_format (`format_name`) besides SemVer; `strict` refuses keys this module does not know."""
    allowed = f"a SemVer 2.0.0 version{f' in the {format_name} version format' if format_name else ''}"
    data = _object(source, key, data, _RELEASES_KEYS, ("latest",), strict)
    advisories = data.get("advisories", [])
    if not isinstance(advisories, list):
        raise _error(source, f"{key}.advisories", advisories, "a list of advisories")
    parsed = tuple(
        _advisory(source, f"{key}.advisories[{i}]", item, in_format, allowed, strict)
        for i, item in enumerate(advisories)
    )
    seen: set[str] = set()
    for advisory in parsed:
        if advisory.id in seen:
            raise _error(source, f"{key}.advisories[].id", advisory.id, "ids unique within the product")
        seen.add(advisory.id)
    latest = _version(source, f"{key}.latest", data["latest"], in_format, allowed)
    return Releases(latest, parsed, source)


def in_version_format(version_format: str) -> Callable[[str], bool]:
    """Whether a version is one the product's reports could carry: the report schema's `version` (every format
    in contract.products.VERSION_FORMATS is that envelope's, so far only `semver`)."""
    # Imported here: contract.schemas imports contract.products, which imports this module.
    from contract import schemas

    pattern = re.compile(schemas.load_envelope()["properties"]["version"]["pattern"])
    return lambda version: bool(pattern.search(version))


def read_json_file(path: str | Path, what: str, error: type[ValueError] = ReleasesError) -> Any:
    """A JSON file's data; `error` names the file and what went wrong (a catalogue entry's reader shares it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as failure:
        raise error(f"{path}: cannot read the {what} ({failure.strerror})") from None
    return json_data(text, str(path), error)


def json_data(text: str, source: str, error: type[ValueError] = ReleasesError) -> Any:
    """JSON text's data; `error` names its source and where the text stops being JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as failure:
        raise error(f"{source}: not JSON ({failure.msg} at line {failure.lineno})") from None


def load_file(path: str | Path, version_format: str) -> Releases:
    """A releases file a stack names for a product (docs/releases.md)."""
    data = read_json_file(path, "releases file")
    return parse(data, str(path), "releases", in_version_format(version_format), version_format)


def read_answer(text: str, product_id: str) -> Releases:
    """The collector's answer as the reporter reads it: the product's releases, keys it does not know ignored (a
    newer collector may add some), everything it uses checked."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReleasesError(f"the answer is not JSON ({error.msg} at line {error.lineno})") from None
    answer = _object("the answer", "answer", data, _ANSWER_KEYS, ("product", "latest"), strict=False)
    if answer["product"] != product_id:
        raise _error("the answer", "answer.product", answer["product"], f"{product_id!r}, the product asked about")
    releases: Mapping[str, Any] = {key: answer[key] for key in _RELEASES_KEYS if key in answer}
    return parse(dict(releases), "the answer", "answer", strict=False)
