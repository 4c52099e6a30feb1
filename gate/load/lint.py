"""Safe-fixture lint (pure): no real caller data in a case, writes only through a sandbox."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gate.errors import Diagnostic, InputError
from gate.models import (
    FAILURE_LABELS,
    SIDE_EFFECT_MODES,
    Location,
    is_write_tool,
    json_path_join,
    nearest_location,
)
from gate.patterns import TextTooLong, regex_problem, search
from gate.pii import FIXTURE_MARKERS, Finding, findings, suspect


def check_allowlist(patterns: Sequence[str]) -> None:
    """Check the gate config's extra allowlist regexes (RE2, see `gate.patterns`).

    Raises:
        InputError: a pattern RE2 cannot use.
    """
    for pattern in patterns:
        problem = regex_problem(pattern)
        if problem is not None:
            raise InputError(f"pii_allowlist: {problem}")


def scan_text(text: str, allowlist: Sequence[str] = ()) -> list[str]:
    """Masked descriptions of every unsafe value in `text` that no allowlist rule covers."""
    check_allowlist(allowlist)
    return [f.message for f in findings(text) if not _allowed(text, f, allowlist)]


# Said once per finding so the fix is obvious where the error is read (CI log, editor).
UNSAFE_HINT = (
    " looks like real caller data: use a fixture value (555-01xx numbers, example.com "
    "addresses, ids containing 'fixture' or 'test') or allowlist it in the gate config"
)


def lint_case(
    data: Any, locations: Mapping[str, Location], path: str, allowlist: Sequence[str] = ()
) -> list[Diagnostic]:
    """Safe-fixture problems of one case: unsafe values, unsandboxed writes, bad regexes, labels.

    Every string is checked (mapping keys too), wherever it sits; `locations` maps JSON paths
    to (line, col) as `gate.load.yamlsafe` records them.
    """
    check_allowlist(allowlist)
    problems: list[Diagnostic] = []
    for json_path, where, text in _strings(data, "$", locations.get("$", (1, 1)), locations):
        problems += [
            Diagnostic(path, *where, json_path, finding.message + UNSAFE_HINT)
            for finding in findings(text)
            if not _allowed(text, finding, allowlist)
        ]
    if isinstance(data, Mapping):
        for json_path, message, severity in _case_rules(data):
            line, col = nearest_location(locations, json_path) or (1, 1)
            problems.append(Diagnostic(path, line, col, json_path, message, severity))
    return problems


def _strings(
    value: Any, path: str, where: Location, locations: Mapping[str, Location]
) -> Iterator[tuple[str, Location, str]]:
    """(json path, location, text) of every string and integer that may hold unsafe data (see
    `gate.pii.suspect`); a key reports its parent path. Paths are only joined on the way to
    those: most leaves hold none, and joining and locating every one was most of the lint."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if suspect(name) or _worth_entering(item):
                child = json_path_join(path, name)
                child_where = locations.get(child, where)
                if suspect(name):  # the parent path: the diagnostic must not spell out the key
                    yield path, child_where, name
                yield from _strings(item, child, child_where, locations)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if _worth_entering(item):
                child = json_path_join(path, index)
                yield from _strings(item, child, locations.get(child, where), locations)
    else:
        text = _text(value)
        if text is not None and suspect(text):
            yield path, where, text


def _text(value: Any) -> str | None:
    """A string, or an integer written out (an unquoted phone or card number is an int)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _worth_entering(value: Any) -> bool:
    text = _text(value)  # first: nearly every value is a string, and Mapping is a slow ABC check
    if text is not None:
        return suspect(text)
    return isinstance(value, Mapping | list) and bool(value)


def _allowed(text: str, finding: Finding, allowlist: Sequence[str]) -> bool:
    left, right = finding.start, finding.end
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    token, value = text[left:right], text[finding.start : finding.end]
    if finding.markers_apply and any(marker in token.lower() for marker in FIXTURE_MARKERS):
        return True
    return any(_search(p, value) or _search(p, token) for p in allowlist)


def _search(pattern: str, text: str) -> bool:
    try:
        return search(pattern, text)
    except TextTooLong:
        return False  # not shown to be allowed: the finding stays an error


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _case_rules(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(json path, message, severity) of the rules that look at the case's structure."""
    yield from _side_effect_mode(data)
    yield from _regexes(_get(data, "assertions"), "$.assertions")
    label = _get(_get(data, "source"), "failure_label")
    if isinstance(label, str) and label and label not in FAILURE_LABELS:
        close = difflib.get_close_matches(label, FAILURE_LABELS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(FAILURE_LABELS)
        yield (
            "$.source.failure_label",
            f"failure label {label!r} is not in the taxonomy ({hint})",
            "warning",
        )


def _side_effect_mode(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    reason = _write_reason(data)
    fixture = _get(data, "fixture")
    mode = _get(fixture, "side_effect_mode")
    if reason is None or (isinstance(mode, str) and mode in SIDE_EFFECT_MODES):
        return
    if isinstance(fixture, Mapping) and "side_effect_mode" in fixture:
        where, state = "$.fixture.side_effect_mode", f"is {mode!r}"
    else:
        where, state = ("$.fixture" if isinstance(fixture, Mapping) else "$"), "is missing"
    modes = ", ".join(SIDE_EFFECT_MODES[:-1]) + f" or {SIDE_EFFECT_MODES[-1]}"
    yield where, f"{reason} but fixture.side_effect_mode {state} (use {modes})", "error"


def _write_reason(data: Mapping[str, Any]) -> str | None:
    """Why the case can write, or None: a write-verb tool it names, or side-effect checks."""
    assertions = _get(data, "assertions")
    tools = _get(assertions, "tools")
    names = [
        *_names(_get(tools, "required_order")),
        *_names(_get(tools, "arguments")),
        *_names(_get(tools, "max_calls")),
        *_names(_get(_get(_get(data, "scenario"), "state"), "tool_registry")),
    ]
    for name in names:
        if is_write_tool(name):
            return f"case writes via {name}"
    # a forbidden write tool is what a regression would call: it must hit a sandbox too
    for name in _names(_get(tools, "forbidden_tools")):
        if is_write_tool(name):
            return f"case may write via {name}"
    side_effects = _get(assertions, "side_effects")
    if isinstance(side_effects, Mapping) and side_effects:
        return f"case asserts side effects on {next(iter(side_effects))}"
    return None


def _names(value: Any) -> Iterator[str]:
    """Tool names in a list of names, a list of {name: …} entries, or a mapping keyed by name."""
    items = value.keys() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
    for item in items:
        name = item.get("name") if isinstance(item, Mapping) else item
        if isinstance(name, str):
            yield name


def _regexes(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """Every `{regex: …}` item and `/…/` within_turns key must compile (matchers rely on it)."""
    if isinstance(value, Mapping):
        if len(value) == 1 and "regex" in value:  # matched as `str(value)`, whatever its type
            yield from _compiles(str(value["regex"]), json_path_join(path, "regex"))
        for key, item in value.items():
            child = json_path_join(path, str(key))
            if path.endswith(".within_turns") and len(key) > 2 and key[0] == key[-1] == "/":
                yield from _compiles(key[1:-1], child)
            yield from _regexes(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _regexes(item, json_path_join(path, index))


def _compiles(pattern: str, path: str) -> Iterator[tuple[str, str, str]]:
    problem = regex_problem(pattern)
    if problem is not None:
        yield path, problem, "error"


_TODO = re.compile(r"(?:^|\s)#\s*TODO\b:?\s*(.*)$")


def todo_comments(text: str, path: str, locations: Mapping[str, Location]) -> list[Diagnostic]:
    """A warning per `# TODO` comment, at its line and the JSON path of the node it annotates."""
    if "TODO" not in text:  # nearly every file: no line to look at
        return []
    by_line = sorted((line, json_path) for json_path, (line, _) in locations.items())
    warnings = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _TODO.search(line)
        if match is None or _inside_quotes(line[: match.start()]):
            continue
        # the comment annotates the next node (a whole-line comment) or its own line's node
        below = [p for n, p in by_line if n >= number] if not line[: match.start()].strip() else []
        here = [p for n, p in by_line if n <= number]
        json_path = (below[:1] or here[-1:] or ["$"])[0]
        message = f"TODO: {match.group(1).strip() or 'a decision is open'}"
        col = line.index("#", match.start()) + 1
        warnings.append(Diagnostic(path, number, col, json_path, message, "warning"))
    return warnings


def _inside_quotes(prefix: str) -> bool:
    return prefix.count('"') % 2 == 1 or prefix.count("'") % 2 == 1
