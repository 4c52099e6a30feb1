"""Rebuild the GateResult a results file was written from, each recorded state re-derived."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import ValidationError

from gate.errors import InputError
from gate.evaluate.verdicts import blocks, tally_trials, trial_state
from gate.models import Assertions, Case, EvidencePolicy, LoadedCase, Promotion, Source
from gate.records.record import (
    BudgetRecord,
    CaseRecord,
    ReadinessRecord,
    ReadinessRowRecord,
    ResultsRecord,
    SelectionRecord,
    TrialRecord,
)
from gate.results import (
    AssertionOutcome,
    BaselineReport,
    CallBudget,
    CaseResult,
    GateResult,
    HarnessRun,
    Readiness,
    ReadinessRow,
    Selection,
    Status,
    TrialResult,
)
from gate.text import one_line

# --- rebuilding the gate's objects, so the existing renderers draw the same reports ----------


def _loaded_case(case: CaseRecord) -> LoadedCase:
    # model_construct, not validation: a results file holds only what reports show (no fixture,
    # agent_ref or assertions), and inventing the rest would be a lie. Unset fields stay unset,
    # so code that reads one fails loudly instead of reading a made-up value.
    source = Source.model_construct(
        source_call_id=case.source_call_id,
        sanitized=True,
        failure_label=case.failure_label,
        severity=case.severity,
        detected_by=case.detected_by,
        incident=case.incident,
        trace_id=case.source_trace_id,
    )
    # Only the retention policy of the assertions is recorded: reports must still honour it.
    policy = EvidencePolicy.model_construct(**case.evidence) if case.evidence else None
    model = Case.model_construct(
        version=1,
        id=case.id,
        suite=case.suite,
        owner=case.owner,
        source=source,
        promotion=Promotion.model_construct(level=case.level),
        agent_ref=case.agent_ref or {},
        assertions=Assertions.model_construct(evidence=policy),
        pass_threshold=case.pass_threshold,
    )
    lines = case.assertion_lines or {}
    located = {f"$.assertions.{name}": (line, 1) for name, line in lines.items()}
    return LoadedCase(
        id=case.id,
        file=case.file,
        case=model,
        line=case.line,
        locations=located,
        digest=case.digest,
    )


def _harness_run(trial: TrialRecord, where: str) -> HarnessRun | None:
    if trial.run is not None:
        try:
            return HarnessRun.model_validate(
                {"run_id": trial.run_id, "trace_id": trial.trace_id, **trial.run}
            )
        except ValidationError as exc:
            raise InputError(
                f"{where}.run: not a harness run ({exc.error_count()} problem(s): "
                f"{exc.errors(include_url=False)[0]['msg']})"
            ) from None
    if trial.run_id is None and trial.trace_id is None:
        return None
    # Only the ids are known (a passing trial of a shard): the reports show nothing else of it.
    return HarnessRun.model_construct(
        protocol="", status="completed", events=[], run_id=trial.run_id, trace_id=trial.trace_id
    )


def _trial(trial: TrialRecord, where: str) -> TrialResult:
    outcomes = tuple(
        AssertionOutcome(
            a.name,
            a.status,
            a.message,
            a.expected,
            a.actual,
            a.turn,
            a.warning,
            None if a.votes is None else tuple(a.votes),
        )
        for a in trial.assertions
    )
    return TrialResult(
        trial.trial,
        trial.status,
        trial.reason,
        trial.duration_s,
        outcomes,
        _harness_run(trial, where),
        trial.harness_calls,
    )


def case_results(record: ResultsRecord, source: str = "results file") -> list[CaseResult]:
    """The CaseResults of a results file, in its order, each status checked against its trials.

    Raises:
        InputError: a trial's or case's recorded status is not the one its assertions and
            trials give (`_check_statuses`).
    """
    results = []
    for i, c in enumerate(record.cases):
        result = CaseResult(
            _loaded_case(c),
            c.status,
            c.reason,
            tuple(_trial(t, f"{source}: $.cases[{i}].trials[{n}]") for n, t in enumerate(c.trials)),
            c.trials_planned,
        )
        _check_statuses(result, c.pass_threshold, f"{source}: $.cases[{i}]")
        results.append(result)
    return results


def _check_statuses(result: CaseResult, threshold: int | None, where: str) -> None:
    """Re-derive each trial's state from its assertions and the case's from its trials, as the
    run did (evaluate.verdicts); a recorded status that disagrees means the file was edited or is
    corrupt, and a verdict built on it would trust a claim instead of the evidence."""
    # Names and reasons come from the file: folded onto one clean line before they are shown.
    case_id, tampered = one_line(result.case.id, 200), "edited or corrupt results are not evidence"
    for n, trial in enumerate(result.trials):
        # No outcome at all (a dispatch failure written without one) is no evidence: `error`.
        derived = trial_state(trial.assertions) if trial.assertions else Status.ERROR
        if trial.status is not derived:
            raise InputError(
                f"{where}.trials[{n}]: case {case_id!r} trial {trial.trial} is "
                f"recorded as {trial.status.value}, but its assertions make it "
                f"{derived.value}: {tampered}"
            )
    if len(result.trials) > result.trials_planned:
        raise InputError(
            f"{where}: case {case_id!r} has {len(result.trials)} trials of "
            f"{result.trials_planned} planned: {tampered}"
        )
    tally = tally_trials(result.trials, result.trials_planned, threshold)
    # Undecided (no trial, or stopped early by an abort or interrupt) is `error`, as in the run.
    derived = tally.status if tally.decided else Status.ERROR
    if result.status is not derived:
        raise InputError(
            f"{where}: case {case_id!r} is recorded as {result.status.value}, but "
            f"its trials make it {derived.value} ({one_line(tally.reason, 200)}): "
            f"{tampered}"
        )


def rebuild_selection(
    sel: SelectionRecord, selected: Sequence[str], note: str, reasons: Mapping[str, str]
) -> Selection:
    """The Selection of a results file, narrowed to `selected` (a shard's, or the whole run's)."""
    return Selection(
        sel.tier,
        tuple(selected),
        {i: reasons[i] for i in selected if i in reasons},
        tuple((d.id, d.why) for d in sel.deferred),
        sel.considered,
        None if sel.changed_paths is None else tuple(sel.changed_paths),
        note,
        in_tier=sel.in_tier,
    )


def results_from_record(record: ResultsRecord, source: str = "results file") -> GateResult:
    """A results file as the GateResult it was written from (what the reports need of it)."""
    cases = tuple(case_results(record, source))
    baseline = baseline_from_record(record)
    labels = baseline.labels if baseline else {}
    blocking = tuple(c.case.id for c in cases if blocks(c, record.fail_on, labels.get(c.case.id)))
    return GateResult(
        record.verdict,
        record.verdict_reason,
        cases,
        rebuild_selection(
            record.selection,
            record.selection.selected,
            record.selection.note,
            record.selection.reasons,
        ),
        record.fail_on,
        record.started_at,
        record.finished_at,
        wall_seconds([record.started_at], [record.finished_at]),
        blocking,
        record.abort_reason,
        total_budget([record]),
        baseline,
        readiness_from_record(record.readiness),
    )


def baseline_from_record(record: ResultsRecord) -> BaselineReport | None:
    """The labels and changes a results file recorded against its baseline."""
    if record.baseline is None:
        return None
    return BaselineReport(
        record.baseline.source,
        {c.id: c.baseline for c in record.cases if c.baseline is not None},
        {c.id: tuple(c.baseline_changes) for c in record.cases if c.baseline_changes},
        record.baseline.warning,
    )


def _rows(rows: Sequence[ReadinessRowRecord]) -> tuple[ReadinessRow, ...]:
    return tuple(ReadinessRow(r.name, r.value, r.threshold, r.ok, r.detail) for r in rows)


def readiness_from_record(record: ReadinessRecord | None) -> Readiness | None:
    """The readiness a results file recorded (reports are drawn from it again, not recomputed)."""
    if record is None:
        return None
    return Readiness(
        record.go,
        _rows(record.rows),
        {k: _rows(v) for k, v in record.by_suite.items()},
        {k: _rows(v) for k, v in record.by_owner.items()},
    )


def total_budget(records: Sequence[ResultsRecord]) -> CallBudget | None:
    """The shards' budgets added up (each planned and spent its own part of the run)."""
    budgets = [r.budget for r in records if r.budget is not None]
    if not budgets:
        return None
    return CallBudget(**{f: sum(getattr(b, f) for b in budgets) for f in BudgetRecord.model_fields})


def wall_seconds(starts: Sequence[str], ends: Sequence[str]) -> float:
    """Seconds from the first start to the last end; 0.0 when the stamps cannot say."""
    try:
        first = min(datetime.fromisoformat(s) for s in starts)
        last = max(datetime.fromisoformat(e) for e in ends)
        return max((last - first).total_seconds(), 0.0)
    except (ValueError, TypeError):  # unparsable or naive/aware mix: the wall time is unknown
        return 0.0
