"""The docs' promises that can drift: generated sections, the collected-field list, the commands, the tables."""

import re
import subprocess

import pytest

from contract import schemas
from tests.support import docs
from tooling.docs_generation import (
    GENERATED,
    REPO,
    SECTION_FILES,
    STACKS,
    doc_files,
    figures,
    generated_files,
    render_file,
)


@pytest.mark.parametrize("path", generated_files(), ids=docs.relative)
def test_generated_sections_are_current(path):
    text = path.read_text(encoding="utf-8")
    stale = f"run `.venv/bin/python -m tooling.docs_generation` and commit {docs.relative(path)}"
    assert render_file(path, text) == text, stale


def test_every_generated_section_has_a_file_and_sits_only_there():
    assert set(SECTION_FILES) == set(GENERATED)
    for path in doc_files():
        for marker in re.findall(r"<!-- ([\w-]+):begin -->", path.read_text(encoding="utf-8")):
            where = SECTION_FILES.get(marker)
            assert where == path, f"{docs.relative(path)} holds {marker}; SECTION_FILES says {where}"


def test_every_figure_is_stated_somewhere_and_an_unknown_one_is_refused():
    stated = {name for path in doc_files() for _, name, _, _ in figures.FIGURE.findall(path.read_text("utf-8"))}
    assert stated == set(figures.FIGURES), sorted(set(figures.FIGURES) ^ stated)
    with pytest.raises(ValueError, match="unknown figure 'retry-hours'"):
        figures.render_figures("kept <!-- figure:retry-hours -->24<!-- /figure --> hours")


def test_a_figure_edited_by_hand_is_stale():
    text = "a default of <!-- figure:reporter-retry-horizon-hours -->25<!-- /figure --> hours"
    assert (
        figures.render_figures(text)
        == "a default of <!-- figure:reporter-retry-horizon-hours -->24<!-- /figure --> hours"
    )


def test_what_is_collected_lists_exactly_the_schema_fields():
    section = docs.section("What is collected")
    listed = set(re.findall(r"^\| `([^`]+)` \|", section, re.M))
    expected = {
        *schemas.RECEIVED_FIELDS,
        *schemas.scalar_fields(),
        *(f"{schemas.CANONICAL_COUNTERS_KEY}.{n}" for n in schemas.counter_names()),
    }
    assert listed == expected


def test_quick_start_commands_are_the_ones_ci_runs():
    ci = (REPO / ".ci" / "run").read_text()
    quick_start = docs.section("Quick start")
    assert "```sh\nmake test\n```" in quick_start and "make test" in ci
    assert "```sh\nmake demo\n```" in quick_start
    assert "pulumi login --local" in quick_start
    previewed = re.findall(r"^pulumi preview --stack (\w+)", quick_start, re.M)
    deployed = re.findall(r"^pulumi up --stack (\w+)", quick_start, re.M)
    assert deployed and previewed == deployed and set(deployed) <= set(STACKS)


def test_config_reference_has_a_column_for_every_committed_stack():
    # Committed, not merely present: a local `Pulumi.local.yaml` (docs/local-cloud.md) is git-ignored.
    tracked = subprocess.run(["git", "ls-files", "Pulumi.*.yaml"], cwd=REPO, capture_output=True, text=True, check=True)
    committed = {name.split(".")[1] for name in tracked.stdout.split()}
    assert set(STACKS) == committed


def _first_table(title: str) -> list[list[str]]:
    """The body rows (header and rule left out) of the first Markdown table under the heading `title`."""
    table = []
    for line in docs.section(title).split("\n"):
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]


def test_component_table_lists_every_component_the_program_registers_with_its_token():
    from tests.support.policy_runner import run_variant

    registered = {r.typ for r in run_variant("all-options").resources if r.typ.startswith("analytics:")}
    listed = {row[1].strip("`"): row[0].split("`")[1] for row in _first_table("Architecture")}
    assert set(listed) == registered
    assert all(token.rpartition(":")[2] == name for token, name in listed.items())


def test_layout_table_names_every_top_level_folder():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    folders = {path.split("/")[0] + "/" for path in tracked.stdout.splitlines() if "/" in path}
    listed = {
        name.split("/")[0] + "/"
        for row in _first_table("Where things are")
        for name in re.findall(r"`([^`]+/)`", row[0])
    }
    assert folders - {".ci/"} == listed  # .ci/run is what CI runs: `make test`, checked above
