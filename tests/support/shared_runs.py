"""The program under mocks, run once per process for each exact config and shared by the tests that only read it.

Running the program is most of the fast suite's time, and most tests read a committed stack or one of a few
variants. The key is the whole config the program gets, so a test asking for another setting gets another run,
and each caller gets its own deep copy, so a test editing what it got changes no other test's. A test that patches
what the program runs (monkeypatch, mock.patch, the mocks' answers) calls run_program itself: a shared run was made
without its patch.
"""

from __future__ import annotations

import copy
import json

from tooling.mocked_program.pulumi_mocks import ProgramRun, run_program, stack_config

_RUNS: dict[tuple[str, str, bool], ProgramRun] = {}


def shared_run(stack: str = "dev", config: dict[str, str] | None = None, preview: bool = False) -> ProgramRun:
    """What run_program(stack, config, preview=preview) returns, computed at most once per process."""
    given = stack_config(stack) if config is None else config
    key = (stack, json.dumps(given, sort_keys=True), preview)
    if key not in _RUNS:
        _RUNS[key] = run_program(stack, dict(given), preview=preview)
    return copy.deepcopy(_RUNS[key])
