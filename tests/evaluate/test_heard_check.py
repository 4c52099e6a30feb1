"""transcript.heard: the caller turn's ASR text (text_source: asr) holds each item; a turn the
harness did not recognise, or never played, is `error`."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gate.evaluate.checks import evaluate_assertions
from gate.models import Assertions, Case
from gate.results import HarnessRun, Status

SPEC = Assertions.model_validate(
    {"transcript": {"heard": [{"turn": 1, "must_include": ["Bayer", {"regex": "(?i)wednesday"}]}]}}
)


def run(*callers: tuple[str, str | None]) -> HarnessRun:
    events: list[dict[str, Any]] = []
    for turn, (text, source) in enumerate(callers):
        caller = {"type": "message", "role": "caller", "turn": turn, "text": text}
        if source:
            caller["text_source"] = source
        events.append(caller)
    body = {"protocol": "voice-regress/v1", "status": "completed", "events": events}
    return HarnessRun.model_validate(body)


def statuses(harness_run: HarnessRun) -> list[Status]:
    return [o.status for o in evaluate_assertions(SPEC, harness_run)]


def test_heard_as_said_passes_even_without_agent_speech() -> None:
    heard = run(("hi", None), ("Dr. Bayer, Wednesday please", "asr"))
    assert statuses(heard) == [Status.PASS, Status.PASS]


def test_a_misheard_name_fails_with_what_was_heard() -> None:
    outcomes = evaluate_assertions(SPEC, run(("hi", None), ("Dr. buyer, Wednesday", "asr")))
    assert [o.status for o in outcomes] == [Status.FAIL, Status.PASS]
    assert outcomes[0].message == (
        "caller turn 1: expected 'Bayer', the agent heard 'Dr. buyer, Wednesday'"
    )
    assert outcomes[0].name == "transcript.heard[turn 1][0]" and outcomes[0].turn == 1


@pytest.mark.parametrize(
    ("harness_run", "message"),
    [
        (run(("hi", None), ("Dr. Bayer", None)), "no ASR text (text_source: none)"),
        (run(("hi", None), ("Dr. Bayer", "script")), "no ASR text (text_source: script)"),
        (run(("hi", None)), "caller turn 1 was never played"),
    ],
)
def test_without_asr_evidence_it_is_an_error(harness_run: HarnessRun, message: str) -> None:
    outcomes = evaluate_assertions(SPEC, harness_run)
    assert {o.status for o in outcomes} == {Status.ERROR}
    assert message in outcomes[0].message


def test_a_single_item_is_allowed_and_the_turn_must_exist() -> None:
    one = Assertions.model_validate({"transcript": {"heard": [{"turn": 0, "must_include": "x"}]}})
    assert one.transcript and one.transcript.heard and one.transcript.heard[0].items == ["x"]
    case: dict[str, Any] = {
        "version": 1,
        "suite": "s",
        "owner": "o",
        "source": {
            "type": "synthetic",
            "source_call_id": "x",
            "failure_label": "intent_miss",
            "severity": "low",
            "sanitized": True,
        },
        "agent_ref": {},
        "fixture": {},
        "scenario": {"turns": ["only one"]},
        "assertions": {"transcript": {"heard": [{"turn": 1, "must_include": "x"}]}},
        "promotion": {"level": "manual", "run_on": ["prompt_change"]},
    }
    with pytest.raises(ValidationError, match="turn 1 is not a caller turn"):
        Case.model_validate(case)
