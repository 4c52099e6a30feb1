"""Every deterministic check of a case against one run, family by family (judged: trial.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gate.evaluate.assertions import (
    Outcomes,
    check_handoff,
    check_latency,
    check_outcome,
    check_tools,
    check_transcript,
)
from gate.evaluate.side_effects import check_side_effects
from gate.models import Assertions
from gate.results import AssertionOutcome, HarnessRun


def evaluate_assertions(spec: Assertions, run: HarnessRun) -> list[AssertionOutcome]:
    """Every deterministic check of a case against one run, in the order of the case format
    (judged assertions are the trial evaluator's, gate.evaluate.trial)."""
    allowed = (spec.handoff.allowed_to or []) if spec.handoff else []
    families: list[tuple[Any, Callable[[Any], Outcomes]]] = [
        (spec.outcome, lambda s: check_outcome(s, run, allowed)),
        (spec.tools, lambda s: check_tools(s, run)),
        (spec.side_effects, lambda s: check_side_effects(s, run)),
        (spec.transcript, lambda s: check_transcript(s, run)),
        (spec.latency, lambda s: check_latency(s, run)),
        (spec.handoff, lambda s: check_handoff(s, run)),
    ]
    return [o for s, check in families if s for o in check(s)]
