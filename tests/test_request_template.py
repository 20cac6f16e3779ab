"""The real request mapping template, rendered as API Gateway would, produces one canonical JSON line."""

import base64
import json

import jsonschema
import pytest

from contract import schemas, templates
from tooling.fixtures.apigateway_vtl import MISSING_JSON_FORMS, RequestContext, render
from tooling.fixtures.reports import DOCUMENTED_EXAMPLE, STACK_ID, each_key_shape, valid_report

STREAM = "warehouse-stream-abc"


def put_record_for(body: str, context: RequestContext | None = None, missing_json: str = "") -> dict:
    rendered = render(templates.firehose_put_record(STREAM), body, context, missing_json)
    return json.loads(rendered)


def stored_line(body: str, context: RequestContext | None = None, missing_json: str = "") -> str:
    record = put_record_for(body, context, missing_json)
    return base64.b64decode(record["Record"]["Data"], validate=True).decode("utf-8")


def accepted_bodies() -> dict[str, str]:
    bodies = {f"key {key}": json.dumps(report) for key, report in each_key_shape().items()}
    bodies["documented example"] = DOCUMENTED_EXAMPLE
    no_date = valid_report()
    del no_date["report_date"]
    bodies["no report_date"] = json.dumps(no_date)
    bodies["pretty-printed body"] = json.dumps(valid_report(), indent=4)
    bodies["json escapes in body"] = json.dumps(valid_report()).replace('"1.2.3"', '"\\u0031.2.3"')
    return bodies


@pytest.mark.parametrize("name", sorted(accepted_bodies()))
def test_output_is_a_firehose_put_record_body(name):
    record = put_record_for(accepted_bodies()[name])
    assert set(record) == {"DeliveryStreamName", "Record"}
    assert record["DeliveryStreamName"] == STREAM
    assert set(record["Record"]) == {"Data"}


@pytest.mark.parametrize("missing_json", MISSING_JSON_FORMS, ids=["empty missing path", "localstack missing path"])
@pytest.mark.parametrize("name", sorted(accepted_bodies()))
def test_data_is_exactly_one_line_with_canonical_metrics(name, missing_json):
    body = accepted_bodies()[name]
    sent = json.loads(body)
    jsonschema.Draft4Validator(schemas.load_schema()).validate(sent)
    line = stored_line(body, RequestContext(requestTimeEpoch=1764201600123, requestId="req-1"), missing_json)

    assert line.endswith("\n") and line.count("\n") == 1
    stored = json.loads(line)
    sent_counters = next(sent[k] for k in schemas.counter_keys() if k in sent)
    assert stored == {
        "received_at": 1764201600123,
        "request_id": "req-1",
        "version": sent["version"],
        "stack_id": sent["stack_id"],
        "report_date": sent.get("report_date"),
        "metrics": sent_counters,
    }


def test_stored_fields_are_the_schema_fields_plus_receive_metadata():
    stored = json.loads(stored_line(json.dumps(valid_report())))
    expected = [*schemas.RECEIVED_FIELDS, *schemas.scalar_fields(), schemas.CANONICAL_COUNTERS_KEY]
    assert sorted(stored) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        'quote " inside',
        "back\\slash",
        "new\nline",
        "unicode \u00e9\u4e2d\U0001f600",
        '","ip":"203.0.113.9',
        "</script>\u2028",
    ],
)
def test_strings_cannot_break_the_json_line(text):
    """The schema rejects such strings first; the template must still be safe on its own."""
    line = stored_line(json.dumps({"version": text, "stack_id": STACK_ID, "metrics": {"tokenizeSuccess": 1}}))
    assert line.count("\n") == 1
    stored = json.loads(line)
    assert stored["version"] == text
    assert "ip" not in stored


def test_base64_is_applied_once():
    data = put_record_for(json.dumps(valid_report()))["Record"]["Data"]
    decoded = base64.b64decode(data).decode()
    assert decoded.startswith("{")  # not base64 of base64


def test_template_keeps_no_request_identity():
    template = templates.read(templates.FIREHOSE_PUT_RECORD)
    for forbidden in ("sourceIp", "userAgent", "identity", "$input.params", "$input.body"):
        assert forbidden not in template


# Bodies the model refuses: were the validator and the template ever to disagree, these would reach the template.
REFUSED_BODIES = {
    "empty object": {},
    "no version": {"stack_id": STACK_ID, "metrics": {"tokenizeSuccess": 1}},
    "no stack_id": {"version": "1.2.3", "metrics": {"tokenizeSuccess": 1}},
    "no counters": {"version": "1.2.3", "stack_id": STACK_ID},
    "version a number": {"version": 123, "stack_id": STACK_ID, "metrics": {"tokenizeSuccess": 1}},
    "version an object": {"version": {"major": 1}, "stack_id": STACK_ID, "metrics": {"tokenizeSuccess": 1}},
    "version null": {"version": None, "stack_id": STACK_ID, "metrics": {"tokenizeSuccess": 1}},
    "version empty": {"version": "", "stack_id": STACK_ID, "metrics": {"tokenizeSuccess": 1}},
    "stack_id a list": {"version": "1.2.3", "stack_id": [STACK_ID], "metrics": {"tokenizeSuccess": 1}},
    "stack_id true": {"version": "1.2.3", "stack_id": True, "metrics": {"tokenizeSuccess": 1}},
    "report_date a number": {
        "version": "1.2.3",
        "stack_id": STACK_ID,
        "report_date": 20261126,
        "metrics": {"tokenizeSuccess": 1},
    },
    "counters a string": {"version": "1.2.3", "stack_id": STACK_ID, "metrics": "lots"},
    "counters a list": {"version": "1.2.3", "stack_id": STACK_ID, "metrics": [1, 2]},
    "counters null": {"version": "1.2.3", "stack_id": STACK_ID, "metrics": None},
    "counters null, then an object": {
        "version": "1.2.3",
        "stack_id": STACK_ID,
        "metrics": None,
        "collected_metrics": {"tokenizeSuccess": 2},
    },
    "a body that is a list": [1, 2, 3],
    "a body that is a string": "1.2.3",
    "a body that is null": None,
}


@pytest.mark.parametrize("missing_json", MISSING_JSON_FORMS, ids=["empty missing path", "localstack missing path"])
@pytest.mark.parametrize("name", sorted(REFUSED_BODIES))
def test_a_body_the_validator_refuses_still_becomes_one_valid_line_with_the_table_types(name, missing_json):
    body = REFUSED_BODIES[name]
    assert not jsonschema.Draft4Validator(schemas.load_schema()).is_valid(body)
    line = stored_line(json.dumps(body), missing_json=missing_json)
    assert line.endswith("\n") and line.count("\n") == 1
    stored = json.loads(line)  # never `"version":,`, which Athena's SerDe would silently drop
    assert list(stored) == [*schemas.RECEIVED_FIELDS, *schemas.scalar_fields(), schemas.CANONICAL_COUNTERS_KEY]
    for field in schemas.scalar_fields():  # all strings in the schema: the template writes a string or null
        sent = body.get(field) if isinstance(body, dict) else None
        assert stored[field] == (sent if isinstance(sent, str) and sent else None), field
    counters = stored[schemas.CANONICAL_COUNTERS_KEY]
    assert counters is None or isinstance(counters, dict)


def test_the_first_counters_object_is_stored_when_an_earlier_key_is_not_one():
    body = REFUSED_BODIES["counters null, then an object"]
    assert json.loads(stored_line(json.dumps(body)))["metrics"] == {"tokenizeSuccess": 2}
