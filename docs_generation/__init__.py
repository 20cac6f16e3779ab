"""README sections generated from their sources of truth: the schema and the components' tunables.

`python -m docs_generation` rewrites them in README.md; tests/test_readme.py fails when they are stale.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

import schemas
from docs_generation import guardrails
from stack_config import OPT_OUT_KEY, OPT_OUT_SECTION, PROJECT, SECTIONS, config_keys

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
STACKS = ("dev", "staging", "prod")


def collected_fields() -> str:
    schema = schemas.load_schema()
    rows = ["## What is collected", "",
            "Generated from `schemas/usage_report.schema.json`. Each stored report line holds exactly these "
            "fields; nothing else is accepted, and the collector adds no client IP, user agent or header.", "",
            "| Stored field | Type | Meaning |", "| --- | --- | --- |"]
    for name, (column_type, meaning) in schemas.RECEIVED_FIELDS.items():
        rows.append(f"| `{name}` | {column_type} | {meaning} (added by the collector) |")
    for name in schemas.scalar_fields():
        prop = schema["properties"][name]
        required = " Required." if name in schema["required"] else ""
        rows.append(f"| `{name}` | {prop['type']} | {prop['description']}{required} |")
    counters = schema["definitions"]["counters"]["properties"]
    keys = schemas.counter_keys()
    for name, prop in counters.items():
        rows.append(f"| `{schemas.CANONICAL_COUNTERS_KEY}.{name}` | integer ≥ 0 | {prop['description']} |")
    rows += ["", f"Clients may send the counters under {', '.join(f'`{k}`' for k in keys)}; "
             f"they are always stored under `{schemas.CANONICAL_COUNTERS_KEY}`."]
    return "\n".join(rows)


def _stack_values(stack: str) -> dict:
    raw = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix(f"{PROJECT}:"): v for k, v in raw.items() if k.startswith(f"{PROJECT}:")}


def _shown(value) -> str:
    return "unset" if value is None else f"`{json.dumps(value)}`"


def _type_name(annotation) -> str:
    """Args modules with and without `from __future__ import annotations` give strings or types here."""
    shown = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    return re.sub(r"Optional\[(\w+)\]", r"\1", shown.replace("typing.", ""))


def config_reference() -> str:
    stacks = {stack: _stack_values(stack) for stack in STACKS}
    rows = [f"Stack config lives in `Pulumi.<stack>.yaml` under `{PROJECT}:<section>` as an object "
            "(generated from the components' Args; a bad key or value stops `pulumi preview` with a message "
            "naming the key, the value and what is allowed).", "",
            "| Key | Type | " + " | ".join(STACKS) + " | Meaning (allowed values) |",
            "| --- | --- | " + " | ".join("---" for _ in STACKS) + " | --- |"]
    for section in SECTIONS:
        for key, field in config_keys(section).items():
            per_stack = [_shown(stacks[s].get(section, {}).get(key, field.default)) for s in STACKS]
            kind = _type_name(field.type)
            rows.append(f"| `{section}.{key}` | {kind} | " + " | ".join(per_stack) +
                        f" | {field.metadata['meaning']} ({field.metadata['rule'].allowed}) |")
    opt_out = [_shown(stacks[s].get(OPT_OUT_SECTION, {}).get(OPT_OUT_KEY, False)) for s in STACKS]
    rows.append(f"| `{OPT_OUT_SECTION}.{OPT_OUT_KEY}` | bool | " + " | ".join(opt_out) +
                " | Opt out of usage reporting: no reporter function, role or schedule is deployed (true or false) |")
    return "\n".join(rows)


GENERATED = {"collected-fields": collected_fields, "config-reference": config_reference,
             "policy-rules": guardrails.policy_rules, "collector-alarms": guardrails.collector_alarms}


def render_readme(text: str) -> str:
    for marker, render in GENERATED.items():
        pattern = re.compile(rf"(<!-- {marker}:begin -->\n).*?(<!-- {marker}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README.md lost its {marker} markers")
        rendered = render()
        text = pattern.sub(lambda m, rendered=rendered: f"{m.group(1)}{rendered}\n{m.group(2)}", text)
    return text
