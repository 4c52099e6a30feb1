"""Build the results file (`--results`) from a GateResult: the input of `merge`, baselines,
`rejudge` and history. Its shape is `gate.records.record.ResultsRecord`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Protocol

from gate.models import EvidencePolicy
from gate.records.record import (
    AssertionRecord,
    BaselineRecord,
    BudgetRecord,
    CaseRecord,
    DeferredRecord,
    ReadinessRecord,
    ReadinessRowRecord,
    ResultsRecord,
    SelectionRecord,
    ShardRecord,
    TrialRecord,
    record_data,
)
from gate.results import (
    AssertionOutcome,
    BaselineReport,
    CaseResult,
    GateResult,
    HarnessRun,
    Readiness,
    ReadinessRow,
    Selection,
    ShardInfo,
    Status,
    TrialResult,
)
from gate.text import clean, json_safe

RUN_EVENT_TYPES = ("message", "handoff", "tool_call")  # what a shard keeps of a run
RECORDED_RUN_LIMIT = 1_000_000  # characters of one recorded run (`record_runs`)


def results_record(
    gate: GateResult, gate_version: str, *, record_runs: bool = False
) -> ResultsRecord:
    """The results file of a run. Strings are cleaned of control and escape characters.

    A shard's trial that did not pass keeps its `run` (without tool results), so `merge`
    rebuilds the whole run's reports; with `record_runs` (`--record-runs true`, the CLI's
    default) every trial keeps its whole RunResult for `rejudge`, unless it is over
    RECORDED_RUN_LIMIT characters (then `run_omitted` says why).
    """
    optional: dict[str, Any] = {}
    if gate.abort_reason:
        optional["abort_reason"] = clean(gate.abort_reason)
    if gate.budget:
        optional["budget"] = BudgetRecord(**vars(gate.budget))
    if gate.baseline:
        optional["baseline"] = BaselineRecord(
            source=clean(gate.baseline.source),
            warning=None if gate.baseline.warning is None else clean(gate.baseline.warning),
        )
    if gate.readiness:
        optional["readiness"] = readiness_record(gate.readiness)
    runs = gate.selection.shard is not None
    return ResultsRecord(
        gate_version=clean(gate_version, 100),
        started_at=clean(gate.started_at, 100),
        finished_at=clean(gate.finished_at, 100),
        verdict=gate.verdict,
        verdict_reason=clean(gate.verdict_reason),
        fail_on=clean(gate.fail_on, 100),
        harness_calls=gate.harness_calls,
        counts=_counts(gate),
        selection=_selection(gate.selection),
        cases=[_case(c, gate.baseline, runs=runs, record=record_runs) for c in gate.cases],
        **optional,
    )


class EarlyEntries(Protocol):
    """Results-file entries rendered before the end of the run (`gate.records.early`)."""

    def entry(self, result: CaseResult, gate: GateResult, record_runs: bool) -> str | None:
        """`result`'s entry in `gate`'s file, if one was rendered and is still the right one."""
        ...


def render_results(
    gate: GateResult,
    gate_version: str,
    *,
    record_runs: bool = False,
    early: EarlyEntries | None = None,
) -> str:
    """The results file's text (`record_json` of `results_record`), built case by case."""
    return "".join(results_chunks(gate, gate_version, record_runs=record_runs, early=early))


def results_chunks(
    gate: GateResult,
    gate_version: str,
    *,
    record_runs: bool = False,
    early: EarlyEntries | None = None,
) -> Iterator[str]:
    """The results file piece by piece, one case at a time: at thousands of cases the whole
    file as one model (and one string) was the run's peak memory. The same bytes as
    `record_json(results_record(…))`: the head is dumped with a placeholder for the cases."""
    placeholder = "\x00cases\x00"
    head = record_data(results_record(replace(gate, cases=()), gate_version)) | {
        "cases": placeholder,
        "counts": _counts(gate),  # these two come from the cases left out of the head
        "harness_calls": gate.harness_calls,
    }
    before, _, after = _dumps(head).partition(_dumps(placeholder))
    yield before + ("[" if gate.cases else "[]")
    runs = gate.selection.shard is not None
    for index, result in enumerate(gate.cases):
        text = early.entry(result, gate, record_runs) if early else None
        if text is None:
            text = case_entry_text(result, gate.baseline, runs=runs, record=record_runs)
        # Re-indented to its depth in the file (JSON strings hold no raw newline).
        yield ("," if index else "") + "\n    " + text.replace("\n", "\n    ")
    yield ("\n  ]" if gate.cases else "") + after + "\n"


def case_entry_text(
    result: CaseResult, baseline: BaselineReport | None, *, runs: bool, record: bool
) -> str:
    """One case's entry in the results file (before its indentation there)."""
    case = _case(result, baseline, runs=runs, record=record)
    return _dumps(case.model_dump(mode="json", exclude_unset=True))


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


def _selection(selection: Selection) -> SelectionRecord:
    return selection_record(selection, selection.shard)


def _shard(shard: ShardInfo) -> ShardRecord:
    return ShardRecord(
        index=shard.index,
        total=shard.total,
        files_found=shard.files_found,
        run_selected=[clean(i) for i in shard.run_selected],
        run_note=clean(shard.run_note),
        sources=clean(shard.sources),
    )


def _case(
    result: CaseResult, baseline: BaselineReport | None, runs: bool = False, record: bool = False
) -> CaseRecord:
    loaded, case = result.case, result.case.case
    optional: dict[str, Any] = (
        {"pass_threshold": case.pass_threshold} if case.pass_threshold else {}
    )
    optional |= _trace(result)
    if loaded.digest:
        optional["digest"] = loaded.digest
    lines = _assertion_lines(result)
    if lines:
        optional["assertion_lines"] = lines
    if baseline and loaded.id in baseline.labels:
        optional["baseline"] = baseline.labels[loaded.id]
        changes = baseline.changes.get(loaded.id)
        if changes:
            optional["baseline_changes"] = [clean(c) for c in changes]
    return CaseRecord(
        id=clean(loaded.id),
        file=clean(loaded.file),
        line=loaded.line,
        suite=clean(case.suite),
        owner=clean(case.owner),
        severity=case.source.severity,
        failure_label=clean(case.source.failure_label),
        source_call_id=clean(case.source.source_call_id),
        level=case.promotion.level,
        status=result.status,
        reason=clean(result.reason),
        trials_planned=result.trials_planned,
        trials=[_trial(t, runs, record, result.evidence) for t in result.trials],
        **optional,
    )


def _assertion_lines(result: CaseResult) -> dict[str, int]:
    """Where each assertion that did not pass sits in the case file (located ones only)."""
    loaded = result.case
    if not loaded.locations:
        return {}
    names = {a.name for t in result.trials for a in t.assertions if a.status is not Status.PASS}
    return {clean(n): loaded.line_of(f"$.assertions.{n}") for n in sorted(names)}


def _trace(result: CaseResult) -> dict[str, Any]:
    """Where the case came from and which agent ran: the optional keys that are set."""
    case = result.case.case
    policy = result.evidence.model_dump(exclude_none=True)
    values = {
        "agent_ref": json_safe(case.agent_ref) or None,
        "agent_reported": json_safe(result.agent_reported),
        "incident": case.source.incident,
        "detected_by": case.source.detected_by,
        "source_trace_id": case.source.trace_id,
        "evidence": policy or None,
    }
    return {k: clean(v) if isinstance(v, str) else v for k, v in values.items() if v is not None}


def _trial(
    trial: TrialResult,
    runs: bool = False,
    record: bool = False,
    policy: EvidencePolicy | None = None,
) -> TrialRecord:
    run = trial.run
    keep = runs and run is not None and trial.status is not Status.PASS
    kept = _recorded(run) if record else {"run": _run(run)} if keep and run is not None else {}
    kept = _retained(kept, policy or EvidencePolicy())
    return TrialRecord(
        trial=trial.trial,
        run_id=None if run is None or run.run_id is None else clean(run.run_id, 200),
        trace_id=None if run is None or run.trace_id is None else clean(run.trace_id, 200),
        status=trial.status,
        reason=clean(trial.reason),
        duration_s=json_safe(round(trial.duration_s, 3)),
        harness_calls=trial.harness_calls,
        assertions=[_assertion(a) for a in trial.assertions],
        **kept,
    )


def _retained(kept: dict[str, Any], policy: EvidencePolicy) -> dict[str, Any]:
    """The recorded run as the case's `assertions.evidence` allows it to be kept.

    Without its transcript or tool trace the run is left out whole: a run with its messages cut
    would let `rejudge` pass an absence check (`must_not_include`) on text it no longer holds.
    """
    if "run" not in kept:
        return kept
    dropped = [
        flag
        for flag in ("retain_transcript", "retain_tool_trace")
        if getattr(policy, flag) is False
    ]
    if dropped:
        return {"run_omitted": f"not retained: assertions.evidence {' and '.join(dropped)} false"}
    artifacts = kept["run"].get("artifacts")
    if policy.retain_audio is False and isinstance(artifacts, dict):
        artifacts = {k: v for k, v in artifacts.items() if k != "recording_url"}
        return {"run": {**kept["run"], "artifacts": artifacts}}
    return kept


def _run(run: HarnessRun) -> dict[str, Any]:
    # What the JUnit body shows (transcript excerpt, harness error, artifact links); tool results
    # are left out (large, and no report shows them). No truncation: `clean` is idempotent.
    events = [
        e.model_dump(mode="json", exclude_none=True)
        for e in run.events
        if e.type in RUN_EVENT_TYPES
    ]
    return {
        "protocol": clean(run.protocol, 100),
        "status": run.status,
        "error": None if run.error is None else clean(run.error, None),
        "trace_complete": run.trace_complete,
        "artifacts": json_safe(run.artifacts, None),
        "events": json_safe(events, None),
    } | ({"agent": json_safe(run.agent, None)} if run.agent else {})


def _recorded(run: HarnessRun | None) -> dict[str, Any]:
    # The whole run, for `rejudge`; bounded so one chatty call cannot bloat the file.
    if run is None:
        return {}
    data = json_safe(run.model_dump(mode="json", exclude_none=True), None)
    size = len(json.dumps(data, ensure_ascii=False))
    if size > RECORDED_RUN_LIMIT:
        return {"run_omitted": f"run of {size:,} characters > {RECORDED_RUN_LIMIT:,}"}
    return {"run": data}


def _assertion(outcome: AssertionOutcome) -> AssertionRecord:
    optional = {} if outcome.votes is None else {"votes": json_safe(outcome.votes)}
    return AssertionRecord(
        name=clean(outcome.name),
        status=outcome.status,
        message=clean(outcome.message),
        expected=json_safe(outcome.expected),
        actual=json_safe(outcome.actual),
        turn=outcome.turn,
        warning=None if outcome.warning is None else clean(outcome.warning),
        **optional,
    )


def _readiness_rows(rows: tuple[ReadinessRow, ...]) -> list[ReadinessRowRecord]:
    return [
        ReadinessRowRecord(
            name=r.name,
            value=json_safe(r.value),
            threshold=r.threshold,
            ok=r.ok,
            detail=clean(r.detail),
        )
        for r in rows
    ]


def readiness_record(readiness: Readiness) -> ReadinessRecord:
    """The readiness block of the results file, and the whole `--readiness` JSON."""
    return ReadinessRecord(
        go=readiness.go,
        rows=_readiness_rows(readiness.rows),
        by_suite={clean(k): _readiness_rows(v) for k, v in readiness.by_suite.items()},
        by_owner={clean(k): _readiness_rows(v) for k, v in readiness.by_owner.items()},
    )


def readiness_json(readiness: Readiness) -> str:
    """The `--readiness` file: `{"go": …, "rows": [{name, value, threshold, ok, detail}], …}`."""
    data = readiness_record(readiness).model_dump(mode="json")
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def selection_record(selection: Selection, shard: ShardInfo | None = None) -> SelectionRecord:
    """The selection block of the results file (`select --format json` prints it unsharded)."""
    paths = selection.changed_paths
    optional: dict[str, Any] = {}
    if selection.in_tier is not None:
        optional["in_tier"] = selection.in_tier
    if shard is not None:
        optional["shard"] = _shard(shard)
    return SelectionRecord(
        tier=clean(selection.tier, 100),
        selected=[clean(i) for i in selection.selected],
        reasons={clean(i): clean(r) for i, r in selection.reasons.items()},
        deferred=[DeferredRecord(id=clean(i), why=clean(why)) for i, why in selection.deferred],
        considered=selection.considered,
        changed_paths=None if paths is None else [clean(p) for p in paths],
        note=clean(selection.note),
        **optional,
    )


def _counts(gate: GateResult) -> dict[str, int]:
    counts: dict[str, int] = {s.value: gate.count(s) for s in Status}
    counts["total"] = len(gate.cases)
    return counts
