"""The product catalogue: each product the collector serves, declared once as a JSON file.

A catalogue entry (one file per product; the built-in ones sit beside this module, a vendor's own anywhere in
their Pulumi project, named by the stack setting `analytics-collector:products`):

    {
      "id": "acme-widgets",                      # lower case, digits and '-': it appears in routes and names
      "display_name": "Acme widgets",
      "version_format": "semver",                # a name in VERSION_FORMATS
      "counters": [                              # at least one; names unique (case-insensitively)
        {"name": "widgetsMade", "meaning": "Widgets made.", "daily_maximum": 1000000}
      ],                                         # daily_maximum optional: the schema's `count` maximum otherwise
      "legacy": {                                # optional: what reporters already in the field use
        "counters_keys": [{"key": "metricsConfig", "meaning": "..."}],   # accepted besides `metrics`
        "routes": ["record", "record/deployment"]                         # paths below the stage
      },
      "releases": {"latest": "1.4.2", "advisories": []}   # optional: contract/releases.py, docs/releases.md
    }

The API (standard library only: the reporter Lambda ships this package):

- `default()`: the built-in product the collector has always served (DEFAULT_PRODUCT_ID).
- `builtin(product_id)` / `builtin_ids()`: the entries shipped here; an unknown id names the closest ones.
- `load(reference, base_dir)`: a built-in id, or a path to an entry file (relative to `base_dir`).
- `catalogue(references, base_dir, release_files)`: the products a stack serves, checked together (ids and legacy
  routes and keys unique across them), `with_releases` the files a stack names for some of them (id -> path).
- `parse(data, source)` / `parse_text(text, source)` / `load_file(path)`: an entry from data, JSON text or a file;
  `dump(product)`: the entry's JSON text again, without its releases (the reporter asks the collector for those).
- `Product`: id, display_name, version_format, counters (`Counter`: name, meaning, daily_maximum or None),
  counters_keys (`CountersKey`: the legacy aliases), legacy_routes, releases (contract.releases, or None), source;
  `counter_names`, `counter(name)`.
- `change_kind(before, after)`: ADDITION, REVISION or MODEL, what a catalogue change means to reporters in the field.

Every error is a CatalogueError naming the file, the key, the value and what is allowed.
The report schema for a product is built by `contract.schemas.load_schema(product)`.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from contract import releases as release_data

BUILTIN_DIR = Path(__file__).resolve().parent
ENTRY_SUFFIX = ".json"
DEFAULT_PRODUCT_ID = "lunasec-tokenizer"
# The report field each version format fills in is defined by the report schema's envelope
# (contract/schemas/usage_report.schema.json, `properties.version`); only that one format exists so far.
VERSION_FORMATS = ("semver",)

# In routes (`products/<id>/reports`), resource names and the warehouse's product column.
_ID = re.compile(r"[a-z][a-z0-9-]{0,38}[a-z0-9]")
# A counter's name and a legacy counters key: one pattern, because both are keys of the same report (a counter a
# key of the counters object, a counters key one of the report itself) and a counter is also a CloudWatch metric
# name and a Glue map key; what is safe for one is safe for the other.
_KEY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_KEY_NAME_ALLOWED = "a letter, then up to 63 letters, digits or '_'"
_ROUTE = re.compile(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*")
# Paths the collector keeps for the catalogue's own routes.
RESERVED_ROUTE_PREFIX = "products"

_ENTRY_KEYS = {"id", "display_name", "version_format", "counters", "legacy", "releases"}
_REQUIRED_KEYS = ("id", "display_name", "version_format", "counters")
_COUNTER_KEYS = {"name", "meaning", "daily_maximum"}
_LEGACY_KEYS = {"counters_keys", "routes"}
_ALIAS_KEYS = {"key", "meaning"}


class CatalogueError(ValueError):
    """A catalogue entry, or the set of them a stack names, is not valid."""


@dataclass(frozen=True)
class Counter:
    name: str
    meaning: str
    daily_maximum: Optional[int] = None  # None: the report schema's `count` maximum


@dataclass(frozen=True)
class CountersKey:
    """A key a reporter in the field sends its counters under besides the canonical one."""

    key: str
    meaning: str


@dataclass(frozen=True)
class Product:
    id: str
    display_name: str
    version_format: str
    counters: tuple[Counter, ...]
    counters_keys: tuple[CountersKey, ...] = ()
    legacy_routes: tuple[str, ...] = ()
    source: str = ""  # the entry's file, for messages
    # What `GET products/<id>/releases` answers: the entry's own, or a releases file the stack names (catalogue()).
    releases: Optional[release_data.Releases] = None

    @property
    def counter_names(self) -> tuple[str, ...]:
        return tuple(counter.name for counter in self.counters)

    def counter(self, name: str) -> Counter:
        for counter in self.counters:
            if counter.name == name:
                return counter
        raise KeyError(f"{self.id} has no counter {name!r}: its counters are {', '.join(self.counter_names)}")


def _error(source: str, key: str, value: Any, allowed: str) -> CatalogueError:
    return CatalogueError(f"{source}: {key} = {value!r} is not allowed: expected {allowed}")


def did_you_mean(word: Any, choices: Iterable[str], show: Callable[[str], str] = str) -> str:
    """The closest of `choices` to a misspelt `word`, as a clause for an error message ("" when none is close)."""
    close = difflib.get_close_matches(str(word), list(choices), n=3)
    return f" (did you mean {' or '.join(show(c) for c in close)}?)" if close else ""


def _check_keys(source: str, where: str, data: Any, known: set[str], required: Sequence[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _error(source, where or "the entry", data, "an object")
    prefix = f"{where}." if where else ""
    for key in data:
        if key not in known:
            raise CatalogueError(
                f"{source}: {prefix}{key} is not a catalogue key{did_you_mean(key, known)}: "
                f"allowed keys are {', '.join(sorted(known))}"
            )
    for key in required:
        if key not in data:
            raise CatalogueError(f"{source}: {prefix}{key} is missing: every entry declares {', '.join(required)}")
    return data


def _text(source: str, key: str, value: Any, pattern: Optional[re.Pattern[str]] = None, allowed: str = "") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _error(source, key, value, allowed or "a non-empty string of at most 200 characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise _error(source, key, value, allowed)
    return value


def _list(source: str, key: str, value: Any, allow_empty: bool = False) -> list[Any]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise _error(source, key, value, "a list" if allow_empty else "a non-empty list")
    return value


def _unique(source: str, key: str, names: Sequence[str]) -> None:
    seen: dict[str, str] = {}
    for name in names:
        if name.lower() in seen:
            raise _error(source, key, name, f"names unique regardless of case ({seen[name.lower()]!r} is declared)")
        seen[name.lower()] = name


def _counter(source: str, where: str, data: Any) -> Counter:
    data = _check_keys(source, where, data, _COUNTER_KEYS, ("name", "meaning"))
    name = _text(source, f"{where}.name", data["name"], _KEY_NAME, _KEY_NAME_ALLOWED)
    maximum = data.get("daily_maximum")
    if maximum is not None and (isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1):
        raise _error(source, f"{where}.daily_maximum", maximum, "a whole number of at least 1, or no key")
    return Counter(name, _text(source, f"{where}.meaning", data["meaning"]), maximum)


def _alias(source: str, where: str, data: Any) -> CountersKey:
    data = _check_keys(source, where, data, _ALIAS_KEYS, ("key", "meaning"))
    key = _text(source, f"{where}.key", data["key"], _KEY_NAME, _KEY_NAME_ALLOWED)
    if key == "metrics":
        raise _error(source, f"{where}.key", key, "a key other than the canonical `metrics`")
    return CountersKey(key, _text(source, f"{where}.meaning", data["meaning"]))


def _route(source: str, where: str, value: Any) -> str:
    route = _text(source, where, value, _ROUTE, "a path below the stage such as 'record/deployment' (no leading /)")
    if route.split("/")[0] == RESERVED_ROUTE_PREFIX:
        raise _error(source, where, route, f"a path outside {RESERVED_ROUTE_PREFIX}/, which the catalogue's routes use")
    return route


def parse(data: Any, source: str) -> Product:
    """One catalogue entry from its JSON data; `source` names it in errors (usually its file)."""
    data = _check_keys(source, "", data, _ENTRY_KEYS, _REQUIRED_KEYS)
    product_id = _text(
        source, "id", data["id"], _ID, "2 to 40 lower-case letters, digits or '-', starting with a letter"
    )
    version_format = data["version_format"]
    if version_format not in VERSION_FORMATS:
        raise _error(source, "version_format", version_format, f"one of {', '.join(VERSION_FORMATS)}")
    counters = tuple(
        _counter(source, f"counters[{i}]", item) for i, item in enumerate(_list(source, "counters", data["counters"]))
    )
    _unique(source, "counters[].name", [c.name for c in counters])
    legacy = _check_keys(source, "legacy", data.get("legacy", {}), _LEGACY_KEYS, ())
    aliases = tuple(
        _alias(source, f"legacy.counters_keys[{i}]", item)
        for i, item in enumerate(_list(source, "legacy.counters_keys", legacy.get("counters_keys", []), True))
    )
    _unique(source, "legacy.counters_keys[].key", [a.key for a in aliases])
    routes = tuple(
        _route(source, f"legacy.routes[{i}]", item)
        for i, item in enumerate(_list(source, "legacy.routes", legacy.get("routes", []), True))
    )
    _unique(source, "legacy.routes", routes)
    releases = None
    if "releases" in data:
        try:
            releases = release_data.parse(
                data["releases"], source, "releases", release_data.in_version_format(version_format), version_format
            )
        except release_data.ReleasesError as error:
            raise CatalogueError(str(error)) from None
    return Product(
        id=product_id,
        display_name=_text(source, "display_name", data["display_name"]),
        version_format=version_format,
        counters=counters,
        counters_keys=aliases,
        legacy_routes=routes,
        source=source,
        releases=releases,
    )


def parse_text(text: str, source: str) -> Product:
    """One catalogue entry from its JSON text; `source` names it in errors."""
    return parse(release_data.json_data(text, source, CatalogueError), source)


def load_file(path: str | Path) -> Product:
    return parse(release_data.read_json_file(path, "catalogue entry", CatalogueError), str(path))


def dump(product: Product) -> str:
    """The entry's JSON text, as parse() reads it back: the keys it declares, in the documented order."""
    data: dict[str, Any] = {
        "id": product.id,
        "display_name": product.display_name,
        "version_format": product.version_format,
        "counters": [
            {
                "name": c.name,
                "meaning": c.meaning,
                **({} if c.daily_maximum is None else {"daily_maximum": c.daily_maximum}),
            }
            for c in product.counters
        ],
    }
    legacy: dict[str, Any] = {}
    if product.counters_keys:
        legacy["counters_keys"] = [{"key": a.key, "meaning": a.meaning} for a in product.counters_keys]
    if product.legacy_routes:
        legacy["routes"] = list(product.legacy_routes)
    if legacy:
        data["legacy"] = legacy
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def builtin_ids() -> tuple[str, ...]:
    return tuple(sorted(p.name.removesuffix(ENTRY_SUFFIX) for p in BUILTIN_DIR.glob(f"*{ENTRY_SUFFIX}")))


def builtin(product_id: str) -> Product:
    if product_id not in builtin_ids():
        raise CatalogueError(
            f"{product_id!r} is not a built-in product{did_you_mean(product_id, builtin_ids())}: built-in products are "
            f"{', '.join(builtin_ids())}; a product of your own is named by the path of its .json entry"
        )
    product = load_file(BUILTIN_DIR / f"{product_id}{ENTRY_SUFFIX}")
    if product.id != product_id:
        raise _error(product.source, "id", product.id, f"{product_id!r}, the file's name")
    return product


def default() -> Product:
    return builtin(DEFAULT_PRODUCT_ID)


def is_path(reference: str) -> bool:
    return reference.endswith(ENTRY_SUFFIX) or "/" in reference or "\\" in reference


def load(reference: str, base_dir: str | Path = ".") -> Product:
    """A built-in product by id, or a vendor's entry by path (relative paths from `base_dir`)."""
    if not isinstance(reference, str) or not reference:
        raise CatalogueError(f"{reference!r} is not a product: expected a built-in id or the path of a .json entry")
    if is_path(reference):
        return load_file(Path(base_dir) / reference)
    return builtin(reference)


def _owners(products: Sequence[Product], what: str, values_of: Any) -> None:
    owner: dict[str, Product] = {}
    for product in products:
        for value in values_of(product):
            if value in owner:
                raise CatalogueError(
                    f"{product.source}: {what} {value!r} is already {owner[value].id}'s ({owner[value].source}): "
                    f"each may belong to one product"
                )
            owner[value] = product


def catalogue(
    references: Sequence[str], base_dir: str | Path = ".", release_files: Optional[Mapping[str, str]] = None
) -> tuple[Product, ...]:
    """The products one collector serves, in the order named; an empty list means the default product only.
    `release_files`: as in with_releases."""
    products = tuple(load(reference, base_dir) for reference in references) or (default(),)
    _owners(products, "the id", lambda p: [p.id])
    _owners(products, "the legacy route", lambda p: p.legacy_routes)
    _owners(products, "the legacy counters key", lambda p: [a.key for a in p.counters_keys])
    return with_releases(products, release_files or {}, base_dir)


def with_releases(
    products: Sequence[Product], release_files: Mapping[str, str], base_dir: str | Path = "."
) -> tuple[Product, ...]:
    """The products with the releases files a stack names for some of them (product id -> path, relative to
    `base_dir`), for products whose entry declares none (a built-in one's, say)."""
    served = [product.id for product in products]
    for product_id, path in release_files.items():
        if product_id not in served:
            raise CatalogueError(
                f"releases names {product_id!r} (file {path!r}), a product this stack does not serve"
                f"{did_you_mean(product_id, served)}: it serves {', '.join(served)}"
            )
    return tuple(_with_release_file(product, release_files, base_dir) for product in products)


def _with_release_file(product: Product, release_files: Mapping[str, str], base_dir: str | Path) -> Product:
    path = release_files.get(product.id)
    if path is None:
        return product
    if product.releases is not None:
        raise CatalogueError(
            f"{product.source}: releases are declared in the entry and in the releases file {path!r} the stack names "
            f"for {product.id}: keep one of them"
        )
    try:
        releases = release_data.load_file(Path(base_dir) / path, product.version_format)
    except release_data.ReleasesError as error:
        raise CatalogueError(str(error)) from None
    return dataclasses.replace(product, releases=releases)


# How a catalogue change reaches reporters already in the field, in the spirit of SchemaVer's MODEL-REVISION-ADDITION.
ADDITION = "addition"  # every report accepted before is accepted after
REVISION = "revision"  # some are refused after, but the reporter loses no day (it resends without what is refused)
MODEL = "model"  # reporters in the field break: a new product id, not a change of this one


def change_kind(before: Product, after: Product) -> str:
    """ADDITION: counters, legacy keys or routes added, a daily maximum raised or removed, meanings or the display
    name reworded. REVISION: a counter retired or a daily maximum lowered (a newer collector refuses it with 400
    naming the counter; the reporter resends the day without it, as it does for a counter an older collector does
    not know). MODEL: another id or version format, or a legacy key or route removed (deployed reporters post there):
    declare a new product instead."""
    if before.id != after.id or before.version_format != after.version_format:
        return MODEL
    if not {a.key for a in before.counters_keys} <= {a.key for a in after.counters_keys}:
        return MODEL
    if not set(before.legacy_routes) <= set(after.legacy_routes):
        return MODEL
    kept = {c.name: c for c in after.counters}
    for counter in before.counters:
        now = kept.get(counter.name)
        if now is None:
            return REVISION
        if now.daily_maximum is not None and (
            counter.daily_maximum is None or now.daily_maximum < counter.daily_maximum
        ):
            return REVISION
    return ADDITION
