"""Property-based tests of the report contract.

The JSON Schema (as jsonschema's Draft 4 validator reads it) must accept exactly what an independent,
plain-Python reading of the contract accepts, for arbitrary JSON values and for mutated valid reports; and
every accepted report must render through the real mapping template to one JSON line holding the same data.

The predicate restates the contract's formats on purpose (an oracle copied from the schema would agree with
any mistake in it); the field and counter names themselves come from `contract.schemas`, the one list of them.
It matches whole strings with `re.fullmatch`, so it has none of the `$`-before-a-final-newline leniency
that the schema's `pattern` keywords have and that the schema's length bounds and `not` guard against.
"""

import base64
import datetime
import json
import re

import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from contract import schemas, templates
from tooling.fixtures.apigateway_vtl import RequestContext, render

# Examples per property (docs/guardrails.md points here rather than stating their sum).
EXAMPLES = {"arbitrary": 1200, "near_miss": 1000, "mutated": 1800, "valid": 1000}

VALIDATOR = jsonschema.Draft4Validator(schemas.load_schema())
TEMPLATE = templates.firehose_put_record("fuzz-stream")
COUNTER_KEYS = schemas.counter_keys()
COUNTER_NAMES = schemas.counter_names()
TOP_LEVEL = [*schemas.scalar_fields(), *COUNTER_KEYS]
# The schema's daily maximum, read rather than restated: docs/warehouse.md derives it, and
# tests/test_query_overflow.py holds it to that derivation; this test checks how the schema applies it.
LARGEST_COUNT = schemas.counter_maximum()

VERSION = re.compile(r"[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(-[0-9A-Za-z.]{1,16})?")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DAY = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
FORMATS = {"version": VERSION, "stack_id": UUID, "report_date": DAY}
REQUIRED = ("version", "stack_id")


def is_count(value) -> bool:
    return type(value) is int and 0 <= value <= LARGEST_COUNT


def is_counters(value) -> bool:
    return (
        isinstance(value, dict)
        and len(value) > 0
        and all(name in COUNTER_NAMES for name in value)
        and all(is_count(v) for v in value.values())
    )


def acceptable(report) -> bool:
    """The contract in plain Python: which JSON values are valid usage reports."""
    if not isinstance(report, dict) or any(key not in TOP_LEVEL for key in report):
        return False
    if any(key not in report for key in REQUIRED):
        return False
    counters = [key for key in COUNTER_KEYS if key in report]
    if len(counters) != 1 or not is_counters(report[counters[0]]):
        return False
    return all(
        isinstance(report[key], str) and pattern.fullmatch(report[key])
        for key, pattern in FORMATS.items()
        if key in report
    )


# --- strategies ---------------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-1, 2**54)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


def json_containers(inner):
    # A def, not a lambda over two lines: Hypothesis cannot read such a lambda's source, takes it for one that
    # ignores its argument and warns, which filterwarnings = error turns into a failure.
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)


json_values = st.recursive(json_scalars, json_containers, max_leaves=8)

numbers = st.integers(0, 9999).map(str) | st.sampled_from(["0", "00", "0001"])
versions = st.builds(
    lambda a, b, c, tag: f"{a}.{b}.{c}" + (f"-{tag}" if tag else ""),
    numbers,
    numbers,
    numbers,
    st.none() | st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.", min_size=1, max_size=16),
)
stack_ids = st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())
days = st.dates(min_value=datetime.date(1000, 1, 1)).map(datetime.date.isoformat)
counts = st.integers(0, LARGEST_COUNT) | st.sampled_from([0, 1, LARGEST_COUNT])
counter_sets = st.dictionaries(st.sampled_from(COUNTER_NAMES), counts, min_size=1)


@st.composite
def valid_reports(draw):
    report = {
        "version": draw(versions),
        "stack_id": draw(stack_ids),
        draw(st.sampled_from(COUNTER_KEYS)): draw(counter_sets),
    }
    if draw(st.booleans()):
        report["report_date"] = draw(days)
    return report


def _text_edits(text: str):
    """Near misses of a valid string: whitespace, case, one character, length."""
    return st.sampled_from(
        [
            text + "\n",
            text + " ",
            " " + text,
            text + "\r\n",
            text.upper(),
            text[:-1],
            text + text[-1],
            text.replace("-", "_", 1),
            text.replace(".", "", 1),
            "\n" + text,
            text + "\u00a0",
            text.replace(text[0], "\u0661", 1),
        ]
    ) | st.text(max_size=40)


@st.composite
def mutated_reports(draw):
    report = draw(valid_reports())
    key = draw(st.sampled_from(sorted(report)))
    how = draw(st.sampled_from(["drop", "retype", "edit text", "extra field", "second counters", "edit counters"]))
    if how == "drop":
        del report[key]
    elif how == "retype":
        report[key] = draw(json_values)
    elif how == "edit text" and isinstance(report[key], str):
        report[key] = draw(_text_edits(report[key]))
    elif how == "extra field":
        report[draw(st.text(max_size=12) | st.sampled_from(["ip", "user_agent", "email"]))] = draw(json_values)
    elif how == "second counters":
        report[draw(st.sampled_from(COUNTER_KEYS))] = draw(counter_sets)
    else:
        counters_key = next(k for k in COUNTER_KEYS if k in report)
        counters = report[counters_key]
        counters[draw(st.sampled_from(COUNTER_NAMES) | st.text(max_size=12))] = draw(
            st.sampled_from([-1, LARGEST_COUNT + 1, 1.5, 4.0, True, None, "4", [4]]) | counts | json_values
        )
    return report


near_misses = st.dictionaries(
    st.sampled_from([*TOP_LEVEL, "metrics_config", "Version"]),
    json_values | versions | stack_ids | days | counter_sets,
    max_size=6,
)


# --- properties ---------------------------------------------------------------------------------------------


def schema_agrees(value):
    event("accepted" if acceptable(value) else "rejected")  # shown by --hypothesis-show-statistics
    assert VALIDATOR.is_valid(value) == acceptable(value), (
        f"schema says {VALIDATOR.is_valid(value)}, contract says {acceptable(value)}: {value!r}"
    )


FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


@pytest.mark.slow
@settings(max_examples=EXAMPLES["arbitrary"], **FUZZ)
@given(json_values)
def test_schema_and_contract_agree_on_arbitrary_json(value):
    schema_agrees(value)


@pytest.mark.slow
@settings(max_examples=EXAMPLES["near_miss"], **FUZZ)
@given(near_misses)
def test_schema_and_contract_agree_on_objects_with_report_keys(value):
    schema_agrees(value)


@pytest.mark.slow
@settings(max_examples=EXAMPLES["mutated"], **FUZZ)
@given(mutated_reports())
def test_schema_and_contract_agree_on_mutated_reports(report):
    schema_agrees(report)
    if acceptable(report):
        assert_stored_as_one_line(report, json.dumps(report))


body_layouts = st.sampled_from(
    [
        lambda r: json.dumps(r),
        lambda r: json.dumps(r, indent=2),
        lambda r: json.dumps(r, separators=(",", ":")),
        lambda r: json.dumps(r, sort_keys=True, indent="\t"),
        lambda r: "\n  " + json.dumps(r) + "\r\n",
        lambda r: json.dumps(dict(reversed(list(r.items())))),
    ]
)


@pytest.mark.slow
@settings(max_examples=EXAMPLES["valid"], **FUZZ)
@given(valid_reports(), body_layouts, st.integers(0, 2**41), st.uuids())
def test_every_valid_report_is_stored_as_one_line_with_the_same_data(report, layout, received_at, request_id):
    assert VALIDATOR.is_valid(report) and acceptable(report)
    assert_stored_as_one_line(report, layout(report), RequestContext(received_at, str(request_id)))


def assert_stored_as_one_line(report, body, context=None):
    context = context or RequestContext()
    request = json.loads(render(TEMPLATE, body, context))
    assert request["DeliveryStreamName"] == "fuzz-stream"
    line = base64.b64decode(request["Record"]["Data"], validate=True).decode("utf-8")
    assert line.endswith("\n") and "\n" not in line[:-1] and "\r" not in line
    counters_key = next(key for key in COUNTER_KEYS if key in report)
    assert json.loads(line) == {
        "received_at": context.requestTimeEpoch,
        "request_id": context.requestId,
        **{field: report.get(field) for field in schemas.scalar_fields()},
        schemas.CANONICAL_COUNTERS_KEY: report[counters_key],
    }
    assert list(json.loads(line)) == [
        *schemas.RECEIVED_FIELDS,
        *schemas.scalar_fields(),
        schemas.CANONICAL_COUNTERS_KEY,
    ]


def test_a_trailing_newline_passes_neither_the_patterns_nor_the_predicate():
    """The `$` leniency: `...$` would match each of these; the schema's `(?![\\s\\S])` end does not (see
    tests/test_schema_patterns.py for Java and JavaScript), and the predicate refuses them on its own."""
    base = {"version": "1.2.3", "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec", "metrics": {"tokenizeSuccess": 1}}
    for field, value in [
        ("version", "1.2.3\n"),
        ("version", "1.2.3-rc.1\n"),
        ("stack_id", base["stack_id"] + "\n"),
        ("report_date", "2026-11-26\n"),
    ]:
        pattern = schemas.load_schema()["properties"][field]["pattern"]
        assert not re.search(pattern, value), (field, value)
        assert re.search(pattern.replace("(?![\\s\\S])", "$"), value), (field, value)
        report = {**base, field: value}
        assert not acceptable(report) and not VALIDATOR.is_valid(report), (field, value)
