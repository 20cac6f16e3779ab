"""Every relative link in README.md and docs/*.md reaches a file in the repository, and a heading when it names one;
the README links every reference doc, so none is left where a newcomer would not find it."""

import re
from pathlib import Path

import pytest

from tests.support import docs
from tooling.docs_generation import DOCS, README, REPO, doc_files

EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # https:, mailto:...


def relative_links(path: Path) -> list[str]:
    return [target for target in docs.links(path) if not EXTERNAL.match(target)]


@pytest.mark.parametrize("path", doc_files(), ids=docs.relative)
def test_every_relative_link_reaches_a_file_and_heading(path):
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.is_relative_to(REPO) or not resolved.exists():
            broken.append(f"{target} (no file {resolved})")
        elif anchor and resolved.suffix == ".md" and anchor not in docs.anchors(resolved):
            broken.append(f"{target} (no heading #{anchor} in {docs.relative(resolved)})")
    assert not broken, f"{docs.relative(path)} links to what is not there: {broken}"


def test_the_link_check_sees_the_links():
    checked = sum(len(relative_links(path)) for path in doc_files())
    assert checked >= len(list(DOCS.glob("*.md")))  # the README's reference list alone links each doc once
    assert any("#" in target for path in doc_files() for target in relative_links(path))  # anchors are checked too


def test_the_readme_links_every_reference_doc():
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in relative_links(README)}
    unlinked = sorted(docs.relative(path) for path in DOCS.glob("*.md") if path.resolve() not in linked)
    assert not unlinked, f"README.md's Reference list does not link {unlinked}"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Run it offline: `make demo` (LocalStack)", "run-it-offline-make-demo-localstack"),
        ("CI/CD with GitHub Actions", "cicd-with-github-actions"),
        ("Policy pack (`policy/`)", "policy-pack-policy"),
        ("Ingest benchmark (local-emulator figures)", "ingest-benchmark-local-emulator-figures"),
    ],
)
def test_anchors_are_the_ones_github_makes(heading, anchor):
    assert docs.slug(heading) == anchor
