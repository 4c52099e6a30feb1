"""Every deterministic check of a case against one run, family by family (judged: trial.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gate.evaluate.assertions import (
    Outcomes,
    check_handoff,
    check_latency,
    check_outcome,
)
from gate.evaluate.side_effects import check_side_effects
from gate.evaluate.tool_results import check_tool_results
from gate.evaluate.tools import check_tools
from gate.evaluate.transcript import check_transcript
from gate.models import Assertions
from gate.patterns import TextTooLong
from gate.results import AssertionOutcome, HarnessRun, Status


def evaluate_assertions(
    spec: Assertions, run: HarnessRun, interrupts: list[int] | None = None
) -> list[AssertionOutcome]:
    """Every deterministic check of a case against one run, in the order of the case format
    (judged assertions are the trial evaluator's, gate.evaluate.trial). `interrupts`: the
    scripted caller turns marked interrupt (Case.interrupt_turns), for transcript.interruption."""
    allowed = (spec.handoff.allowed_to or []) if spec.handoff else []
    families: list[tuple[Any, Callable[[Any], Outcomes]]] = [
        (spec.outcome, lambda s: check_outcome(s, run, allowed)),
        (spec.tools, lambda s: check_tools(s, run)),
        (spec.tools, lambda s: check_tool_results(s, run)),
        (spec.side_effects, lambda s: check_side_effects(s, run)),
        (spec.transcript, lambda s: check_transcript(s, run, interrupts)),
        (spec.latency, lambda s: check_latency(s, run)),
        (spec.handoff, lambda s: check_handoff(s, run)),
    ]
    return [o for s, check in families if s for o in _guarded(check, s)]


def _guarded(check: Callable[[Any], Outcomes], spec: Any) -> list[AssertionOutcome]:
    """A family's outcomes; a text too long to search where no check caught it ends that family
    `error` (every family catches it where it can say more: this net closes the class)."""
    try:
        return list(check(spec))
    except TextTooLong as exc:
        return [AssertionOutcome("text", Status.ERROR, f"a text could not be searched: {exc}")]
