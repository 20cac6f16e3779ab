"""Documentation sections generated from their sources of truth: the schema, the components' tunables, the
policy pack, the alarm specs and the import-linter contracts.

Each section sits between `<!-- name:begin -->` and `<!-- name:end -->` in the file SECTION_FILES names, and each
figure the prose states between `<!-- figure:name -->` and `<!-- /figure -->` (figures.py);
`python -m tooling.docs_generation` rewrites them in place, and tests/test_readme.py fails when one is stale.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

from contract import products, schemas
from stack_config import (
    OPT_OUT_KEY,
    OPT_OUT_SECTION,
    PRODUCTS_KEY,
    PRODUCTS_MEANING,
    PROJECT,
    RELEASES_KEY,
    RELEASES_MEANING,
    SECTIONS,
    STACKS,
    config_keys,
)
from stack_config.outputs import STACK_OUTPUTS
from tooling.docs_generation import figures, fleet_costs, flood_horizon, guardrails, product_quotas, warehouse_bounds

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"


def collected_fields() -> str:
    schema = schemas.load_schema()
    rows = [
        "## What is collected",
        "",
        "Generated from `contract/schemas/usage_report.schema.json` and the default product's catalogue entry "
        f"(`contract/products/{products.DEFAULT_PRODUCT_ID}.json`, docs/products.md). Each stored report line holds "
        "exactly these fields; nothing else is accepted, and the collector adds no client IP, user agent or header.",
        "",
        "| Stored field | Type | Meaning |",
        "| --- | --- | --- |",
    ]
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
    rows += [
        "",
        f"Clients may send the counters under {', '.join(f'`{k}`' for k in keys)}; "
        f"they are always stored under `{schemas.CANONICAL_COUNTERS_KEY}`.",
    ]
    return "\n".join(rows)


def _shown(value) -> str:
    return "unset" if value is None else f"`{json.dumps(value)}`"


def _type_name(annotation) -> str:
    """Args modules with and without `from __future__ import annotations` give strings or types here."""
    shown = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    return re.sub(r"Optional\[(\w+)\]", r"\1", shown.replace("typing.", ""))


def config_reference() -> str:
    stacks = {stack: fleet_costs.stack_sections(stack) for stack in STACKS}
    rows = [
        f"Stack config lives in `Pulumi.<stack>.yaml` under `{PROJECT}:<section>` as an object "
        "(generated from the components' Args; a bad key or value stops `pulumi preview` with a message "
        "naming the key, the value and what is allowed).",
        "",
        "| Key | Type | " + " | ".join(STACKS) + " | Meaning (allowed values) |",
        "| --- | --- | " + " | ".join("---" for _ in STACKS) + " | --- |",
    ]
    for section in SECTIONS:
        for key, field in config_keys(section).items():
            per_stack = [_shown(stacks[s].get(section, {}).get(key, field.default)) for s in STACKS]
            kind = _type_name(field.type)
            rows.append(
                f"| `{section}.{key}` | {kind} | "
                + " | ".join(per_stack)
                + f" | {field.metadata['meaning']} ({field.metadata['rule'].allowed}) |"
            )
    opt_out = [_shown(stacks[s].get(OPT_OUT_SECTION, {}).get(OPT_OUT_KEY, False)) for s in STACKS]
    rows.append(
        f"| `{OPT_OUT_SECTION}.{OPT_OUT_KEY}` | bool | "
        + " | ".join(opt_out)
        + " | Opt out of usage reporting: no reporter function, role or schedule is deployed (true or false) |"
    )
    products = [_shown(stacks[s].get(PRODUCTS_KEY)) for s in STACKS]
    rows.append(f"| `{PRODUCTS_KEY}` | list[str] | " + " | ".join(products) + f" | {PRODUCTS_MEANING} |")
    release_files = [_shown(stacks[s].get(RELEASES_KEY)) for s in STACKS]
    rows.append(f"| `{RELEASES_KEY}` | dict[str, str] | " + " | ".join(release_files) + f" | {RELEASES_MEANING} |")
    return "\n".join(rows)


def layer_rule() -> str:
    """The import-linter contracts `make test` enforces (pyproject.toml), as a reader wants them: top to bottom."""
    linter = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    contracts = linter["contracts"]
    [layers] = [contract["layers"] for contract in contracts if contract["type"] == "layers"]
    rows = ["| Layer, top to bottom | Packages |", "| --- | --- |"]
    for number, layer in enumerate(layers, 1):
        rows.append(f"| {number} | " + ", ".join(f"`{name.strip()}/`" for name in layer.split("|")) + " |")
    rows.append("")
    for contract in contracts:
        if contract["type"] == "forbidden":
            sources = ", ".join(f"`{name}`" for name in contract["source_modules"])
            forbidden = ", ".join(f"`{name}`" for name in contract["forbidden_modules"])
            why = contract["name"][0].lower() + contract["name"][1:]
            rows.append(f"- {sources} never imports {forbidden} — {why}.")
    return "\n".join(rows)


def stack_outputs() -> str:
    rows = ["| Output | What it holds |", "| --- | --- |"]
    rows += [f"| `{name}` | {meaning} |" for name, meaning in STACK_OUTPUTS.items()]
    return "\n".join(rows)


GENERATED = {
    "collected-fields": collected_fields,
    "config-reference": config_reference,
    "stack-outputs": stack_outputs,
    "policy-rules": guardrails.policy_rules,
    "alarms": guardrails.alarm_table,
    "client-identity-stores": guardrails.client_identity_stores,
    "layer-rule": layer_rule,
    "fleet-costs": fleet_costs.cost_table,
    "counter-bounds": warehouse_bounds.bounds_table,
    "report-date-window": warehouse_bounds.window_table,
    "flood-horizon": flood_horizon.flood_table,
    "product-quotas": product_quotas.quota_table,
}

# Which file holds each generated section: the one place that changes when a section moves between files.
SECTION_FILES = {
    "collected-fields": DOCS / "privacy.md",
    "layer-rule": README,
    "client-identity-stores": DOCS / "privacy.md",
    "config-reference": DOCS / "configuration.md",
    "stack-outputs": DOCS / "configuration.md",
    "policy-rules": DOCS / "guardrails.md",
    "alarms": DOCS / "guardrails.md",
    "fleet-costs": DOCS / "fleet-scale.md",
    "counter-bounds": DOCS / "warehouse.md",
    "report-date-window": DOCS / "warehouse.md",
    "flood-horizon": DOCS / "fleet-scale.md",
    "product-quotas": DOCS / "products.md",
}


def doc_files() -> list[Path]:
    """README.md, CONTRIBUTING.md, CHANGELOG.md and every docs/*.md, read at call time so a new doc is covered
    without a list to update."""
    return [README, REPO / "CONTRIBUTING.md", REPO / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]


def file_of(marker: str) -> Path:
    if marker not in SECTION_FILES:
        raise ValueError(f"generated section {marker!r} has no file: add it to SECTION_FILES in {__name__}")
    return SECTION_FILES[marker]


def marked(marker: str) -> re.Pattern:
    """A generated section with its markers; group 1 is the begin marker's line, group 2 the end marker."""
    return re.compile(rf"(<!-- {marker}:begin -->\n).*?(<!-- {marker}:end -->)", re.S)


def _between_markers(rendered: str) -> Callable[[re.Match[str]], str]:
    return lambda found: f"{found.group(1)}{rendered}\n{found.group(2)}"


def render_file(path: Path, text: str) -> str:
    """`text`, the content of `path`, with every generated section that lives in `path` rewritten."""
    for marker, render in GENERATED.items():
        if file_of(marker) != path:
            continue
        pattern = marked(marker)
        if not pattern.search(text):
            raise ValueError(f"{path.relative_to(REPO)} lost its {marker} markers")
        text = pattern.sub(_between_markers(render()), text)
    return figures.render_figures(text)


def generated_files() -> list[Path]:
    """Every file that holds a generated section or figure, each once."""
    with_figures = {path for path in doc_files() if figures.has_figures(path.read_text(encoding="utf-8"))}
    return sorted({file_of(marker) for marker in GENERATED} | with_figures)
