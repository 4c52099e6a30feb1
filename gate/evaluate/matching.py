"""Pure matchers behind the assertions: subset matching of tool arguments and transcript phrases."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from gate.models import RegexItem

# A hostile transcript must not make a regex run for minutes: only this much of one utterance is
# searched (Python's re has no timeout).
MAX_SEARCH_CHARS = 20_000
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def fold(text: str) -> str:
    """Case- and whitespace-insensitive form used by transcript phrases."""
    return " ".join(text.casefold().split())


@lru_cache(maxsize=512)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """Compile a case's regex once (the loader has already checked that it compiles)."""
    return re.compile(pattern)


def text_matches(item: str | RegexItem, text: str) -> bool:
    """A phrase matches as a folded substring; `{regex: …}` by `re.search`."""
    text = text[:MAX_SEARCH_CHARS]
    if isinstance(item, RegexItem):
        return compile_regex(item.regex).search(text) is not None
    return fold(item) in fold(text)


def describe_item(item: str | RegexItem) -> str:
    """How an item is named in messages."""
    return f"/{item.regex}/" if isinstance(item, RegexItem) else repr(item)


def phrase_item(key: str) -> str | RegexItem:
    """A `within_turns` key: `/pattern/` is a regex, anything else a phrase."""
    if len(key) > 2 and key.startswith("/") and key.endswith("/"):
        return RegexItem(regex=key[1:-1])
    return key


def _as_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _ISO_LIKE.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _instants_equal(expected: Any, actual: Any) -> bool | None:
    """True/False when both are ISO-8601 timestamps comparable as instants, else None."""
    left, right = _as_instant(expected), _as_instant(actual)
    if left is None or right is None or (left.tzinfo is None) != (right.tzinfo is None):
        return None
    return left == right


def value_matches(expected: Any, actual: Any) -> bool:
    """Subset match: dicts recursively, `{regex}` by search, timestamps as instants, else ==."""
    if isinstance(expected, Mapping) and set(expected) == {"regex"}:
        pattern = expected["regex"]
        return isinstance(actual, str) and compile_regex(str(pattern)).search(actual) is not None
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and value_matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(value_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    same_instant = _instants_equal(expected, actual)
    if same_instant is not None:
        return same_instant
    if isinstance(expected, bool) or isinstance(actual, bool):
        # 1 == True in Python; in a tool argument they are different values.
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def matching_keys(expected: Mapping[str, Any], actual: Any) -> int:
    """How many expected keys an actual argument object matches (to pick the closest call)."""
    if not isinstance(actual, Mapping):
        return -1
    return sum(1 for k, v in expected.items() if k in actual and value_matches(v, actual[k]))


def nearest_rank(values: list[float], percentile: float) -> float:
    """The nearest-rank percentile of a non-empty list (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percentile // 100))
    return ordered[int(rank) - 1]
