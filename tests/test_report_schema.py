"""The report contract: what the collector accepts and what it rejects, per the schema file."""

import json

import jsonschema
import pytest

from contract import schemas
from tests.support.original_product import ORIGINAL_COUNTERS
from tooling.fixtures.reports import DOCUMENTED_EXAMPLE, INVALID_REPORTS, each_key_shape

VALIDATOR = jsonschema.Draft4Validator(schemas.load_schema())


def test_schema_is_draft_04_and_itself_valid():
    schema = schemas.load_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator.check_schema(schema)


def test_documented_example_is_accepted_verbatim():
    VALIDATOR.validate(json.loads(DOCUMENTED_EXAMPLE))


@pytest.mark.parametrize("key", schemas.counter_keys())
def test_each_counters_key_is_accepted(key):
    VALIDATOR.validate(each_key_shape()[key])


def test_report_without_report_date_is_accepted():
    report = each_key_shape()["metrics"]
    del report["report_date"]
    VALIDATOR.validate(report)


def test_every_counter_may_be_zero_and_large():
    for value in (0, schemas.counter_maximum()):
        VALIDATOR.validate(
            {
                "version": "0.0.1",
                "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec",
                "metrics": dict.fromkeys(schemas.counter_names(), value),
            }
        )


@pytest.mark.parametrize("case", sorted(INVALID_REPORTS))
def test_malformed_report_is_rejected(case):
    errors = list(VALIDATOR.iter_errors(INVALID_REPORTS[case]))
    assert errors, f"{case!r} was accepted"


def test_every_level_forbids_additional_properties():
    schema = schemas.load_schema()
    assert schema["additionalProperties"] is False
    assert schema["definitions"]["counters"]["additionalProperties"] is False


def test_counter_keys_and_names_are_the_ones_reporters_in_the_field_send():
    """A deliberate pin, not a second source: renaming a counter or key breaks every deployed reporter."""
    assert schemas.counter_keys() == ["metrics", "metricsConfig", "collected_metrics"]
    assert schemas.counter_names() == list(ORIGINAL_COUNTERS)


def test_deployed_model_has_no_refs_and_validates_the_same():
    model = json.loads(schemas.model_schema_json())
    assert "$ref" not in json.dumps(model) and "definitions" not in model
    inlined = jsonschema.Draft4Validator(model)
    assert inlined.is_valid(json.loads(DOCUMENTED_EXAMPLE))
    for case, body in INVALID_REPORTS.items():
        assert not inlined.is_valid(body), case
