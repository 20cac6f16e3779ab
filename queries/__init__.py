"""Saved Athena queries, one `.sql` file each, read by the Pulumi program, the local runner and the tests.

Standard library only. Every query reads the Glue table `reports` by its plain name: the saved query's
database sets the schema, so the SQL holds no placeholders and runs as written in the Athena console.
"""

from pathlib import Path

QUERY_DIR = Path(__file__).parent
TABLE_NAME = "reports"


def query_paths() -> list[Path]:
    return sorted(QUERY_DIR.glob("*.sql"))


def load_saved_queries() -> dict[str, str]:
    """Saved query name (the file's stem) -> its SQL text."""
    return {path.stem: path.read_text(encoding="utf-8") for path in query_paths()}


def description(sql: str) -> str:
    """The query's leading `--` comment, as one line: it becomes the saved query's description."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)
