"""`harness-check`: canned requests to a harness, each answer read exactly as the gate reads it.

The scenarios: discovery (GET /health), one run of a canned case, the same request again with
the same Idempotency-Key (the same run must come back), a second run (its own run_id), an
asynchronous run (202, poll_url, polling), malformed and foreign-protocol requests (400/422, not
5xx), and, with a token, a request without it (401/403).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from gate import __version__
from gate.dispatch import protocol as wire
from gate.dispatch.conformance_checks import Check, Level
from gate.dispatch.protocol import RunFault, build_request, idempotency_key
from gate.errors import HarnessError
from gate.models import Case, LoadedCase
from gate.net import retry_after
from gate.results import HarnessRun

CASE_ID = "harness-check/reschedule"
CANNED: dict[str, Any] = {
    "version": 1,
    "suite": "harness_check",
    "owner": "harness-adapter",
    "source": {
        "type": "synthetic",
        "source_call_id": "harness-check",
        "failure_label": "side_effect",
        "severity": "low",
        "sanitized": True,
    },
    "agent_ref": {"environment": "staging"},
    "fixture": {
        "caller_id": "caller_fixture_hc1",
        "appointment_id": "appt_fixture_hc1",
        "existing_state": {
            "appointment_status": "confirmed",
            "appointment_start": "2026-06-02T16:00:00-05:00",
            "available_slots": ["2026-06-09T08:30:00-05:00", "2026-06-09T15:00:00-05:00"],
        },
        "side_effect_mode": "sandbox",
    },
    "scenario": {"turns": ["Could you move my appointment to Tuesday morning?"], "max_turns": 4},
    "assertions": {"side_effects": {"calendar": {"duplicate_events_allowed": False}}},
    "promotion": {"level": "manual", "run_on": ["release_candidate"]},
}
TRANSIENT_TRIES = 4  # a 503 once (the `flaky` reference) is no fault: the gate retries it
MAX_POLLS = 240
POLL_FLOOR_S = 0.25


def canned_case() -> LoadedCase:
    """The case every run scenario sends."""
    return LoadedCase(CASE_ID, "<harness-check>", Case.model_validate(CANNED))


class Unreachable(Exception):
    """The harness cannot be reached at all: no scenario can run."""


@dataclass
class Session:
    """One check of one harness: the requests made and the report lines found."""

    base: str
    client: httpx.Client
    token: str | None = None
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    checks: list[Check] = field(default_factory=list)
    invocation: str = field(default_factory=lambda: uuid.uuid4().hex)

    def add(self, level: Level, scenario: str, message: str) -> None:
        self.checks.append(Check(level, scenario, message))

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": f"voice-regress-gate/{__version__}", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers | dict(extra or {})

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, timeout=self.timeout_s, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Unreachable(f"cannot reach the harness: {type(exc).__name__}") from None

    def post_run(
        self, trial: int, key: str, extra: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """POST /runs of the canned case, retrying transient answers as the gate does."""
        body = json.dumps(build_request(canned_case(), trial, self.timeout_s)).encode()
        headers = self.headers({"Content-Type": "application/json", "Idempotency-Key": key})
        for attempt in range(1, TRANSIENT_TRIES + 1):
            reply = self.send(
                "POST", f"{self.base}/runs", content=body, headers=headers | dict(extra or {})
            )
            if not _transient(reply.status_code) or attempt == TRANSIENT_TRIES:
                return reply
            self.add(
                "ok",
                "5xx",
                f"POST /runs answered {reply.status_code} (transient), the gate retries "
                "with the same Idempotency-Key",
            )
            wait = retry_after(reply.headers)
            self.sleep(min(0.5 if wait is None else wait, 5.0))
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    def key(self, trial: int) -> str:
        return idempotency_key(self.invocation, CASE_ID, trial)

    def finish(self, scenario: str, reply: httpx.Response) -> HarnessRun | None:
        """The RunResult of a POST's answer (polling a 202), or None with the fix reported."""
        try:
            if reply.status_code == 202:
                return self.poll(scenario, reply)
            _expect_run_status(reply)
            return wire.parse_run(reply.content)
        except (RunFault, HarnessError) as exc:
            self.add("fix", scenario, str(exc))
            return None

    def poll(self, scenario: str, accepted: httpx.Response) -> HarnessRun:
        """Poll a 202's poll_url until the run is there; it must be the run the 202 announced."""
        url = wire.poll_target(f"{self.base}/runs", accepted.content, accepted.headers)
        announced = wire.accepted_run_id(accepted.content)
        if announced is None:
            self.add("warn", scenario, "the 202 names no run_id: announce it, the gate checks it")
        reply = accepted
        for _ in range(MAX_POLLS):
            self.sleep(max(retry_after(reply.headers) or POLL_FLOOR_S, POLL_FLOOR_S))
            reply = self.send("GET", url, headers=self.headers())
            if reply.status_code != 202 and not _transient(reply.status_code):
                break
        else:
            raise RunFault(f"the run was still in progress after {MAX_POLLS} polls")
        _expect_run_status(reply, "the poll")
        return wire.check_polled(wire.parse_run(reply.content), announced)


def _transient(status: int) -> bool:
    return status in (408, 429) or status >= 500


def _expect_run_status(reply: httpx.Response, what: str = "POST /runs") -> None:
    code = reply.status_code
    if code == 200:
        return
    message = wire.harness_message(reply.content)
    if code in (401, 403):
        raise RunFault(f"{what} refused the credentials ({code}): set VOICE_REGRESS_HARNESS_TOKEN")
    if code in (400, 422):
        raise RunFault(
            f"{what} rejected the canned case ({code}: {message}): a valid case must run"
        )
    if _transient(code):
        raise RunFault(f"{what} answered {code} to every try ({message}): transient means retry")
    raise RunFault(f"{what} answered {code} ({message}): a run is 200 (or 202 then polled)")
