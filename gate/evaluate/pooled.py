"""Checks over every trial of a case at once (`latency.trials_p95_turn_ms`), added to each trial."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gate.evaluate.matching import nearest_rank
from gate.evaluate.verdicts import first_reason, trial_state
from gate.models import LoadedCase
from gate.results import AssertionOutcome, TrialResult

NAME = "latency.trials_p95_turn_ms"


def pools_trials(case: LoadedCase) -> bool:
    """Whether the case has a check over all its trials: every planned trial must then run."""
    latency = case.case.assertions.latency
    return latency is not None and latency.trials_p95_turn_ms is not None


def _pooled_p95(limit: float, trials: Sequence[TrialResult], planned: int) -> AssertionOutcome:
    timed: list[tuple[float, int, int]] = []  # (latency, trial, turn)
    for trial in trials:
        turns = (
            [t for t in (trial.run.turns or []) if t.latency_ms is not None] if trial.run else []
        )
        if not turns:
            msg = f"trial {trial.trial} reports no per-turn latency, so the pooled p95 is unknown"
            return AssertionOutcome.error(NAME, msg, expected=limit)
        timed += [(t.latency_ms or 0.0, trial.trial, t.turn) for t in turns]
    if len(trials) < planned:
        msg = f"only {len(trials)} of {planned} trials ran, so the pooled p95 is unknown"
        return AssertionOutcome.error(NAME, msg, expected=limit)
    p95 = nearest_rank([ms for ms, _, _ in timed], 95)
    slowest, trial_no, turn = max(timed)
    over = f"{len(timed)} turns of {len(trials)} trials"
    if p95 > limit:
        msg = (
            f"p95 over {over} is {p95:.0f} ms > {limit:.0f} ms "
            f"(slowest: trial {trial_no}, turn {turn}, {slowest:.0f} ms)"
        )
        return AssertionOutcome.fail(NAME, msg, expected=limit, actual=p95, turn=turn)
    msg = f"p95 over {over} is {p95:.0f} ms ≤ {limit:.0f} ms"
    return AssertionOutcome.ok(NAME, msg, expected=limit, actual=p95)


def pool_trials(
    case: LoadedCase, trials: Sequence[TrialResult], planned: int
) -> tuple[TrialResult, ...]:
    """The trials with the case's pooled checks added to each one that has a run, and its state
    recomputed: the pooled verdict then decides every trial alike, so the tally (and whoever
    re-tallies a results file) sees it. Trials without a run stay as they are (`error`)."""
    latency = case.case.assertions.latency
    if latency is None or latency.trials_p95_turn_ms is None:
        return tuple(trials)
    pooled = _pooled_p95(latency.trials_p95_turn_ms, trials, planned)
    return tuple(_with(trial, pooled) if trial.run else trial for trial in trials)


def _with(trial: TrialResult, outcome: AssertionOutcome) -> TrialResult:
    outcomes = (*trial.assertions, outcome)
    state = trial_state(outcomes)
    reason = first_reason(outcomes, state)
    return dataclasses.replace(trial, status=state, reason=reason, assertions=outcomes)
