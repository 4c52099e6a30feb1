"""The OpenAI-compatible adapter against a scripted chat-completions server on loopback: it speaks
the protocol (the gate's parser and consistency rules) and the gate runs a case through it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from checks import (
    ADAPTERS_DIR,
    assert_speaks_the_protocol,
    consistent_run,
    gate_run,
    request_body,
    running,
)
from openai_compatible import ToolCallingAgent, harness
from support.judge_server import Answer, serve

SPEC = json.loads((ADAPTERS_DIR / "agent.json").read_text(encoding="utf-8"))


def _calls(*calls: tuple[str, dict[str, Any]]) -> Answer:
    tool_calls = [
        {
            "id": f"call_{name}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)},
        }
        for name, args in calls
    ]
    message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
    return Answer(
        body={"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}
    )


def scheduler(duplicate: bool = False) -> Any:
    """A scripted model: verify, then update (or, the regression, create), confirm, then speak."""

    def model(request: dict[str, Any]) -> Answer:
        messages = request["messages"]
        assert messages[0]["role"] == "system" and request["tools"] == SPEC["tools"]
        done = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
        if not done:
            return _calls(("lookup_identity", {"caller_id": "caller_fixture_100"}))
        if done[-1] == "call_lookup_identity":
            write = (
                "create_new_appointment",
                {"caller_id": "caller_fixture_100", "start_time": "x"},
            )
            move = (
                "update_appointment",
                {"appointment_id": "appt_fixture_100", "new_start_time": "x"},
            )
            return _calls(write if duplicate else move)
        return Answer(content="You're all set for Wednesday at 3 PM.")

    return model


@contextmanager
def adapter(model: Any) -> Iterator[tuple[str, Any]]:
    """The adapter on loopback in front of a scripted model; yields its URL and its Harness."""
    with serve(then=model) as llm:
        agent = ToolCallingAgent(SPEC, llm.url, "scripted")
        try:
            served = harness(agent)
            with running(served) as url:
                yield url, served
        finally:
            agent.close()


def test_the_adapter_speaks_the_protocol() -> None:
    with adapter(scheduler()) as (url, served):
        run = assert_speaks_the_protocol(url, served)
    names = [e.name for e in run.events if e.type == "tool_call"]
    assert names == ["lookup_identity", "update_appointment"]
    assert run.events[-1].role == "agent" and run.turns and run.turns[0].latency_ms >= 0


def test_tool_results_come_from_the_fixture_and_writes_are_observed() -> None:
    body = request_body()
    body["fixture"]["tool_results"] = {
        "lookup_identity": {"verified": True},
        "update_appointment": {"status": "rescheduled"},
    }
    body["fixture"]["tool_systems"] = {"update_appointment": "calendar"}
    with adapter(scheduler()) as (url, _):
        run = consistent_run(url, body, "k")
    results = [e.output for e in run.events if e.type == "tool_result"]
    assert results == [{"verified": True}, {"status": "rescheduled"}]
    assert run.side_effects is not None
    assert [(w.system, w.op, w.entity_id, w.status) for w in run.side_effects.writes] == [
        ("calendar", "update", "appt_fixture_100", "rescheduled")
    ]


@pytest.mark.parametrize(("duplicate", "exit_code"), [(False, 0), (True, 1)])
def test_the_gate_runs_a_case_through_the_adapter(
    tmp_path: Path, duplicate: bool, exit_code: int
) -> None:
    with adapter(scheduler(duplicate)) as (url, _):
        code, text, results = gate_run(url, tmp_path / "results.json")
    assert code == exit_code, text
    assert results["counts"]["pass" if exit_code == 0 else "fail"] == 1


def test_a_model_endpoint_that_fails_is_a_harness_error() -> None:
    with adapter(Answer(status=500)) as (url, _):
        run = consistent_run(url, request_body(), "k")
    assert run.status == "harness_error" and "500" in (run.error or "")
