"""What a Velocity (VTL) template of API Gateway reads about the caller, found by parsing its references.

A regex of `$context.identity.` misses what Velocity reads just the same: quiet `$!x` and formal `${x}` /
`$!{x}` references, `$context.get('identity')`, `$context['identity']`, `$input.getParams()`, and aliases
(`#set($c = $context)$c.identity.sourceIp`). Here every `$` reference is parsed into its root and a chain of
steps (property, key, method call), aliases made by `#set` are followed, and each chain is judged against
what the caller's request holds: `$context.identity.*`, `$context.authorizer.*` and `$input.params`
(and, in HTTP APIs' parameter mappings, `$request.header` and the like).

The check fails closed. Wherever a template hands `$context` or `$input` on whole (rendering it, iterating
it, passing it to a method or a macro, putting it in a list or map, a key computed at run time) it could
reach those, so that counts as reading them; `#evaluate`, `#parse` and `#include` render text built at run
time and are refused outright. Every `$` is read as a reference, in comments and string literals too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What the caller's request carries that a stored record must never hold, by the variable that holds it
# (`$request` is HTTP APIs' name for the request in parameter mappings).
# `$input` is an object: only these of its methods and properties are known to read nothing but the body.
CALLER_KEYS = {
    "context": frozenset({"identity", "authorizer"}),
    "input": frozenset({"params"}),
    "request": frozenset({"header", "multivalueheader", "querystring", "multivaluequerystring", "path"}),
}
BODY_READERS = {"input": frozenset({"json", "path", "body"}), "context": frozenset(), "request": frozenset()}
# Java reflection reaches anything; no template of the collector needs it.
REFLECTION = frozenset({"class", "getclass"})
RUNTIME_TEMPLATES = re.compile(r"#\{?(evaluate|parse|include)\b", re.I)

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SET = re.compile(r"#\{?set\}?\s*\(\s*", re.I)
_FOREACH = re.compile(r"#\{?foreach\}?\s*\(\s*", re.I)
_ASSIGN = re.compile(r"\s*=\s*")
_CLOSE = re.compile(r"\s*\)")


@dataclass(frozen=True)
class Step:
    kind: str  # "key" (a property, `get('k')`, `getK()`, `['k']`), "call" (any other method) or "dynamic"
    name: str


@dataclass(frozen=True)
class Reference:
    root: str
    steps: tuple[Step, ...]
    start: int
    end: int
    text: str


def _literal(expression: str) -> str | None:
    """The value of a string literal whose value cannot change at run time, else None."""
    expression = expression.strip()
    if len(expression) >= 2 and expression[0] == expression[-1] and expression[0] in "'\"":
        inner = expression[1:-1]
        if expression[0] == "'" or not ({"$", "#"} & set(inner)):  # double quotes interpolate $ and #
            return inner if expression[0] not in inner else None
    return None


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """Index just past the bracket that closes the one at `start`, skipping string literals; len(text) if none."""
    depth, index, quote = 0, start, None
    while index < len(text):
        char = text[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _arguments(inner: str) -> list[str]:
    """Top-level comma-separated arguments of a call (nesting and string literals respected)."""
    parts, depth, quote, current = [], 0, None, ""
    for char in inner:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current] if (parts or current.strip()) else []


def _call_step(name: str, arguments: list[str]) -> Step:
    """Velocity reads a property through get('k') and getK() alike, so both count as the key."""
    if name == "get" and len(arguments) == 1:
        key = _literal(arguments[0])
        return Step("key", key) if key is not None else Step("dynamic", name)
    for prefix in ("get", "is"):
        if name.startswith(prefix) and len(name) > len(prefix) and not arguments:
            rest = name[len(prefix) :]
            return Step("key", rest[0].lower() + rest[1:])
    return Step("call", name)


def parse_reference(text: str, start: int) -> Reference | None:
    """The reference starting at text[start] == '$' (with `!` and `{` forms), or None if it is plain text."""
    index = start + 1
    if text.startswith("!", index):
        index += 1
    formal = text.startswith("{", index)
    index += formal
    name = _NAME.match(text, index)
    if not name:
        return None
    root, index, steps = name.group(), name.end(), []
    while index < len(text):
        if text[index] == "." and (member := _NAME.match(text, index + 1)):
            index = member.end()
            if text.startswith("(", index):
                end = _closing(text, index, "(", ")")
                steps.append(_call_step(member.group(), _arguments(text[index + 1 : end - 1])))
                index = end
            else:
                steps.append(Step("key", member.group()))
        elif text[index] == "[":
            end = _closing(text, index, "[", "]")
            key = _literal(text[index + 1 : end - 1])
            steps.append(Step("key", key) if key is not None else Step("dynamic", "[]"))
            index = end
        else:
            break
    if formal and text.startswith("}", index):
        index += 1
    return Reference(root, tuple(steps), start, index, text[start:index])


def references(template: str) -> list[Reference]:
    """Every reference in the template, nested ones (in arguments, strings, lists) included."""
    found = (parse_reference(template, m.start()) for m in re.finditer(r"\$", template))
    return [r for r in found if r is not None]


def _assignments(template: str, by_start: dict[int, Reference]) -> tuple[list[tuple[str, Reference]], set[int]]:
    """`#set($name = $reference)` aliases, and the starts of assignment and loop targets."""
    aliases: list[tuple[str, Reference]] = []
    targets: set[int] = set()
    for directive in (*_SET.finditer(template), *_FOREACH.finditer(template)):
        target = by_start.get(directive.end())
        if target is None or target.steps:
            continue
        targets.add(target.start)
        assign = _ASSIGN.match(template, target.end)
        value = by_start.get(assign.end()) if assign and directive.re is _SET else None
        if value is not None and _CLOSE.match(template, value.end):
            aliases.append((target.root, value))
    return aliases, targets


def _holders(aliases: list[tuple[str, Reference]]) -> dict[str, set[str]]:
    """Which of $context and $input each variable may hold whole, through any chain of aliases (in any order:
    a loop may run an assignment written later). A step past the whole object leaves it: into a part judged
    where the step is written, so only step-less aliases pass the whole object on."""
    holds: dict[str, set[str]] = {}
    changed = True
    while changed:
        changed = False
        for name, value in aliases:
            if value.steps:
                continue
            held = holds.get(value.root, set()) | ({value.root.lower()} & set(CALLER_KEYS))
            if not held <= holds.setdefault(name, set()):
                holds[name] |= held
                changed = True
    return holds


def _judge(root: str, steps: tuple[Step, ...]) -> str | None:
    """'caller' if the chain reads the caller's data, 'whole' if it ends holding all of $context or $input."""
    forbidden = CALLER_KEYS.get(root.lower())
    if forbidden is None:
        return None
    for step in steps:
        name = step.name.lower()
        if name in REFLECTION:
            return "caller"
        if step.kind == "key":
            if name in forbidden:
                return "caller"
            return None  # any other part of $context, or the body through $input
        if step.kind == "call" and name in BODY_READERS[root.lower()]:
            return None
        return "caller"  # a method or a computed key on the whole object: it can reach the caller's parts
    return "whole"


def caller_reads(template: str) -> list[str]:
    """Each place the template reads what identifies the caller, as a short explanation; [] when none does."""
    if not isinstance(template, str):
        return []
    found = [f"{m.group()} renders text built at run time" for m in RUNTIME_TEMPLATES.finditer(template)]
    refs = references(template)
    aliases, targets = _assignments(template, {r.start: r for r in refs})
    holds = _holders(aliases)
    alias_values = {value.start for _, value in aliases}
    for ref in refs:
        if ref.start in targets:
            continue
        roots = sorted({ref.root, *holds.get(ref.root, ())})
        verdicts = {root: _judge(root, ref.steps) for root in roots}
        if "caller" in verdicts.values():
            found.append(f"{ref.text} reads the caller's identity or request headers")
        elif "whole" in verdicts.values() and ref.start not in alias_values:
            whole = ", ".join(f"${root}" for root, verdict in verdicts.items() if verdict == "whole")
            found.append(f"{ref.text} hands on all of {whole}, the caller's identity and headers included")
    return found
