"""A product's releases and advisories (contract/releases.py, docs/releases.md): the data is checked where it is
loaded, with the file, the key, the value and what is allowed; the matching rule tells a version whether a newer one
exists and which advisories affect it. Expected outcomes are spelt out case by case, not derived from the rule."""

import itertools
import json

import pytest

from contract import products, releases
from tests.support.made_up_product import acme_entry

LUNASEC = "lunasec-tokenizer"


def advisory(affected, **changes):
    data = {
        "id": "ACME-2026-001",
        "severity": "high",
        "summary": "Widgets leak.",
        "url": "https://acme.example/advisories/ACME-2026-001",
        "affected": affected,
    }
    data.update(changes)
    return data


def releases_of(latest="2.1.0", *advisories):
    return releases.parse({"latest": latest, "advisories": list(advisories)}, "test")


# --- SemVer precedence ------------------------------------------------------------------------------------------

# Each list in ascending precedence, as SemVer 2.0.0 orders it (semver.org, item 11).
ASCENDING = [
    "0.9.9",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ASCENDING)))
def test_versions_compare_by_semver_precedence(lower, higher):
    assert releases.Version.parse(lower) < releases.Version.parse(higher)
    assert not releases.Version.parse(higher) < releases.Version.parse(lower)


def test_build_metadata_does_not_change_precedence():
    built = releases.Version.parse("1.3.1+build.7")
    plain = releases.Version.parse("1.3.1")
    assert built <= plain and plain <= built
    assert not built < plain and not plain < built


@pytest.mark.parametrize("text", ["1.2", "v1.2.3", "01.2.3", "1.2.3-", "1.2.3-rc..1", "1.2.3-01", "1.2.3 ", "", None])
def test_a_version_that_is_not_semver_is_refused(text):
    with pytest.raises(ValueError, match="is not a SemVer 2.0.0 version"):
        releases.Version.parse(text)


# --- the matching rule ------------------------------------------------------------------------------------------

ONE_RANGE = releases_of("2.1.0", advisory([{"introduced": "1.2.0", "fixed": "1.3.1"}]))


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("1.1.9", False),  # below introduced
        ("1.2.0-rc.1", False),  # a pre-release of introduced is below it
        ("1.2.0", True),  # introduced is inclusive
        ("1.2.0+build.5", True),  # build metadata ignored
        ("1.3.0", True),
        ("1.3.1-rc.1", True),  # a pre-release of the fix is below the fix
        ("1.3.1", False),  # fixed is exclusive
        ("1.3.1+build.5", False),
        ("2.0.0", False),
    ],
)
def test_a_range_holds_from_introduced_up_to_but_not_including_fixed(version, affected):
    found = releases.verdict(ONE_RANGE, version).affecting
    assert [a.id for a in found] == (["ACME-2026-001"] if affected else [])


@pytest.mark.parametrize(
    ("affected", "version", "expected"),
    [
        ([{"fixed": "1.0.0"}], "0.0.1", True),  # open start: every version before the fix
        ([{"fixed": "1.0.0"}], "1.0.0", False),
        ([{"introduced": "1.5.0"}], "1.4.9", False),  # open end: not fixed in any release
        ([{"introduced": "1.5.0"}], "9.0.0", True),
        ([{"introduced": "0.0.0"}], "0.0.0", True),  # from the first version
        ([{"introduced": "1.0.0", "fixed": "1.1.0"}, {"introduced": "2.0.0", "fixed": "2.0.2"}], "1.5.0", False),
        ([{"introduced": "1.0.0", "fixed": "1.1.0"}, {"introduced": "2.0.0", "fixed": "2.0.2"}], "2.0.1", True),
    ],
)
def test_open_ranges_and_several_ranges(affected, version, expected):
    found = releases.verdict(releases_of("3.0.0", advisory(affected)), version).affecting
    assert bool(found) is expected


@pytest.mark.parametrize(
    ("running", "newer"),
    [
        ("2.0.9", "2.1.0"),
        ("2.1.0-rc.2", "2.1.0"),  # a pre-release of the latest is older than it
        ("2.1.0", None),
        ("2.1.0+build.1", None),
        ("2.2.0-dev", None),  # ahead of the latest release
    ],
)
def test_a_newer_version_is_the_latest_when_it_is_above_the_running_one(running, newer):
    assert releases.verdict(releases_of("2.1.0"), running).newer == newer


def test_the_verdict_names_every_affecting_advisory_in_the_datas_order():
    data = releases_of(
        "2.1.0",
        advisory([{"fixed": "2.0.0"}], id="A-1"),
        advisory([{"introduced": "3.0.0"}], id="A-2"),
        advisory([{"introduced": "1.0.0", "fixed": "2.1.0"}], id="A-3"),
    )
    verdict = releases.verdict(data, "1.5.0")
    assert (verdict.version, verdict.newer, [a.id for a in verdict.affecting]) == ("1.5.0", "2.1.0", ["A-1", "A-3"])


def test_a_running_version_that_is_not_semver_has_no_verdict():
    with pytest.raises(ValueError, match="'01.2.3' is not a SemVer 2.0.0 version"):
        releases.verdict(releases_of(), "01.2.3")


# --- the data, checked where it is loaded -----------------------------------------------------------------------


def entry_with(releases_data):
    return acme_entry(releases=releases_data)


def test_an_entry_may_declare_its_releases():
    product = products.parse(entry_with({"latest": "1.4.2"}), "acme-widgets.json")
    assert product.releases is not None
    assert product.releases.answer(product.id) == {"product": "acme-widgets", "latest": "1.4.2", "advisories": []}


def test_the_answer_is_the_data_as_written():
    data = {
        "latest": "2.1.0",
        "advisories": [advisory([{"introduced": "1.2.0", "fixed": "1.3.1"}, {"fixed": "0.9.0"}], severity="low")],
    }
    product = products.parse(entry_with(data), "acme-widgets.json")
    assert product.releases.answer("acme-widgets") == {"product": "acme-widgets", **data}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "acme-widgets.json: releases.latest is missing"),
        ({"latest": "1.4"}, r"releases.latest = '1.4' is not allowed: expected a SemVer 2.0.0 version in the semver"),
        # SemVer, but not a version the product's reports can carry (the report schema's pattern: no build metadata)
        ({"latest": "1.4.2+build.1"}, r"releases.latest = '1.4.2\+build.1' is not allowed"),
        ({"latest": "1.4.2", "latests": "1.4.3"}, r"releases.latests is not a releases key: allowed keys are"),
        ({"latest": "1.4.2", "advisories": {}}, r"releases.advisories = \{\} is not allowed: expected a list"),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"fixed": "1.0.0"}], severity="severe")]},
            r"releases.advisories\[0\].severity = 'severe' is not allowed: expected one of low, medium, high, critical",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"fixed": "1.0.0"}], url="http://acme.example/a")]},
            r"releases.advisories\[0\].url = 'http://acme.example/a' is not allowed: expected an https:// URL",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"fixed": "1.0.0"}], id="#1")]},
            r"releases.advisories\[0\].id = '#1' is not allowed",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"fixed": "1.0.0"}], summary="")]},
            r"releases.advisories\[0\].summary = '' is not allowed",
        ),
        (
            {"latest": "1.4.2", "advisories": [{"id": "A-1"}]},
            r"releases.advisories\[0\].affected is missing",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([])]},
            r"releases.advisories\[0\].affected = \[\] is not allowed: expected a non-empty list of ranges",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{}])]},
            r"releases.advisories\[0\].affected\[0\] = \{\} is not allowed: expected introduced, fixed or both",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"introduced": "1.3.0", "fixed": "1.3.0"}])]},
            r"affected\[0\].fixed = '1.3.0' is not allowed: expected a version above introduced \(1.3.0\)",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"introduced": "1.3.0", "fixd": "1.3.1"}])]},
            r"releases.advisories\[0\].affected\[0\].fixd is not a releases key",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"fixed": "1.x"}])]},
            r"releases.advisories\[0\].affected\[0\].fixed = '1.x' is not allowed",
        ),
        (
            {"latest": "1.4.2", "advisories": [advisory([{"fixed": "1.0.0"}]), advisory([{"fixed": "1.1.0"}])]},
            r"releases.advisories\[\].id = 'ACME-2026-001' is not allowed: expected ids unique",
        ),
    ],
)
def test_bad_releases_are_refused_naming_the_file_key_value_and_what_is_allowed(data, message):
    with pytest.raises(products.CatalogueError, match=message):
        products.parse(entry_with(data), "acme-widgets.json")


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_stack_sets_a_built_in_products_releases_with_a_file_of_its_own(tmp_path):
    write(tmp_path, "lunasec.json", {"latest": "1.4.0"})
    (product,) = products.catalogue([LUNASEC], tmp_path, {LUNASEC: "lunasec.json"})
    assert product.releases is not None and product.releases.latest.text == "1.4.0"
    assert products.default().releases is None, "the built-in entry itself is unchanged"


def test_a_releases_file_for_a_product_the_stack_does_not_serve_is_refused(tmp_path):
    write(tmp_path, "lunasec.json", {"latest": "1.4.0"})
    with pytest.raises(
        products.CatalogueError,
        match=r"releases names 'lunasec-tokenizr' \(file 'lunasec.json'\), a product this stack does not serve "
        r"\(did you mean lunasec-tokenizer\?\): it serves lunasec-tokenizer",
    ):
        products.catalogue([LUNASEC], tmp_path, {"lunasec-tokenizr": "lunasec.json"})


def test_releases_in_the_entry_and_in_a_file_are_refused(tmp_path):
    entry = write(tmp_path, "acme-widgets.json", entry_with({"latest": "1.4.2"}))
    write(tmp_path, "acme-releases.json", {"latest": "1.4.3"})
    with pytest.raises(products.CatalogueError, match=r"declared in the entry and in the releases file .*keep one"):
        products.catalogue([str(entry)], tmp_path, {"acme-widgets": "acme-releases.json"})


def test_a_bad_releases_file_is_refused_naming_the_file(tmp_path):
    path = write(tmp_path, "lunasec.json", {"latest": "1.4.0", "advisories": [advisory([{"fixed": "2"}])]})
    with pytest.raises(
        products.CatalogueError, match=rf"{path}: releases.advisories\[0\].affected\[0\].fixed = '2' is not allowed"
    ):
        products.catalogue([LUNASEC], tmp_path, {LUNASEC: "lunasec.json"})
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(products.CatalogueError, match=r"broken.json: not JSON"):
        products.catalogue([LUNASEC], tmp_path, {LUNASEC: "broken.json"})
    with pytest.raises(products.CatalogueError, match=r"missing.json: cannot read the releases file"):
        products.catalogue([LUNASEC], tmp_path, {LUNASEC: "missing.json"})


# --- the answer, as the reporter reads it -----------------------------------------------------------------------

ANSWER = {
    "product": "acme-widgets",
    "latest": "2.1.0",
    "advisories": [advisory([{"introduced": "1.2.0", "fixed": "1.3.1"}])],
}


def test_the_reporter_reads_the_answer_back_as_the_data():
    read = releases.read_answer(json.dumps(ANSWER), "acme-widgets")
    assert read.answer("acme-widgets") == ANSWER


def test_keys_a_newer_collector_may_add_are_ignored():
    newer = {**ANSWER, "download_url": "https://acme.example/download"}
    newer["advisories"] = [{**ANSWER["advisories"][0], "cve": "CVE-2026-0001"}]
    assert releases.read_answer(json.dumps(newer), "acme-widgets").answer("acme-widgets") == ANSWER


def test_a_severity_a_newer_collector_adds_is_passed_on_as_written():
    newer = {**ANSWER, "advisories": [{**ANSWER["advisories"][0], "severity": "urgent"}]}
    (advisory,) = releases.read_answer(json.dumps(newer), "acme-widgets").advisories
    assert advisory.severity == "urgent"


def test_a_severity_outside_the_list_is_refused_in_the_data():
    data = {"latest": "2.1.0", "advisories": [advisory([{"fixed": "1.0.0"}], severity="urgent")]}
    with pytest.raises(
        releases.ReleasesError, match=r"severity = 'urgent' is not allowed: expected one of low, medium"
    ):
        releases.parse(data, "acme-releases.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<html>", "the answer is not JSON"),
        ("[]", r"the answer: answer = \[\] is not allowed: expected an object"),
        (json.dumps({**ANSWER, "product": "acme-gizmos"}), r"answer.product = 'acme-gizmos' is not allowed"),
        (json.dumps({"product": "acme-widgets"}), "answer.latest is missing"),
        (json.dumps({**ANSWER, "latest": "2.1"}), r"answer.latest = '2.1' is not allowed"),
        (
            json.dumps({**ANSWER, "advisories": [advisory([{"introduced": "one"}])]}),
            r"answer.advisories\[0\].affected\[0\].introduced = 'one' is not allowed",
        ),
    ],
)
def test_a_malformed_answer_is_refused_with_the_reason(text, message):
    with pytest.raises(releases.ReleasesError, match=message):
        releases.read_answer(text, "acme-widgets")
