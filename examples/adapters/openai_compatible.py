"""Harness adapter for an OpenAI-compatible tool-calling agent: a system prompt, tool schemas and
mocked tool results from the case fixture, against any chat-completions endpoint.

    python examples/adapters/openai_compatible.py --agent examples/adapters/agent.json \
        --base-url http://127.0.0.1:11434/v1 --model llama3.1:8b        # or OpenAI, vLLM, LiteLLM
    voice-regress-gate run --harness-url http://127.0.0.1:8766 --cases voice-tests

The API key comes from OPENAI_API_KEY (never from a flag). Needs only httpx (installed with the
gate). The agent file is JSON: `system_prompt`, `tools` (OpenAI tool schemas), and optionally
`handoff_tool` (a call of it ends the call as a handoff to its `destination` argument, with its
`summary`). Tool outputs come from the case's `fixture.tool_results`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from harness_protocol import Harness, Json, MockTools, Recorder, RunRequest, serve

MAX_TOOL_ROUNDS = 8  # a model that keeps calling tools is cut off, not looped forever


class ToolCallingAgent:
    """One agent definition; `__call__` plays one case's caller turns against the model."""

    def __init__(
        self, spec: Mapping[str, Any], base_url: str, model: str, api_key: str = ""
    ) -> None:
        self.spec, self.model = spec, model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers, timeout=60)

    def close(self) -> None:
        self.http.close()

    @property
    def tool_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.spec.get("tools", [])]

    def __call__(self, request: RunRequest, recorder: Recorder, tools: MockTools) -> Json | None:
        messages: list[Json] = [{"role": "system", "content": self.spec["system_prompt"]}]
        for text in request.turns:
            recorder.caller(text)
            messages.append({"role": "user", "content": text})
            self._turn(messages, recorder, tools)
            if recorder.handed_off:
                break  # the call now belongs to a person
        return None  # outcome: from fixture.completion_tools (harness_protocol.completion)

    def _turn(self, messages: list[Json], recorder: Recorder, tools: MockTools) -> None:
        """Model rounds, each tool call answered from the mocks, until it answers in text."""
        for _ in range(MAX_TOOL_ROUNDS):
            message = self._complete(messages)
            calls = message.get("tool_calls") or []
            messages.append(
                {k: v for k, v in message.items() if k in ("role", "content", "tool_calls")}
            )
            if not calls:
                recorder.agent(message.get("content") or "")
                return
            for call in calls:
                self._tool(call, messages, recorder, tools)
            if recorder.handed_off:
                return
        recorder.agent("")  # the model never stopped calling tools: it said nothing

    def _tool(self, call: Json, messages: list[Json], recorder: Recorder, tools: MockTools) -> None:
        name, raw = call["function"]["name"], call["function"].get("arguments") or "{}"
        arguments = json.loads(raw) if isinstance(raw, str) else raw
        call_id = recorder.tool_call(name, arguments, call.get("id"))
        output, status = tools(name, arguments)
        recorder.tool_result(call_id, output, status)
        messages.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(output)})
        if name == self.spec.get("handoff_tool"):
            recorder.handoff(
                str(arguments.get("destination", "human")), str(arguments.get("summary", ""))
            )

    def _complete(self, messages: list[Json]) -> Json:
        body = {
            "model": self.model,
            "messages": messages,
            "tools": self.spec.get("tools", []),
            "temperature": 0,
        }
        response = self.http.post("chat/completions", json=body)
        response.raise_for_status()  # a harness_error: the gate retries it once
        message: Json = response.json()["choices"][0]["message"]
        return message


def harness(agent: ToolCallingAgent) -> Harness:
    """The protocol side around `agent` (examples/adapters/harness_protocol.py)."""
    return Harness(
        agent, name=str(agent.spec.get("name", "openai-compatible-agent")), tools=agent.tool_names
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", required=True, help="agent JSON: system_prompt, tools, ...")
    parser.add_argument(
        "--base-url", default=os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")
    )
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    spec = json.loads(Path(args.agent).read_text(encoding="utf-8"))
    agent = ToolCallingAgent(spec, args.base_url, args.model, os.environ.get("OPENAI_API_KEY", ""))
    serve(harness(agent), args.host, args.port)


if __name__ == "__main__":
    main()
