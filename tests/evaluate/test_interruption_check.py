"""transcript.interruption: each barge-in turn is checked against the harness's agent_stop_ms;
a turn the harness did not measure, or never played, is `error`."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gate.evaluate.checks import evaluate_assertions
from gate.models import Assertions, Case
from gate.results import HarnessRun, Status

SPEC = Assertions.model_validate({"transcript": {"interruption": {"max_stop_ms": 500}}})


def run(*stops: float | None) -> HarnessRun:
    """A run whose k-th caller message carries stops[k] as agent_stop_ms (None: not reported)."""
    events: list[dict[str, Any]] = []
    for turn, stop in enumerate(stops):
        caller: dict[str, Any] = {"type": "message", "role": "caller", "turn": turn, "text": "x"}
        if stop is not None:
            caller["agent_stop_ms"] = stop
        events += [caller, {"type": "message", "role": "agent", "turn": turn, "text": "Sure."}]
    body = {"protocol": "voice-regress/v1", "status": "completed", "events": events}
    return HarnessRun.model_validate(body)


def test_a_quick_stop_passes_and_only_interrupt_turns_are_checked() -> None:
    [outcome] = evaluate_assertions(SPEC, run(None, 220.0), [1])
    assert outcome.status is Status.PASS and outcome.name == "transcript.interruption[turn 1]"


def test_talking_over_the_caller_fails_naming_the_turn() -> None:
    outcomes = evaluate_assertions(SPEC, run(None, 120.0, 2400.0), [1, 2])
    assert [o.status for o in outcomes] == [Status.PASS, Status.FAIL]
    assert outcomes[1].message == (
        "caller turn 2 (conversation turn 2) barged in; the agent kept talking for 2400 ms "
        "(max 500 ms)"
    )
    assert (outcomes[1].expected, outcomes[1].actual, outcomes[1].turn) == (500, 2400, 2)


@pytest.mark.parametrize(
    ("harness_run", "interrupts", "message"),
    [
        (run(None, None), [1], "reports no agent_stop_ms for caller turn 1"),
        (run(None), [1], "caller turn 1 (interrupt) was never played"),
        (run(None, 100.0), [], "no caller turn is marked interrupt"),
    ],
)
def test_missing_evidence_is_an_error(
    harness_run: HarnessRun, interrupts: list[int], message: str
) -> None:
    [outcome] = evaluate_assertions(SPEC, harness_run, interrupts)
    assert outcome.status is Status.ERROR and message in outcome.message


def test_non_finite_or_negative_stop_times_are_refused() -> None:
    for bad in (-1, float("nan")):
        with pytest.raises(ValidationError):
            run(None, bad)


CASE: dict[str, Any] = {
    "version": 1,
    "suite": "s",
    "owner": "o",
    "source": {
        "type": "synthetic",
        "source_call_id": "x",
        "failure_label": "latency_interruption",
        "severity": "low",
        "sanitized": True,
    },
    "agent_ref": {},
    "fixture": {},
    "assertions": {"transcript": {"interruption": {"max_stop_ms": 400}}},
    "promotion": {"level": "manual", "run_on": ["prompt_change"]},
}


def test_the_case_needs_an_interrupt_turn() -> None:
    with pytest.raises(ValidationError, match="needs a caller turn with interrupt: true"):
        Case.model_validate({**CASE, "scenario": {"turns": ["Hi", {"text": "Wait"}]}})
    case = Case.model_validate(
        {
            **CASE,
            "scenario": {"starting_turn": "Hi", "turns": [{"text": "Wait", "interrupt": True}]},
        }
    )
    assert case.interrupt_turns() == [1]
