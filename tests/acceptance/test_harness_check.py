"""`harness-check`: the reference harness conforms; each broken adapter is told what to fix."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from support.broken_harness import broken, on_runs
from support.cli import cli
from support.fault_server import Reply, closed_port_url, serve

from gate.reference.app import Response
from gate.reference.server import running_harness


def fixes(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("FIX")]


@pytest.mark.parametrize("url", ["builtin", "builtin:flaky", "builtin:duplicate-booking"])
def test_the_reference_harness_conforms(url: str) -> None:
    code, out, err = cli("harness-check", url)
    assert code == 0, out + err
    assert fixes(out) == [] and out.splitlines()[-1].startswith("CONFORMANT")
    for scenario in ("health", "run", "idempotency", "run id", "202/poll", "4xx"):
        assert f"OK    {scenario}: " in out


def _drop_call_ids(run: dict[str, Any]) -> None:
    for event in run["events"]:
        event.pop("call_id", None)


def _no_source(run: dict[str, Any]) -> None:
    run["side_effects"].pop("source")


def _fresh_run_id(run: dict[str, Any]) -> None:
    run["run_id"] = f"r_{uuid.uuid4().hex}"


def _foreign(run: dict[str, Any]) -> None:
    run["protocol"] = "voice-regress/v2"


def _untimed(run: dict[str, Any]) -> None:
    for event in run["events"]:
        event.pop("t_ms", None)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r.pop("run_id"), "run: no run_id: set a distinct run_id per run"),
        (lambda r: r["events"].reverse(), "run: inconsistent RunResult: events[1]"),
        (
            _drop_call_ids,
            "run: inconsistent RunResult: events[2] is a tool_result without a call_id",
        ),
        (
            _no_source,
            "run: side_effects.source is None: it must be sandbox_observed or agent_reported",
        ),
        (lambda r: r.pop("side_effects"), "run: no side_effects: report the sandbox's writes"),
        (_fresh_run_id, "idempotency: a repeated Idempotency-Key returned another run"),
        (
            lambda r: r.update(run_id="r_always"),
            "run id: two runs (trials 1 and 2, two keys) share",
        ),
        (_foreign, "run: harness speaks protocol 'voice-regress/v2'"),
        (_untimed, "event(s) without t_ms or turn"),
        (lambda r: r.update(status="agent_error"), "run: status 'agent_error'"),
        (
            lambda r: r.pop("status"),
            "run: harness response is not a valid RunResult: status: Field",
        ),
    ],
    ids=[
        "no-run-id",
        "disordered",
        "unlinked-call-ids",
        "no-side-effect-source",
        "no-side-effects",
        "ignores-idempotency-key",
        "one-run-id-for-all",
        "foreign-protocol",
        "no-t-ms",
        "not-completed",
        "no-status",
    ],
)
def test_a_broken_run_result_is_named_with_what_to_fix(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    with broken(on_runs(change)) as url:
        code, out, _ = cli("harness-check", url)
    assert code == 1, out
    assert any(expected in line for line in fixes(out)), out
    assert out.splitlines()[-1].startswith("NOT CONFORMANT: ")


def _async_without_poll_url(
    method: str, path: str, headers: Mapping[str, str], body: bytes, response: Response
) -> Response:
    status, out_headers, payload = response
    if status == 202:
        return 202, {"Content-Type": "application/json"}, b'{"status": "running"}'
    return response


def _bad_json_is_500(
    method: str, path: str, headers: Mapping[str, str], body: bytes, response: Response
) -> Response:
    if response[0] == 400:
        return 500, {"Content-Type": "application/json"}, b'{"error": "boom"}'
    return response


def test_a_202_without_a_poll_url_is_named() -> None:
    with broken(_async_without_poll_url) as url:
        code, out, _ = cli("harness-check", url)
    assert code == 1
    assert fixes(out) == ["FIX   202/poll: harness answered 202 without a poll_url"]


def test_a_bad_request_answered_with_5xx_is_named() -> None:
    with broken(_bad_json_is_500) as url:
        code, out, _ = cli("harness-check", url)
    assert code == 1
    (line,) = fixes(out)
    assert line.startswith("FIX   4xx: a body that is not JSON answered 500: ")
    assert "400/422" in line


def _poll_answers_another_run(
    method: str, path: str, headers: Mapping[str, str], body: bytes, response: Response
) -> Response:
    status, out_headers, payload = response
    if method == "GET" and path.startswith("/runs/") and status == 200:
        return status, out_headers, payload.replace(b'"run_id": "r_', b'"run_id": "r_other_')
    return response


def test_a_poll_that_answers_another_run_is_named() -> None:
    with broken(_poll_answers_another_run) as url:
        code, out, _ = cli("harness-check", url)
    assert code == 1
    (line,) = fixes(out)
    assert line.startswith("FIX   202/poll: inconsistent RunResult: the 202 announced run_id")


def test_an_unreachable_harness_does_not_conform() -> None:
    code, out, _ = cli("harness-check", closed_port_url())
    assert code == 1
    assert fixes(out)[0].startswith("FIX   health: cannot reach harness at http://127.0.0.1:")


@pytest.mark.parametrize("url", ["ftp://example.test", "builtin:no-such-bug", "not a url"])
def test_bad_input_is_exit_2(url: str) -> None:
    code, out, err = cli("harness-check", url)
    assert code == 2 and "error:" in err


def test_the_token_is_sent_and_never_printed() -> None:
    token = "s3cret-harness-token"
    with running_harness(token=token) as url:
        code, out, err = cli("harness-check", url, environ={"VOICE_REGRESS_HARNESS_TOKEN": token})
        assert code == 0, out
        assert "OK    auth: a request without the token is refused (401)" in out
        assert token not in out + err
        code, out, _ = cli("harness-check", url)  # no token: every request is refused
    assert code == 1
    assert fixes(out) == [
        "FIX   health: harness rejected the credentials (401): set VOICE_REGRESS_HARNESS_TOKEN"
    ]


def test_a_harness_that_never_answers_is_named_within_the_timeout() -> None:
    health = Reply(200, {"protocol": "voice-regress/v1"})
    with serve(health, then=Reply(200, {}, delay_s=5)) as server:
        code, out, _ = cli("harness-check", server.url, "--timeout", "0.5")
    assert code == 1
    assert "FIX   run: harness timed out after 0.5s" in out
    assert "FIX   4xx: a body that is not JSON: no answer (ReadTimeout)" in out
