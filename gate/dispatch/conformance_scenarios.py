"""The scenarios of `harness-check`, in order; each adds its report lines to the Session."""

from __future__ import annotations

import json

import httpx

from gate.dispatch import protocol as wire
from gate.dispatch.conformance import CASE_ID, Session, Unreachable, canned_case
from gate.dispatch.conformance_checks import Check, Level, content_digest, run_checks
from gate.dispatch.protocol import build_request
from gate.errors import HarnessError
from gate.results import HarnessRun


def check_harness(session: Session) -> list[Check]:
    """Every scenario against the session's harness; an unreachable harness stops them."""
    try:
        health(session)
        first = run_once(session)
        if first is not None:
            repeated_key(session, first)
            second_run(session, first)
        async_run(session)
        bad_requests(session)
        credentials(session)
    except Unreachable as exc:
        session.add("fix", "reach", f"{exc} at {session.base}")
    return session.checks


def health(session: Session) -> None:
    """GET /health: optional, but when it answers it must speak our protocol major."""
    reply = session.send("GET", f"{session.base}/health", headers=session.headers())
    code = reply.status_code
    if code in (401, 403):
        session.add("fix", "health", f"refused the credentials ({code}): check the token")
    elif code != 200:
        session.add("warn", "health", f"GET /health answered {code}: optional, but fails fast")
    else:
        try:
            protocol = wire.json_object(reply.content).get("protocol")
            wire.check_protocol(protocol)
            session.add("ok", "health", f"GET /health speaks {protocol}")
        except (wire.RunFault, HarnessError) as exc:
            session.add("fix", "health", f"{exc} (GET /health must answer {{'protocol': ...}})")


def run_once(session: Session) -> HarnessRun | None:
    """One run of the canned case: required fields, protocol, ids, order, side effects."""
    run = session.finish("run", session.post_run(1, session.key(1)))
    if run is not None:
        session.checks += run_checks("run", run, CASE_ID, 1)
    return run


def repeated_key(session: Session, first: HarnessRun) -> None:
    """The same request with the same Idempotency-Key: the same run, never a second sandbox run."""
    again = session.finish("idempotency", session.post_run(1, session.key(1)))
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


def second_run(session: Session, first: HarnessRun) -> None:
    """Another trial under another key: a run of its own, with a run_id of its own."""
    second = session.finish("run id", session.post_run(2, session.key(2)))
    if second is None or first.run_id is None:
        return
    if second.run_id == first.run_id:
        session.add(
            "fix",
            "run id",
            f"two runs (trials 1 and 2, two keys) share run_id {first.run_id!r}: set a distinct "
            "run_id per run, else the gate takes the second for a replay",
        )
    elif second.trial not in (None, 2):
        session.add("fix", "run id", f"trial 2 was answered as trial {second.trial}")
    else:
        session.add("ok", "run id", "each run has its own run_id")


def async_run(session: Session) -> None:
    """`Prefer: respond-async`: a 202 needs a poll_url whose poll ends in the announced run."""
    reply = session.post_run(3, session.key(3), {"Prefer": "respond-async"})
    if reply.status_code != 202:
        if session.finish("202/poll", reply) is not None:
            session.add("warn", "202/poll", "answers 200 even to Prefer: respond-async (fine)")
        return
    run = session.finish("202/poll", reply)
    if run is not None:
        session.add("ok", "202/poll", "202 with a poll_url, polled until the announced run")


def bad_requests(session: Session) -> None:
    """A body that is no JSON, and a request of another protocol major: 400/422, never 5xx."""
    foreign = build_request(canned_case(), 4, session.timeout_s) | {"protocol": "voice-regress/v99"}
    requests: list[tuple[str, bytes, Level]] = [
        ("a body that is not JSON", b"{not json", "fix"),
        ("a request of protocol voice-regress/v99", json.dumps(foreign).encode(), "warn"),
    ]
    for what, body, level in requests:
        headers = session.headers({"Content-Type": "application/json", "Idempotency-Key": what})
        reply = session.send("POST", f"{session.base}/runs", content=body, headers=headers)
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


def credentials(session: Session) -> None:
    """With a token configured, a request without it must be refused with 401/403."""
    if not session.token:
        return
    reply = session.send("GET", f"{session.base}/health", headers={"Accept": "application/json"})
    if reply.status_code in (401, 403):
        session.add("ok", "auth", f"a request without the token is refused ({reply.status_code})")
    else:
        session.add("warn", "auth", f"a request without the token answered {reply.status_code}")
