"""The reference harness as a pure HTTP handler: protocol checks, idempotency, async runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gate import __version__
from gate.reference.agent import AGENT_NAME, caller_turns, run_agent
from gate.reference.asr import AudioRejected, decode, wav_comment
from gate.reference.bugs import BUG_DESCRIPTIONS, BUGS
from gate.reference.sandbox import Json, Sandbox
from gate.results import PROTOCOL

Response = tuple[int, dict[str, str], bytes]
_MAJOR = PROTOCOL  # "voice-regress/v1"; a minor suffix (v1.2) is still this major


class RequestRejected(Exception):
    """A request the harness refuses; carries the HTTP status and the message for the gate."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message = status, message
        self.headers = dict(headers or {})


@dataclass
class _StoredRun:
    body_hash: str
    result: Json
    is_async: bool
    pending_polls: int


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    out = {"Content-Type": "application/json", **(headers or {})}
    return status, out, json.dumps(payload).encode()


def _protocol_ok(value: Any) -> bool:
    return isinstance(value, str) and (value == _MAJOR or value.startswith(_MAJOR + "."))


def validate_run_request(body: Any) -> None:
    """Reject what the agent cannot run, with a message naming the field (422)."""
    if not isinstance(body, dict):
        raise RequestRejected(400, "the request body must be a JSON object")
    if "protocol" not in body:
        raise RequestRejected(422, f"missing 'protocol' (this harness speaks {PROTOCOL})")
    if not _protocol_ok(body["protocol"]):
        raise RequestRejected(
            422, f"unsupported protocol {body['protocol']!r}; this harness speaks {PROTOCOL}"
        )
    if not isinstance(body.get("case_id"), str) or not body["case_id"]:
        raise RequestRejected(422, "'case_id' must be a non-empty string")
    for key in ("fixture", "scenario", "agent_ref", "caller"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise RequestRejected(422, f"'{key}' must be an object")
    if not _count(body.get("trial"), 1):
        raise RequestRejected(422, "'trial' must be a positive integer")
    _validate_turns(body.get("scenario") or {})
    _validate_slots(body.get("fixture") or {})


def _validate_turns(scenario: Mapping[str, Any]) -> None:
    turns = scenario.get("turns")
    if turns is not None and not isinstance(turns, list):
        raise RequestRejected(422, "'scenario.turns' must be a list")
    for i, turn in enumerate(turns or []):
        item = {"text": turn} if isinstance(turn, str) else turn
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise RequestRejected(422, f"'scenario.turns[{i}]' needs a 'text' string")
        if not _count(item.get("after_ms"), 0):
            raise RequestRejected(422, f"'scenario.turns[{i}].after_ms' must be an integer >= 0")
        _validate_audio(item.get("audio"), f"scenario.turns[{i}].audio")
    if not _count(scenario.get("max_turns"), 1):
        raise RequestRejected(422, "'scenario.max_turns' must be an integer >= 1")
    if not caller_turns(scenario):
        raise RequestRejected(422, "'scenario.turns' must hold at least one caller turn")


def _validate_audio(audio: Any, where: str) -> None:
    if audio is None:
        return
    if not isinstance(audio, dict):
        raise RequestRejected(422, f"'{where}' must be an object with base64 WAV data")
    try:
        wav_comment(decode(audio))
    except AudioRejected as err:
        raise RequestRejected(422, f"'{where}': {err}") from None


def _count(value: Any, minimum: int) -> bool:
    """An optional integer field: absent, or an int (not a bool) of at least `minimum`."""
    if value is None:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _validate_slots(fixture: Mapping[str, Any]) -> None:
    state = fixture.get("existing_state") or {}
    if not isinstance(state, dict):
        raise RequestRejected(422, "'fixture.existing_state' must be an object")
    for i, slot in enumerate(state.get("available_slots") or []):
        try:
            datetime.fromisoformat(str(slot))
        except ValueError:
            where = f"fixture.existing_state.available_slots[{i}]"
            message = f"'{where}' is not an ISO-8601 timestamp: {slot!r}"
            raise RequestRejected(422, message) from None


class ReferenceHarness:
    """The harness behind `gate.reference.server`; `handle` maps one request to one response.

    Counters (for tests and the demo): `requests`, `posts[key]` (POST attempts per
    Idempotency-Key) and `agent_runs[key]` (how often the agent really ran for that key: never
    more than once, which is the point of the key).
    """

    def __init__(
        self, bugs: Iterable[str] = (), token: str | None = None, pending_polls: int = 1
    ) -> None:
        unknown = sorted(set(bugs) - set(BUGS))
        if unknown:
            raise ValueError(f"unknown bug(s) {unknown}; known: {', '.join(BUGS)}")
        self.bugs = tuple(sorted(set(bugs)))
        self._token = token
        self._pending_polls = pending_polls
        self._lock = threading.Lock()  # the stdlib server calls handle() from many threads
        self._by_key: dict[str, _StoredRun] = {}
        self._by_run: dict[str, _StoredRun] = {}
        self.requests = 0
        self.posts: Counter[str] = Counter()
        self.agent_runs: Counter[str] = Counter()

    @property
    def total_agent_runs(self) -> int:
        return sum(self.agent_runs.values())

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Serve one request; never raises for bad input (that is a 4xx response)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        route = path.split("?", 1)[0].rstrip("/") or "/"
        with self._lock:
            self.requests += 1
            try:
                self._authorize(lowered)
                return self._route(method.upper(), route, lowered, body)
            except RequestRejected as err:
                return _json(err.status, {"error": err.message}, err.headers)
            except Exception as err:  # a harness bug must reach the gate as a 5xx, not a hang
                return _json(500, {"error": f"reference harness failed: {err!r}"})

    def _authorize(self, headers: Mapping[str, str]) -> None:
        if self._token is None:
            return
        sent = headers.get("authorization", "")
        expected = f"Bearer {self._token}"
        # Constant-time compare; the message never echoes what was sent.
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            reason = "missing" if not sent else "wrong"
            raise RequestRejected(
                401, f"bearer token {reason}", {"WWW-Authenticate": 'Bearer realm="voice-regress"'}
            )

    def _route(self, method: str, route: str, headers: Mapping[str, str], body: bytes) -> Response:
        if route == "/health":
            self._allow(method, "GET")
            return _json(200, self.health())
        if route == "/runs":
            self._allow(method, "POST")
            return self._start_run(headers, body)
        if route.startswith("/runs/") and route.count("/") == 2:
            self._allow(method, "GET")
            return self._poll(route.removeprefix("/runs/"))
        raise RequestRejected(404, f"no route {route}; try POST /runs or GET /health")

    @staticmethod
    def _allow(method: str, allowed: str) -> None:
        if method != allowed:
            raise RequestRejected(405, f"use {allowed}", {"Allow": allowed})

    def health(self) -> Json:
        """The discovery document of GET /health."""
        agent = {
            "name": AGENT_NAME,
            "version": __version__,
            "bugs": list(self.bugs),
            "known_bugs": BUG_DESCRIPTIONS,
            "tools": list(Sandbox({}).tool_names),
        }
        return {"protocol": PROTOCOL, "agent": agent}

    def _start_run(self, headers: Mapping[str, str], raw: bytes) -> Response:
        try:
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError) as err:
            raise RequestRejected(400, f"the request body is not valid JSON: {err}") from None
        validate_run_request(body)
        body_hash = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        # Without a key the body is the key, so a keyless retry is still deduplicated.
        key = headers.get("idempotency-key") or f"body:{body_hash}"
        self.posts[key] += 1
        stored = self._by_key.get(key)
        if stored is not None and stored.body_hash != body_hash:
            raise RequestRejected(422, "this Idempotency-Key was already used with another body")
        if stored is None and "flaky" in self.bugs and self.posts[key] == 1:
            return _json(
                503,
                {"error": "transient sandbox failure (planted bug 'flaky')"},
                {"Retry-After": "0"},
            )
        if stored is None:
            stored = self._run(key, body, body_hash, self._wants_async(headers, body))
        if stored.is_async:
            return self._accepted(stored)
        return _json(200, stored.result)

    def _run(self, key: str, body: Json, body_hash: str, is_async: bool) -> _StoredRun:
        self.agent_runs[key] += 1
        result = run_agent(body, self.bugs)
        polls = self._pending_polls if is_async else 0
        stored = _StoredRun(body_hash, result, is_async, polls)
        self._by_key[key] = stored
        self._by_run[str(result["run_id"])] = stored
        return stored

    @staticmethod
    def _wants_async(headers: Mapping[str, str], body: Json) -> bool:
        prefer = headers.get("prefer", "").lower()
        return "respond-async" in prefer or bool((body.get("fixture") or {}).get("respond_async"))

    @staticmethod
    def _accepted(stored: _StoredRun) -> Response:
        run_id = str(stored.result["run_id"])
        poll_url = f"/runs/{run_id}"
        payload = {"run_id": run_id, "poll_url": poll_url, "status": "running"}
        return _json(202, payload, {"Location": poll_url, "Retry-After": "0"})

    def _poll(self, run_id: str) -> Response:
        stored = self._by_run.get(run_id)
        if stored is None:
            raise RequestRejected(404, f"unknown run {run_id!r}")
        if stored.pending_polls > 0:
            # Exercise the gate's polling loop: report "still running" a few times first.
            stored.pending_polls -= 1
            return self._accepted(stored)
        return _json(200, stored.result)
