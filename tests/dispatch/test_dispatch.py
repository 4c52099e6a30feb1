"""Dispatch: the request on the wire, the retry policy, and that no harness fault is evidence."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from support.fault_server import Reply, closed_port_url, serve

from gate.dispatch.client import Dispatcher, DispatchOutcome, DispatchSettings, make_client
from gate.dispatch.protocol import build_request, idempotency_key
from gate.errors import HarnessError, InputError
from gate.models import Case, LoadedCase

URL = "http://harness.test"
TOKEN = "s3cr3t-token-value"
RUN: dict[str, Any] = {
    "protocol": "voice-regress/v1",
    "run_id": "r_1",
    "status": "completed",
    "trace_complete": True,
    "events": [{"type": "message", "role": "agent", "turn": 0, "t_ms": 10, "text": "Done."}],
}
CASE_DATA: dict[str, Any] = {
    "version": 1,
    "suite": "failed_call_regression",
    "owner": "team-voice",
    "source": {
        "type": "production_call",
        "source_call_id": "call_1",
        "severity": "high",
        "failure_label": "side_effect",
        "sanitized": True,
    },
    "agent_ref": {"environment": "staging", "agent_slug": "scheduling-agent"},
    "fixture": {
        "caller_id": "caller_fixture_204",
        "side_effect_mode": "sandbox",
        "on": dt.date(2026, 6, 3),
    },  # YAML turns bare dates into date objects
    "caller": {"language": "en-US", "audio_condition": "speakerphone"},
    "scenario": {
        "starting_turn": "Move Tuesday to Wednesday.",
        "turns": ["After three.", {"text": "1234", "dtmf": "1234", "after_ms": 200}],
        "max_turns": 12,
        "must_reproduce": ["duplicate booking"],
    },
    "assertions": {"outcome": {"task_completed": True}},
    "promotion": {"level": "blocking", "run_on": ["prompt_change"]},
}
CASE = LoadedCase("scheduling/reschedule-wednesday", "cases/r.yaml", Case.model_validate(CASE_DATA))

Respond = httpx.Response | Exception | Callable[[httpx.Request], Awaitable[httpx.Response]]


class FakeTime:
    """Injected sleep and clock: retries "wait" without the test waiting."""

    def __init__(self) -> None:
        self.now, self.sleeps = 1000.0, list[float]()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def clock(self) -> float:
        return self.now


class Harness:
    """A MockTransport handler answering from a script; `forever` answers once it runs out."""

    def __init__(self, *script: Respond, forever: Respond | None = None) -> None:
        self.script, self.forever, self.requests = list(script), forever, list[httpx.Request]()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert len(self.requests) < 200, "runaway request loop"
        answer = self.script.pop(0) if self.script else self.forever
        assert answer is not None, f"unscripted request {request.method} {request.url}"
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, httpx.Response) else await answer(request)

    @property
    def keys(self) -> list[str | None]:
        return [r.headers.get("idempotency-key") for r in self.requests if r.method == "POST"]


def ok(body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=RUN if body is None else body, headers=headers)


def status(code: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(code, json=body or {"error": f"status {code}"}, headers=headers)


def settings(**overrides: Any) -> DispatchSettings:
    return DispatchSettings(
        **{"harness_url": URL, "token": TOKEN, "invocation_id": "inv1", **overrides}
    )


def dispatch(
    harness: Harness,
    *,
    case: LoadedCase = CASE,
    trial: int = 1,
    time: FakeTime | None = None,
    **overrides: Any,
) -> DispatchOutcome:
    time = time or FakeTime()

    async def go() -> DispatchOutcome:
        async with httpx.AsyncClient(transport=httpx.MockTransport(harness)) as client:
            dispatcher = Dispatcher(
                settings(**overrides), client, sleep=time.sleep, clock=time.clock
            )
            return await dispatcher.run(case, trial)

    return asyncio.run(go())


def health(harness: Harness, **overrides: Any) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(harness)) as client:
            await Dispatcher(settings(**overrides), client).check_health()

    asyncio.run(go())


# --- the request --------------------------------------------------------------------------


def test_build_request_is_the_protocol_body() -> None:
    assert build_request(CASE, 2, 120) == {
        "protocol": "voice-regress/v1",
        "case_id": "scheduling/reschedule-wednesday",
        "suite": "failed_call_regression",
        "trial": 2,
        "agent_ref": {"environment": "staging", "agent_slug": "scheduling-agent"},
        "fixture": {
            "caller_id": "caller_fixture_204",
            "side_effect_mode": "sandbox",
            "on": "2026-06-03",
        },
        "caller": {"language": "en-US", "audio_condition": "speakerphone"},
        "scenario": {
            "turns": [
                {"text": "Move Tuesday to Wednesday."},
                {"text": "After three."},
                {"text": "1234", "after_ms": 200, "dtmf": "1234"},
            ],
            "state": {},
            "max_turns": 12,
            "must_reproduce": ["duplicate booking"],
        },
        "timeout_s": 120,
    }
    json.dumps(build_request(CASE, 1, 0.5))  # serializable as is


def test_build_request_without_scenario_or_caller() -> None:
    data = {k: v for k, v in CASE_DATA.items() if k not in ("scenario", "caller")}
    body = build_request(LoadedCase("c", "c.yaml", Case.model_validate(data)), 1, 30.5)
    assert body["scenario"] == {"turns": [], "state": {}}
    assert (body["caller"], body["timeout_s"]) == ({}, 30.5)


def test_idempotency_key_is_stable_distinct_and_header_safe() -> None:
    key = idempotency_key("inv1", "scheduling/reschedule wednesday\n☎", 1)
    assert key == idempotency_key("inv1", "scheduling/reschedule wednesday\n☎", 1)
    assert key.isascii() and key.isprintable() and " " not in key
    others = {
        idempotency_key("inv1", "c", 1),
        idempotency_key("inv1", "c", 2),
        idempotency_key("inv2", "c", 1),
        idempotency_key("inv1", "c:1", 1),
    }
    assert len(others) == 4


def test_post_carries_body_and_headers() -> None:
    harness = Harness(ok())
    outcome = dispatch(harness, trial=3)
    assert outcome.run is not None and outcome.error is None and outcome.calls == 1
    request = harness.requests[0]
    assert (request.method, str(request.url)) == ("POST", f"{URL}/runs")
    assert json.loads(request.content) == build_request(CASE, 3, 120)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == idempotency_key("inv1", CASE.id, 3)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith("voice-regress-gate/")


def test_no_token_no_authorization_header_and_token_not_in_repr() -> None:
    harness = Harness(ok())
    dispatch(harness, token=None)
    assert "authorization" not in harness.requests[0].headers
    assert TOKEN not in repr(settings())


# --- transient faults: retried with backoff, same key -------------------------------------


def test_503_503_200_is_a_run_after_three_calls_with_one_key() -> None:
    harness, time = Harness(status(503), status(503), ok()), FakeTime()
    outcome = dispatch(harness, time=time)
    assert outcome.run is not None and outcome.run.run_id == "r_1"
    assert outcome.calls == 3 and outcome.error is None
    assert len(set(harness.keys)) == 1 and harness.keys[0] is not None
    assert 0.25 <= time.sleeps[0] <= 0.5 and 0.5 <= time.sleeps[1] <= 1.0


def test_backoff_is_exponential_jittered_and_capped() -> None:
    time = FakeTime()
    dispatch(Harness(forever=status(500)), time=time, retries=7, timeout_s=1000)
    assert len(time.sleeps) == 7
    for n, slept in enumerate(time.sleeps, start=1):
        ceiling = min(8.0, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= slept <= ceiling


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_transient_status_forever_ends_as_error_after_the_retry_budget(code: int) -> None:
    harness = Harness(forever=status(code))
    outcome = dispatch(harness)
    assert outcome.run is None
    assert outcome.error == f"harness returned {code} after 4 attempts"
    assert outcome.calls == len(harness.requests) == 4
    assert len(set(harness.keys)) == 1


def test_retry_after_seconds_is_honoured() -> None:
    time = FakeTime()
    outcome = dispatch(Harness(status(429, **{"Retry-After": "7"}), ok()), time=time)
    assert outcome.run is not None and time.sleeps == [7.0]


def test_retry_after_http_date_is_honoured() -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    header = email.utils.format_datetime(when, usegmt=True)
    time = FakeTime()
    dispatch(Harness(status(503, **{"Retry-After": header}), ok()), time=time)
    assert 3.0 <= time.sleeps[0] <= 5.0


def test_hostile_retry_after_is_capped() -> None:
    time = FakeTime()
    dispatch(Harness(status(503, **{"Retry-After": "86400"}), ok()), time=time)
    assert time.sleeps == [32.0]  # backoff_cap_s * 4


def test_a_wait_past_the_budget_ends_the_trial_now() -> None:
    time = FakeTime()
    harness = Harness(forever=status(503, **{"Retry-After": "30"}))
    outcome = dispatch(harness, time=time, timeout_s=10)
    assert outcome.run is None and time.sleeps == [] and outcome.calls == 1
    assert outcome.error == "harness timed out after 10s (last: harness returned 503)"


def test_transport_errors_are_retried() -> None:
    harness = Harness(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok())
    outcome = dispatch(harness)
    assert outcome.run is not None and outcome.calls == 3
    assert len(set(harness.keys)) == 1


def test_transport_errors_forever_end_as_error() -> None:
    outcome = dispatch(Harness(forever=httpx.ConnectError("[Errno 111] refused")))
    assert outcome.run is None and outcome.calls == 4
    assert outcome.error == (
        "harness connection failed (ConnectError: [Errno 111] refused) after 4 attempts"
    )


def test_a_hanging_harness_ends_as_timeout() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return ok()

    outcome = dispatch(Harness(hang), time=None, timeout_s=0.2)
    assert outcome.run is None and outcome.error == "harness timed out after 0.2s"


# --- permanent faults: not retried --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "body", "message"),
    [
        (422, {"error": "scenario.turns must not be empty"}, "scenario.turns must not be empty"),
        (400, {"detail": [{"loc": ["trial"], "msg": "bad"}]}, '[{"loc": ["trial"], "msg": "bad"}]'),
        (400, "plain\ntext \x1b[31mred", "plain text red"),
    ],
)
def test_rejected_case_is_an_error_with_the_harness_message(
    code: int, body: Any, message: str
) -> None:
    response = httpx.Response(code, text=body) if isinstance(body, str) else status(code, body)
    outcome = dispatch(Harness(response))
    assert outcome.run is None and outcome.calls == 1
    assert outcome.error == f"harness rejected the case ({code}): {message}"


@pytest.mark.parametrize("code", [401, 403])
@pytest.mark.parametrize("token", [TOKEN, None])
def test_refused_credentials_raise_without_the_token(code: int, token: str | None) -> None:
    harness = Harness(status(code, {"error": f"bad token {TOKEN}"}))
    with pytest.raises(HarnessError) as info:
        dispatch(harness, token=token)
    hint = "check" if token else "set"
    assert str(info.value) == (
        f"harness rejected the credentials ({code}): {hint} VOICE_REGRESS_HARNESS_TOKEN"
    )
    assert len(harness.requests) == 1


def test_unexpected_status_is_an_error() -> None:
    outcome = dispatch(Harness(status(418, {"error": "a teapot"})))
    assert outcome.error == "harness returned 418: a teapot" and outcome.calls == 1


@pytest.mark.parametrize("code", [404, 405, 501])
def test_a_post_no_harness_would_refuse_is_an_error_that_points_at_the_url(code: int) -> None:
    # `--harness-url http://h/runs` (405), a plain web server (501): not retried, and said why.
    outcome = dispatch(Harness(forever=status(code, {"error": "no"})))
    assert outcome.calls == 1 and outcome.error is not None
    assert outcome.error.startswith(f"harness returned {code}: no (is --harness-url the adapter")
    assert "harness-check" in outcome.error


def test_the_token_never_reaches_an_error_text() -> None:
    echo = {"error": f"Authorization: Bearer {TOKEN}"}
    for harness in (
        Harness(status(422, echo)),
        Harness(forever=status(418, echo)),
        Harness(
            forever=ok({**RUN, "status": "harness_error", "events": [], "error": f"saw {TOKEN}"})
        ),
    ):
        outcome = dispatch(harness)
        assert outcome.error is not None and "***" in outcome.error
        assert TOKEN not in outcome.error and TOKEN[:10] not in outcome.error


# --- the RunResult ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b"{not json",
            "harness response is not valid JSON: Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)",
        ),
        (b"[]", "harness response is not a JSON object (got list)"),
        (b"[" * 100_000, None),  # nesting that would blow the stack: still just an error
    ],
)
def test_malformed_json_is_an_error(body: bytes, error: str | None) -> None:
    outcome = dispatch(Harness(httpx.Response(200, content=body)))
    assert outcome.run is None and outcome.calls == 1
    assert outcome.error is not None and outcome.error == (error or outcome.error)
    assert outcome.error.startswith("harness response is not")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"events": {"type": "message"}}, "events: Input should be a valid list"),
        ({"events": []}, "Value error, a completed run must have events"),
        (
            {"status": "passed"},
            "status: Input should be 'completed', 'agent_error', 'timeout' or 'harness_error'",
        ),
    ],
)
def test_schema_invalid_run_result_is_an_error(change: dict[str, Any], problem: str) -> None:
    outcome = dispatch(Harness(ok({**RUN, **change})))
    assert outcome.run is None
    assert outcome.error == f"harness response is not a valid RunResult: {problem}"


def test_missing_events_is_an_error() -> None:
    body = {k: v for k, v in RUN.items() if k != "events"}
    outcome = dispatch(Harness(ok(body)))
    assert outcome.error == "harness response is not a valid RunResult: events: Field required"


def test_another_protocol_major_stops_the_gate() -> None:
    with pytest.raises(HarnessError, match="'voice-regress/v2'.*same major version"):
        dispatch(Harness(ok({**RUN, "protocol": "voice-regress/v2", "shape": "new"})))


def test_a_minor_protocol_and_unknown_fields_are_accepted() -> None:
    outcome = dispatch(Harness(ok({**RUN, "protocol": "voice-regress/v1.3", "new_field": 1})))
    assert outcome.run is not None


def test_tool_arguments_sent_as_a_json_string_are_parsed() -> None:
    call = {
        "type": "tool_call",
        "turn": 0,
        "call_id": "c1",
        "name": "lookup_identity",
        "arguments": '{"caller_id": "caller_fixture_204"}',
    }
    outcome = dispatch(Harness(ok({**RUN, "events": [call]})))
    assert outcome.run is not None
    assert outcome.run.tool_calls[0].arguments == {"caller_id": "caller_fixture_204"}


def test_harness_error_is_retried_once_with_a_fresh_key() -> None:
    broken = ok({**RUN, "status": "harness_error", "events": [], "error": "sandbox died"})
    harness = Harness(broken, ok())
    outcome = dispatch(harness)
    assert outcome.run is not None and outcome.run.status == "completed"
    first = idempotency_key("inv1", CASE.id, 1)
    assert harness.keys == [first, f"{first}:retry1"] and outcome.calls == 2


def test_harness_error_twice_is_an_error() -> None:
    broken = ok({**RUN, "status": "harness_error", "events": [], "error": "sandbox\ndied"})
    outcome = dispatch(Harness(broken, broken))
    assert outcome.run is None and outcome.calls == 2
    assert outcome.error == "harness reported harness_error twice: sandbox died"


def test_agent_error_and_timeout_runs_are_evidence_not_retried() -> None:
    for run_status in ("agent_error", "timeout"):
        outcome = dispatch(Harness(ok({**RUN, "status": run_status})))
        assert outcome.run is not None and outcome.run.status == run_status
        assert outcome.calls == 1


@pytest.mark.parametrize("declared", [True, False])
def test_oversized_responses_are_cut_off(declared: bool) -> None:
    async def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 100

    response = (
        httpx.Response(200, content=b"x" * 10_000)
        if declared
        else httpx.Response(200, content=chunks())
    )
    outcome = dispatch(Harness(response), max_response_bytes=1000)
    assert outcome.run is None and outcome.error == "harness response exceeds 1,000 bytes"


# --- 202 + polling ------------------------------------------------------------------------


def accepted(poll_url: str | None = "/runs/r_1", **headers: str) -> httpx.Response:
    body = {"run_id": "r_1"} | ({"poll_url": poll_url} if poll_url else {})
    return httpx.Response(202, json=body, headers=headers)


def test_202_then_poll_a_relative_url() -> None:
    harness, time = Harness(accepted(), accepted(None), ok()), FakeTime()
    outcome = dispatch(harness, time=time)
    assert outcome.run is not None and outcome.calls == 3
    polls = harness.requests[1:]
    assert [(r.method, str(r.url)) for r in polls] == [("GET", f"{URL}/runs/r_1")] * 2
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in polls)
    assert time.sleeps[0] == 1.0 and 0.5 <= time.sleeps[1] <= 1.0


def test_202_with_retry_after_and_an_absolute_url_on_another_origin() -> None:
    harness, time = (
        Harness(accepted("https://poll.other/r/1", **{"Retry-After": "3"}), ok()),
        FakeTime(),
    )
    outcome = dispatch(harness, time=time)
    assert outcome.run is not None and time.sleeps == [3.0]
    assert str(harness.requests[1].url) == "https://poll.other/r/1"
    assert "authorization" not in harness.requests[1].headers  # the token stays home


def test_poll_that_never_finishes_times_out() -> None:
    harness = Harness(accepted(), forever=accepted(None))
    outcome = dispatch(harness, timeout_s=30)
    assert outcome.run is None and 3 < outcome.calls < 30
    assert outcome.error == ("harness timed out after 30s (last: the run was still in progress)")


def test_poll_survives_transient_faults_and_gives_up_on_too_many() -> None:
    assert dispatch(Harness(accepted(), status(503), httpx.ReadError("x"), ok())).run is not None
    outcome = dispatch(Harness(accepted(), forever=status(502)), timeout_s=1000)
    assert outcome.error == "harness poll returned 502 after 4 attempts"


def test_retry_after_0_on_polls_cannot_beat_the_poll_floor() -> None:
    # Hole found: `Retry-After: 0` on every 202 made the gate poll back-to-back, thousands of
    # polls per case within the trial budget.
    harness, time = Harness(accepted(**{"Retry-After": "0"}), forever=accepted(None)), FakeTime()
    harness.forever = httpx.Response(202, json={"run_id": "r_1"}, headers={"Retry-After": "0"})
    outcome = dispatch(harness, time=time, timeout_s=10_000, max_polls=50)
    assert outcome.run is None and outcome.calls == 51  # the POST, then 50 polls
    assert min(time.sleeps) >= 0.25 and len(time.sleeps) == 50
    assert outcome.error == "the run was still in progress after 50 polls"


def test_a_longer_retry_after_on_a_poll_is_honoured_and_a_shorter_one_floored() -> None:
    slow = httpx.Response(202, json={"run_id": "r_1"}, headers={"Retry-After": "5"})
    harness, time = Harness(accepted(**{"Retry-After": "0"}), slow, ok()), FakeTime()
    assert dispatch(harness, time=time).run is not None
    assert time.sleeps == [0.25, 5.0]


def test_the_poll_floor_holds_even_when_configured_to_zero() -> None:
    zero = httpx.Response(202, json={"run_id": "r_1"}, headers={"Retry-After": "0"})
    harness, time = Harness(accepted(), zero, zero, ok()), FakeTime()
    dispatch(harness, time=time, poll_interval_s=0, min_poll_interval_s=0)
    assert len(time.sleeps) == 3 and min(time.sleeps) >= 0.01


def test_202_without_a_poll_url_is_an_error() -> None:
    outcome = dispatch(Harness(accepted(None)))
    assert outcome.error == "harness answered 202 without a poll_url" and outcome.calls == 1


def test_concurrent_trials_keep_their_own_count_and_key() -> None:
    harness = Harness(forever=ok())

    async def go() -> list[DispatchOutcome]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(harness)) as client:
            dispatcher = Dispatcher(settings(), client)
            return await asyncio.gather(*(dispatcher.run(CASE, t) for t in range(1, 6)))

    outcomes = asyncio.run(go())
    assert [o.calls for o in outcomes] == [1] * 5 and len(set(harness.keys)) == 5


# --- health -------------------------------------------------------------------------------


def test_health_accepts_v1_and_ignores_what_it_cannot_read() -> None:
    health(Harness(ok({"protocol": "voice-regress/v1", "agent": {}})))
    health(Harness(status(404)))
    health(Harness(httpx.Response(200, content=b"<html>")))
    health(Harness(httpx.ReadTimeout("slow")))


def test_health_fails_fast_on_credentials_protocol_and_unreachable() -> None:
    with pytest.raises(HarnessError, match=r"credentials \(401\): set VOICE_REGRESS"):
        health(Harness(status(401)), token=None)
    with pytest.raises(HarnessError, match="voice-regress/v2"):
        health(Harness(ok({"protocol": "voice-regress/v2"})))
    with pytest.raises(HarnessError, match=f"cannot reach harness at {URL}: ConnectError: no"):
        health(Harness(httpx.ConnectError("no")))


def test_invalid_harness_url_is_an_input_error() -> None:
    for bad in ("ftp://h", "harness.test", "http://"):
        with pytest.raises(InputError, match="harness URL"):
            Dispatcher(settings(harness_url=bad), httpx.AsyncClient())


def test_make_client_is_bounded_by_the_trial_budget() -> None:
    client = make_client(settings(timeout_s=45))
    try:
        assert (client.timeout.connect, client.timeout.read) == (10.0, 45.0)
        assert client.follow_redirects is False
    finally:
        asyncio.run(client.aclose())


# --- against a real loopback server -------------------------------------------------------


def live(url: str, *, client: httpx.AsyncClient | None = None, **overrides: Any) -> DispatchOutcome:
    time = FakeTime()
    config = settings(harness_url=url, **overrides)

    async def go() -> DispatchOutcome:
        async with client or make_client(config) as http:
            # Real clock: the budget is real time here; only the backoff sleeps are skipped.
            return await Dispatcher(config, http, sleep=time.sleep).run(CASE, 1)

    return asyncio.run(go())


def test_live_retries_keep_one_key_and_send_the_protocol_body() -> None:
    with serve(Reply(503), Reply(429, headers={"Retry-After": "0"}), Reply(body=RUN)) as server:
        outcome = live(server.url)
    assert outcome.run is not None and outcome.calls == 3
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/runs")] * 3
    assert len({r.headers["idempotency-key"] for r in server.requests}) == 1
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert server.requests[0].json() == build_request(CASE, 1, 120)


@pytest.mark.parametrize("fault", ["reset", "truncate"])
def test_live_broken_connections_are_retried(fault: str) -> None:
    with serve(Reply(body=RUN, fault=fault), Reply(body=RUN)) as server:  # type: ignore[arg-type]
        outcome = live(server.url)
    assert outcome.run is not None and outcome.calls == 2 == len(server.requests)


def test_live_read_timeout_is_retried() -> None:
    # The slow reply is cut short when the server stops, so a long delay costs no test time.
    with serve(Reply(body=RUN, delay_s=0.9), Reply(body=RUN)) as server:
        outcome = live(server.url, client=httpx.AsyncClient(timeout=0.2))
    assert outcome.run is not None and outcome.calls == 2


def test_live_poll_of_an_absolute_url() -> None:
    with serve(then=Reply(body=RUN)) as server:
        server.script.append(Reply(202, {"run_id": "r_1", "poll_url": f"{server.url}/runs/r_1"}))
        server.script.append(Reply(202, {"run_id": "r_1"}))
        outcome = live(server.url, poll_interval_s=0.01)
    assert outcome.run is not None
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/runs"),
        ("GET", "/runs/r_1"),
        ("GET", "/runs/r_1"),
    ]


FAULTS = {
    "503 forever": ([], Reply(503, {"error": "down"})),
    "reset forever": ([], Reply(fault="reset")),
    "truncated forever": ([], Reply(body=RUN, fault="truncate")),
    "malformed JSON": ([Reply(body=b'{"protocol": "voice-regress/v1", "status": "comp')], None),
    "rejected": ([Reply(422, {"error": "no such agent"})], None),
    "slower than the budget": ([Reply(body=RUN, delay_s=0.6)], None),
    "poll never done": ([Reply(202, {"poll_url": "/runs/r_1"})], Reply(202, {})),
    "completed without events": ([Reply(body={**RUN, "events": []})], None),
}


@pytest.mark.parametrize("name", FAULTS)
def test_live_no_fault_ends_as_evidence(name: str) -> None:
    script, then = FAULTS[name]
    with serve(*script, then=then) as server:
        outcome = live(server.url, timeout_s=0.3, poll_interval_s=0.05)
    assert outcome.run is None and outcome.error, outcome
    assert outcome.calls == len(server.requests) <= 20
    assert outcome.duration_s < 1.0  # bounded by timeout_s, never by the harness


def test_live_unreachable_harness() -> None:
    url = closed_port_url()
    outcome = live(url)
    assert outcome.run is None and outcome.calls == 4
    assert outcome.error is not None and outcome.error.startswith("harness connection failed")

    async def check() -> None:
        async with make_client(settings(harness_url=url)) as client:
            await Dispatcher(settings(harness_url=url), client).check_health()

    with pytest.raises(HarnessError, match=f"cannot reach harness at {url}: ConnectError"):
        asyncio.run(check())
