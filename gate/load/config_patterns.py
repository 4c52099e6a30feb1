"""The gate config's globs and regexes checked beyond its schema: each one must compile."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from gate.errors import Diagnostic
from gate.globs import SYNTAXES, PatternError, compile_filter
from gate.load.schema_messages import Locator
from gate.patterns import regex_problem


def pattern_errors(data: Mapping[str, Any], locator: Locator) -> Iterator[Diagnostic]:
    """What the schema cannot say about the config `data`: every glob and regex compiles.

    Runs even when the schema found problems (every problem in one run); ill-typed parts are
    the schema's to report, so they are skipped here.
    """
    syntax = data.get("pattern_syntax")
    syntax = syntax if syntax in SYNTAXES else "github"
    triggers = data.get("triggers")
    lists: list[tuple[list[str | int], Any]] = [
        (["$", "triggers", name], patterns)
        for name, patterns in (triggers.items() if isinstance(triggers, dict) else ())
    ]
    lists.append((["$", "always_full"], data.get("always_full")))
    for parts, patterns in lists:
        if _strings(patterns):
            yield from _pattern_errors(parts, patterns, syntax, locator)
    allowlist = data.get("pii_allowlist")
    for index, regex in enumerate(allowlist if _strings(allowlist) else []):
        problem = regex_problem(regex)
        if problem is not None:
            yield locator.at(["$", "pii_allowlist", index], problem, value=True)


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _pattern_errors(
    parts: list[str | int], patterns: list[str], syntax: str, locator: Locator
) -> Iterator[Diagnostic]:
    bad = False
    for index, pattern in enumerate(patterns):
        try:
            compile_filter([pattern.removeprefix("!") or pattern], syntax)
        except PatternError as exc:
            bad = True
            yield locator.at([*parts, index], str(exc), value=True)
    if not bad:
        try:
            compile_filter(patterns, syntax)
        except PatternError as exc:
            yield locator.at(parts, str(exc), value=True)
