"""Near-duplicates over a bucket with a huge vocabulary: bounded memory, the same pairs.

The word bags are compared as bit masks, one bit per distinct word of the bucket: a mask (and
each word's `1 << n`) is as wide as the vocabulary. Cases whose caller words are all distinct
(a long transcript, or a hostile file of made-up words) made that quadratic: four 200 KB case
files took 760 MB, a few more would exhaust the machine's memory.
"""

from __future__ import annotations

import random
import tracemalloc

import pytest

import gate.load.similarity as similarity
from gate.load.similarity import Fingerprint, near_duplicate_pairs


def _distinct(cases: int, words: int) -> list[Fingerprint]:
    return [
        Fingerprint(tuple(f"c{c}w{w}" for w in range(words)), frozenset({"$.a=x#1"}))
        for c in range(cases)
    ]


def test_a_huge_vocabulary_takes_bounded_memory() -> None:
    prints = _distinct(100, 400)  # 40,000 distinct words: masks 5 KB wide, 100 MB of bits
    tracemalloc.start()
    try:
        assert near_duplicate_pairs(prints) == {}
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000


def _random_prints(rng: random.Random, vocabulary: int) -> list[Fingerprint]:
    words = [f"w{n}" for n in range(vocabulary)]
    base = [rng.choice(words) for _ in range(12)]
    prints = []
    for _ in range(40):
        turn = [w if rng.random() < 0.9 else rng.choice(words) for w in base]
        prints.append(Fingerprint(tuple(turn[: rng.randint(8, 12)]), frozenset({"$.a=x#1"})))
    return prints


@pytest.mark.parametrize("seed", range(20))
def test_sets_and_masks_find_the_same_pairs(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    prints = _random_prints(random.Random(seed), vocabulary=30)
    masked = near_duplicate_pairs(prints, 0.8)
    monkeypatch.setattr(similarity, "_MASK_WORDS", 0)  # every bucket compared as sets
    assert near_duplicate_pairs(prints, 0.8) == masked
    assert masked  # the data has near-duplicates: the comparison is not vacuous
