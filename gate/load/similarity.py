"""Near-duplicate cases (seed 001: fuzzy-match a new scenario against the suite); pure, warnings.

Two cases are near-duplicates when they have the same failure label and their similarity is at
least the threshold (0.9). Similarity is the mean of two parts, each in [0, 1]: how alike the
caller turns are (difflib's ratio over the normalized word sequence: one word changed in a short
turn still scores high) and how alike the assertions are (Jaccard over the flattened assertion
leaves). So the same caller words checked for something else, or other words checked the same
way, are not duplicates. Fixtures, ids, owners and agent refs are left out on purpose: the same
scenario recorded from two calls differs exactly there.

Speed: cases are bucketed by failure label; within a bucket an exact prefix filter (the all-pairs
similarity join) on the turn words only compares pairs that could reach the threshold, so a suite
of a few thousand cases is checked in a fraction of a second instead of millions of comparisons.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from gate.errors import Diagnostic
from gate.models import LoadedCase

THRESHOLD = 0.9
# Synonyms of the seed taxonomy: the same failure type under two names is the same bucket.
_LABEL_ALIASES = {"tool_selection": "wrong_tool", "tool_arguments": "wrong_tool_arguments"}
_WORD = re.compile(r"\w+")
_NO_TURNS = "t:<none>"  # so that two cases without turns can still be compared
_EPSILON = 1e-9
# Bit masks (see _masks) only for a bucket of at most this many distinct words: a mask, and each
# word's `1 << n`, is as wide as the vocabulary, so their cost grows with its square (cases of
# made-up words, 100,000 in four files, took 760 MB). A suite's own words stay far below.
_MASK_WORDS = 4096


@dataclass(frozen=True)
class Fingerprint:
    """What a case is about, normalized: its caller words in order, and its assertion leaves."""

    words: tuple[str, ...]
    assertions: frozenset[str]

    @property
    def word_bag(self) -> frozenset[str]:
        """The words as a multiset (`word#n` for the n-th repeat): the prefix filter's sets."""
        if not self.words:
            return frozenset({_NO_TURNS})
        return frozenset(_numbered(f"t:{w}" for w in self.words))


def fingerprint(case: LoadedCase) -> Fingerprint:
    """The fingerprint of a validated case."""
    scenario = case.case.scenario
    words = [w for turn in (scenario.caller_turns() if scenario else []) for w in _words(turn.text)]
    assertions = case.case.assertions.model_dump(
        mode="json", exclude_none=True, by_alias=True, exclude={"evidence"}
    )
    return Fingerprint(tuple(words), frozenset(_numbered(_leaves(assertions, ""))))


def _numbered(items: Iterator[str]) -> Iterator[str]:
    seen: Counter[str] = Counter()
    for item in items:
        seen[item] += 1
        yield f"{item}#{seen[item]}"


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _leaves(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:  # order-insensitive: a reordered list is still a near-duplicate
            yield from _leaves(item, f"{path}[]")
    else:
        text = value if isinstance(value, str) else json.dumps(value)
        yield f"{path}={' '.join(_words(text)) or text}"


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Mean of the turn similarity (difflib ratio over words) and the assertions' Jaccard."""
    turns = difflib.SequenceMatcher(None, a.words, b.words, autojunk=False).ratio()
    return (turns + jaccard(a.assertions, b.assertions)) / 2


def label_key(label: str) -> str:
    """The bucket of a failure label: case-insensitive, synonyms folded."""
    folded = label.strip().casefold()
    return _LABEL_ALIASES.get(folded, folded)


def near_duplicate_pairs(
    prints: Sequence[Fingerprint], threshold: float = THRESHOLD
) -> dict[int, tuple[int, float]]:
    """For each fingerprint (by index), its most similar earlier one at or above `threshold`.

    Exact: a mean of at least t needs a turn ratio of at least 2t - 1, and difflib's ratio is at
    most the Dice coefficient of the word multisets, so the word bags must reach a Jaccard of
    j = (2t - 1) / (3 - 2t); two bags that similar share a word among the first |x| - ceil(j|x|) + 1
    of each, ordered rarest first. Only pairs sharing one are compared.
    """
    floor = max((2 * threshold - 1) / (3 - 2 * threshold), 0.0)
    bags = [p.word_bag for p in prints]
    frequency = Counter(w for bag in bags for w in bag)
    ranked = sorted(frequency, key=lambda w: (frequency[w], w))  # rarest first
    rank = {w: n for n, w in enumerate(ranked)}
    masks = _masks(bags, ranked)
    index: dict[str, list[int]] = {}
    best: dict[int, tuple[int, float]] = {}
    for i, bag in enumerate(bags):
        ordered = sorted(bag, key=rank.__getitem__)
        prefix = ordered[: len(ordered) - math.ceil(floor * len(ordered) - _EPSILON) + 1]
        size = len(bag)
        for j in sorted({j for w in prefix for j in index.get(w, ())}):
            if masks is not None:
                common = (masks[i] & masks[j]).bit_count()
            else:
                common = len(bag & bags[j])
            if common < floor * (size + len(bags[j]) - common) - _EPSILON:
                continue  # the word bags alone rule the pair out: cheaper than difflib
            score = similarity(prints[i], prints[j])
            if score >= threshold - _EPSILON and score > best.get(i, (-1, -1.0))[1]:
                best[i] = (j, score)
        for word in prefix:
            index.setdefault(word, []).append(i)
    return best


def _masks(bags: Sequence[frozenset[str]], ranked: Sequence[str]) -> list[int] | None:
    """Each bag as an int, a bit per word of `ranked`, so that the words two bags share are one
    `&` and a bit count (intersecting frozensets was most of the time, over ~80 candidates a
    case); None beyond _MASK_WORDS words, where the bags are intersected as sets."""
    if len(ranked) > _MASK_WORDS:
        return None
    bit = {w: 1 << n for n, w in enumerate(ranked)}
    return [sum(bit[w] for w in bag) for bag in bags]


Bucket = tuple[list[LoadedCase], float]
Mapper = Callable[[Callable[[Bucket], dict[int, tuple[int, float]]], list[Bucket]], list[Any]]


def near_duplicates(
    cases: Sequence[LoadedCase], threshold: float = THRESHOLD, *, mapper: Mapper | None = None
) -> list[Diagnostic]:
    """A warning on each case that nearly duplicates an earlier one, naming the closest one.

    Label buckets are independent: `mapper` (`map` semantics, returning a list) may compare
    them in other processes (the caller's choice: this module stays pure)."""
    buckets: dict[str, list[LoadedCase]] = {}
    for case in cases:
        buckets.setdefault(label_key(case.case.source.failure_label), []).append(case)
    # the biggest first, so that a mapper sharing them out round-robin shares the work evenly
    groups = sorted((b for b in buckets.values() if len(b) >= 2), key=len, reverse=True)
    jobs = [(bucket, threshold) for bucket in groups]
    found = (mapper or _serial)(bucket_pairs, jobs)
    warnings = [
        _warning(bucket[i], bucket[j], score)
        for bucket, pairs in zip(groups, found, strict=True)
        for i, (j, score) in pairs.items()
    ]
    return sorted(warnings, key=lambda d: (d.path, d.line, d.col))


def bucket_pairs(job: Bucket) -> dict[int, tuple[int, float]]:
    """`near_duplicate_pairs` of one label bucket's cases (a module-level function: picklable);
    fingerprinted here, so that a mapper's processes share that work too."""
    cases, threshold = job
    return near_duplicate_pairs([fingerprint(c) for c in cases], threshold)


def _serial(
    func: Callable[[Bucket], dict[int, tuple[int, float]]], jobs: list[Bucket]
) -> list[Any]:
    return [func(job) for job in jobs]


def _warning(case: LoadedCase, original: LoadedCase, score: float) -> Diagnostic:
    label, other = case.case.source.failure_label, original.case.source.failure_label
    same = label if label == other else f"{label} ≈ {other}"
    shown = math.floor(score * 100 + _EPSILON) / 100  # never round 0.899 up to a "0.90" it isn't
    line, col = case.locations.get("$", (case.line, 1))
    return Diagnostic(
        case.file,
        line,
        col,
        "$",
        f"near-duplicate of {original.id} (same failure_label {same}, similarity {shown:.2f})",
        severity="warning",
    )


# --- by meaning: a drafted case against the suite (new-case) ---------------------------------
# Two reports of one failure differ in wording and in fixture ids; neither changes what the case
# is about. So words are reduced to concepts (stop words dropped, a crude stem, synonyms folded)
# and assertion values that are fixture values are named by their fixture key instead.
_STOP = frozenset(
    "a an the i i'm im me my mine you your we our to for of on in at by with and or but is are "
    "was be been it its this that please could can would will just so do does did hi hello "
    "there okay ok um uh like want need".split()
)
# Word beginnings that mean the same thing on a scheduling or service line (checked in order).
_SYNONYMS = (
    ("reschedul", "move"),
    ("mov", "move"),
    ("chang", "move"),
    ("shift", "move"),
    ("push", "move"),
    ("book", "appointment"),
    ("reserv", "appointment"),
    ("appoint", "appointment"),
    ("appt", "appointment"),
    ("visit", "appointment"),
    ("cancel", "cancel"),
    ("person", "human"),
    ("representative", "human"),
    ("agent", "human"),
)


@dataclass(frozen=True)
class Meaning:
    """What a case is about, as concepts: caller concepts and assertions with ids named."""

    concepts: frozenset[str]
    assertions: frozenset[str]


def _concept(word: str) -> str:
    stem = re.sub(r"(?:ing|ed|es|s)$", "", word) if len(word) > 4 else word
    return next((same for start, same in _SYNONYMS if stem.startswith(start)), stem)


def meaning(case: LoadedCase) -> Meaning:
    """The meaning fingerprint of a validated case."""
    scenario = case.case.scenario
    words = [w for t in (scenario.caller_turns() if scenario else []) for w in _words(t.text)]
    concepts = frozenset(_concept(w) for w in words if w not in _STOP)
    named = {str(v): f"<fixture.{k}>" for k, v in case.case.fixture.items() if isinstance(v, str)}
    assertions = case.case.assertions.model_dump(
        mode="json", exclude_none=True, by_alias=True, exclude={"evidence"}
    )
    leaves = (_named(leaf, named) for leaf in _raw_leaves(assertions, ""))
    return Meaning(concepts or frozenset({_NO_TURNS}), frozenset(_numbered(leaves)))


def _raw_leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _raw_leaves(item, f"{path}.{named_key(key)}")
    elif isinstance(value, list):
        for item in value:
            yield from _raw_leaves(item, f"{path}[]")
    else:
        yield path, value


def named_key(key: str) -> str:
    """A mapping key as a leaf path shows it (entity keys of side effects are all `<x>_id`)."""
    return "<id>" if key.endswith("_id") else key


def _named(leaf: tuple[str, Any], named: dict[str, str]) -> str:
    path, value = leaf
    if isinstance(value, str) and value in named:
        return f"{path}={named[value]}"
    text = value if isinstance(value, str) else json.dumps(value)
    return f"{path}={' '.join(_words(text)) or text}"


def meaning_similarity(a: Meaning, b: Meaning) -> float:
    """Mean of the concepts' and the named assertions' Jaccard."""
    return (jaccard(a.concepts, b.concepts) + jaccard(a.assertions, b.assertions)) / 2


def near_duplicates_of(
    new: LoadedCase, suite: Sequence[LoadedCase], threshold: float = THRESHOLD
) -> list[Diagnostic]:
    """A warning when `new` nearly duplicates a case of `suite` by its words or by its meaning,
    naming the closest one (only cases of the same failure label compete)."""
    bucket = label_key(new.case.source.failure_label)
    words, sense = fingerprint(new), meaning(new)
    best: tuple[float, LoadedCase] | None = None
    for other in suite:
        if label_key(other.case.source.failure_label) != bucket or other.id == new.id:
            continue
        score = max(
            similarity(words, fingerprint(other)), meaning_similarity(sense, meaning(other))
        )
        if score >= threshold - _EPSILON and (best is None or score > best[0]):
            best = (score, other)
    return [] if best is None else [_warning(new, best[1], best[0])]
