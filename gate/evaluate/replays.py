"""Replays: one run's evidence offered for two trials, caught by run id or by content."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from gate.evaluate.verdicts import tally_trials
from gate.results import AssertionOutcome, CaseResult, HarnessRun, Status, TrialResult

Trial = tuple[str, int]  # (case id, trial number)


def run_digest(run: HarnessRun) -> str:
    """A digest of what a run proves: its events and its side effects."""
    evidence = run.model_dump(mode="json", include={"events", "side_effects"})
    return hashlib.sha256(json.dumps(evidence, sort_keys=True).encode()).hexdigest()


@dataclass
class ReplayLedger:
    """The runs already presented as evidence (one invocation, or earlier shards), by run id
    and by content digest."""

    by_id: dict[str, Trial] = field(default_factory=dict)
    by_digest: dict[str, tuple[Trial, str | None]] = field(default_factory=dict)

    def claim(self, trial: Trial, run: HarnessRun) -> str | None:
        """Record `run` as the evidence of `trial`; why not, if another trial already has it."""
        problem = self.seen(trial, run)
        if problem is None:
            self.record(trial, run)
        return problem

    def seen(self, trial: Trial, run: HarnessRun) -> str | None:
        """Why `run` is another trial's run already (without recording it), or None."""
        first = self.by_id.get(run.run_id) if run.run_id else None
        if first is not None and first != trial:
            return (
                f"the harness returned run_id {run.run_id!r} again, first for "
                f"{first[0]} trial {first[1]}: a replayed result is no evidence"
            )
        # A run without events (timeout, harness_error) tells nothing, so it replays nothing.
        prior = self.by_digest.get(run_digest(run)) if run.events else None
        if prior is None or prior[0] == trial:
            return None
        # Identical evidence is only believable as two runs when the harness says so with two
        # distinct run ids (a deterministic sandbox may well replay itself exactly).
        if prior[1] and run.run_id and prior[1] != run.run_id:
            return None
        return (
            f"the harness returned the same events and side effects as for {prior[0][0]} trial "
            f"{prior[0][1]} without a distinct run_id: a replayed result is no evidence"
        )

    def record(self, trial: Trial, run: HarnessRun) -> None:
        """Remember `run` as `trial`'s (the first trial to present a run keeps it)."""
        if run.run_id:
            self.by_id.setdefault(run.run_id, trial)
        if run.events:
            self.by_digest.setdefault(run_digest(run), (trial, run.run_id))


def without_replays(groups: Sequence[Sequence[CaseResult]]) -> list[CaseResult]:
    """The cases of separate invocations (`groups`, e.g. shards, in order), with every trial
    whose run an earlier group already presented turned `error`, and those cases tallied again.
    Within a group the runner has already checked (and a results file is checked on reading)."""
    ledger, out = ReplayLedger(), list[CaseResult]()
    for group in groups:
        checked = [_without_replays(case, ledger) for case in group]
        for case in group:
            for trial in case.trials:
                if trial.run is not None:
                    ledger.record((case.case.id, trial.trial), trial.run)
        out += checked
    return out


def _without_replays(case: CaseResult, ledger: ReplayLedger) -> CaseResult:
    problems = [
        None if t.run is None else ledger.seen((case.case.id, t.trial), t.run) for t in case.trials
    ]
    if not any(problems):
        return case
    trials = [
        t if p is None else _replayed(t, p) for t, p in zip(case.trials, problems, strict=True)
    ]
    tally = tally_trials(trials, case.trials_planned, case.case.case.pass_threshold)
    # Undecided now (a pass taken away): no evidence either way, as after an abort.
    first = next(f"trial {t.trial}: {p}" for t, p in zip(trials, problems, strict=True) if p)
    status, reason = (tally.status, tally.reason) if tally.decided else (Status.ERROR, first)
    return replace(case, status=status, reason=reason, trials=tuple(trials))


def _replayed(trial: TrialResult, problem: str) -> TrialResult:
    outcome = AssertionOutcome("dispatch", Status.ERROR, problem)
    reason = f"dispatch: {problem}"
    return TrialResult(
        trial.trial, Status.ERROR, reason, trial.duration_s, (outcome,), None, trial.harness_calls
    )
