"""The shared program runs (tests/support/shared_runs.py) are the runs the program makes, one per exact config."""

from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import run_program, stack_config_with

DEPLOYMENT = "aws:apigateway/deployment:Deployment"


def plain(value):
    """A value comparable across runs: archives and assets by their contents, not their identity."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "__dict__"):
        return (type(value).__name__, plain(vars(value)))
    return value


def by_name(run) -> dict:
    # The engine registers concurrently: the order of one run's resources is not another's.
    return {(r.typ, r.name): plain(vars(r)) for r in run.resources}


def test_a_shared_run_is_what_a_fresh_run_of_the_same_config_registers_and_exports():
    shared, fresh = shared_run("staging"), run_program("staging")
    assert by_name(shared) == by_name(fresh) and len(shared.resources) == len(fresh.resources)
    assert shared.exports == fresh.exports


def test_another_setting_is_another_run():
    slowed = shared_run("dev", stack_config_with("dev", endpoint={"retryAfterSeconds": 600}))
    released = shared_run("dev")
    assert slowed.one(DEPLOYMENT).inputs["triggers"] != released.one(DEPLOYMENT).inputs["triggers"]
    assert shared_run("dev", preview=True).exports["collector_url"] is None
    assert released.exports["collector_url"].startswith("https://")


def test_a_test_editing_its_copy_changes_no_other_tests():
    edited = shared_run("prod")
    edited.one(DEPLOYMENT).inputs["triggers"] = {"configuration": "edited"}
    del edited.resources[1:]
    edited.exports.clear()
    fresh = shared_run("prod")
    assert fresh.one(DEPLOYMENT).inputs["triggers"] != {"configuration": "edited"}
    assert len(fresh.resources) > 1 and fresh.exports
