"""The LiveKit and Pipecat adapters with the real frameworks, when they are installed
(`pip install -r examples/adapters/requirements-livekit.txt -r …/requirements-pipecat.txt`): each
example agent runs behind its adapter on loopback against a scripted streaming model
(tests/support/tool_llm.py); the answers are read with the gate's parser and consistency rules,
and the gate runs the example case through the adapter. The gate's own test environment does not
install the frameworks, so there these tests skip and say why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from checks import consistent_run, gate_run, request_body, running
from harness_protocol import Harness
from support import tool_llm

# The frameworks' own deprecations (audioop, renamed modules) are theirs, not the adapters'.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIXTURE = {
    "caller_id": "caller_fixture_100",
    "side_effect_mode": "mock",
    "tool_results": {
        "lookup_identity": {"verified": True},
        "update_appointment": {"appointment_id": "appt_fixture_100", "status": "rescheduled"},
    },
    "tool_systems": {"update_appointment": "calendar"},
    "completion_tools": ["update_appointment"],
}


def livekit_harness(base_url: str) -> Harness:
    pytest.importorskip("livekit.agents", reason="LiveKit Agents is not installed (optional)")
    pytest.importorskip("livekit.plugins.openai", reason="livekit-plugins-openai not installed")
    from example_livekit_agent import SchedulingAgent  # noqa: PLC0415 - needs the framework
    from livekit_adapter import LiveKitAgent, livekit_sessions  # noqa: PLC0415

    return Harness(LiveKitAgent(livekit_sessions(SchedulingAgent, "scripted", base_url)), "lk")


def pipecat_harness(base_url: str) -> Harness:
    pytest.importorskip("pipecat", reason="Pipecat is not installed (optional)")
    pytest.importorskip("openai", reason="pipecat-ai[openai] is not installed")
    import example_pipecat_bot  # noqa: PLC0415 - needs the framework
    from pipecat_adapter import PipecatBot  # noqa: PLC0415

    # build() reads OPENAI_BASE_URL, which the `adapter` fixture points at the scripted model.
    return Harness(PipecatBot(example_pipecat_bot.build, turn_timeout_s=30), "pc")


FRAMEWORKS = {"livekit": livekit_harness, "pipecat": pipecat_harness}


@pytest.fixture(params=sorted(FRAMEWORKS))
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def adapter(framework: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Starts the framework's adapter in front of the scripted model, for a `with` block."""

    @contextmanager
    def start(duplicate: bool = False) -> Iterator[str]:
        with tool_llm.serve(duplicate) as base_url:
            monkeypatch.setenv("OPENAI_API_KEY", "scripted")
            monkeypatch.setenv("OPENAI_BASE_URL", base_url)
            with running(FRAMEWORKS[framework](base_url)) as url:
                yield url

    return start


def test_a_real_framework_run_is_consistent_evidence(adapter: Any) -> None:
    body = request_body(turns=["Move my Tuesday appointment to Wednesday at 3 PM.", "Thanks!"])
    body["fixture"] = FIXTURE
    with adapter() as url:
        run = consistent_run(url, body, "key-1")
    assert run.status == "completed", run.error
    calls = [e.name for e in run.events if e.type == "tool_call"]
    assert calls == ["lookup_identity", "update_appointment"]
    said = [(e.turn, e.text) for e in run.events if e.type == "message" and e.role == "agent"]
    assert [turn for turn, _ in said] == [0, 1] and all(text for _, text in said)
    assert run.outcome is not None and run.outcome["task_completed"] is True


@pytest.mark.parametrize(("duplicate", "exit_code"), [(False, 0), (True, 1)])
def test_the_gate_runs_the_example_case_through_a_real_framework(
    adapter: Any, tmp_path: Path, duplicate: bool, exit_code: int
) -> None:
    with adapter(duplicate) as url:
        code, text, _ = gate_run(url, tmp_path / "results.json")
    assert code == exit_code, text
