"""outcome.intent: compared with the harness's outcome.intent; without it the check is `error`."""

from __future__ import annotations

from typing import Any

import pytest

from gate.evaluate.checks import evaluate_assertions
from gate.models import Assertions
from gate.results import HarnessRun, Status

SPEC = Assertions.model_validate({"outcome": {"intent": "cancel"}})
CALLER = {"type": "message", "role": "caller", "turn": 0, "text": "Please cancel Monday."}


def run(outcome: dict[str, Any] | None) -> HarnessRun:
    agent = {"type": "message", "role": "agent", "turn": 0, "text": "Done."}
    body = {"protocol": "voice-regress/v1", "status": "completed", "events": [CALLER, agent]}
    return HarnessRun.model_validate({**body, "outcome": outcome})


def test_the_recognised_intent_passes() -> None:
    [outcome] = evaluate_assertions(SPEC, run({"intent": "cancel"}))
    assert outcome.status is Status.PASS


def test_another_intent_fails_with_expected_actual_and_the_caller_turn() -> None:
    [outcome] = evaluate_assertions(SPEC, run({"intent": "reschedule"}))
    assert outcome.status is Status.FAIL and outcome.turn == 0
    assert outcome.message == (
        "expected intent 'cancel', the agent recognised 'reschedule' "
        "(caller at turn 0: 'Please cancel Monday.')"
    )


@pytest.mark.parametrize("outcome", [None, {}, {"intent": None}, {"intent": ""}, {"intent": 3}])
def test_no_reported_intent_is_an_error(outcome: dict[str, Any] | None) -> None:
    [result] = evaluate_assertions(SPEC, run(outcome))
    assert result.status is Status.ERROR and result.message == "the run reports no outcome.intent"
