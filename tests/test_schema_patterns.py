"""Every `pattern` in the report schema means the same in Python, Java and JavaScript.

API Gateway validates the model with a Java JSON Schema validator, the reporter and the tests with Python, and
JSON Schema itself speaks of ECMA-262: a pattern one engine reads differently is a hole. The classic one is
`$`: Java's also matches before a final line terminator, which for Java includes \\u0085, \\u2028 and \\u2029
(Python's only before a final \\n, JavaScript's only at the end), so `...$` let "1.2.3\\u2028" through on AWS.
The schema ends each pattern with `(?![\\s\\S])` ("no character follows"), which all three read alike.
Draft-04 patterns are unanchored searches, so each engine searches here too (find, test, re.search).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from contract import schemas

ENGINES = Path(__file__).parent / "support" / "regex_engines"
VALID = {
    "version": ["0.0.1", "1.2.3", "10.20.30-rc.1", "9999.9999.9999-abcdefghijklmnop"],
    "stack_id": ["3d9c49ce-8367-43ec-8884-568c8d43faec", "3D9C49CE-8367-43EC-8884-568C8D43FAEC"],
    "report_date": ["2026-11-26", "2024-02-29"],
}
# Characters some engine treats as a line end, a space or a digit where another does not, and plain junk.
ADVERSARIAL = [
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\u0085",
    "\t",
    "\x0b",
    "\x0c",
    "\x00",
    " ",
    "\u00a0",
    "\u3000",
    "\ufeff",
    "\u200b",
    "é",
    "\U0001f600",
    "'",
    '"',
    "\\",
    "/",
    "<",
    "%0a",
]
OTHER_DIGITS = ["\u0661.\u0662.\u0663", "\uff11.\uff12.\uff13", "1.2.\u0663", "\u0967\u0966\u0966\u0966-01-01"]


def schema_patterns(node=None) -> list[str]:
    """Every pattern in the schema, wherever it sits (properties, definitions, not, ...)."""
    node = schemas.load_schema() if node is None else node
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for key, value in node.items() if key != "pattern" for p in schema_patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in schema_patterns(value)]
    return []


def corpus() -> list[str]:
    strings = {"", "1.2", "1.2.3.4", "2026-13-01", "a" * 5000, "1.2.3-" + "a" * 17, "1.2.3-", "-1.2.3"}
    for examples in VALID.values():
        for valid in examples:
            strings.add(valid)
            for char in ADVERSARIAL:
                strings |= {valid + char, char + valid, valid[:3] + char + valid[3:], valid + char + "x"}
            strings |= {valid + "\n\n", valid * 2, valid.lower(), valid.replace("-", "\u2010")}
    return sorted(strings | set(OTHER_DIGITS))


def _hex(text: str) -> str:
    return "x" + text.encode("utf-8").hex()


def _probe(command: list[str], patterns: list[str], strings: list[str]) -> list[str]:
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is not installed: this test needs Java 17+ and Node to compare regex engines")
    stdin = " ".join(_hex(p) for p in patterns) + "\n" + "".join(_hex(s) + "\n" for s in strings)
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert len(rows) == len(strings)
    return rows


@pytest.fixture(scope="module")
def verdicts():
    """{engine: {(pattern, string): matched}}"""
    patterns, strings = schema_patterns(), corpus()
    java = _probe(["java", str(ENGINES / "PatternProbe.java")], patterns, strings)
    node = _probe(["node", str(ENGINES / "pattern_probe.js")], patterns, strings)
    found = {"python": {}, "java": {}, "javascript": {}, "javascript (u flag)": {}}
    for row_java, row_node, string in zip(java, node, strings, strict=True):
        for index, pattern in enumerate(patterns):
            found["python"][pattern, string] = re.search(pattern, string) is not None
            found["java"][pattern, string] = row_java[index] == "1"
            found["javascript"][pattern, string] = row_node[2 * index] == "1"
            found["javascript (u flag)"][pattern, string] = row_node[2 * index + 1] == "1"
    return found


def test_the_schema_has_the_patterns_this_test_knows():
    properties = schemas.load_schema()["properties"]
    assert {name for name, prop in properties.items() if "pattern" in prop} == set(VALID)
    assert len(schema_patterns()) == len(VALID)


@pytest.mark.jdk
@pytest.mark.parametrize("engine", ["java", "javascript", "javascript (u flag)"])
def test_every_engine_agrees_with_python_on_every_pattern(verdicts, engine):
    disagreements = sorted(
        (pattern, string)
        for (pattern, string), matched in verdicts[engine].items()
        if matched != verdicts["python"][pattern, string]
    )
    assert disagreements == [], disagreements[:10]


@pytest.mark.jdk
@pytest.mark.parametrize("field", sorted(VALID))
def test_patterns_accept_the_valid_values_and_nothing_with_a_stray_character(verdicts, field):
    pattern = schemas.load_schema()["properties"][field]["pattern"]
    for engine, found in verdicts.items():
        assert all(found[pattern, valid] for valid in VALID[field]), engine
        stray = [s for s in corpus() if any(c in s for c in ADVERSARIAL) or s in OTHER_DIGITS]
        assert not [s for s in stray if found[pattern, s]], (engine, field)


@pytest.mark.jdk
def test_an_end_anchor_alone_would_let_a_line_separator_through_in_java(verdicts):
    """The hole the schema's anchor closes, shown on the engine API Gateway runs: keeps this test honest."""
    patterns = ["^[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}$"]
    strings = ["1.2.3\u2028", "1.2.3\u0085", "1.2.3\n"]
    java = _probe(["java", str(ENGINES / "PatternProbe.java")], patterns, strings)
    node = _probe(["node", str(ENGINES / "pattern_probe.js")], patterns, strings)
    assert java == ["1", "1", "1"]
    assert node == ["00", "00", "00"]
