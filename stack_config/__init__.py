"""Reads and validates all of a stack's config, once, before any resource is declared.

Each config section is an object whose keys are the camelCase names of a component's tunable
Args fields; the allowed values and defaults come from those fields (components/tunables.py).
A bad value stops the program with a message naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional, overload

import pulumi
import yaml

from components.athena_catalog import AthenaCatalogArgs
from components.collector_endpoint import CollectorEndpointArgs
from components.collector_monitoring import CollectorMonitoringArgs
from components.collector_waf import CollectorWafArgs
from components.daily_aggregator import DailyAggregatorArgs
from components.firehose_warehouse import FirehoseToS3WarehouseArgs
from components.tunables import ArgsError, boolean, camel_case, tunable_fields
from contract import products as catalogue
from contract import stack_settings
from stack_config.program_settings import (
    PROGRAM_SETTINGS,
    IamProgramSettings,
    ProgramOnlyArgs,
    ProgramSettings,
    ReporterProgramSettings,
    WafProgramSettings,
)
from stack_config.removed_settings import REMOVED

# Config keys are namespaced by the project name Pulumi.yaml declares; a second spelling here would
# silently read no config at all after a rename.
PROJECT = yaml.safe_load((Path(__file__).resolve().parents[1] / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]
# The committed stacks, one Pulumi.<stack>.yaml each (tests/test_readme.py checks the files).
STACKS = ("dev", "staging", "prod")

SECTIONS: dict[str, type] = {
    "endpoint": CollectorEndpointArgs,
    "warehouse": FirehoseToS3WarehouseArgs,
    "catalog": AthenaCatalogArgs,
    "monitoring": CollectorMonitoringArgs,
    "waf": CollectorWafArgs,
    "reporter": DailyAggregatorArgs,
    "iam": ProgramOnlyArgs,
}

# The product's documented opt-out knob, kept under its published name and spelling.
OPT_OUT_SECTION = "metricsConfig"
OPT_OUT_KEY = "disable_usage_statistic"
# The products the collector serves (contract/products): built-in ids and paths of the vendor's own entries,
# relative to the project folder. Unset: the default product only, as before the catalogue existed.
PRODUCTS_KEY = stack_settings.PRODUCTS
PRODUCTS_MEANING = (
    "The products this collector serves, each declared once in the product catalogue: built-in ids and paths of "
    "your own catalogue entries (.json, relative to the project folder; docs/products.md). Unset: the default "
    f"product only ({catalogue.DEFAULT_PRODUCT_ID})."
)
# Per product id, the path of a releases file (relative to the project folder) that `GET products/<id>/releases`
# answers: how the operator of a built-in product sets its releases without editing its entry.
RELEASES_KEY = stack_settings.RELEASES
RELEASES_MEANING = (
    "Per product id this stack serves, the path of its releases file (.json, relative to the project folder; "
    "docs/releases.md), answered at GET products/<id>/releases, for a product whose catalogue entry declares none. "
    "Unset: each product answers what its entry declares (or 404)."
)


class StackConfigError(ValueError):
    pass


# A setting's key in the stack file is its name outside Python, as the component package spells it too.
config_key = camel_case


def section_keys(args_type: type) -> dict[str, dataclasses.Field[Any]]:
    return {config_key(f.name): f for f in tunable_fields(args_type)}


def _program_keys(section: str) -> dict[str, dataclasses.Field[Any]]:
    return section_keys(PROGRAM_SETTINGS[section]) if section in PROGRAM_SETTINGS else {}


def config_keys(section: str) -> dict[str, dataclasses.Field[Any]]:
    """Every key a section accepts: the program's own settings for it, then the component's tunables
    (tests/test_stack_config.py checks that no key is both)."""
    return {**_program_keys(section), **section_keys(SECTIONS[section])}


@dataclass(frozen=True)
class StackConfig:
    sections: dict[str, dict[str, Any]]
    usage_reporting_disabled: bool
    program: dict[str, Any] = dataclasses.field(default_factory=dict)
    products: tuple[catalogue.Product, ...] = ()  # empty only when built by hand: load_stack_config fills it in
    # As the stack names them, for the components; None when unset (the collector is as released).
    product_references: Optional[tuple[str, ...]] = None
    release_files: Optional[dict[str, str]] = None  # product id -> path, as the stack names them

    def args_for(self, section: str) -> dict[str, Any]:
        """Keyword arguments for the section's Args class: only what the stack sets."""
        return dict(self.sections[section])

    @overload
    def program_settings(self, section: Literal["waf"]) -> WafProgramSettings: ...
    @overload
    def program_settings(self, section: Literal["reporter"]) -> ReporterProgramSettings: ...
    @overload
    def program_settings(self, section: Literal["iam"]) -> IamProgramSettings: ...
    def program_settings(self, section: str) -> ProgramSettings:
        """The program's settings for a section, defaults filled in."""
        return PROGRAM_SETTINGS[section](**self.program.get(section, {}))


_UNSET = object()


def _read_value(config: pulumi.Config, key: str) -> Any:
    """The key's value as the stack file wrote it (structured values arrive as JSON text); _UNSET when absent."""
    raw: Optional[str] = config.get(key)
    if raw is None:
        return _UNSET
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _read_object(config: pulumi.Config, section: str) -> dict[str, Any]:
    value = _read_value(config, section)
    if value is _UNSET:
        return {}
    if not isinstance(value, dict):
        raise StackConfigError(f"{PROJECT}:{section} = {value!r} is not allowed: expected an object of settings")
    return value


def _unknown_key_error(section: str, key: str, allowed: list[str]) -> StackConfigError:
    if (section, key) in REMOVED:
        return StackConfigError(f"{PROJECT}:{section}.{key} is no longer a setting: {REMOVED[section, key]}")
    close = [k for k in allowed if re.sub(r"[_-]", "", k).lower() == re.sub(r"[_-]", "", key).lower()]
    hint = f" (did you mean {close[0]}?)" if close else ""
    return StackConfigError(
        f"{PROJECT}:{section}.{key} is not a known setting{hint}: allowed keys are {', '.join(sorted(allowed))}"
    )


def _read_section(config: pulumi.Config, section: str, args_type: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values for the component's Args, values of the program's own settings), both validated."""
    fields, program_keys = config_keys(section), _program_keys(section)
    values: dict[str, Any] = {}
    program: dict[str, Any] = {}
    for key, value in _read_object(config, section).items():
        if key not in fields:
            raise _unknown_key_error(section, key, list(fields))
        rule = fields[key].metadata["rule"]
        if not rule.accepts(value):
            raise StackConfigError(str(ArgsError(f"{PROJECT}:{section}.{key}", value, rule.allowed)))
        (program if key in program_keys else values)[fields[key].name] = value
    try:
        args_type(**_placeholders(args_type), **values)
    except ArgsError as error:  # a rule across fields, e.g. settings that go together, or a product's counters
        key = f"{PROJECT}:{section}.{config_key(error.name.rpartition('.')[2])}"
        if error.value is not None:
            raise StackConfigError(str(ArgsError(key, error.value, error.allowed))) from None
        raise StackConfigError(f"{key} is missing: expected {error.allowed}") from None
    return values, program


def _placeholders(args_type: type) -> dict[str, Any]:
    """Wiring fields (resource outputs) are not in the config; an Output stands in for each, as one will at
    deploy time, to run the cross-field checks (a string would be checked as if the stack had set it)."""
    return {
        f.name: pulumi.Output.from_input("wiring")
        for f in dataclasses.fields(args_type)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _read_opt_out(config: pulumi.Config) -> bool:
    values = _read_object(config, OPT_OUT_SECTION)
    for key, value in values.items():
        if key != OPT_OUT_KEY:
            raise _unknown_key_error(OPT_OUT_SECTION, key, [OPT_OUT_KEY])
        if not boolean().accepts(value):
            raise StackConfigError(str(ArgsError(f"{PROJECT}:{OPT_OUT_SECTION}.{key}", value, boolean().allowed)))
    opted_out: bool = values.get(OPT_OUT_KEY, False)  # checked by the rule above
    return opted_out


def _product_references(config: pulumi.Config) -> Optional[tuple[str, ...]]:
    references = _read_value(config, PRODUCTS_KEY)
    if references is _UNSET:
        return None
    key = f"{PROJECT}:{PRODUCTS_KEY}"
    allowed = "a non-empty list of built-in product ids and paths of catalogue entries (.json)"
    if not isinstance(references, list) or not references:
        raise StackConfigError(f"{key} = {references!r} is not allowed: expected {allowed}")
    for index, reference in enumerate(references):
        if not isinstance(reference, str) or not reference:
            raise StackConfigError(f"{key}[{index}] = {reference!r} is not allowed: expected {allowed}")
    return tuple(references)


def _release_files(config: pulumi.Config, references: Optional[tuple[str, ...]]) -> Optional[dict[str, str]]:
    files = _read_value(config, RELEASES_KEY)
    if files is _UNSET:
        return None
    key = f"{PROJECT}:{RELEASES_KEY}"
    if not isinstance(files, dict) or not files:
        raise StackConfigError(f"{key} = {files!r} is not allowed: expected an object of product id -> releases file")
    for product_id, path in files.items():
        if not isinstance(path, str) or not path:
            raise StackConfigError(f"{key}.{product_id} = {path!r} is not allowed: expected the path of a .json file")
    if references is None:
        raise StackConfigError(
            f"{key} names releases files, but {PROJECT}:{PRODUCTS_KEY} is unset: name the products this stack serves "
            "(their releases are answered at products/<id>/releases)"
        )
    return files


def _read_products(
    references: Optional[tuple[str, ...]], release_files: Optional[dict[str, str]]
) -> tuple[catalogue.Product, ...]:
    """Paths are read from the working directory: Pulumi runs the program in the project folder."""
    try:
        served = catalogue.catalogue(references or [])
    except catalogue.CatalogueError as error:
        raise StackConfigError(f"{PROJECT}:{PRODUCTS_KEY}: {error}") from None
    try:
        return catalogue.with_releases(served, release_files or {})
    except catalogue.CatalogueError as error:
        raise StackConfigError(f"{PROJECT}:{RELEASES_KEY}: {error}") from None


def _set_project_keys() -> set[str]:
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {k.partition(":")[2] for k in keys if k.startswith(f"{PROJECT}:")}


def load_stack_config(config: Optional[pulumi.Config] = None) -> StackConfig:
    config = config or pulumi.Config(PROJECT)
    known = [*SECTIONS, OPT_OUT_SECTION, PRODUCTS_KEY, RELEASES_KEY]
    for key in sorted(_set_project_keys() - set(known)):
        raise StackConfigError(f"{PROJECT}:{key} is not a known setting: allowed keys are {', '.join(sorted(known))}")
    read = {section: _read_section(config, section, args_type) for section, args_type in SECTIONS.items()}
    references = _product_references(config)
    release_files = _release_files(config, references)
    return StackConfig(
        sections={section: values for section, (values, _) in read.items()},
        usage_reporting_disabled=_read_opt_out(config),
        program={section: program for section, (_, program) in read.items() if program},
        products=_read_products(references, release_files),
        product_references=references,
        release_files=release_files,
    )
