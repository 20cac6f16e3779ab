"""The usage report reads the stack outputs the program really exports, naming the catalog's resources."""

import pytest

from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import STACKS
from usage_report.stack_outputs import OUTPUT_FOR_FLAG


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_exports_the_database_and_workgroup_the_report_reads(stack):
    run = shared_run(stack)
    exported = {flag: run.exports.get(output_name) for flag, output_name in OUTPUT_FOR_FLAG.items()}
    names = {
        resource.typ: resource.inputs.get("name")
        for resource in run.resources
        if resource.typ in ("aws:glue/catalogDatabase:CatalogDatabase", "aws:athena/workgroup:Workgroup")
    }
    assert all(names.values()) and len(names) == 2
    assert exported == {
        "database": names["aws:glue/catalogDatabase:CatalogDatabase"],
        "workgroup": names["aws:athena/workgroup:Workgroup"],
    }
