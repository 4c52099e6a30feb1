"""On-disk verdict cache: one JSON file per (judge, prompt version, criterion, transcript, vote)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.judge.prompt import PROMPT_VERSION
from gate.judge.votes import Vote
from gate.redact import mask

SCHEMA = "voice-regress-judge-cache/v1"


@dataclass(frozen=True)
class CacheKey:
    """What a cached vote answers: the same judge, prompt and transcript, and which vote it was.

    The vote number is part of the key: the three votes of a warm run replay three answers, never
    one answer three times (that would fake agreement).
    """

    judge: str  # endpoint URL and model
    criterion: str
    transcript_hash: str
    vote: int
    prompt_version: str = PROMPT_VERSION

    @property
    def digest(self) -> str:
        parts = [self.judge, self.prompt_version, self.criterion, self.transcript_hash, self.vote]
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


class VerdictCache:
    """Votes by key under `directory`; only real verdicts (pass/fail) are ever stored."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.write_errors = 0

    def _path(self, key: CacheKey) -> Path:
        digest = key.digest
        return self.directory / digest[:2] / f"{digest}.json"

    def get(self, key: CacheKey) -> Vote | None:
        """The stored vote (marked cached), or None: missing, unreadable or foreign files miss."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        vote = data.get("vote") if isinstance(data, dict) and data.get("schema") == SCHEMA else None
        if not isinstance(vote, dict) or vote.get("verdict") not in ("pass", "fail"):
            return None
        return Vote(
            vote["verdict"],
            str(vote.get("reason", "")),
            str(vote.get("evidence", "")),
            str(vote.get("model", "")),
            _seconds(vote.get("latency_s")),
            cached=True,
        )

    def put(self, key: CacheKey, vote: Vote) -> bool:
        """Store a pass/fail vote atomically; abstentions and errors are never cached."""
        if vote.verdict not in ("pass", "fail") or vote.error is not None:
            return False
        record = {
            "schema": SCHEMA,
            "key": {
                "judge": key.judge,
                "prompt_version": key.prompt_version,
                "criterion": key.criterion,
                "transcript_sha256": key.transcript_hash,
                "vote": key.vote,
            },
            "vote": {
                "verdict": vote.verdict,
                "reason": vote.reason,
                "evidence": vote.evidence,
                "model": vote.model,
                "latency_s": round(vote.latency_s, 3),
            },
        }
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
        except OSError:
            # A cache that cannot be written costs money, not correctness: count it and go on.
            self.write_errors += 1
            return False
        return True


def _atomic_write(path: Path, text: str) -> None:
    # Write a temporary file next to the target, then rename: a reader (or a concurrent shard
    # sharing the cache) sees the old file or the new one, never half of one.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(mask(text))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
