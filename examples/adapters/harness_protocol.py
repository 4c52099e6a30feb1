"""Harness protocol v1 for adapters: request parsing, RunResult building, /health, idempotency.

Standard library only. An adapter supplies one function, `agent(request, recorder, tools)`, that
plays `request.turns` against its agent and tells the `Recorder` what happened; this module does
the HTTP side that every adapter needs the same way (see docs/harness-protocol.md):

- `POST /runs`: checks the request, runs the agent once per Idempotency-Key (a retry of the same
  key gets the stored RunResult; the same key with another body is a 422), answers 200.
- `GET /health`: the protocol and the agent's name and tools.
- every run gets its own `run_id`; `case_id` and `trial` are echoed; events are recorded in the
  order they happen with `t_ms` from one monotonic clock, so the RunResult is consistent.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROTOCOL = "voice-regress/v1"
MAX_BODY_BYTES = 1 << 20
Json = dict[str, Any]
Response = tuple[int, dict[str, str], bytes]


class Rejected(Exception):
    """A request the harness refuses: a 4xx status and a message the gate shows."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class RunRequest:
    """What the gate asked for: one trial of one case."""

    case_id: str
    trial: int
    turns: list[str]
    fixture: Json
    agent_ref: Json
    caller: Json
    body: Json


def parse_request(raw: bytes) -> RunRequest:
    """The POST /runs body, or Rejected naming the first problem."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Rejected(400, "the request body must be a JSON object")
    protocol = body.get("protocol")
    if not isinstance(protocol, str) or not re.fullmatch(r"voice-regress/v1(\.\d+)*", protocol):
        raise Rejected(422, f"unsupported protocol {protocol!r}; this harness speaks {PROTOCOL}")
    case_id, trial = body.get("case_id"), body.get("trial", 1)
    if not isinstance(case_id, str) or not case_id:
        raise Rejected(422, "'case_id' must be a non-empty string")
    if not isinstance(trial, int) or isinstance(trial, bool) or trial < 1:
        raise Rejected(422, "'trial' must be a positive integer")
    scenario = body.get("scenario") or {}
    turns = [t if isinstance(t, str) else (t or {}).get("text") for t in scenario.get("turns", [])]
    if not turns or not all(isinstance(t, str) for t in turns):
        raise Rejected(422, "'scenario.turns' must hold at least one caller turn with a 'text'")
    limit = scenario.get("max_turns")
    return RunRequest(
        case_id,
        trial,
        turns[:limit] if isinstance(limit, int) and limit > 0 else turns,
        _object(body, "fixture"),
        _object(body, "agent_ref"),
        _object(body, "caller"),
        body,
    )


def _object(body: Json, key: str) -> Json:
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise Rejected(422, f"'{key}' must be an object")
    return value


@dataclass
class Recorder:
    """The events of one run, in the order they happen; `t_ms` is time since the run began."""

    clock: Callable[[], float] = time.monotonic
    events: list[Json] = field(default_factory=list)
    turns: list[Json] = field(default_factory=list)
    writes: list[Json] = field(default_factory=list)
    handed_off: bool = False

    def __post_init__(self) -> None:
        self._start = self.clock()
        self._turn, self._heard_at, self._calls = -1, 0, 0

    def _ms(self) -> int:
        return int((self.clock() - self._start) * 1000)

    def caller(self, text: str) -> None:
        """The caller's next turn; turns count from 0."""
        self._turn += 1
        self._heard_at = self._ms()
        self._add({"type": "message", "role": "caller", "text": text}, self._heard_at)

    def tool_call(self, name: str, arguments: Any, call_id: str | None = None) -> str:
        """A tool call of the agent; returns its call id (the framework's, else c1, c2, ...)."""
        self._calls += 1
        call_id = call_id or f"c{self._calls}"
        self._add({"type": "tool_call", "call_id": call_id, "name": name, "arguments": arguments})
        return call_id

    def tool_result(self, call_id: str, output: Any, status: str = "ok") -> None:
        self._add({"type": "tool_result", "call_id": call_id, "status": status, "output": output})

    def agent(self, text: str) -> None:
        """What the agent said; the turn's latency is the time since the caller's turn."""
        at = self._ms()
        self.turns.append({"turn": max(self._turn, 0), "latency_ms": at - self._heard_at})
        self._add({"type": "message", "role": "agent", "text": text}, at)

    def handoff(self, to: str, summary: str) -> None:
        self.handed_off = True
        self._add({"type": "handoff", "to": to, "summary": summary})

    def _add(self, event: Json, at: int | None = None) -> None:
        self.events.append(
            {**event, "turn": max(self._turn, 0), "t_ms": self._ms() if at is None else at}
        )

    def result(self, request: RunRequest, status: str = "completed", **extra: Any) -> Json:
        """The RunResult of this run: a fresh run_id, the request's echoes, every event."""
        return {
            "protocol": PROTOCOL,
            "run_id": f"run_{uuid.uuid4().hex}",
            "case_id": request.case_id,
            "trial": request.trial,
            "status": status,
            "trace_complete": status == "completed",
            "events": self.events,
            "turns": self.turns,
            "side_effects": {"source": "sandbox_observed", "writes": self.writes},
            **extra,
        }


# The verb a write tool's name starts with → the protocol's write op.
_WRITE_OPS = {
    **dict.fromkeys(("create", "book"), "create"),
    **dict.fromkeys(("update", "reschedule", "cancel"), "update"),
    "delete": "delete",
    **dict.fromkeys(("send", "notify"), "notify"),
}


class MockTools:
    """Tool results from the case fixture, and the writes the agent asked for.

    The fixture keys an adapter reads: `tool_results`, `tool_systems`, `completion_tools`.

    `fixture.tool_results` maps a tool name to its output (a list: one output per call, the last
    repeats). A tool whose name starts with a write verb (create_, update_, cancel_, send_, ...)
    records a write in `fixture.tool_systems[name]` (default `app`): the mock is the sandbox, so
    the writes are observed, not reported by the agent.
    """

    def __init__(self, fixture: Mapping[str, Any], recorder: Recorder) -> None:
        self.results = dict(fixture.get("tool_results") or {})
        self.systems = dict(fixture.get("tool_systems") or {})
        self.recorder = recorder
        self.calls: dict[str, int] = {}

    def __call__(self, name: str, arguments: Mapping[str, Any]) -> tuple[Any, str]:
        """The mocked output of one call and its status (`ok`, or `error` for an unmocked tool)."""
        output, status = self.output(name)
        if status == "ok":
            self.observe(name, arguments, output)
        return output, status

    def output(self, name: str) -> tuple[Any, str]:
        """The next mocked output of `name`, without recording a write (see `observe`)."""
        count = self.calls[name] = self.calls.get(name, 0) + 1
        if name not in self.results:
            return {"error": f"no mocked result for {name} in fixture.tool_results"}, "error"
        planned = self.results[name]
        return (
            planned[min(count, len(planned)) - 1] if isinstance(planned, list) else planned
        ), "ok"

    def observe(self, name: str, arguments: Mapping[str, Any], output: Any) -> None:
        """Record the write a call of a write tool made (a framework that runs the mock itself
        calls this once it knows the call's arguments)."""
        op = _WRITE_OPS.get(name.split("_", 1)[0])
        if op is None:
            return
        found = {**arguments, **(output if isinstance(output, dict) else {})}
        entity = next((str(v) for k, v in found.items() if k.endswith("_id")), name)
        status = found.get("status", "ok")
        self.recorder.writes.append(
            {
                "system": self.systems.get(name, "app"),
                "op": op,
                "entity_id": entity,
                "status": str(status),
                "data": dict(arguments),
            }
        )


Agent = Callable[[RunRequest, Recorder, MockTools], "Json | None"]


class Harness:
    """The HTTP side of an adapter around `agent`, which returns the RunResult's `outcome`."""

    def __init__(self, agent: Agent, name: str, tools: list[str] | None = None) -> None:
        self.agent, self.name, self.tools = agent, name, list(tools or [])
        self._lock = threading.Lock()
        self._runs: dict[str, tuple[str, Future[Json]]] = {}
        self.agent_runs = 0

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        """One request → (status, headers, body); bad input is a 4xx, never an exception."""
        route = path.split("?", 1)[0].rstrip("/")
        try:
            if route == "/health" and method == "GET":
                return _json(
                    200, {"protocol": PROTOCOL, "agent": {"name": self.name, "tools": self.tools}}
                )
            if route == "/runs" and method == "POST":
                lowered = {k.lower(): v for k, v in headers.items()}
                return _json(200, self.start(lowered.get("idempotency-key"), body))
            raise Rejected(404, f"no route {method} {route}; try POST /runs or GET /health")
        except Rejected as err:
            return _json(err.status, {"error": err.message})

    def start(self, key: str | None, raw: bytes) -> Json:
        """The RunResult for this key: the agent runs once per key, a retry waits for that run."""
        request = parse_request(raw)
        digest = hashlib.sha256(json.dumps(request.body, sort_keys=True).encode()).hexdigest()
        key = key or f"body:{digest}"
        with self._lock:
            known = self._runs.get(key)
            if known is None:
                self._runs[key] = (digest, future := Future())
        if known is not None:
            if known[0] != digest:
                raise Rejected(422, "this Idempotency-Key was already used with another body")
            return known[1].result()
        future.set_result(self._run(request))
        return future.result()

    def _run(self, request: RunRequest) -> Json:
        self.agent_runs += 1
        recorder = Recorder()
        try:
            outcome = self.agent(request, recorder, MockTools(request.fixture, recorder))
        except Exception as exc:  # the agent or its model broke: the gate ends the trial error
            return recorder.result(request, "harness_error", error=f"{type(exc).__name__}: {exc}")
        outcome = outcome or completion(request.fixture, recorder.events)
        return recorder.result(request, outcome=outcome) if outcome else recorder.result(request)


def completion(fixture: Mapping[str, Any], events: list[Json]) -> Json | None:
    """`outcome.task_completed` from `fixture.completion_tools`: the case's task counts as done
    when a call of one of them succeeded (an agent framework cannot know what the task was)."""
    tools = fixture.get("completion_tools")
    if not tools:
        return None
    called = {e["call_id"]: e["name"] for e in events if e["type"] == "tool_call"}
    done = any(
        e["type"] == "tool_result" and e["status"] == "ok" and called.get(e["call_id"]) in tools
        for e in events
    )
    return {"task_completed": done}


def _json(status: int, payload: Any) -> Response:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._reply(*self.server.harness.handle("GET", self.path, dict(self.headers), b""))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._reply(413, {}, b'{"error": "body too large"}')
            return
        body = self.rfile.read(length)
        self._reply(*self.server.harness.handle("POST", self.path, dict(self.headers), body))

    def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        """Quiet: one line per request would drown the adapter's own log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    harness: Harness


def make_server(harness: Harness, host: str = "127.0.0.1", port: int = 0) -> _Server:
    """A bound server (port 0: a free one); call `serve_forever()`, or serve it in a thread."""
    server = _Server((host, port), _Handler)
    server.harness = harness
    return server


def serve(harness: Harness, host: str = "127.0.0.1", port: int = 8766) -> None:
    """Serve until Ctrl-C; the first line printed is `listening on http://HOST:PORT`."""
    server = make_server(harness, host, port)
    print(f"listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
