"""Harness protocol v1 on the wire, without IO: the request we send and reading what comes back."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import ValidationError

from gate.errors import HarnessError
from gate.models import LoadedCase, Scenario, compact
from gate.net import short
from gate.results import PROTOCOL, HarnessRun
from gate.text import one_line

_PROTOCOL_RE = re.compile(r"voice-regress/v(\d+)(?:\.\d+)*")


class RunFault(Exception):
    """This trial cannot produce evidence; the message is its one-line reason."""


def build_request(case: LoadedCase, trial: int, timeout_s: float) -> dict[str, Any]:
    """The POST /runs body for one trial of `case` (JSON-serializable)."""
    spec = case.case
    # mode="json": YAML may have produced dates or other non-JSON scalars in agent_ref/fixture.
    dumped = spec.model_dump(mode="json", exclude_none=True, by_alias=True)
    scripted = dumped.get("scenario", {})
    turns = [
        _turn(turn.model_dump(mode="json", exclude_none=True), case.audio.get(index))
        for index, turn in enumerate((spec.scenario or Scenario()).caller_turns())
    ]
    scenario: dict[str, Any] = {"turns": turns, "state": scripted.get("state", {})}
    scenario.update({k: scripted[k] for k in ("max_turns", "must_reproduce") if k in scripted})
    return {
        "protocol": PROTOCOL,
        "case_id": case.id,
        "suite": spec.suite,
        "trial": trial,
        "agent_ref": dumped["agent_ref"],
        "fixture": dumped["fixture"],
        "caller": dumped.get("caller", {}),
        "scenario": scenario,
        "timeout_s": int(timeout_s) if float(timeout_s).is_integer() else timeout_s,
    }


def _turn(turn: dict[str, Any], audio: bytes | None) -> dict[str, Any]:
    """A caller turn as sent: an audio fixture goes inline, base64, with its name and digest."""
    name = turn.pop("audio", None)
    if name is None or audio is None:
        return turn
    turn["audio"] = {
        "name": str(name).replace("\\", "/").rsplit("/", 1)[-1],
        "content_type": "audio/wav",
        "base64": base64.b64encode(audio).decode("ascii"),
        "sha256": hashlib.sha256(audio).hexdigest(),
    }
    return turn


def idempotency_key(invocation_id: str, case_id: str, trial: int) -> str:
    """Stable per (gate invocation, case, trial); hashed so any case id stays header-safe."""
    # json.dumps keeps the parts unambiguous: no separator a case id could also contain.
    digest = hashlib.sha256(json.dumps([invocation_id, case_id, trial]).encode()).hexdigest()
    return f"vrg-{digest[:40]}"


def parse_run(body: bytes) -> HarnessRun:
    """A RunResult, or RunFault naming the first problem; HarnessError for a foreign protocol."""
    data = json_object(body)
    if "protocol" in data:  # checked first: another major may not even share the schema
        check_protocol(data["protocol"])
    try:
        run = HarnessRun.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = f"{where}: {first['msg']}" if where else first["msg"]
        raise RunFault(f"harness response is not a valid RunResult: {problem}") from None
    compact(run)  # kept until the reports: thousands of runs share their repeated parts
    return run


def check_protocol(protocol: object) -> None:
    """Raise HarnessError unless `protocol` has the same major version as ours."""
    theirs = _PROTOCOL_RE.fullmatch(protocol) if isinstance(protocol, str) else None
    ours = _PROTOCOL_RE.fullmatch(PROTOCOL)
    if theirs and ours and theirs.group(1) == ours.group(1):
        return
    shown = one_line(str(protocol), None)[:60]
    raise HarnessError(
        f"harness speaks protocol {shown!r}, this gate speaks {PROTOCOL!r}: "
        "use a gate and a harness of the same major version"
    )


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or RunFault saying why it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: hostile deep nesting
        raise RunFault(f"harness response is not valid JSON: {one_line(exc, None)}") from None
    if not isinstance(data, dict):
        raise RunFault(f"harness response is not a JSON object (got {type(data).__name__})")
    return data


def harness_message(body: bytes, secret: str | None = None) -> str:
    """The harness's own explanation in an error body, one short line without `secret`."""
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        data = body.decode("utf-8", "replace")
    if isinstance(data, dict):
        data = next((data[k] for k in ("error", "message", "detail") if data.get(k)), data)
    return short(data if isinstance(data, str) else json.dumps(data), secret) or "(no message)"


def poll_target(post_url: str, body: bytes, headers: Mapping[str, str]) -> str:
    """The absolute URL to poll after a 202 (`poll_url`, else a Location header)."""
    try:
        target = json_object(body).get("poll_url")
    except RunFault:
        target = None
    target = target or headers.get("location")
    if not isinstance(target, str) or not target:
        raise RunFault("harness answered 202 without a poll_url")
    # Resolved like a Location header: relative to the POST URL (RFC 3986).
    resolved = _join(post_url, target)
    if resolved is None:
        shown = one_line(target, None)[:100]
        raise RunFault(f"harness answered 202 with an unusable poll_url: {shown}")
    return resolved


def accepted_run_id(body: bytes) -> str | None:
    """The `run_id` a 202 announced, if it named one."""
    try:
        run_id = json_object(body).get("run_id")
    except RunFault:
        return None
    return run_id if isinstance(run_id, str) and run_id else None


def check_polled(run: HarnessRun, announced: str | None) -> HarnessRun:
    """The polled run, unless it is another run than the 202 announced (a stale poll URL or a
    proxy's cache); a result without a run_id is the announced run's."""
    if announced is None:
        return run
    if run.run_id is None:
        return run.model_copy(update={"run_id": announced})
    if run.run_id != announced:
        raise RunFault(
            f"inconsistent RunResult: the 202 announced run_id {short(announced)!r}, "
            f"the poll returned run_id {short(run.run_id)!r}"
        )
    return run


def _join(base: str, target: str) -> str | None:
    try:
        resolved = httpx.URL(base).join(target)
        usable = resolved.scheme in ("http", "https") and bool(resolved.host)
    except (httpx.InvalidURL, UnicodeError):  # UnicodeError: a host IDNA refuses (xn--a.test)
        return None
    return str(resolved) if usable else None
