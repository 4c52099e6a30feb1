"""`harness-check`: the gate's own client dispatches a canned case; answers are read as runs are.

Each scenario dispatches through `Dispatcher` — the same request builder, Idempotency-Key,
retries, polling and RunResult parser as `run` — and an httpx response hook records what the
harness answered on the wire (a 503 that was retried, a 202 that was polled), so the report can
say which protocol rule an answer broke. Scenarios run in order and add their report lines.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import httpx

from gate.dispatch import protocol as wire
from gate.dispatch.client import Dispatcher, DispatchSettings, endpoint, make_client
from gate.dispatch.conformance_checks import (
    CASE_ID,
    MAX_TURNS,
    Answer,
    Check,
    Level,
    canned_case,
    content_digest,
    run_checks,
)
from gate.dispatch.protocol import build_request
from gate.errors import HarnessError
from gate.net import Sleep
from gate.results import HarnessRun

ASYNC = {"Prefer": "respond-async"}


@dataclass
class Session:
    """One check of one harness: the gate's dispatch settings, what was answered, what was found."""

    settings: DispatchSettings
    sleep: Sleep = asyncio.sleep
    checks: list[Check] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def add(self, level: Level, scenario: str, message: str) -> None:
        self.checks.append(Check(level, scenario, message))

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        """The gate's harness client, recording every answer (with extra default headers)."""
        client = make_client(self.settings, concurrency=1)
        client.headers.update(headers or {})

        async def record(response: httpx.Response) -> None:
            request = response.request
            self.answers.append(Answer(request.method, request.url.path, response.status_code))

        client.event_hooks["response"] = [record]
        return client

    async def trial(
        self, scenario: str, trial: int, headers: dict[str, str] | None = None
    ) -> HarnessRun | None:
        """Dispatch trial `trial` of the canned case as `run` would; None with the fix reported."""
        async with self.client(headers) as client:
            dispatcher = Dispatcher(self.settings, client, sleep=self.sleep)
            try:
                outcome = await dispatcher.run(canned_case(), trial)
            except HarnessError as exc:  # refused credentials, another protocol major
                self.add("fix", scenario, str(exc))
                return None
        if outcome.run is None:
            self.add("fix", scenario, outcome.error or "no RunResult")
        return outcome.run

    async def health(self) -> None:
        """The gate's own health check: raises HarnessError when the gate would stop."""
        async with self.client() as client:
            await Dispatcher(self.settings, client, sleep=self.sleep).check_health()

    def since(self, start: int) -> list[Answer]:
        """The answers recorded since `start` (an earlier `len(answers)`)."""
        return self.answers[start:]


async def check_harness(session: Session) -> list[Check]:
    """Every scenario against the session's harness; one the gate would stop at stops them."""
    if not await health(session):
        return session.checks
    first = await run_once(session)
    if first is not None:
        await repeated_key(session, first)
        await second_run(session, first)
    await async_run(session)
    await bad_requests(session)
    await credentials(session)
    return session.checks


async def health(session: Session) -> bool:
    """GET /health, as the gate calls it before a run; False when the gate would stop there."""
    start = len(session.answers)
    try:
        await session.health()
    except HarnessError as exc:
        session.add("fix", "health", str(exc))
        return False
    status = next((a.status for a in session.since(start)), None)
    if status == 200:
        session.add("ok", "health", "GET /health answers, in protocol major v1")
    else:
        shown = "no answer" if status is None else f"{status}"
        session.add(
            "warn", "health", f"GET /health: {shown} (optional; it lets the gate fail fast)"
        )
    return True


async def run_once(session: Session) -> HarnessRun | None:
    """One run of the canned case: required fields, protocol, ids, order, side effects."""
    start = len(session.answers)
    run = await session.trial("run", 1)
    _transients(session, session.since(start))
    if run is not None:
        session.checks += run_checks("run", run, CASE_ID, 1, MAX_TURNS)
    return run


def _transients(session: Session, answers: list[Answer]) -> None:
    codes = [a.status for a in answers if a.status in (408, 429) or a.status >= 500]
    if codes and answers[-1].status in (200, 202):
        shown = ", ".join(map(str, codes))
        session.add("ok", "5xx", f"answered {shown} first (transient), then the run: retried")


async def repeated_key(session: Session, first: HarnessRun) -> None:
    """The same trial again, so the same Idempotency-Key: the same run, no second sandbox run."""
    again = await session.trial("idempotency", 1)
    if again is None:
        return
    if content_digest(again) == content_digest(first):
        session.add("ok", "idempotency", "a repeated Idempotency-Key returns the same run")
        return
    ids = f"run_id {first.run_id!r} then {again.run_id!r}"
    writes = len(again.side_effects.writes) if again.side_effects else 0
    session.add(
        "fix",
        "idempotency",
        f"a repeated Idempotency-Key returned another run ({ids}, {writes} write(s)): a retried "
        "POST must return the stored run, never run the sandbox (and write) again",
    )


async def second_run(session: Session, first: HarnessRun) -> None:
    """Another trial under another key: a run of its own, with a run_id of its own."""
    second = await session.trial("run id", 2)
    if second is None or first.run_id is None:
        return
    if second.run_id == first.run_id:
        session.add(
            "fix",
            "run id",
            f"two runs (trials 1 and 2, two keys) share run_id {first.run_id!r}: set a distinct "
            "run_id per run, else the gate takes the second for a replay",
        )
    else:
        session.add("ok", "run id", "each run has its own run_id")


async def async_run(session: Session) -> None:
    """`Prefer: respond-async`: a 202 needs a poll_url whose poll ends in the announced run."""
    start = len(session.answers)
    run = await session.trial("202/poll", 3, ASYNC)
    accepted = any(a.status == 202 and a.method == "POST" for a in session.since(start))
    if run is not None and accepted:
        session.add("ok", "202/poll", "202, then polled until the run the 202 announced")
    elif run is not None:
        session.add("warn", "202/poll", "answers 200 even to Prefer: respond-async (fine)")


async def bad_requests(session: Session) -> None:
    """A body that is no JSON, and a request of another protocol major: 400/422, never 5xx."""
    request = build_request(canned_case(), 4, session.settings.timeout_s)
    foreign = json.dumps(request | {"protocol": "voice-regress/v99"}).encode()
    requests: list[tuple[str, bytes, Level]] = [
        ("a body that is not JSON", b"{not json", "fix"),
        ("a request of protocol voice-regress/v99", foreign, "warn"),
    ]
    async with session.client() as client:
        for what, body, level in requests:
            headers = {"Content-Type": "application/json", "Idempotency-Key": f"check-{level}"}
            headers |= _auth(session)
            try:
                reply = await client.post(_endpoint(session, "runs"), content=body, headers=headers)
            except httpx.TransportError as exc:
                session.add("fix", "4xx", f"{what}: no answer ({type(exc).__name__})")
                continue
            _rejected(session, what, reply, level)


def _rejected(session: Session, what: str, reply: httpx.Response, level: Level) -> None:
    code = reply.status_code
    if code in (400, 422):
        message = wire.harness_message(reply.content)
        session.add("ok", "4xx", f"{what} is refused with {code} ({message})")
    elif code >= 500:
        session.add(
            "fix",
            "4xx",
            f"{what} answered {code}: a request the harness refuses is 400/422 (the gate ends "
            "the case error); 5xx means transient and the gate retries it",
        )
    else:
        session.add(level, "4xx", f"{what} answered {code}, not 400/422")


async def credentials(session: Session) -> None:
    """With a token configured, a request without it must be refused with 401/403."""
    if not session.settings.token:
        return
    async with session.client() as client:
        try:
            reply = await client.get(_endpoint(session, "health"))
        except httpx.TransportError as exc:
            session.add("warn", "auth", f"GET /health without the token: {type(exc).__name__}")
            return
    if reply.status_code in (401, 403):
        session.add("ok", "auth", f"a request without the token is refused ({reply.status_code})")
    else:
        session.add("warn", "auth", f"a request without the token answered {reply.status_code}")


def _endpoint(session: Session, name: str) -> httpx.URL:
    return endpoint(session.settings.harness_url, name)


def _auth(session: Session) -> dict[str, str]:
    token = session.settings.token
    return {"Authorization": f"Bearer {token}"} if token else {}
