"""At 5,000 cases: shards balanced by history durations, merged, equal the unsharded run."""

from __future__ import annotations

import random
from dataclasses import replace

from support.report_fixtures import make_case, make_run

from gate.evaluate.verdicts import gate_verdict
from gate.models import LoadedCase
from gate.records.merge import merge_results
from gate.records.record import ResultsRecord, load_record, record_json
from gate.records.results_file import render_results
from gate.results import AssertionOutcome, CaseResult, GateResult, Selection, Status, TrialResult
from gate.select.selection import select_cases
from gate.select.shard import shard_selection

CASES, SHARDS, VERSION = 5000, 7, "bench"
EVENTS = [{"type": "message", "role": "agent", "turn": 1, "t_ms": 10, "text": "confirmed"}]


def _suite() -> list[LoadedCase]:
    template = make_case("template")
    return [
        replace(
            template,
            id=f"suite{i % 20:02d}/case-{i:05d}",
            file=f"cases/suite{i % 20:02d}/case-{i:05d}.yaml",
            case=template.case.model_copy(update={"id": None, "suite": f"suite{i % 20:02d}"}),
        )
        for i in range(CASES)
    ]


def _result(case: LoadedCase, index: int) -> CaseResult:
    """Every 13th case fails, every 97th errors; each trial with its own run."""
    status = Status.ERROR if index % 97 == 0 else Status.FAIL if index % 13 == 0 else Status.PASS
    outcome = AssertionOutcome("transcript.must_include[0]", status, f"checked case {index}")
    run = make_run(f"run-{index}", EVENTS)
    trial = TrialResult(1, status, f"{status.value}: case {index}", 0.2, (outcome,), run, 1)
    return CaseResult(case, status, trial.reason, (trial,), 1)


def _gate(results: dict[str, CaseResult], selection: Selection) -> GateResult:
    cases = tuple(results[i] for i in selection.selected)
    verdict = gate_verdict(
        cases, fail_on="blocking", fail_on_empty=True, files_found=CASES, sources="cases"
    )
    return GateResult(
        verdict.verdict,
        verdict.reason,
        cases,
        selection,
        "blocking",
        "t0",
        "t1",
        blocking_failures=verdict.blocking_failures,
    )


def test_seven_balanced_shards_of_5000_cases_merge_into_the_unsharded_run() -> None:
    cases = _suite()
    results = {c.id: _result(c, i) for i, c in enumerate(cases)}
    rng = random.Random(5)
    durations = {c.id: rng.uniform(0.1, 30.0) for c in cases}
    whole = select_cases(cases, "all")
    shard = {"files_found": CASES, "sources": "cases"}
    unsharded = _gate(results, shard_selection(whole, (1, 1), None, **shard))
    parts = [
        _gate(results, shard_selection(whole, (i, SHARDS), durations, **shard))
        for i in range(1, SHARDS + 1)
    ]
    # balanced by history: no shard's expected time is far from the mean
    loads = [sum(durations[c.case.id] for c in part.cases) for part in parts]
    assert max(loads) <= 1.05 * (sum(loads) / SHARDS)
    assert sorted(c.case.id for p in parts for c in p.cases) == sorted(whole.selected)
    records = [
        (f"shard-{i}.json", load_record(render_results(p, VERSION, record_runs=True)))
        for i, p in enumerate(parts, 1)
    ]
    merged = merge_results(records, shards=SHARDS)
    expected = load_record(render_results(unsharded, VERSION, record_runs=True))
    got = load_record(render_results(merged, VERSION, record_runs=True))
    assert record_json(replace_times(got)) == record_json(replace_times(expected))
    assert got.verdict == "fail" and got.counts["total"] == CASES


def replace_times(record: ResultsRecord) -> ResultsRecord:
    """The record with its run timestamps blanked (a merge stamps its own)."""
    return record.model_copy(update={"started_at": "-", "finished_at": "-"})
