"""The original product's counter names are data: its catalogue entry declares them, fixtures and tests use them,
and no code, schema, template, query or configuration of the project spells one (issue 19)."""

import subprocess

from tests.support.original_product import ORIGINAL_COUNTERS
from tooling.mocked_program.pulumi_mocks import REPO

ALLOWED = ("contract/products/lunasec-tokenizer.json",)
ALLOWED_FOLDERS = ("tests/", "tooling/fixtures/")
# Prose: the docs show reports as a reader sends them.
PROSE = (".md",)


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name]


def test_the_catalogue_entry_declares_every_original_counter():
    text = (REPO / ALLOWED[0]).read_text(encoding="utf-8")
    assert all(f'"{name}"' in text for name in ORIGINAL_COUNTERS)


def test_no_code_outside_the_catalogue_fixtures_and_tests_names_an_original_counter():
    found = []
    for name in tracked_files():
        if name in ALLOWED or name.startswith(ALLOWED_FOLDERS) or name.endswith(PROSE):
            continue
        path = REPO / name
        if path.is_symlink() or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{name}: {counter}" for counter in ORIGINAL_COUNTERS if counter in text]
    assert not found, "counter names belong in the catalogue entry: " + ", ".join(found)
