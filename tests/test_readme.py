"""The README's promises that can drift: generated sections, the collected-field list, the commands."""

import re

import schemas
from docs_generation import README, render_readme

TEXT = README.read_text(encoding="utf-8")


def test_generated_sections_are_current():
    assert render_readme(TEXT) == TEXT, "run `.venv/bin/python -m docs_generation` and commit README.md"


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
    from mocked_program import pulumi_mocks

    committed = {path.name.split(".")[1] for path in README.parent.glob("Pulumi.*.yaml")}
    assert set(STACKS) == committed == set(pulumi_mocks.STACKS)


def _table_after(heading: str) -> list[list[str]]:
    section = TEXT.split(heading, 1)[1].split("\n\n", 2)[1]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()[2:]]


def test_component_table_lists_every_component_the_program_registers_with_its_token():
    from tests.support.policy_runner import run_variant

    registered = {r.typ for r in run_variant("all-options").resources if r.typ.startswith("analytics:")}
    listed = {row[1].strip("`"): row[0].split("`")[1] for row in _table_after("## Architecture\n\n```mermaid")}
    assert set(listed) == registered
    assert all(token.rpartition(":")[2] == name for token, name in listed.items())


def test_layout_table_names_every_top_level_folder():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=README.parent, capture_output=True, text=True, check=True)
    folders = {path.split("/")[0] + "/" for path in tracked.stdout.splitlines() if "/" in path}
    listed = {name.split("/")[0] + "/" for row in _table_after("Repository layout:")
              for name in re.findall(r"`([^`]+/)`", row[0])}
    assert folders - {".ci/"} == listed  # .ci/run is what CI runs: `make test`, checked above
