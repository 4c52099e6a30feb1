"""Replays: one run's evidence offered for two trials, caught by run id or by content."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from gate.results import HarnessRun

Trial = tuple[str, int]  # (case id, trial number)


def run_digest(run: HarnessRun) -> str:
    """A digest of what a run proves: its events and its side effects."""
    evidence = run.model_dump(mode="json", include={"events", "side_effects"})
    return hashlib.sha256(json.dumps(evidence, sort_keys=True).encode()).hexdigest()


@dataclass
class ReplayLedger:
    """Every run of one gate invocation, by run id and by content digest."""

    by_id: dict[str, Trial] = field(default_factory=dict)
    by_digest: dict[str, tuple[Trial, str | None]] = field(default_factory=dict)

    def claim(self, trial: Trial, run: HarnessRun) -> str | None:
        """Record `run` as the evidence of `trial`; why not, if another trial already has it."""
        if run.run_id:
            first = self.by_id.setdefault(run.run_id, trial)
            if first != trial:
                return (
                    f"the harness returned run_id {run.run_id!r} again, first for "
                    f"{first[0]} trial {first[1]}: a replayed result is no evidence"
                )
        if not run.events:
            return None  # a run that tells nothing (timeout, harness_error) claims no evidence
        digest = run_digest(run)
        seen, seen_id = self.by_digest.setdefault(digest, (trial, run.run_id))
        # Identical evidence is only believable as two runs when the harness says so with two
        # distinct run ids (a deterministic sandbox may well replay itself exactly).
        if seen != trial and not (seen_id and run.run_id and seen_id != run.run_id):
            return (
                f"the harness returned the same events and side effects as for {seen[0]} trial "
                f"{seen[1]} without a distinct run_id: a replayed result is no evidence"
            )
        return None
