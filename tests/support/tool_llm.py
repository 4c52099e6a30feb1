"""A scripted tool-calling model behind an OpenAI-compatible chat-completions endpoint on loopback,
streaming (server-sent events, as the LiveKit and Pipecat OpenAI plugins ask) or not.

Per caller turn: it verifies the caller, then moves the appointment (or, with `duplicate`, books a
second one, the regression), then speaks; a turn after that one is answered in text alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gate.reference.loopback import serving

CALLER = "caller_fixture_100"
APPOINTMENT = "appt_fixture_100"


def next_step(messages: list[dict[str, Any]], duplicate: bool) -> tuple[str, Any]:
    """('call', (name, arguments)) or ('text', words), from the conversation so far."""
    since_user = []
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        since_user.append(message)
    tool_answers = sum(1 for m in since_user if m.get("role") == "tool")
    first_turn = sum(1 for m in messages if m.get("role") == "user") == 1
    if first_turn and tool_answers == 0:
        return "call", ("lookup_identity", {"caller_id": CALLER})
    if first_turn and tool_answers == 1:
        if duplicate:
            return "call", ("create_new_appointment", {"caller_id": CALLER, "start_time": "x"})
        move = {"appointment_id": APPOINTMENT, "new_start_time": "2026-06-03T15:00:00-05:00"}
        return "call", ("update_appointment", move)
    return "text", "You're all set for Wednesday at 3 PM."


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    duplicate = False
    calls = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.server.calls += 1
        kind, step = next_step(body["messages"], self.server.duplicate)
        if kind == "call":
            name, arguments = step
            call = {
                "index": 0,
                "id": f"call_{self.server.calls}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            delta: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
        else:
            delta = {"role": "assistant", "content": step}
        finish = "tool_calls" if kind == "call" else "stop"
        if body.get("stream"):
            self._stream(delta, finish)
        else:
            self._send(
                "application/json",
                {"choices": [{"index": 0, "message": delta, "finish_reason": finish}]},
            )

    def _stream(self, delta: dict[str, Any], finish: str) -> None:
        chunks = [
            {"index": 0, "delta": delta, "finish_reason": None},
            {"index": 0, "delta": {}, "finish_reason": finish},
        ]
        lines = [
            "data: "
            + json.dumps(
                {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "scripted",
                    "choices": [chunk],
                }
            )
            for chunk in chunks
        ]
        self._send("text/event-stream", "\n\n".join([*lines, "data: [DONE]"]) + "\n\n")

    def _send(self, content_type: str, payload: Any) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass


@contextmanager
def serve(duplicate: bool = False) -> Iterator[str]:
    """The model on 127.0.0.1 for the block; yields its base URL (`…/v1`)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.duplicate = duplicate
    with serving(server, poll_interval=0.05) as url:
        yield f"{url}/v1"
