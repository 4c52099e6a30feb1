"""The LiveKit adapter's protocol side, on loopback, with a stub in place of a LiveKit
AgentSession (LiveKit Agents is not installed for the gate's tests): the stub answers
`session.run(user_input=...)` with events shaped like LiveKit's RunResult events, calling the
fixture's mocks as LiveKit's `mock_tools` would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from checks import assert_speaks_the_protocol, gate_run, running
from harness_protocol import Harness, MockTools, RunRequest
from livekit_adapter import LiveKitAgent

MOCKED = {
    "lookup_identity": {"verified": True},
    "update_appointment": {"appointment_id": "appt_fixture_100", "status": "rescheduled"},
}


def _event(kind: str, **item: Any) -> SimpleNamespace:
    return SimpleNamespace(type=kind, item=SimpleNamespace(**item))


class StubSession:
    """A text-mode session of a scheduling agent: verify, move the appointment, say so."""

    def __init__(self, tools: MockTools, duplicate: bool) -> None:
        self.tools, self.duplicate, self.calls = tools, duplicate, 0

    async def run(self, *, user_input: str) -> SimpleNamespace:
        events = []
        write = "create_new_appointment" if self.duplicate else "update_appointment"
        for name in ("lookup_identity", write):
            self.calls += 1
            call_id = f"call_{self.calls}"
            events.append(
                _event(
                    "function_call",
                    call_id=call_id,
                    name=name,
                    arguments='{"appointment_id": "appt_fixture_100"}',
                )
            )
            output, status = self.tools.output(name)  # what LiveKit's mock_tools runs
            events.append(_event("function_call_output", call_id=call_id, name=name,
                                 output=json.dumps(output), is_error=status != "ok"))  # fmt: skip
        events.append(_event("message", role="assistant", text_content="You're all set."))
        return SimpleNamespace(events=events)


def stub_sessions(duplicate: bool = False) -> Any:
    @asynccontextmanager
    async def open_session(request: RunRequest, tools: MockTools) -> AsyncIterator[StubSession]:
        yield StubSession(tools, duplicate)

    return open_session


def test_the_adapter_speaks_the_protocol() -> None:
    harness = Harness(LiveKitAgent(stub_sessions()), name="livekit:stub")
    with running(harness) as url:
        run = assert_speaks_the_protocol(url, harness)
    kinds = [(e.type, e.name or e.role) for e in run.events]
    assert kinds[:3] == [
        ("message", "caller"),
        ("tool_call", "lookup_identity"),
        ("tool_result", None),
    ]
    assert run.events[2].call_id == "call_1" and run.events[-1].text == "You're all set."


@pytest.mark.parametrize(("duplicate", "exit_code"), [(False, 0), (True, 1)])
def test_the_gate_runs_a_case_through_the_adapter(
    tmp_path: Path, duplicate: bool, exit_code: int
) -> None:
    harness = Harness(LiveKitAgent(stub_sessions(duplicate)), name="livekit:stub")
    with running(harness) as url:
        code, text, _ = gate_run(url, tmp_path / "results.json")
    assert code == exit_code, text
