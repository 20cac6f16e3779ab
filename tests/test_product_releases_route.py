"""`GET /<stage>/products/<id>/releases`: each product a stack names answers its latest version and advisories from
API Gateway itself (a mock integration rendered at deploy time: nothing runs, nothing is stored, nothing of the
request is read), and an id the stack does not serve gets a 404 saying so. A stack that names no product has none.
The expected answers are read from the data files the test stack names, not from the program's own rendering."""

import dataclasses
import json
from pathlib import Path

import pytest

from components import api_routes
from contract import releases
from policy.vtl_references import caller_reads
from stack_config import StackConfigError
from tests.support.made_up_product import ENTRY, RELEASE_FILES, config_with_products, made_up_product, served_products
from tests.support.shared_runs import shared_run
from tooling.fixtures import apigateway_vtl
from tooling.mocked_program.pulumi_mocks import mock_id, run_program, stack_config

STREAM = "reports-stream"


@pytest.fixture(scope="module")
def served():
    return shared_run("dev", config_with_products("dev"))


def _rendered(template: str):
    return json.loads(apigateway_vtl.render(template))


def _answer(run, product_path: str) -> tuple[str, dict]:
    """The status a releases route answers with, and its body as the client parses it."""
    mapping = run.named(f"collector-products-{product_path}-releases-get-{_status(run, product_path)}-mapping").inputs
    assert not mapping.get("selectionPattern"), "the one answer is the default response"
    return mapping["statusCode"], _rendered(mapping["responseTemplates"]["application/json"])


def _status(run, product_path: str) -> str:
    prefix = f"collector-products-{product_path}-releases-get-"
    (response,) = [r for r in run.of_type("aws:apigateway/methodResponse:MethodResponse") if r.name.startswith(prefix)]
    return response.inputs["statusCode"]


def _file(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def test_each_product_answers_its_releases_as_the_data_declares_them(served):
    # acme-widgets declares them in its entry; lunasec-tokenizer's come from the releases file the stack names.
    assert _answer(served, "acme-widgets") == ("200", {"product": "acme-widgets", **_file(ENTRY)["releases"]})
    assert _answer(served, "lunasec-tokenizer") == (
        "200",
        {"product": "lunasec-tokenizer", **_file(RELEASE_FILES["lunasec-tokenizer"])},
    )
    assert _answer(served, "lunasec-tokenizer")[1]["latest"] == "1.4.0"


def test_the_summary_and_url_reach_the_answer_as_written(served):
    _, answer = _answer(served, "acme-widgets")
    first = answer["advisories"][0]
    assert first["summary"] == "Widgets recalled twice count once ($count and #if reach the answer as written)."
    assert first["url"] == "https://acme.example/advisories/ACME-2026-001#details"
    assert answer["advisories"][0]["affected"][1] == {"introduced": "2.0.0-rc.1", "fixed": "2.0.1"}


@pytest.mark.parametrize("product_id", ["lunasec-tokenizer", "acme-widgets"])
def test_the_gateway_answers_by_itself_reading_nothing_of_the_request(served, product_id):
    prefix = f"collector-products-{product_id}-releases-get"
    resource = served.named(f"collector-products-{product_id}-releases").inputs
    assert (resource["pathPart"], resource["parentId"]) == ("releases", mock_id(f"collector-products-{product_id}"))
    method = served.named(prefix).inputs
    assert (method["httpMethod"], method["authorization"]) == ("GET", "NONE")
    assert "requestParameters" not in method, "no query string or header is declared: the version is not asked"
    integration = served.named(f"{prefix}-mock").inputs
    assert (integration["type"], integration["passthroughBehavior"]) == ("MOCK", "NEVER")
    for absent in ("uri", "credentials", "integrationHttpMethod", "requestParameters"):
        assert absent not in integration, absent
    assert _rendered(integration["requestTemplates"]["application/json"]) == {"statusCode": 200}
    answer = served.named(f"{prefix}-200-mapping").inputs
    templates = [*integration["requestTemplates"].values(), *answer["responseTemplates"].values()]
    assert [caller_reads(template) for template in templates] == [[], []]
    assert "$" not in answer["responseTemplates"]["application/json"]
    assert "#" not in answer["responseTemplates"]["application/json"]


def test_an_unknown_product_gets_a_404_naming_the_products_served(served):
    parameter = served.named("collector-products-any_product").inputs
    assert (parameter["pathPart"], parameter["parentId"]) == ("{product}", mock_id("collector-products"))
    releases_resource = served.named("collector-products-any_product-releases").inputs
    assert releases_resource["parentId"] == mock_id("collector-products-any_product")
    method = served.named("collector-products-any_product-releases-get").inputs
    assert (method["httpMethod"], method["authorization"]) == ("GET", "NONE")
    assert served.named("collector-products-any_product-releases-get-mock").inputs["type"] == "MOCK"
    assert _answer(served, "any_product") == (
        "404",
        {"status": "error", "message": "no such product at this collector: it serves lunasec-tokenizer, acme-widgets"},
    )


def test_a_product_without_releases_answers_404_saying_so(tmp_path):
    entry = {k: v for k, v in _file(ENTRY).items() if k != "releases"}
    path = tmp_path / "acme-widgets.json"
    path.write_text(json.dumps(entry), encoding="utf-8")
    config = {**stack_config("dev"), "analytics-collector:products": json.dumps(["lunasec-tokenizer", str(path)])}
    run = run_program("dev", config)
    assert _answer(run, "acme-widgets") == (
        "404",
        {"status": "error", "message": "acme-widgets publishes no releases at this collector"},
    )
    assert _answer(run, "lunasec-tokenizer")[0] == "404"


def test_a_stack_that_names_no_product_has_no_releases_route():
    run = run_program("dev")
    assert not [r for r in run.of_type("aws:apigateway/resource:Resource") if r.inputs["pathPart"] == "releases"]
    assert api_routes.answered_routes_for(None) == ()


def test_the_stage_takes_a_new_deployment_when_releases_change():
    catalogue = list(served_products().values())
    base = api_routes.fingerprint(
        api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, STREAM, api_routes.answered_routes_for(catalogue)
    )
    acme = made_up_product()
    newer = dataclasses.replace(acme.releases, latest=releases.Version.parse("2.2.0"))
    changed = [catalogue[0], dataclasses.replace(acme, releases=newer)]
    assert base != api_routes.fingerprint(
        api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, STREAM, api_routes.answered_routes_for(changed)
    )


def test_releases_files_need_the_products_they_name():
    config = {**stack_config("dev"), "analytics-collector:releases": json.dumps(RELEASE_FILES)}
    with pytest.raises(StackConfigError, match=r"analytics-collector:releases names releases files, but .*products"):
        run_program("dev", config)
    unserved = {**config_with_products("dev"), "analytics-collector:releases": json.dumps({"acme-gizmos": "x.json"})}
    with pytest.raises(
        StackConfigError,
        match=r"analytics-collector:releases: releases names 'acme-gizmos' \(file 'x.json'\), a product this stack "
        r"does not serve \(did you mean acme-widgets\?\): it serves lunasec-tokenizer, acme-widgets",
    ):
        run_program("dev", unserved)
    not_an_object = {**config_with_products("dev"), "analytics-collector:releases": json.dumps(["x.json"])}
    with pytest.raises(StackConfigError, match=r"analytics-collector:releases = \['x.json'\] is not allowed"):
        run_program("dev", not_an_object)
