"""The timed event log of one reference call: messages, tool calls and results, turn timings;
the planted bugs that only change timing live here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from gate.reference.sandbox import Json, Sandbox

_TOOL_STEP_MS = 90  # tool call + result inside one agent turn; 5 tools fit the 600 ms minimum


def digest(*parts: object) -> str:
    """A stable hex digest of JSON-able parts: the agent's only source of "randomness"."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class EventLog:
    """What the harness reports of a call, in order, with deterministic times."""

    def __init__(self, sandbox: Sandbox, bugs: frozenset[str], request: Mapping[str, Any]) -> None:
        self.sandbox, self.bugs = sandbox, bugs
        self.seed = digest(request.get("case_id"), request.get("trial", 1))
        self.trial = int(request.get("trial") or 1)
        self.events: list[Json] = []
        self.turns: list[Json] = []
        self.clock = self.calls = 0
        self.turn, self.base_ms, self.tools_this_turn = 0, 0, 0
        self.last_text = ""
        self.speech: tuple[int, int] | None = None  # the agent's last utterance: start, length

    def caller_says(
        self, turn: int, text: str, after_ms: int, interrupt: bool = False, asr: bool = False
    ) -> None:
        """`asr`: `text` is what the recogniser heard in the turn's audio (text_source: asr)."""
        self.turn, self.tools_this_turn, self.last_text = turn, 0, text
        self.clock += after_ms
        event: Json = {"type": "message", "role": "caller", "turn": turn, "t_ms": self.clock}
        if asr:
            event["text_source"] = "asr"
        if interrupt and self.speech is not None:
            event.update(self.barge_in(*self.speech))
        self.events.append({**event, "text": text})
        self.clock = event["t_ms"] + 45 * len(text)  # speaking time: later events stay monotonic
        self.base_ms = self.clock

    def barge_in(self, spoke_at: int, speech_ms: int) -> Json:
        """The caller cuts in halfway through the agent's last utterance; the agent goes quiet
        within a few hundred ms (the `barge-in-ignored` bug: it finishes its sentence)."""
        remaining = speech_ms // 2
        stop = 150 + int(digest(self.seed, "barge", self.turn)[:8], 16) % 150
        if "barge-in-ignored" in self.bugs:
            stop = remaining
        return {"t_ms": spoke_at + speech_ms - remaining, "agent_stop_ms": stop}

    def tool(self, name: str, arguments: Json, failed: Json | None = None) -> Json:
        """Call a sandbox tool; `failed`: the tool fails with this output instead (no write)."""
        self.calls += 1
        call_id = f"c{self.calls}"
        t_ms = self.base_ms + _TOOL_STEP_MS * self.tools_this_turn + 30
        self.tools_this_turn += 1
        self.events.append(
            {
                "type": "tool_call",
                "turn": self.turn,
                "t_ms": t_ms,
                "call_id": call_id,
                "name": name,
                "arguments": arguments,
            }
        )
        output = failed if failed is not None else self.sandbox.call(name, arguments)
        if name == "send_confirmation" and "confirmation-channel" in self.bugs:
            output = {**output, "channel": "email"}  # the gateway's silent fallback
        self.events.append(
            {
                "type": "tool_result",
                "turn": self.turn,
                "t_ms": t_ms + 50,
                "call_id": call_id,
                "status": "ok" if failed is None else "error",
                "output": output,
            }
        )
        return output

    def agent_says(self, text: str) -> None:
        latency, lead_in = (
            self.latency(),
            60 + int(digest(self.seed, "word", self.turn)[:8], 16) % 60,
        )
        if "first-word-late" in self.bugs:
            lead_in += 1400  # leading silence: the audio starts on time, the words do not
        t_ms = self.base_ms + latency
        self.speech = (t_ms, lead_in + 45 * len(text))
        timing = {"turn": self.turn, "latency_ms": latency, "first_word_ms": latency + lead_in}
        self.turns.append(timing)
        self.events.append(
            {"type": "message", "role": "agent", "turn": self.turn, "t_ms": t_ms, "text": text}
        )
        self.clock = t_ms + lead_in + 45 * len(text) + 300

    def latency(self) -> int:
        """Caller done to agent audio: 600-900 ms; `slow` adds 900 to every turn, `latency-tail`
        1500 to the first turn of every third trial (one run's p95 rarely sees it)."""
        latency = 600 + int(digest(self.seed, self.turn)[:8], 16) % 300
        if "slow" in self.bugs:
            latency += 900
        if "latency-tail" in self.bugs and self.trial % 3 == 0 and self.turn == 0:
            latency += 1500
        return latency
