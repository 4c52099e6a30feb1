"""The verdict cache: keys, atomic JSON files, and what is never cached."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gate.judge.cache import SCHEMA, CacheKey, VerdictCache
from gate.judge.votes import Vote

KEY = CacheKey("http://j/v1/chat/completions m-2026", "criterion", "ab" * 32, 0)
VOTE = Vote("fail", "no policy", "It is cancelled.", "m-2026-served", 1.23456, attempts=2)


def test_round_trip_marks_the_vote_cached(tmp_path: Path) -> None:
    cache = VerdictCache(tmp_path / "cache")
    assert cache.get(KEY) is None
    assert cache.put(KEY, VOTE)
    hit = cache.get(KEY)
    assert hit == Vote(
        "fail", "no policy", "It is cancelled.", "m-2026-served", 1.235, cached=True, attempts=0
    )
    files = list((tmp_path / "cache").rglob("*.json"))
    assert len(files) == 1 and files[0].parent.name == KEY.digest[:2]
    record = json.loads(files[0].read_text("utf-8"))
    assert record["schema"] == SCHEMA and record["key"]["vote"] == 0
    assert record["key"]["transcript_sha256"] == "ab" * 32


@pytest.mark.parametrize(
    "other",
    [
        CacheKey(KEY.judge, KEY.criterion, KEY.transcript_hash, 1),  # another vote
        CacheKey("http://j/v1/chat/completions m-2027", KEY.criterion, KEY.transcript_hash, 0),
        CacheKey(KEY.judge, "criterion!", KEY.transcript_hash, 0),
        CacheKey(KEY.judge, KEY.criterion, "cd" * 32, 0),
        CacheKey(KEY.judge, KEY.criterion, KEY.transcript_hash, 0, prompt_version="judge-prompt/0"),
    ],
)
def test_every_key_part_matters(tmp_path: Path, other: CacheKey) -> None:
    cache = VerdictCache(tmp_path)
    cache.put(KEY, VOTE)
    assert other.digest != KEY.digest and cache.get(other) is None


@pytest.mark.parametrize(
    "vote",
    [
        Vote("abstain", "unusable answer"),
        Vote("abstain", "judge unavailable", error="judge returned 503"),
    ],
)
def test_abstentions_and_errors_are_never_cached(tmp_path: Path, vote: Vote) -> None:
    cache = VerdictCache(tmp_path)
    assert not cache.put(KEY, vote)
    assert cache.get(KEY) is None and not list(tmp_path.rglob("*"))


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"schema": "other", "vote": {}}',
        json.dumps({"schema": SCHEMA, "vote": {"verdict": "maybe"}}),
        "[]",
    ],
)
def test_unreadable_or_foreign_files_are_misses(tmp_path: Path, content: str) -> None:
    cache = VerdictCache(tmp_path)
    cache.put(KEY, VOTE)
    next(tmp_path.rglob("*.json")).write_text(content, encoding="utf-8")
    assert cache.get(KEY) is None
    assert cache.put(KEY, VOTE) and cache.get(KEY) is not None  # and get repaired


def test_unwritable_cache_is_counted_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    cache = VerdictCache(blocker / "cache")
    assert not cache.put(KEY, VOTE) and cache.write_errors == 1


def test_writes_are_atomic_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = VerdictCache(tmp_path)
    cache.put(KEY, VOTE)
    before = next(tmp_path.rglob("*.json")).read_text("utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert not cache.put(KEY, Vote("pass", "changed", "It is cancelled."))
    # The old file is intact and no temporary file is left behind.
    assert next(tmp_path.rglob("*.json")).read_text("utf-8") == before
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{KEY.digest}.json"]
