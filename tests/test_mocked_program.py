"""The SDK contract the program-under-mocks runner relies on. An SDK upgrade that breaks it fails here, by name,
rather than as a puzzling failure in every test that runs the program."""

import inspect

import pulumi
from pulumi.runtime import mocks

from components.firehose_warehouse import FirehoseToS3Warehouse
from tooling.mocked_program import pulumi_mocks
from tooling.mocked_program.pulumi_mocks import run_program


def test_set_mocks_takes_the_monitor_the_runner_owns():
    assert "monitor" in inspect.signature(pulumi.runtime.set_mocks).parameters
    assert isinstance(pulumi_mocks.MONITOR, mocks.MockMonitor)


def test_runtime_test_waits_for_what_the_function_returns():
    settled = []
    pulumi.runtime.test(lambda: pulumi.Output.from_input("value").apply(settled.append))()
    assert settled == ["value"]


def test_monitor_records_each_resource_under_its_parent_chain():
    run = run_program("dev")
    assert pulumi_mocks.MONITOR.resources, "MockMonitor.resources no longer records registrations"
    stream = run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    assert stream.parent_type == FirehoseToS3Warehouse.TYPE_TOKEN


def test_resolve_settles_outputs_and_gives_none_for_unknowns():
    assert pulumi_mocks.resolve(pulumi.Output.from_input({"a": 1})) == {"a": 1}
    # The stage's invoke URL is provider-computed: the mocks answer it unknown in preview, and the SDK hands the
    # program an unknown Output for it, as the engine does for a new stack.
    assert run_program("dev", preview=True).exports["collector_url"] is None
    assert run_program("dev").exports["collector_url"].startswith("https://")


def test_a_run_holds_only_what_its_program_registers():
    # A component built by hand outside any run (tests/test_component_outputs.py does) leaves its registration
    # pending in the engine's loop; the next run must not count it as its own, nor may a shared run keep it.
    class Stray(pulumi.ComponentResource):
        def __init__(self):
            super().__init__("test:index:Stray", "stray")

    Stray()
    run = run_program("dev")
    assert "stray" not in {r.name for r in run.resources}
    assert not [urn for urn in run.urns if urn.endswith("::stray")]
