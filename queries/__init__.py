"""Saved Athena queries, one `.sql` file each, read by the Pulumi program, the local runner and the tests.

Standard library only. Every query reads the Glue table `reports` by its plain name: the saved query's
database sets the schema. Athena saved queries cannot share definitions, so a part several queries need
lives once in a `_<part>.sql` file, and a query writes `{<part>}` where it goes: the loader puts it in,
and the saved query (what Athena stores, the local runner runs and the tests read) is complete SQL.
"""

import re
from pathlib import Path

QUERY_DIR = Path(__file__).parent
TABLE_NAME = "reports"
_SHARED_PART = re.compile(r"\{(\w+)\}")


def query_paths() -> list[Path]:
    return sorted(p for p in QUERY_DIR.glob("*.sql") if not p.name.startswith("_"))


def shared_parts() -> dict[str, str]:
    """Part name -> its SQL, without the leading comment that says who uses it."""
    return {path.stem.removeprefix("_"): _without_leading_comment(path.read_text(encoding="utf-8"))
            for path in QUERY_DIR.glob("_*.sql")}


def _without_leading_comment(sql: str) -> str:
    lines = sql.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _compose(path: Path, parts: dict[str, str]) -> str:
    def part(match: re.Match) -> str:
        if match.group(1) not in parts:
            raise ValueError(f"{path.name} uses {match.group(0)} but queries/ has no _{match.group(1)}.sql")
        return parts[match.group(1)]
    return _SHARED_PART.sub(part, path.read_text(encoding="utf-8"))


def load_saved_queries() -> dict[str, str]:
    """Saved query name (the file's stem) -> its complete SQL, shared parts put in."""
    parts = shared_parts()
    return {path.stem: _compose(path, parts) for path in query_paths()}


def description(sql: str) -> str:
    """The query's leading `--` comment, as one line: it becomes the saved query's description."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)
