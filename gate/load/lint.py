"""Safe-fixture lint (pure): no real caller data in a case, writes only through a sandbox."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate.errors import Diagnostic, InputError
from gate.models import (
    FAILURE_LABELS,
    SIDE_EFFECT_MODES,
    Location,
    json_path_join,
    nearest_location,
)

WRITE_VERBS = frozenset(
    {
        "create",
        "update",
        "delete",
        "cancel",
        "book",
        "reschedule",
        "send",
        "charge",
        "refund",
        "transfer",
        "submit",
        "write",
        "set",
        "add",
        "remove",
        "post",
        "notify",
    }
)
# Reserved for documentation and testing (RFC 2606 / RFC 6761): never a real mailbox.
SAFE_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "localhost")
SAFE_EMAIL_SUFFIXES = (".test", ".example", ".invalid", ".localhost")
FIXTURE_MARKERS = ("fixture", "test")
# Published processor test cards: Luhn-valid, but no money moves.
TEST_CARDS = frozenset(
    {
        "4242424242424242",
        "4111111111111111",
        "4000056655665556",
        "5555555555554444",
        "5105105105105100",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "6011000990139424",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
    }
)

_CARD = re.compile(r"(?<![\w+-])\d(?:[ -]?\d){12,18}(?![\w-])")
_NANP = re.compile(
    r"(?<![\w+])(?:\+?1[ .-]?)?(?:\((\d{3})\)|(\d{3}))[ .-]?(\d{3})[ .-]?(\d{4})(?![\w])"
)
_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_E164 = re.compile(r"(?<![\w+])\+[2-9](?:[ .-]?\d){7,14}(?![\w])")
# starts only where a local part can start: no quadratic rescans of long words without an @
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_SSN = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])")


@dataclass(frozen=True)
class Finding:
    """One sensitive-looking value in a string; `message` masks it, never spells it out."""

    start: int
    end: int
    message: str
    safe: bool = False  # a known fixture value: reported nowhere, but still claims its span


def compile_allowlist(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    """Compile the gate config's extra allowlist regexes.

    Raises:
        InputError: a pattern is not a valid regular expression.
    """
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise InputError(f"invalid fixture allowlist pattern {pattern!r}: {exc}") from None
    return compiled


def scan_text(text: str, allowlist: Sequence[str] = ()) -> list[str]:
    """Masked descriptions of every unsafe value in `text` that no allowlist rule covers."""
    patterns = compile_allowlist(allowlist)
    return [f.message for f in _findings(text) if not _allowed(text, f, patterns)]


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
    patterns = compile_allowlist(allowlist)
    problems: list[Diagnostic] = []
    for json_path, where, text in _strings(data, "$", locations.get("$", (1, 1)), locations):
        problems += [
            Diagnostic(path, *where, json_path, finding.message + UNSAFE_HINT)
            for finding in _findings(text)
            if not _allowed(text, finding, patterns)
        ]
    if isinstance(data, Mapping):
        for json_path, message, severity in _case_rules(data):
            line, col = nearest_location(locations, json_path) or (1, 1)
            problems.append(Diagnostic(path, line, col, json_path, message, severity))
    return problems


def _strings(
    value: Any, path: str, where: Location, locations: Mapping[str, Location]
) -> Iterator[tuple[str, Location, str]]:
    """(json path, location, text) of every string and integer; a key reports its parent path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = json_path_join(path, str(key))
            child_where = locations.get(child, where)
            # the parent path, so that the diagnostic does not spell out a sensitive key
            yield path, child_where, str(key)
            yield from _strings(item, child, child_where, locations)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            child = json_path_join(path, index)
            yield from _strings(item, child, locations.get(child, where), locations)
    elif isinstance(value, str):
        yield path, where, value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, where, str(value)  # an unquoted phone or card number is an int


def _findings(text: str) -> list[Finding]:
    cards = list(_cards(text))
    # a card number also looks like a phone number or SSN; report it once, as a card
    others = [
        f
        for f in [*_phones(text), *_emails(text), *_ssns(text)]
        if not any(c.start < f.end and f.start < c.end for c in cards)
    ]
    return [f for f in [*cards, *others] if not f.safe]


def _allowed(text: str, finding: Finding, patterns: Sequence[re.Pattern[str]]) -> bool:
    left, right = finding.start, finding.end
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    token, value = text[left:right], text[finding.start : finding.end]
    if any(marker in token.lower() for marker in FIXTURE_MARKERS):
        return True
    return any(p.search(value) or p.search(token) for p in patterns)


def _cards(text: str) -> Iterator[Finding]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        # issuer prefixes cut false positives (epoch millis start with 1, compact dates with 20)
        issuer = digits[0] in "3456" or 2221 <= int(digits[:4]) <= 2720
        if issuer and _luhn(digits):
            yield Finding(
                match.start(),
                match.end(),
                f"payment card number ****{digits[-4:]}",
                safe=digits in TEST_CARDS,
            )


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _phones(text: str) -> Iterator[Finding]:
    for match in _NANP.finditer(text):
        area = match.group(1) or match.group(2)
        exchange, line = match.group(3), match.group(4)
        if area[0] in "01" or exchange[0] in "01":
            continue  # not a dialable NANP number
        if match.group().isdigit() and _COMPACT_DATE.match(match.group()):
            continue  # 2026060315 is a compact timestamp, not DC
        # 555-0100..0199 is reserved for fiction; area code 555 is not assigned
        safe = (exchange == "555" and line.startswith("01")) or area == "555"
        yield Finding(match.start(), match.end(), f"phone number {area}-***-**{line[-2:]}", safe)
    for match in _E164.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        yield Finding(match.start(), match.end(), f"phone number +{digits[:2]}***{digits[-2:]}")


def _emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        domain = match.group(1).lower()
        safe = domain.endswith(SAFE_EMAIL_SUFFIXES) or any(
            domain == d or domain.endswith("." + d) for d in SAFE_EMAIL_DOMAINS
        )
        shown = f"{match.group()[0]}***@{domain}"
        yield Finding(match.start(), match.end(), f"e-mail address {shown}", safe)


def _ssns(text: str) -> Iterator[Finding]:
    for match in _SSN.finditer(text):
        area, group, serial = match.groups()
        # never issued, so already a safe fixture value
        impossible = area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000"
        yield Finding(match.start(), match.end(), f"SSN-like id ***-**-**{serial[-2:]}", impossible)


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
        if _is_write(name):
            return f"case writes via {name}"
    # a forbidden write tool is what a regression would call: it must hit a sandbox too
    for name in _names(_get(tools, "forbidden_tools")):
        if _is_write(name):
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


def _is_write(name: str) -> bool:
    # namespaced names (`calendar.update_event`, `crm__create_contact`) start after the namespace
    base = re.split(r"\.|/|:|__", name.strip())[-1]
    first = re.split(r"[^A-Za-z0-9]|(?<=[a-z0-9])(?=[A-Z])", base, maxsplit=1)[0]
    return first.lower() in WRITE_VERBS


def _regexes(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """Every `{regex: …}` item and `/…/` within_turns key must compile (matchers rely on it)."""
    if isinstance(value, Mapping):
        pattern = value.get("regex")
        if len(value) == 1 and isinstance(pattern, str):
            yield from _compiles(pattern, json_path_join(path, "regex"))
        for key, item in value.items():
            child = json_path_join(path, str(key))
            if path.endswith(".within_turns") and len(key) > 2 and key[0] == key[-1] == "/":
                yield from _compiles(key[1:-1], child)
            yield from _regexes(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _regexes(item, json_path_join(path, index))


def _compiles(pattern: str, path: str) -> Iterator[tuple[str, str, str]]:
    try:
        re.compile(pattern)
    except re.error as exc:
        yield path, f"invalid regex /{pattern}/: {exc}", "error"
