"""Evolving a product is a catalogue change, judged as SchemaVer judges a schema change: an ADDITION accepts every
report accepted before, a REVISION refuses some but costs a reporter no day, a MODEL change breaks reporters in
the field (declare a new product). Each kind is checked against the schemas the catalogue derives."""

import jsonschema
import pytest

from contract import products, schemas
from tests.support.made_up_product import acme_entry

STACK = "3d9c49ce-8367-43ec-8884-568c8d43faec"


def product(counters, **changes):
    return products.parse(acme_entry(counters=counters, **changes), "inline")


MADE = {"name": "widgetsMade", "meaning": "Widgets made."}
SOLD = {"name": "widgetsSold", "meaning": "Widgets sold."}
BEFORE = product([MADE, SOLD])


def accepts(entry, counters):
    report = {"version": "1.0.0", "stack_id": STACK, "metrics": counters}
    return jsonschema.Draft4Validator(schemas.load_schema(entry)).is_valid(report)


def test_adding_a_counter_is_an_addition_and_older_reporters_stay_accepted():
    after = product([MADE, SOLD, {"name": "widgetsReturned", "meaning": "Widgets returned."}])
    assert products.change_kind(BEFORE, after) == products.ADDITION
    assert accepts(after, {"widgetsMade": 1, "widgetsSold": 2})
    assert accepts(after, {"widgetsReturned": 3})


def test_raising_or_removing_a_maximum_and_rewording_are_additions():
    lowered = product([{**MADE, "daily_maximum": 10}, SOLD])
    assert products.change_kind(lowered, BEFORE) == products.ADDITION
    assert products.change_kind(lowered, product([{**MADE, "daily_maximum": 20}, SOLD])) == products.ADDITION
    assert products.change_kind(BEFORE, product([{**MADE, "meaning": "Made."}, SOLD])) == products.ADDITION


def test_retiring_a_counter_is_a_revision_refused_by_name():
    after = product([MADE])
    assert products.change_kind(BEFORE, after) == products.REVISION
    errors = list(
        jsonschema.Draft4Validator(schemas.load_schema(after)).iter_errors(
            {"version": "1.0.0", "stack_id": STACK, "metrics": {"widgetsMade": 1, "widgetsSold": 2}}
        )
    )
    # The reporter resends the day without the counters a 400 names (handlers/daily_report.without_unknown_counters).
    assert any("widgetsSold" in error.message for error in errors)
    assert accepts(after, {"widgetsMade": 1})


def test_lowering_a_maximum_is_a_revision():
    assert products.change_kind(BEFORE, product([{**MADE, "daily_maximum": 10}, SOLD])) == products.REVISION


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (product([MADE, SOLD], id="acme-gadgets"), products.MODEL),
        (product([MADE, SOLD], display_name="Acme", legacy={"routes": []}), products.ADDITION),
    ],
    ids=["another id", "same"],
)
def test_a_new_id_is_a_model_change(after, expected):
    assert products.change_kind(BEFORE, after) == expected


def test_removing_a_legacy_route_or_key_is_a_model_change():
    legacy = {"routes": ["record"], "counters_keys": [{"key": "metricsConfig", "meaning": "Old key."}]}
    before = product([MADE], legacy=legacy)
    assert products.change_kind(before, product([MADE], legacy={**legacy, "routes": []})) == products.MODEL
    assert products.change_kind(before, product([MADE], legacy={**legacy, "counters_keys": []})) == products.MODEL


def test_the_built_in_entry_compared_with_itself_is_an_addition():
    assert products.change_kind(products.default(), products.default()) == products.ADDITION
