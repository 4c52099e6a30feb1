"""Turn one dispatched run (or its failure) into a TrialResult: run status, then assertions."""

from __future__ import annotations

from gate.evaluate.assertions import evaluate_assertions
from gate.evaluate.verdicts import first_reason, trial_state
from gate.models import LoadedCase
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


def evaluate_trial(
    case: LoadedCase,
    trial: int,
    run: HarnessRun | None,
    error: str | None,
    *,
    calls: int,
    duration_s: float,
) -> TrialResult:
    """Evaluate a run; a missing run is `error` with the dispatch reason, never `pass`."""
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
        outcomes += evaluate_assertions(case.case.assertions, run)
    state = trial_state(outcomes)
    return TrialResult(
        trial, state, first_reason(outcomes, state), duration_s, tuple(outcomes), run, calls
    )
