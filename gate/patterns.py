"""User regexes (case assertions, the config's pii_allowlist): RE2 syntax, linear-time matching."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2

# A case file is untrusted input and Python's `re` backtracks (`(a+)+$` never ends) and has no
# timeout, so every user regex goes through RE2: matching time is linear in the text, and the
# constructs that need backtracking (backreferences, lookaround) are refused when compiling.
# Matching time grows with text length times live program instructions (worst when the DFA
# thrashes and RE2 falls back to its NFA): these bounds cap one search at a few seconds (1.5 to
# 3.5 s measured for ~5,000 instructions over 100,000 characters); ordinary ones take ms.
MAX_PATTERN_CHARS = 1_000
MAX_PROGRAM_SIZE = 5_000  # RE2 instructions: `.{0,200}` is ~1,800, `(?i)refund|cancel` ~20
MAX_MATCH_CHARS = 100_000  # one utterance, summary or argument; longer ones end `error`
# RE2's wording → what to do about it: Python-only syntax is the likely cause of the first three
_PYTHON_ONLY = r"RE2 syntax: no backreferences, lookaround, atomic groups or (?x); \z, not \Z"
_HINTS = {
    "invalid perl operator": _PYTHON_ONLY,
    "invalid escape sequence": _PYTHON_ONLY,
    "invalid named capture group": _PYTHON_ONLY,
    "invalid repetition size": "RE2 allows counted repeats up to {1000}, nested ones included",
}
# `{,3}` (Python: 0 to 3) and counts past 2**31 are no repeat to RE2 but literal text: a check
# would silently look for the braces. What RE2 does read as a repeat it has already bounded.
_BRACES = re.compile(r"\{(\d*)(,\d*)?\}")
_MAX_MEMORY = 1 << 20  # RE2's per-regex budget (program + DFA cache); it falls back to the NFA
_SURROGATES = re.compile("[\ud800-\udfff]")  # not UTF-8: RE2 cannot be given them


class RegexError(ValueError):
    """A user regex RE2 cannot compile, or one over the size bounds; the message says why."""


class TextTooLong(Exception):
    """The text is longer than MAX_MATCH_CHARS: searching it is not attempted, never a pass."""


def _options() -> Any:
    options = re2.Options()
    options.max_mem = _MAX_MEMORY
    options.log_errors = False  # RE2 would print to stderr; the caller reports the error
    return options


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be used (`invalid regex /…/: reason`), or None when it can."""
    try:
        compile_regex(pattern)
    except RegexError as exc:
        return f"invalid regex /{_folded(pattern, 60)}/: {exc}"
    return None


@lru_cache(maxsize=128)
def compile_regex(pattern: str) -> Any:
    """The compiled RE2 regex of `pattern` (cached).

    Raises:
        RegexError: RE2 refuses it, or it is over MAX_PATTERN_CHARS or MAX_PROGRAM_SIZE.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RegexError(f"longer than {MAX_PATTERN_CHARS} characters ({len(pattern)})")
    if _SURROGATES.search(pattern):
        raise RegexError("holds a lone surrogate (not a Unicode character)")
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        raise RegexError(_reason(exc)) from None
    literal = _literal_repeat(pattern)
    if literal is not None:
        raise RegexError(
            f"{literal} is not a repeat RE2 can read (counts 0 to 1000, {{0,n}} not {{,n}}); "
            "write \\{ for a literal brace"
        )
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise RegexError(
            f"too large: compiles to {compiled.programsize} RE2 instructions, more than the "
            f"limit of {MAX_PROGRAM_SIZE} (use smaller counted repeats such as .{{0,200}})"
        )
    return compiled


def _literal_repeat(pattern: str) -> str | None:
    """The first `{…}` outside a class that Python reads as a repeat but RE2 as text."""
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 1
        elif in_class and pattern.startswith("[:", index):  # `[:alpha:]` inside a class
            close = pattern.find(":]", index + 2)
            index = close + 1 if close >= 0 else index
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index += 1 + pattern.startswith("^", index + 1)
            index += pattern.startswith("]", index)  # `[]…]`, `[^]…]`: that `]` is a member
            continue
        elif char == "{" and _python_repeat(_BRACES.match(pattern, index)):
            return pattern[index : pattern.index("}", index) + 1]
        index += 1
    return None


def _python_repeat(match: re.Match[str] | None) -> bool:
    """Whether a `{…}` RE2 reads as text is a repeat to Python: `{,n}`, `{,}`, huge counts."""
    if match is None:
        return False
    low, high = match.group(1), match.group(2)
    if not low:
        return high is not None
    return max(int(n) for n in re.findall(r"\d+", match.group())) > 1000


def _folded(text: str, limit: int) -> str:
    # One short line for a message. Not gate.text.one_line: patterns stands below text, and
    # every message is neutralised where it is printed (Diagnostics, reasons) anyway.
    line = " ".join(text.split())
    return line if len(line) <= limit else f"{line[:limit]}…"


def _reason(exc: Exception) -> str:
    raw = exc.args[0] if exc.args else exc
    text = _folded(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw), 120)
    hint = next((h for prefix, h in _HINTS.items() if text.startswith(prefix)), None)
    return f"{text} ({hint})" if hint else text


def compile_translated(pattern: str) -> Any:
    """RE2-compile a regex the gate built from user text (a glob's translation), `.` matching
    newlines too; no user-regex bounds, as the glob's own length bounds it.

    Raises:
        RegexError: RE2 refuses it (too large a program, say).
    """
    options = _options()
    options.dot_nl = True
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raise RegexError(_reason(exc)) from None


def fullmatch(compiled: Any, text: str) -> bool:
    """Whether an RE2 regex of `compile_translated` matches all of `text` (a path: any length,
    as matching is linear; a lone surrogate from an undecodable file name matches as U+FFFD)."""
    return compiled.fullmatch(_SURROGATES.sub("\ufffd", text)) is not None


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches anywhere in the whole of `text`.

    Raises:
        RegexError: the pattern cannot be used (the loader reports that before any run).
        TextTooLong: `text` is over MAX_MATCH_CHARS; the caller must end the check `error`.
    """
    compiled = compile_regex(pattern)
    if len(text) > MAX_MATCH_CHARS:
        raise TextTooLong(
            f"a text of {len(text):,} characters is over the {MAX_MATCH_CHARS:,}-character "
            "limit of regex matching"
        )
    # a lone surrogate (JSON allows "\ud800") cannot be encoded for RE2: it matches as U+FFFD
    return compiled.search(_SURROGATES.sub("\ufffd", text)) is not None
