"""Release readiness (seed 004, gates 1 and 2): go/no-go rows from a run's cases (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gate.evaluate.matching import nearest_rank
from gate.results import CaseResult, Readiness, ReadinessRow, Status
from gate.text import listed

# The flows whose tool calls must be right: a failure there costs the caller the job.
CRITICAL_FLOW_SEVERITIES = ("critical", "high")
COUNTED = (Status.PASS, Status.FAIL, Status.ERROR, Status.INCONCLUSIVE)  # skipped: not evidence


@dataclass(frozen=True)
class Thresholds:
    """`.voice-regress.yml` `readiness:`; rates are fractions (0.95 = 95%)."""

    scenario_pass_rate: float = 0.95
    tool_call_correctness: float = 0.98
    critical_failures: float = 0  # cases; a whole number in the config
    task_completion: float = 0.85
    p95_turn_latency_ms: float = 1200.0  # seed 004: "commonly under 1.2 seconds"


def _share(outcomes: list[Status]) -> float | None:
    counted = [s for s in outcomes if s in COUNTED]
    return sum(s is Status.PASS for s in counted) / len(counted) if counted else None


def _assertion_states(cases: Sequence[CaseResult], wanted: Callable[[str], bool]) -> list[Status]:
    return [a.status for c in cases for t in c.trials for a in t.assertions if wanted(a.name)]


def _at_least(name: str, value: float | None, threshold: float, detail: str) -> ReadinessRow:
    ok = value is not None and value >= threshold
    return ReadinessRow(name, value, threshold, ok, detail if value is not None else "no evidence")


def _at_most(name: str, value: float | None, threshold: float, detail: str) -> ReadinessRow:
    ok = value is not None and value <= threshold
    return ReadinessRow(name, value, threshold, ok, detail if value is not None else "no evidence")


def _passed_of(states: list[Status]) -> str:
    counted = [s for s in states if s in COUNTED]
    return f"{sum(s is Status.PASS for s in counted)}/{len(counted)}"


def _latencies(cases: Sequence[CaseResult]) -> list[float]:
    """Every reported turn latency of every trial, pooled."""
    return [
        turn.latency_ms
        for c in cases
        for t in c.trials
        if t.run is not None
        for turn in t.run.turns or ()
        if turn.latency_ms is not None
    ]


def _critical_failures(cases: Sequence[CaseResult]) -> list[str]:
    """Critical-severity cases that did not pass, whatever their level."""
    return [
        c.case.id
        for c in cases
        if c.case.case.source.severity == "critical" and c.status is not Status.PASS
    ]


def readiness_rows(cases: Sequence[CaseResult], limits: Thresholds) -> tuple[ReadinessRow, ...]:
    """The five rows; a row without evidence has value None and is never ok."""
    passed = sum(c.status is Status.PASS for c in cases)
    critical_flows = [c for c in cases if c.case.case.source.severity in CRITICAL_FLOW_SEVERITIES]
    tools = _assertion_states(critical_flows, lambda n: n.startswith("tools."))
    tasks = _assertion_states(cases, lambda n: n == "outcome.task_completed")
    critical = _critical_failures(cases)
    latencies = _latencies(cases)
    rate = passed / len(cases) if cases else None
    p95 = nearest_rank(latencies, 95) if latencies else None
    return (
        _at_least(
            "scenario_pass_rate",
            rate,
            limits.scenario_pass_rate,
            f"{passed}/{len(cases)} cases passed",
        ),
        _at_least(
            "tool_call_correctness",
            _share(tools),
            limits.tool_call_correctness,
            f"{_passed_of(tools)} tool assertions passed in high/critical cases",
        ),
        _at_most(
            "critical_failures",
            len(critical),
            limits.critical_failures,
            listed(critical, 5) or "none",
        ),
        _at_least(
            "task_completion",
            _share(tasks),
            limits.task_completion,
            f"{_passed_of(tasks)} task_completed checks passed",
        ),
        _at_most(
            "p95_turn_latency_ms",
            p95,
            limits.p95_turn_latency_ms,
            f"{len(latencies)} turns pooled over all trials",
        ),
    )


def _evidenced(cases: Sequence[CaseResult], limits: Thresholds) -> tuple[ReadinessRow, ...]:
    return tuple(r for r in readiness_rows(cases, limits) if r.value is not None)


def readiness(cases: Sequence[CaseResult], limits: Thresholds) -> Readiness:
    """Go when every overall row is ok; per suite and per owner the rows that group has evidence
    for (an owner without tool assertions has no tool-call row), to find who holds a no-go."""
    rows = readiness_rows(cases, limits)
    suites: dict[str, list[CaseResult]] = {}
    owners: dict[str, list[CaseResult]] = {}
    for case in cases:
        suites.setdefault(case.case.case.suite, []).append(case)
        owners.setdefault(case.case.case.owner, []).append(case)
    return Readiness(
        all(r.ok for r in rows),
        rows,
        {name: _evidenced(group, limits) for name, group in sorted(suites.items())},
        {name: _evidenced(group, limits) for name, group in sorted(owners.items())},
    )
