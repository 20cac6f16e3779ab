"""Tells the user, on stderr, which query is running and for how long, so a slow Athena run never looks hung."""

from typing import TextIO


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


class Progress:
    def __init__(self, stream: TextIO, interactive: bool | None = None):
        self._stream = stream
        # On a terminal one line is redrawn; in a log (CI, a pipe) only state changes are written.
        self._interactive = stream.isatty() if interactive is None else interactive
        self._last_state: dict[str, str] = {}

    def _line(self, name: str, state: str, elapsed: float, scanned: int) -> str:
        return f"{name}: {state} {elapsed:.1f} s, {human_bytes(scanned)} scanned"

    def update(self, name: str, state: str, elapsed: float, scanned: int) -> None:
        if self._interactive:
            self._stream.write("\r" + self._line(name, state, elapsed, scanned).ljust(72))
        elif self._last_state.get(name) != state:
            self._stream.write(self._line(name, state, elapsed, scanned) + "\n")
        self._last_state[name] = state
        self._stream.flush()

    def finish(self, name: str, state: str, elapsed: float, scanned: int) -> None:
        line = self._line(name, state, elapsed, scanned)
        if self._interactive:
            self._stream.write("\r" + line.ljust(72) + "\n")
        elif self._last_state.get(name) != state:
            self._stream.write(line + "\n")
        self._last_state[name] = state
        self._stream.flush()

    def note(self, message: str) -> None:
        self._stream.write(message + "\n")
        self._stream.flush()
