"""`merge`: combine the results files of a sharded run's shards into one verdict and report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gate.errors import InputError
from gate.evaluate.replays import without_replays
from gate.evaluate.verdicts import (
    FAIL_ON,
    empty_selection_reason,
    gate_verdict,
    none_selected_reason,
)
from gate.records.record import ResultsRecord
from gate.records.results_reader import (
    baseline_from_record,
    case_results,
    rebuild_selection,
    total_budget,
    wall_seconds,
)
from gate.results import BaselineReport, CaseResult, GateResult, ShardInfo
from gate.text import one_line

# --- combining shards ---------------------------------------------------------------------

_Shards = list[tuple[str, ResultsRecord]]


def merge_results(
    files: Sequence[tuple[str, ResultsRecord]],
    *,
    shards: int | None = None,
    fail_on: str | None = None,
    fail_on_empty: bool = True,
) -> GateResult:
    """One GateResult for the whole run from its shards' results, as if it had run unsharded.

    `files` is (name for messages, its results record). Raises `InputError` when a shard is
    missing or given twice, a case is in two shards or in none, or the shards disagree on what
    was run (gate version, tier, selection, shard total): a lost shard is never a pass.
    """
    records: _Shards = list(files)
    first = _check_shards(records, shards)
    for what, get in _AGREED:
        _same(records, what, get)
    if fail_on is None:
        fail_on = str(_same(records, "fail-on (pass --fail-on to choose)", lambda r: r.fail_on))
    if fail_on not in FAIL_ON:
        raise InputError(f"fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    shard = first.selection.shard
    assert shard is not None  # _check_shards made sure
    cases = _cases_in_order(records, shard.run_selected)
    reasons = {k: v for _, r in records for k, v in r.selection.reasons.items()}
    # The merged run is whole again: shard 1/1, so its results file can itself be merged.
    whole = ShardInfo(
        1, 1, tuple(shard.run_selected), shard.run_note, shard.files_found, shard.sources
    )
    selection = replace(
        rebuild_selection(first.selection, shard.run_selected, shard.run_note, reasons), shard=whole
    )
    abort = next(
        (
            f"shard {r.selection.shard.index}/{shard.total}: {r.abort_reason}"
            for _, r in records
            if r.abort_reason and r.selection.shard
        ),
        None,
    )
    baseline = _merged_baseline(records)
    verdict = gate_verdict(
        cases,
        fail_on=fail_on,
        fail_on_empty=fail_on_empty,
        files_found=shard.files_found,
        sources=shard.sources,
        abort_reason=abort,
        none_selected=none_selected_reason(selection),
        empty_selection=empty_selection_reason(selection),
        labels=baseline.labels if baseline else None,
    )
    starts, ends = [r.started_at for _, r in records], [r.finished_at for _, r in records]
    return GateResult(
        verdict.verdict,
        verdict.reason,
        tuple(cases),
        selection,
        fail_on,
        _pick(starts, min),
        _pick(ends, max),
        wall_seconds(starts, ends),
        verdict.blocking_failures,
        abort,
        total_budget([r for _, r in records]),
        baseline,
    )


def _merged_baseline(records: _Shards) -> BaselineReport | None:
    """The shards' labels together; a warning of any shard stays (its labels are missing)."""
    reports = [b for _, r in records if (b := baseline_from_record(r)) is not None]
    if not reports:
        return None
    warnings = list(dict.fromkeys(b.warning for b in reports if b.warning))
    return BaselineReport(
        reports[0].source,
        {k: v for b in reports for k, v in b.labels.items()},
        {k: v for b in reports for k, v in b.changes.items()},
        "; ".join(warnings) or None,
    )


def _check_shards(records: _Shards, expected: int | None) -> ResultsRecord:
    """Every shard 1..N present exactly once; returns shard 1's record."""
    by_index: dict[int, tuple[str, ResultsRecord]] = {}
    totals = set()
    for src, record in records:
        shard = record.selection.shard
        if shard is None:
            raise InputError(
                f"{src}: not the results of a shard (no selection.shard); merge "
                "combines the results files of `run --shard I/N`"
            )
        if not 1 <= shard.index <= shard.total:
            raise InputError(f"{src}: shard {shard.index}/{shard.total} is out of range")
        if shard.index in by_index:
            raise InputError(
                f"shard {shard.index}/{shard.total} given twice: "
                f"{by_index[shard.index][0]} and {src}"
            )
        by_index[shard.index] = (src, record)
        totals.add(shard.total)
    if len(totals) > 1:
        raise InputError(f"the shards disagree on the number of shards: {sorted(totals)}")
    total = totals.pop()
    if expected is not None and expected != total:
        raise InputError(
            f"--shards {expected}, but the results files come from a run cut into {total} shard(s)"
        )
    missing = [f"{i}/{total}" for i in range(1, total + 1) if i not in by_index]
    if missing:
        have = ", ".join(f"{i}/{total}" for i in sorted(by_index))
        raise InputError(
            f"missing the results of shard {', '.join(missing)} (have {have}): a "
            "lost shard is not a pass; check that every shard job wrote and uploaded "
            "its --results file"
        )
    return by_index[1][1]


def _same(records: _Shards, what: str, get: Callable[[ResultsRecord], object]) -> object:
    """The value every shard agrees on."""
    src0, expected = records[0][0], get(records[0][1])
    for src, record in records[1:]:
        if get(record) != expected:
            raise InputError(
                f"the shards disagree on the {what}: {src0} has "
                f"{_show(expected)}, {src} has {_show(get(record))}; merge the "
                "shards of one run (same commit, same settings)"
            )
    return expected


_AGREED: tuple[tuple[str, Callable[[ResultsRecord], object]], ...] = (
    ("gate version", lambda r: r.gate_version),
    ("tier", lambda r: r.selection.tier),
    ("whole-run selection", lambda r: r.selection.shard and r.selection.shard.run_selected),
    ("deferred cases", lambda r: r.selection.deferred),
    ("number of cases considered", lambda r: r.selection.considered),
)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _cases_in_order(records: _Shards, order: Sequence[str]) -> list[CaseResult]:
    where: dict[str, str] = {}
    by_id: dict[str, CaseResult] = {}
    for src, record in records:
        cases = case_results(record, src)
        if [c.case.id for c in cases] != list(record.selection.selected):
            raise InputError(f"{src}: its cases are not the ones its selection lists")
        for result in cases:
            if result.case.id in where:
                raise InputError(_twice(result, by_id[result.case.id], where[result.case.id], src))
            where[result.case.id] = src
            by_id[result.case.id] = result
    lost = [i for i in order if i not in by_id]
    ordered = set(order)  # once, not per case: that was quadratic at thousands of cases
    extra = [i for i in by_id if i not in ordered]
    if lost or extra:
        what = (
            f"{len(lost)} selected case(s) in no shard's results: {', '.join(lost[:5])}"
            if lost
            else f"case(s) the run did not select: {', '.join(extra[:5])}"
        )
        raise InputError(f"the shards' results do not add up to the run: {what}")
    # Shards are separate invocations: only here can one run offered to two shards be seen.
    shards = [[by_id[i] for i in order if where[i] == src] for src, _ in records]
    checked = {c.case.id: c for c in without_replays(shards)}
    return [checked[i] for i in order]


def _twice(result: CaseResult, first: CaseResult, first_src: str, src: str) -> str:
    """Why one case id in two shards is refused; two digests mean two different cases."""
    shown = one_line(result.case.id, 200)
    if first.case.digest != result.case.digest:
        return (
            f"case {shown!r} is in two shards' results with different content (case digests "
            f"differ): {first_src} and {src} ran two versions of its case file; merge the "
            "shards of one run (same commit, same settings)"
        )
    return (
        f"case {shown!r} is in two shards' results: {first_src} and {src}; every shard "
        "must cut the same selection with the same --history file"
    )


def _pick(stamps: Sequence[str], choose: Any) -> str:
    try:
        return str(choose(stamps, key=datetime.fromisoformat))
    except (ValueError, TypeError):
        return str(choose(stamps))


# --- the `merge` command ------------------------------------------------------------------
