"""Hygiene for untrusted text (transcripts, tool output, harness messages) before it is shown."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel

from gate.redact import mask

DEFAULT_LIMIT = 4000
ONE_LINE_LIMIT = 200

# Terminal escape sequences: CSI (ESC [ … final, or the 8-bit CSI U+009B), OSC / DCS / SOS / PM /
# APC strings (ended by BEL or ST; an unterminated one stops at the line end so it cannot swallow
# the rest of the evidence), then any other ESC + one char.
# A CI log renders these, so a caller's words could otherwise recolour, hide or rewrite lines.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?
    | \x1b[\]PX^_] [^\x07\x1b\n]* (?:\x07|\x1b\\)?
    | \x1b [^\n]?
    """,
    re.VERBOSE,
)
# What XML 1.0 forbids (C0 except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF), plus DEL and the
# C1 controls, plus bidi overrides/isolates that can make a reviewer read text in the wrong order.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
_NEWLINES = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_WHITESPACE = re.compile(r"\s+")
_MAX_DEPTH = 32


def truncate(text: str, limit: int | None) -> str:
    """Cut `text` to `limit` characters, saying visibly how much was dropped. Secrets are
    masked first (gate.redact), so a cut can never keep the first half of one."""
    text = mask(text)
    if limit is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… [truncated {len(text) - limit} chars]"


def clean(text: object, limit: int | None = DEFAULT_LIMIT) -> str:
    """Make untrusted text safe for XML, JSON and terminals; `None` becomes ``""``.

    Strips escape sequences and the characters XML 1.0 forbids, turns every newline form into
    ``\\n`` and truncates past `limit` characters (``None``: no limit).
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():
        # Every character the three patterns match is a control, format or separator
        # character, which isprintable() rejects: most text has none (a third of the CPU
        # of rendering a results file went to these patterns).
        return truncate(value, limit)
    value = _NEWLINES.sub("\n", value)
    value = _ESCAPES.sub("", value)
    value = _FORBIDDEN.sub("", value)
    return truncate(value, limit)


def one_line(text: object, limit: int | None = ONE_LINE_LIMIT) -> str:
    """`clean` text folded onto one line (whitespace runs become one space), for messages."""
    return truncate(_WHITESPACE.sub(" ", clean(text, limit=None)).strip(), limit)


def log_line(text: object) -> str:
    """`one_line` (no length limit) for a line printed to a CI log that carries untrusted text,
    such as a file name: it stays on its line, so it cannot start a `::error …` workflow command
    of its own, and `##[`, which the runner reads as a legacy command anywhere in a line, is
    broken up visibly (`# #[`)."""
    return one_line(text, limit=None).replace("##[", "# #[")


def listed(items: Sequence[str], shown: int) -> str:
    """The first `shown` items, comma-joined, and how many more there are: "a, b and 3 more"."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def json_safe(value: Any, limit: int | None = DEFAULT_LIMIT, _depth: int = 0) -> Any:
    """A JSON-serialisable copy of `value` with every string cleaned; odd types become strings."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        # NaN/Infinity are not JSON; keep them readable instead of failing the whole report.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return json_safe(value.value, limit, _depth)
    if isinstance(value, str):
        return clean(value, limit)
    if _depth >= _MAX_DEPTH:
        # Hostile harness output could nest deeply; a bounded string keeps the report writable.
        return clean(json_compact(value), limit)
    if isinstance(value, BaseModel):
        return json_safe(value.model_dump(mode="json"), limit, _depth + 1)
    if isinstance(value, Mapping):
        return {clean(k, limit): json_safe(v, limit, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, limit, _depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v, limit, _depth + 1) for v in value), key=repr)
    return clean(str(value), limit)


def compact(value: Any, limit: int | None = ONE_LINE_LIMIT) -> str:
    """A one-line JSON rendering of `value` (strings as-is), cleaned, for expected/actual."""
    if isinstance(value, str):
        return one_line(value, limit=limit or len(value))
    return truncate(json_compact(json_safe(value, limit=None)), limit)


def json_compact(value: Any) -> str:
    """`value` as one line of JSON (keys sorted, odd types as strings); `str` if it cannot be."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)
