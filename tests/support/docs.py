"""The documentation as tests read it: README.md and docs/*.md, found by heading rather than by file.

Sections move between the README (the overview) and docs/ (the reference); a test names the heading it checks
and this finds the one file that holds it, so moving a section never means editing the tests that pin it.
"""

from __future__ import annotations

import re
from pathlib import Path

from tooling.docs_generation import REPO, doc_files

HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def headings(text: str) -> list[tuple[int, int, str]]:
    """(line index, level, title) of each Markdown heading, skipping fenced code (where `# ...` is a comment)."""
    found, fenced = [], False
    for index, line in enumerate(text.split("\n")):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append((index, len(match.group(1)), match.group(2)))
    return found


def file_with(title: str) -> Path:
    """The one doc file with a heading `title` (any level)."""
    holders = [path for path in doc_files() if any(t == title for _, _, t in headings(path.read_text("utf-8")))]
    assert len(holders) == 1, f"heading {title!r} is in {len(holders)} doc files, expected exactly one: {holders}"
    return holders[0]


def section(title: str) -> str:
    """The text under the heading `title`, up to the next heading of the same or a higher level."""
    text = file_with(title).read_text(encoding="utf-8")
    lines = text.split("\n")
    found = headings(text)
    [(start, level)] = [(index, lvl) for index, lvl, t in found if t == title]
    end = next((index for index, lvl, _ in found if index > start and lvl <= level), len(lines))
    return "\n".join(lines[start + 1 : end])


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation (backticks, colons, slashes...) dropped,
    spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor in `path`; a repeated heading gets -1, -2... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for _, _, title in headings(path.read_text(encoding="utf-8")):
        base = slug(title)
        found.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return found


def links(path: Path) -> list[str]:
    """The target of every inline Markdown link in `path`, outside fenced code and code spans."""
    targets, fenced = [], False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            targets += LINK.findall(re.sub(r"`[^`]*`", "", line))
    return targets


def all_text() -> str:
    """Every doc file's text, for promises that may sit in any of them."""
    return "\n\n".join(path.read_text(encoding="utf-8") for path in doc_files())


def current_text() -> str:
    """all_text() without the changelog's released entries: they name the paths of the release they describe."""
    changelog = REPO / "CHANGELOG.md"
    texts = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        if path == changelog:
            text = re.split(r"^## \[\d", text, maxsplit=1, flags=re.M)[0]
        texts.append(text)
    return "\n\n".join(texts)


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()
