"""Text from stored data as a terminal or a CI log shows it: every control character written as a visible escape.

The text report goes to terminals and to the Actions log, which obey what they are sent: ESC and CSI (0x9b)
sequences would clear the screen, recolour or hide text, or (OSC 8) turn it into a link, a carriage return
would overwrite the line, and a newline would start a line of the value's choosing, which the runner reads
as a workflow command when it starts with `::`. Bidirectional overrides and line separators are escaped too:
they reorder or split what a reader sees without being seen. The escapes are printable ASCII, so applying
this twice changes nothing (a table cell is made visible, then HTML-escaped through the same function).
"""

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    r"""`text` with each control character as `\xNN` (C0, DEL, C1) or `\uNNNN` (bidi controls, separators)."""
    return _CONTROL.sub(_escape, text)


def visible_lines(text: str, indent: str = "  ") -> str:
    """A message of several lines (a CLI's stderr, say) kept on its lines, each made visible; the lines after
    the first are indented, so no line the message carries starts at the margin."""
    first, *rest = text.split("\n")
    return "\n".join([visible(first), *(indent + visible(line) for line in rest)])
