"""`pulumi preview` must show what `pulumi up` will do: no resource may be declared inside an `.apply`.

The preview run gives every id and provider-computed output as unknown, as the engine does for a new
stack, so callbacks on them never run; any resource declared in one would be missing from the plan.
"""

from pathlib import Path

import pytest

from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import STACKS, run_program


def plan(run):
    return sorted((r.typ, r.name) for r in run.resources)


@pytest.mark.parametrize("stack", STACKS)
def test_preview_registers_exactly_what_up_registers(stack):
    assert plan(shared_run(stack, preview=True)) == plan(shared_run(stack))


def test_the_check_catches_a_resource_declared_inside_apply(tmp_path: Path):
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi_aws as aws\n"
        "bucket = aws.s3.Bucket('reports')\n"
        "bucket.arn.apply(lambda arn: aws.s3.BucketPolicy('late', bucket=bucket.id, policy=arn))\n"
    )
    assert plan(run_program("dev", {}, program, preview=True)) != plan(run_program("dev", {}, program))
