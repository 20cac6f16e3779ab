"""The README's promises that can drift: generated sections, the collected-field list, the commands."""

import re

import schemas
from docs_generation import README, render_readme

TEXT = README.read_text(encoding="utf-8")


def test_generated_sections_are_current():
    assert TEXT == render_readme(TEXT), "run `.venv/bin/python -m docs_generation` and commit README.md"


def test_what_is_collected_lists_exactly_the_schema_fields():
    section = TEXT.split("## What is collected", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+)` \|", section, re.M))
    expected = {*schemas.RECEIVED_FIELDS, *schemas.scalar_fields(),
                *(f"{schemas.CANONICAL_COUNTERS_KEY}.{n}" for n in schemas.counter_names())}
    assert listed == expected


def test_quick_start_commands_are_the_ones_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text()
    assert "```sh\nmake test\n```" in TEXT and "make test" in ci
    assert "pulumi stack select dev && pulumi up" in TEXT
    assert "pulumi login --local" in TEXT


def test_config_reference_has_a_column_for_every_committed_stack():
    from docs_generation import STACKS
    from tests.support import pulumi_mocks

    committed = {path.name.split(".")[1] for path in README.parent.glob("Pulumi.*.yaml")}
    assert set(STACKS) == committed == set(pulumi_mocks.STACKS)
