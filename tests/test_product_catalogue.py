"""The product catalogue (contract/products): entries load, bad ones are refused with the file, the key, the value and
what is allowed, and the default product's report schema is the one the collector has always deployed."""

import hashlib
import json
from dataclasses import replace

import jsonschema
import pytest

from contract import products, schemas
from tests.support.made_up_product import acme_entry as entry
from tooling.demo import made_up_product

LUNASEC = "lunasec-tokenizer"


def write(tmp_path, data, name="acme-widgets.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_default_product_is_the_built_in_lunasec_entry():
    product = products.default()
    assert product.id == LUNASEC
    assert LUNASEC in products.builtin_ids()
    assert [a.key for a in product.counters_keys] == ["metricsConfig", "collected_metrics"]
    assert product.legacy_routes == ("record", "record/deployment")
    assert len(product.counters) == 6


def test_the_default_products_deployed_model_is_byte_for_byte_the_released_one():
    # sha256 of the API Gateway model text the last release deployed (before the catalogue existed): the
    # UsageReport model must not change for a stack that upgrades.
    assert (
        hashlib.sha256(schemas.model_schema_json().encode()).hexdigest()
        == "f121dbee15a11582726000d3c671bba0fa4e29cc8099b83d21ef2a4156ad14f6"
    )


def test_a_vendor_entry_gets_its_own_schema(tmp_path):
    product = products.load(str(write(tmp_path, entry())))
    schema = schemas.load_schema(product)
    jsonschema.Draft4Validator.check_schema(schema)
    validator = jsonschema.Draft4Validator(schema)
    good = {"version": "1.0.0", "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec", "metrics": {"widgetsMade": 3}}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "metrics": {"tokenizeSuccess": 3}})
    without_metrics = {k: v for k, v in good.items() if k != "metrics"}
    assert not validator.is_valid({**without_metrics, "metricsConfig": good["metrics"]})
    assert schemas.counter_keys(product) == ["metrics"]


def test_a_daily_maximum_bounds_that_counter_only(tmp_path):
    data = entry(counters=[{"name": "a", "meaning": "A.", "daily_maximum": 10}, {"name": "b", "meaning": "B."}])
    validator = jsonschema.Draft4Validator(schemas.load_schema(products.parse(data, "inline")))
    report = {"version": "1.0.0", "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec"}
    assert validator.is_valid({**report, "metrics": {"a": 10, "b": 11}})
    assert not validator.is_valid({**report, "metrics": {"a": 11}})


def test_a_daily_maximum_above_the_schemas_ceiling_is_refused():
    data = entry(counters=[{"name": "a", "meaning": "A.", "daily_maximum": 10**11}])
    with pytest.raises(products.CatalogueError, match=r"inline: a\.daily_maximum = 100000000000 .*at most"):
        schemas.load_schema(products.parse(data, "inline"))


def test_a_path_is_read_relative_to_the_project(tmp_path):
    (tmp_path / "catalogue").mkdir()
    write(tmp_path / "catalogue", entry())
    (product,) = products.catalogue(["catalogue/acme-widgets.json"], base_dir=tmp_path)
    assert product.id == "acme-widgets"


def test_no_products_named_means_the_default_only():
    assert products.catalogue([]) == (products.default(),)


def test_an_unknown_built_in_id_names_the_closest():
    with pytest.raises(products.CatalogueError, match=r"'lunasec-tokeniser' is not a built-in product \(did you mean"):
        products.load("lunasec-tokeniser")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (entry(id="Acme Widgets"), r"id = 'Acme Widgets' is not allowed: expected 2 to 40 lower-case"),
        (entry(version_format="calver"), r"version_format = 'calver' is not allowed: expected one of semver"),
        (entry(counters=[]), r"counters = \[\] is not allowed: expected a non-empty list"),
        (entry(counters=[{"name": "a b", "meaning": "x"}]), r"counters\[0\]\.name = 'a b' is not allowed"),
        (entry(counters=[{"name": "a", "meaning": ""}]), r"counters\[0\]\.meaning = '' is not allowed"),
        (
            entry(counters=[{"name": "a", "meaning": "x", "daily_maximum": 0}]),
            r"counters\[0\]\.daily_maximum = 0 is not allowed: expected a whole number of at least 1",
        ),
        (
            entry(counters=[{"name": "a", "meaning": "x"}, {"name": "A", "meaning": "y"}]),
            r"counters\[\]\.name = 'A' is not allowed: expected names unique regardless of case",
        ),
        (entry(counter=[]), r"counter is not a catalogue key \(did you mean counters\?\)"),
        ({"id": "acme-widgets"}, r"display_name is missing"),
        (
            entry(counters=[{"name": "a", "meaning": "x", "maximum": 3}]),
            r"counters\[0\]\.maximum is not a catalogue key \(did you mean daily_maximum\?\)",
        ),
        (entry(legacy={"routes": ["/record"]}), r"legacy\.routes\[0\] = '/record' is not allowed"),
        (entry(legacy={"routes": ["products/x"]}), r"legacy\.routes\[0\] = 'products/x' is not allowed"),
        (
            entry(legacy={"counters_keys": [{"key": "metrics", "meaning": "x"}]}),
            r"legacy\.counters_keys\[0\]\.key = 'metrics' is not allowed",
        ),
        ([], r"the entry = \[\] is not allowed: expected an object"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_file_key_value_and_what_is_allowed(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(products.CatalogueError, match=message) as raised:
        products.load_file(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_an_unreadable_or_non_json_entry_is_refused(tmp_path):
    with pytest.raises(products.CatalogueError, match=r"missing\.json: cannot read"):
        products.load(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(products.CatalogueError, match=r"bad\.json: not JSON"):
        products.load(str(bad))


def test_two_products_cannot_share_an_id_a_legacy_route_or_a_legacy_key(tmp_path):
    copy = write(tmp_path, entry(id=LUNASEC))
    with pytest.raises(products.CatalogueError, match=r"the id 'lunasec-tokenizer' is already"):
        products.catalogue([LUNASEC, str(copy)])
    route = write(tmp_path, entry(legacy={"routes": ["record"]}))
    with pytest.raises(products.CatalogueError, match=r"the legacy route 'record' is already lunasec-tokenizer's"):
        products.catalogue([LUNASEC, str(route)])
    key = write(tmp_path, entry(legacy={"counters_keys": [{"key": "metricsConfig", "meaning": "x"}]}))
    with pytest.raises(products.CatalogueError, match=r"the legacy counters key 'metricsConfig' is already"):
        products.catalogue([LUNASEC, str(key)])


def test_a_built_in_entrys_id_is_its_file_name():
    for product_id in products.builtin_ids():
        assert products.builtin(product_id).id == product_id


def test_counter_lookup_names_the_known_counters():
    with pytest.raises(KeyError, match=r"lunasec-tokenizer has no counter 'pageViews'"):
        products.default().counter("pageViews")


@pytest.mark.parametrize("product", [products.default(), made_up_product.PRODUCT], ids=lambda p: p.id)
def test_an_entrys_text_reads_back_as_the_same_product_without_its_releases(product):
    assert products.parse_text(products.dump(product), product.source) == replace(product, releases=None)
