"""Pure matchers behind the assertions: subset matching of tool arguments and transcript phrases."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from gate.models import RegexItem
from gate.patterns import TextTooLong, search

_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def fold(text: str) -> str:
    """Case- and whitespace-insensitive form used by transcript phrases."""
    return " ".join(text.casefold().split())


def text_matches(item: str | RegexItem, text: str) -> bool:
    """A phrase matches as a folded substring; `{regex: …}` by an RE2 search of the whole text.

    Raises:
        TextTooLong: a regex item and a text too long to search (`gate.patterns`).
    """
    if isinstance(item, RegexItem):
        return search(item.regex, text)
    return fold(item) in fold(text)


def first_match(item: str | RegexItem, texts: Sequence[str]) -> int | None:
    """The index of the first of `texts` that `item` matches, None when none does.

    Raises:
        TextTooLong: none matched, but a text too long to search was among them, so its
            absence is not proven (a match found elsewhere still counts).
    """
    skipped: TextTooLong | None = None
    for index, text in enumerate(texts):
        try:
            if text_matches(item, text):
                return index
        except TextTooLong as exc:
            skipped = skipped or exc
    if skipped is not None:
        raise skipped
    return None


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
    """Subset match: dicts recursively, `{regex}` by search, timestamps as instants, else ==.

    Raises:
        TextTooLong: a `{regex}` met a string too long to search (and nothing before it
            already decided the match).
    """
    if isinstance(expected, Mapping) and set(expected) == {"regex"}:
        return isinstance(actual, str) and search(str(expected["regex"]), actual)
    if isinstance(expected, Mapping):
        return arguments_match(expected, actual)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and _all_match(zip(expected, actual, strict=True))
        )
    same_instant = _instants_equal(expected, actual)
    if same_instant is not None:
        return same_instant
    if isinstance(expected, bool) or isinstance(actual, bool):
        # 1 == True in Python; in a tool argument they are different values.
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def arguments_match(expected: Mapping[str, Any], actual: Any) -> bool:
    """Every expected key is in `actual` with a matching value (a key named `regex` included).

    Raises:
        TextTooLong: as `value_matches`, when nothing else decided the match.
    """
    return isinstance(actual, Mapping) and _all_match(
        (value, actual[key]) if key in actual else None for key, value in expected.items()
    )


def _all_match(pairs: Iterable[tuple[Any, Any] | None]) -> bool:
    """Every (expected, actual) pair matches (None: a missing key); one pair that does not
    decides False even when another could not be searched (TextTooLong only when undecided)."""
    skipped: TextTooLong | None = None
    for pair in pairs:
        try:
            if pair is None or not value_matches(*pair):
                return False
        except TextTooLong as exc:
            skipped = skipped or exc
    if skipped is not None:
        raise skipped
    return True


def matching_keys(expected: Mapping[str, Any], actual: Any) -> int:
    """How many expected keys an actual argument object matches (to pick the closest call)."""
    if not isinstance(actual, Mapping):
        return -1
    return sum(1 for k, v in expected.items() if k in actual and _proven(v, actual[k]))


def _proven(expected: Any, actual: Any) -> bool:
    try:
        return value_matches(expected, actual)
    except TextTooLong:
        return False  # only ranks the closest call of a failure: an unsearched key is no match


def nearest_rank(values: list[float], percentile: float) -> float:
    """The nearest-rank percentile of a non-empty list (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percentile // 100))
    return ordered[int(rank) - 1]
