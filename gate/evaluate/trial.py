"""Turn one dispatched run (or its failure) into a TrialResult: run status, assertions, judge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gate.evaluate.checks import evaluate_assertions
from gate.evaluate.verdicts import first_reason, trial_state
from gate.models import JudgedAssertion, LoadedCase
from gate.results import AssertionOutcome, HarnessRun, Status, TrialResult


def _run_status_outcome(run: HarnessRun) -> AssertionOutcome | None:
    """The harness's own verdict on the run; None when it completed normally."""
    detail = f": {run.error}" if run.error else ""
    if run.status == "agent_error":
        # The agent crashed or misbehaved: what exists is evaluated, but the trial fails.
        return AssertionOutcome("run.status", Status.FAIL, f"the agent errored{detail}")
    if run.status == "timeout":
        return AssertionOutcome("run.status", Status.ERROR, f"the call did not finish{detail}")
    if run.status == "harness_error":
        return AssertionOutcome("run.status", Status.ERROR, f"the harness broke{detail}")
    return None


class TrialJudge(Protocol):
    """Scores judged assertions over one run's evidence (gate.judge.scorer.Judge)."""

    async def judge_run(
        self, specs: Sequence[JudgedAssertion], run: HarnessRun
    ) -> list[AssertionOutcome]: ...


async def judged_outcomes(
    specs: Sequence[JudgedAssertion],
    run: HarnessRun,
    deterministic: Sequence[AssertionOutcome],
    judge: TrialJudge | None,
) -> list[AssertionOutcome]:
    """One outcome per judged assertion: the judge's, else an explicit skip (never a pass).

    A trial that already failed on a deterministic assertion is not judged: its state cannot
    change, and votes cost money.
    """
    failed = next((o for o in deterministic if o.status is Status.FAIL), None)
    if specs and judge is not None and failed is None:
        return await judge.judge_run(specs, run)
    why = "no judge configured"
    if judge is not None and failed is not None:
        why = f"not judged: the trial already failed on {failed.name}"
    return [AssertionOutcome(f"judged[{i}]", Status.SKIPPED, why) for i in range(len(specs))]


async def evaluate_trial(
    case: LoadedCase,
    trial: int,
    run: HarnessRun | None,
    error: str | None,
    *,
    calls: int,
    duration_s: float,
    judge: TrialJudge | None,
) -> TrialResult:
    """Evaluate a run, judged assertions included; a missing run is `error` with the dispatch
    reason, never `pass`. The trial's state is computed once, from every outcome."""
    if run is None:
        reason = error or "the harness returned no run"
        outcome = AssertionOutcome("dispatch", Status.ERROR, reason)
        return TrialResult(
            trial, Status.ERROR, f"dispatch: {reason}", duration_s, (outcome,), None, calls
        )
    outcomes: list[AssertionOutcome] = []
    status_outcome = _run_status_outcome(run)
    if status_outcome is not None:
        outcomes.append(status_outcome)
    if status_outcome is None or status_outcome.status is Status.FAIL:
        spec = case.case.assertions
        outcomes += evaluate_assertions(spec, run, case.case.interrupt_turns())
        outcomes += await judged_outcomes(spec.judged or [], run, outcomes, judge)
    state = trial_state(outcomes)
    return TrialResult(
        trial, state, first_reason(outcomes, state), duration_s, tuple(outcomes), run, calls
    )
