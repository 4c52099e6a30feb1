"""The Pipecat adapter's protocol side and frame translation, on loopback, with a stub in place of
the Pipecat pipeline (Pipecat is not installed for the gate's tests): a stub LLM service takes the
adapter's mocked function handlers (`register_function`) and emits frames named like Pipecat's
(function calls started, in progress and result, LLM text, response end), in the order Pipecat
1.14 sends them (seen with the real framework against a scripted LLM), into `TextTurns`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from checks import assert_speaks_the_protocol, gate_run, running
from harness_protocol import Harness, Json, MockTools, Recorder, RunRequest
from pipecat_adapter import TextTurns, mock_functions


@dataclass
class FunctionCallInProgressFrame:
    function_name: str
    tool_call_id: str
    arguments: Json


@dataclass
class FunctionCallResultFrame:
    function_name: str
    tool_call_id: str
    arguments: Json
    result: Any


@dataclass
class FunctionCallsStartedFrame:
    function_calls: list[Any]


@dataclass
class LLMTextFrame:
    text: str


class LLMFullResponseEndFrame:
    pass


class StubLLM:
    """Verifies, moves (or, the regression, books anew) the appointment, then speaks."""

    def __init__(self, turns: TextTurns, duplicate: bool) -> None:
        self.turns, self.duplicate = turns, duplicate
        self.handlers: dict[str, Any] = {}
        self.calls = 0

    def register_function(self, name: str, handler: Any) -> None:
        self.handlers[name] = handler

    async def respond(self) -> None:
        write = "create_new_appointment" if self.duplicate else "update_appointment"
        for name in ("lookup_identity", write):
            # Pipecat's order: the response announces its calls and ends, then they run.
            self.turns.on_frame(FunctionCallsStartedFrame([name]))
            self.turns.on_frame(LLMFullResponseEndFrame())
            await self._call(name, {"appointment_id": "appt_fixture_100"})
        for text in ("You're all ", "set."):
            self.turns.on_frame(LLMTextFrame(text))
        self.turns.on_frame(LLMFullResponseEndFrame())

    async def _call(self, name: str, arguments: Json) -> None:
        self.calls += 1
        call_id = f"call_{self.calls}"
        self.turns.on_frame(FunctionCallInProgressFrame(name, call_id, arguments))

        async def result_callback(result: Any) -> None:
            self.turns.on_frame(FunctionCallResultFrame(name, call_id, arguments, result))

        handler = self.handlers.get(name)
        params = type("Params", (), {"arguments": arguments, "result_callback": result_callback})
        await (handler(params) if handler else result_callback({"error": "not mocked"}))


def stub_bot(duplicate: bool = False) -> Any:
    def play(request: RunRequest, recorder: Recorder, tools: MockTools) -> None:
        async def run() -> None:
            turns = TextTurns(recorder)
            llm = StubLLM(turns, duplicate)
            mock_functions(llm, tools)
            for text in request.turns:
                recorder.caller(text)
                turns.turn_done.clear()
                await llm.respond()
                assert turns.turn_done.is_set()

        asyncio.run(run())

    return play


def test_the_adapter_speaks_the_protocol() -> None:
    harness = Harness(stub_bot(), name="pipecat:stub")
    with running(harness) as url:
        run = assert_speaks_the_protocol(url, harness)
    agent = [e.text for e in run.events if e.type == "message" and e.role == "agent"]
    assert agent == ["You're all set."]  # one utterance per turn, after the function calls
    assert [e.name for e in run.events if e.type == "tool_call"] == [
        "lookup_identity",
        "update_appointment",
    ]


@pytest.mark.parametrize(("duplicate", "exit_code"), [(False, 0), (True, 1)])
def test_the_gate_runs_a_case_through_the_adapter(
    tmp_path: Path, duplicate: bool, exit_code: int
) -> None:
    harness = Harness(stub_bot(duplicate), name="pipecat:stub")
    with running(harness) as url:
        code, text, _ = gate_run(url, tmp_path / "results.json")
    assert code == exit_code, text
