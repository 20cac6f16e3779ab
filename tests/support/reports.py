"""Report bodies shared by tests: the documentation's example, each key shape, and named invalid cases."""

import copy

import schemas

STACK_ID = "3d9c49ce-8367-43ec-8884-568c8d43faec"

# Verbatim from the product's published documentation.
DOCUMENTED_EXAMPLE = (
    '{"version": "0.0.1", "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec", "metricsConfig": '
    '{"tokenizeSuccess": 4, "tokenizeFailure": 0, "detokenizeSuccess": 2, "detokenizeFailure": 0, '
    '"createGrantSuccess": 2, "createGrantFailure": 0}}'
)


def shipped_reporter_report(stack_id: str = STACK_ID) -> dict:
    """What the reporter already in the field posts (to `/record`, with no Content-Type): no report_date."""
    return {"version": "0.0.1", "stack_id": stack_id, "collected_metrics": {"tokenizeSuccess": 7}}


def valid_report(key: str = schemas.CANONICAL_COUNTERS_KEY, **overrides) -> dict:
    report = {"version": "1.2.3", "stack_id": STACK_ID, "report_date": "2026-11-26",
              key: {"tokenizeSuccess": 4, "detokenizeSuccess": 2}}
    report.update(overrides)
    return report


def each_key_shape() -> dict[str, dict]:
    return {key: valid_report(key) for key in schemas.counter_keys()}


def _without(report: dict, key: str) -> dict:
    report = copy.deepcopy(report)
    del report[key]
    return report


def _with_counters(**counters) -> dict:
    return valid_report(metrics=counters)


INVALID_REPORTS: dict[str, object] = {
    "not an object (array)": [valid_report()],
    "not an object (string)": "report",
    "not an object (null)": None,
    "empty object": {},
    "missing version": _without(valid_report(), "version"),
    "missing stack_id": _without(valid_report(), "stack_id"),
    "missing counters": _without(valid_report(), "metrics"),
    "two counters keys": valid_report(metricsConfig={"tokenizeSuccess": 1}),
    "all three counters keys": valid_report(metricsConfig={"tokenizeSuccess": 1},
                                            collected_metrics={"tokenizeSuccess": 1}),
    "empty counters": _with_counters(),
    "unknown counter": _with_counters(tokenizeSuccess=1, pageViews=3),
    "negative counter": _with_counters(tokenizeSuccess=-1),
    "fractional counter": _with_counters(tokenizeSuccess=1.5),
    "counter as string": _with_counters(tokenizeSuccess="4"),
    "counter as boolean": _with_counters(tokenizeSuccess=True),
    "counter as null": _with_counters(tokenizeSuccess=None),
    "counter beyond 2^53": _with_counters(tokenizeSuccess=2**53),
    "counters not an object": valid_report(metrics=[4, 2]),
    "extra top-level field (email)": valid_report(email="someone@example.com"),
    "extra top-level field (client ip)": valid_report(ip="203.0.113.9"),
    "version not a string": valid_report(version=1),
    "version not semver": valid_report(version="latest"),
    "version too long": valid_report(version="1.2.3-" + "a" * 40),
    "version with a newline": valid_report(version="1.2.3\n"),
    "stack_id not a uuid": valid_report(stack_id="my-laptop"),
    "stack_id with a trailing newline": valid_report(stack_id=STACK_ID + "\n"),
    "stack_id with braces": valid_report(stack_id="{" + STACK_ID[:34] + "}"),
    "stack_id as number": valid_report(stack_id=42),
    "report_date wrong format": valid_report(report_date="26/11/2026"),
    "report_date month 13": valid_report(report_date="2026-13-01"),
    "report_date with time": valid_report(report_date="2026-11-26T00:00:00Z"),
    "report_date null": valid_report(report_date=None),
    "injection in version": valid_report(version='1.0.0","ip":"1.2.3.4'),
}
