"""docs/releases.md's examples are what the code does: the data shown loads, the answer shown is what the route
answers for it, the 404s are the routes' own, and the reporter's WARNING line is the one it logs for that answer."""

import dataclasses
import json
import re

from components import api_routes
from contract import products, releases
from handlers import release_check
from handlers.daily_report import _OPENER, USER_AGENT
from tests.support.docs import section
from tests.support.made_up_product import acme_entry
from tooling.fixtures import apigateway_vtl
from tooling.fixtures.fake_collector import fake_collector

STACK_ID = "3d9c49ce-8367-43ec-8884-568c8d43faec"


def json_blocks(title: str) -> list:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", section(title), re.S)]


def acme_widgets(data: dict) -> products.Product:
    return products.parse(acme_entry(releases=data), "docs/releases.md")


def rendered(route: api_routes.AnsweredRoute) -> tuple[str, dict]:
    return route.status_code, json.loads(apigateway_vtl.render(route.body))


def test_the_data_shown_loads_and_the_answer_shown_is_the_routes():
    (data,) = json_blocks("The data")
    product = acme_widgets(data)
    (shown,) = json_blocks("The answer")
    assert rendered(api_routes.releases_route(product)) == ("200", shown)
    assert shown == {"product": "acme-widgets", **data}


def test_the_404s_shown_are_the_routes():
    text = section("The answer")
    without = dataclasses.replace(acme_widgets({"latest": "1.0.0"}), releases=None)
    for route in (
        api_routes.releases_route(without),
        api_routes.unknown_product_route([products.default(), without]),
    ):
        status, body = rendered(route)
        assert status == "404"
        assert f"`404`,\n  `{json.dumps(body, separators=(',', ':'))}`" in text, body


def test_the_warning_line_shown_is_the_one_the_reporter_logs(capsys):
    (shown,) = json_blocks("The reporter passes it on")
    answer = {
        "product": "lunasec-tokenizer",
        "latest": "1.4.0",
        "advisories": [{**shown["advisories"][0], "affected": [{"introduced": "1.3.0", "fixed": "1.3.2"}]}],
    }
    with fake_collector(releases=(200, json.dumps(answer))) as collector:
        check = release_check.ReleasesCheck(
            url=collector.url,
            product_id="lunasec-tokenizer",
            version="1.3.1",
            namespace="lunasec",
            stack_id=STACK_ID,
            timeout_seconds=2.0,
            user_agent=USER_AGENT,
        )

        class Published:
            def put_metric_data(self, **_kwargs):
                pass

        logged = release_check.check_releases(check, Published, _OPENER, lambda: 60.0, 2.0)
    capsys.readouterr()
    assert logged == {**shown, "stack_id": STACK_ID}
    assert releases.verdict(releases.read_answer(json.dumps(answer), "lunasec-tokenizer"), "1.3.1").newer == "1.4.0"
