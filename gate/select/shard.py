"""Cut a run's selection into N deterministic shards (`--shard I/N`) for a CI matrix; pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

from gate.results import Selection, ShardInfo


def stable_hash(case_id: str) -> int:
    """A hash of the id that is the same on every machine and run (Python's `hash` is salted)."""
    digest = hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


def partition(
    case_ids: Sequence[str], total: int, durations: Mapping[str, float] | None = None
) -> list[list[str]]:
    """Every id in exactly one of `total` shards (index 0 = shard 1), each in the given order.

    With `durations` (seconds per case, from the history): longest first, each case into the
    least-loaded shard; a case the history has not seen weighs the mean known duration. Without:
    every case weighs the same, so the shards are dealt in stable-hash order and their sizes differ
    by at most one. Ties break by the stable hash, then the id: the same input gives the same
    shards on every machine, which is what lets N independent jobs agree without talking.
    """
    if total < 1:
        raise ValueError(f"shard total must be >= 1, got {total}")
    weights = _weights(case_ids, durations or {})
    order = sorted(set(case_ids), key=lambda i: (-weights[i], stable_hash(i), i))
    loads = [0.0] * total
    counts = [0] * total
    shard_of: dict[str, int] = {}
    for case_id in order:
        # least loaded; on equal load the one with fewer cases, then the lowest index
        target = min(range(total), key=lambda s: (loads[s], counts[s], s))
        shard_of[case_id] = target
        loads[target] += weights[case_id]
        counts[target] += 1
    shards: list[list[str]] = [[] for _ in range(total)]
    for case_id in dict.fromkeys(case_ids):
        shards[shard_of[case_id]].append(case_id)
    return shards


def _weights(case_ids: Sequence[str], durations: Mapping[str, float]) -> dict[str, float]:
    known = [durations[i] for i in case_ids if durations.get(i, -1.0) >= 0]
    default = sum(known) / len(known) if known else 1.0
    return {i: d if (d := durations.get(i, -1.0)) >= 0 else default for i in case_ids}


def shard_selection(
    selection: Selection,
    shard: tuple[int, int],
    durations: Mapping[str, float] | None,
    *,
    files_found: int,
    sources: str,
) -> Selection:
    """The part of `selection` shard `I/N` runs; the rest is simply not selected by this shard.

    The returned selection records the whole run's selection (`shard.run_selected`) so `merge`
    can check that every case ended in exactly one shard's results.
    """
    index, total = shard
    shards = partition(selection.selected, total, durations)
    mine = shards[index - 1]
    known = sum(1 for i in selection.selected if i in (durations or {}))
    balance = f"history durations ({known} known)" if known else "case id hash"
    line = (
        f"shard {index}/{total}: {len(mine)} of {len(selection.selected)} selected "
        f"case(s), balanced by {balance}"
    )
    info = ShardInfo(index, total, tuple(selection.selected), selection.note, files_found, sources)
    return replace(
        selection,
        selected=tuple(mine),
        reasons={i: selection.reasons[i] for i in mine if i in selection.reasons},
        note=_note(selection.note, line if total > 1 else ""),
        shard=info,
    )


def _note(note: str, line: str) -> str:
    return "; ".join(part for part in (note, line) if part)
