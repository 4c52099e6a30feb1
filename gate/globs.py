"""Path filters: GitHub's `paths:` dialect (our own translator) or gitignore's (pathspec)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pathspec

from gate.patterns import RegexError, compile_translated, fullmatch

SYNTAXES = ("github", "gitignore")
_ALNUM = re.compile(r"[A-Za-z0-9]")


class PatternError(ValueError):
    """A pattern the chosen dialect cannot read; the message names the pattern and the spot."""


def github_regex(pattern: str) -> str:
    """GitHub's filter pattern (without a leading `!`) as an anchored Python regex.

    `*` is anything but `/`; `**` is anything; `**/` is zero or more whole folders; `?` and `+`
    are zero-or-one and one-or-more of the PRECEDING character (GitHub's own reading, unlike
    shell globs); `[…]` holds alphanumerics and `a-z`/`A-Z`/`0-9` ranges; `\\` escapes.

    Raises:
        PatternError: the pattern is not valid in GitHub's dialect.
    """
    out: list[str] = []
    i, repeatable = 0, False  # repeatable: the last token is one character a `?`/`+` may follow
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.+/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char in "?+":
            if not repeatable:
                raise _error(
                    pattern,
                    i,
                    f"{char!r} must follow a character (it repeats the "
                    f"preceding one); write \\{char} for a literal {char}",
                )
            out.append(char)
            i += 1
        elif char == "[":
            i = _char_class(pattern, i, out)
        elif char == "\\":
            if i + 1 == len(pattern):
                raise _error(pattern, i, "'\\' at the end escapes nothing")
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
        repeatable = out[-1] not in ("(?:.+/)?", ".*", "[^/]*", "?", "+")
    return "".join(out)


def _char_class(pattern: str, start: int, out: list[str]) -> int:
    """Translate the `[…]` at `start`; return the index after its `]`."""
    end = pattern.find("]", start + 1)
    if end == -1:
        raise _error(pattern, start, "'[' has no closing ']'")
    body = pattern[start + 1 : end]
    if not body:
        raise _error(pattern, start, "empty brackets '[]'")
    parts, i = [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = body[i], body[i + 2]
            if not _same_range(low, high):
                raise _error(
                    pattern,
                    start + 1 + i,
                    f"range {low}-{high}: ranges can only be within a-z, A-Z or 0-9",
                )
            parts.append(f"{low}-{high}")
            i += 3
        elif _ALNUM.fullmatch(body[i]):
            parts.append(body[i])
            i += 1
        else:
            raise _error(
                pattern,
                start + 1 + i,
                f"{body[i]!r} in brackets: only letters, digits and ranges are allowed",
            )
    out.append("[" + "".join(parts) + "]")
    return end + 1


def _same_range(low: str, high: str) -> bool:
    return low <= high and any(
        a <= low and high <= b for a, b in (("a", "z"), ("A", "Z"), ("0", "9"))
    )


def _error(pattern: str, index: int, message: str) -> PatternError:
    return PatternError(f"invalid pattern {pattern!r} at character {index + 1}: {message}")


@dataclass(frozen=True)
class _Rule:
    pattern: str  # as written, `!` included
    negated: bool
    matches: Callable[[str], bool]
    prefix: str = ""  # every path it matches starts with this ("": unknown)


def literal_prefix(pattern: str) -> str:
    """The literal start of a GitHub pattern: the text before its first special character
    (`?` and `+` repeat the character before them, so that one is not literal either)."""
    end = next((i for i, char in enumerate(pattern) if char in "*[\\?+"), len(pattern))
    if end < len(pattern) and pattern[end] in "?+":
        end -= 1
    return pattern[:end]


@dataclass(frozen=True)
class PathFilter:
    """An ordered pattern list; a path is in when the LAST pattern matching it is not negated."""

    patterns: tuple[str, ...]
    syntax: str
    rules: tuple[_Rule, ...]

    def match(self, path: str) -> str | None:
        """The pattern that includes `path` (the last matching one), or None when it is out."""
        decided: _Rule | None = None
        for rule in self.rules:
            if rule.matches(path):
                decided = rule
        return decided.pattern if decided is not None and not decided.negated else None

    def hits(self, paths: Iterable[str]) -> list[tuple[str, str]]:
        """(path, including pattern) for every path the filter includes, in the given order."""
        found = ((path, self.match(path)) for path in paths)
        return [(path, pattern) for path, pattern in found if pattern is not None]

    def hits_sorted(self, paths: Sequence[str]) -> list[tuple[str, str]]:
        """`hits` over sorted `paths`, matching only those that start with the literal prefix of
        an including pattern (found by bisection): thousands of cases each with its own `paths`
        against hundreds of changed files would otherwise match every pair."""
        prefixes = {rule.prefix for rule in self.rules if not rule.negated}
        if "" in prefixes:
            return self.hits(paths)
        picked: set[int] = set()
        for prefix in prefixes:
            start = bisect.bisect_left(paths, prefix)
            picked.update(range(start, bisect.bisect_left(paths, prefix + "\U0010ffff", start)))
        return self.hits(paths[i] for i in sorted(picked))


def compile_filter(patterns: Sequence[str], syntax: str = "github") -> PathFilter:
    """Compile `patterns` in `syntax` (`github` or `gitignore`).

    Raises:
        PatternError: a pattern is invalid, or every pattern is negated (that matches nothing).
    """
    if syntax not in SYNTAXES:
        raise PatternError(f"unknown pattern syntax {syntax!r} (expected github or gitignore)")
    rules = tuple(_compile_one(p, syntax) for p in patterns)
    if rules and all(r.negated for r in rules):
        raise PatternError(
            "only negated patterns: a '!' pattern removes paths an earlier "
            "pattern included, so this list matches nothing"
        )
    return PathFilter(tuple(patterns), syntax, rules)


def _compile_one(pattern: str, syntax: str) -> _Rule:
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    if not body:
        raise PatternError(f"invalid pattern {pattern!r}: empty")
    if syntax == "github":
        # RE2: a Python regex of `**a**a**…` backtracks for hours on a long path
        try:
            regex = compile_translated(github_regex(body))
        except RegexError as exc:
            raise PatternError(f"invalid pattern {pattern!r}: {exc}") from None
        return _Rule(pattern, negated, lambda path: fullmatch(regex, path), literal_prefix(body))
    try:
        # gitignore reads `!` itself; one spec per pattern so the deciding one can be named
        spec = pathspec.GitIgnoreSpec.from_lines([body])
    except ValueError as exc:  # pathspec's pattern errors are ValueErrors
        raise PatternError(f"invalid pattern {pattern!r}: {exc}") from None
    if not spec.patterns or spec.patterns[0].include is None:
        raise PatternError(f"invalid pattern {pattern!r}: matches nothing in gitignore syntax")
    return _Rule(pattern, negated, spec.match_file)
