"""Harness adapter for a LiveKit Agents agent, around LiveKit's own text-mode test entry point:
an `AgentSession` without audio, `session.run(user_input=...)` per caller turn, and the agent's
tools replaced by `mock_tools` with the outputs the case fixture gives (`fixture.tool_results`).

    pip install -r examples/adapters/requirements-livekit.txt   # livekit-agents + OpenAI plugin
    python examples/adapters/livekit_adapter.py --agent my_agent:SchedulingAgent \
        --model gpt-4o-mini --base-url https://api.openai.com/v1        # key: OPENAI_API_KEY
    voice-regress-gate run --harness-url http://127.0.0.1:8766 --cases voice-tests

`my_agent:SchedulingAgent` is your `livekit.agents.Agent` subclass (importable from the working
directory), constructed without arguments. LiveKit is an optional extra of this example, never a
dependency of the gate. Tools the fixture does not mock run for real: mock every tool that
writes. The protocol side is `harness_protocol.py`, shared with the other adapters.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from harness_protocol import Harness, Json, MockTools, Recorder, RunRequest, serve

try:  # the framework is optional: the protocol side and its tests run without it
    from livekit.agents import AgentSession, mock_tools
    from livekit.plugins import openai as livekit_openai
except ImportError:  # pragma: no cover - depends on the environment
    AgentSession = mock_tools = livekit_openai = None


class Session(Protocol):
    """What the adapter needs of a LiveKit `AgentSession` in text mode."""

    def run(self, *, user_input: str) -> Any: ...  # awaitable → RunResult with `.events`


OpenSession = Callable[[RunRequest, MockTools], AbstractAsyncContextManager[Session]]


def parse_output(output: str) -> Any:
    """A tool output as JSON when it is JSON (LiveKit hands outputs to the model as text)."""
    try:
        return json.loads(output)
    except (TypeError, ValueError):
        return output


def record(events: Iterable[Any], recorder: Recorder, tools: MockTools) -> None:
    """LiveKit's RunResult events → protocol events, in LiveKit's order."""
    arguments: dict[str, Json] = {}
    for event in events:
        item = event.item
        if event.type == "message" and item.role == "assistant":
            recorder.agent(item.text_content or "")
        elif event.type == "function_call":
            arguments[item.call_id] = parse_output(item.arguments or "{}")
            recorder.tool_call(item.name, arguments[item.call_id], item.call_id)
        elif event.type == "function_call_output":
            output = parse_output(item.output)
            recorder.tool_result(item.call_id, output, "error" if item.is_error else "ok")
            if not item.is_error and item.name in tools.results:
                tools.observe(item.name, arguments.get(item.call_id, {}), output)
        elif event.type == "agent_handoff":
            recorder.handoff(type(event.new_agent).__name__, "handoff to another LiveKit agent")


class LiveKitAgent:
    """Plays one case's caller turns through a text-mode session (`open_session`)."""

    def __init__(self, open_session: OpenSession) -> None:
        self.open_session = open_session

    def __call__(self, request: RunRequest, recorder: Recorder, tools: MockTools) -> Json | None:
        asyncio.run(self._play(request, recorder, tools))
        return None

    async def _play(self, request: RunRequest, recorder: Recorder, tools: MockTools) -> None:
        async with self.open_session(request, tools) as session:
            for text in request.turns:
                recorder.caller(text)
                result = await session.run(user_input=text)
                # An agent_handoff moves the call to another LiveKit agent; the call goes on.
                record(result.events, recorder, tools)


def livekit_sessions(agent_class: type, model: str, base_url: str) -> OpenSession:
    """Real LiveKit sessions: the OpenAI plugin's LLM, the fixture's mocks on the agent's tools."""

    class _Open:
        def __init__(self, request: RunRequest, tools: MockTools) -> None:
            self.tools = tools

        async def __aenter__(self) -> Session:
            self.llm = livekit_openai.LLM(model=model, base_url=base_url)
            self.session = AgentSession(llm=self.llm)
            await self.session.__aenter__()
            await self.session.start(agent_class())
            mocks = {name: _mock(self.tools, name) for name in self.tools.results}
            mock_tools(agent_class, mocks, session=self.session)
            return self.session

        async def __aexit__(self, *exc: object) -> None:
            await self.session.__aexit__(*exc)
            await self.llm.aclose()

    return _Open


def _mock(tools: MockTools, name: str) -> Callable[[], str]:
    # LiveKit passes a mock only the parameters it declares: the arguments are read from the
    # function_call event instead (see `record`).
    return lambda: json.dumps(tools.output(name)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", required=True, metavar="MODULE:CLASS")
    parser.add_argument("--model", required=True)
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if AgentSession is None:
        parser.error("LiveKit Agents is not installed: pip install -r requirements-livekit.txt")
    sys.path.insert(0, os.getcwd())  # your agent's module, from where you run the adapter
    module, _, name = args.agent.partition(":")
    agent_class = getattr(importlib.import_module(module), name)
    agent = LiveKitAgent(livekit_sessions(agent_class, args.model, args.base_url))
    serve(Harness(agent, name=f"livekit:{name}"), args.host, args.port)


if __name__ == "__main__":
    main()
