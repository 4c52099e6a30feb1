"""The judge client over httpx.MockTransport: request shape, JSON mode, retries, judge down."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gate.errors import InputError
from gate.judge.client import (
    JudgeClient,
    JudgeReply,
    JudgeSettings,
    JudgeUnavailable,
    judge_settings,
)

MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
Handler = Callable[[httpx.Request], httpx.Response]


def ok(content: str = '{"verdict": "pass"}', model: str = "gpt-test-2026-01-01") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        },
    )


class Script:
    """Answers requests in order and records them; an exception entry is raised instead."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers, self.requests = list(answers), list[httpx.Request]()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def ask(
    script: Script,
    settings: JudgeSettings | None = None,
    times: int = 1,
) -> tuple[list[JudgeReply | JudgeUnavailable], list[float], JudgeClient]:
    settings = settings or JudgeSettings(
        "https://judge.test/v1", "gpt-test-2026-01-01", api_key="sk-secret-key"
    )
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    async def go() -> tuple[list[JudgeReply | JudgeUnavailable], JudgeClient]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as http:
            client = JudgeClient(settings, http, sleep=sleep)
            out: list[JudgeReply | JudgeUnavailable] = []
            for _ in range(times):
                try:
                    out.append(await client.complete(MESSAGES))
                except JudgeUnavailable as exc:
                    out.append(exc)
            return out, client

    replies, client = asyncio.run(go())
    return replies, sleeps, client


def test_request_is_a_pinned_temperature_zero_json_mode_chat_completion() -> None:
    script = Script(ok())
    [reply], _, _ = ask(script)
    assert isinstance(reply, JudgeReply)
    assert (reply.text, reply.model, reply.attempts) == (
        '{"verdict": "pass"}',
        "gpt-test-2026-01-01",
        1,
    )
    request = script.requests[0]
    assert str(request.url) == "https://judge.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-secret-key"
    body = script.bodies()[0]
    assert body["model"] == "gpt-test-2026-01-01" and body["temperature"] == 0
    assert body["messages"] == MESSAGES
    assert body["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434/v1/", "http://h/v1/chat/completions"])
def test_base_or_full_url(url: str) -> None:
    settings = JudgeSettings(url, "m")
    assert settings.endpoint.endswith("/v1/chat/completions")
    assert settings.endpoint.count("chat/completions") == 1


def test_no_key_no_authorization_header() -> None:
    script = Script(ok())
    ask(script, JudgeSettings("http://127.0.0.1:11434/v1", "llama3.1:8b"))
    assert "authorization" not in script.requests[0].headers


def test_json_mode_rejected_falls_back_and_remembers() -> None:
    rejected = httpx.Response(400, json={"error": {"message": "response_format not supported"}})
    script = Script(rejected, ok(), ok())
    replies, _, client = ask(script, times=2)
    assert all(isinstance(r, JudgeReply) for r in replies)
    assert ["response_format" in b for b in script.bodies()] == [True, False, False]
    assert client.json_mode is False


def test_a_400_that_is_not_about_json_mode_keeps_json_mode() -> None:
    too_long = httpx.Response(400, json={"error": {"message": "context length exceeded"}})
    script = Script(too_long, too_long)
    [reply], _, client = ask(script)
    assert isinstance(reply, JudgeUnavailable) and "context length exceeded" in str(reply)
    assert client.json_mode is True and client.down is None  # the next vote may still work


def test_429_waits_retry_after_then_succeeds() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    [reply], sleeps, _ = ask(script)
    assert isinstance(reply, JudgeReply) and reply.attempts == 2
    assert sleeps == [7.0]


def test_retry_after_is_capped() -> None:
    settings = JudgeSettings("http://j/v1", "m", retry_after_cap_s=5.0)
    script = Script(httpx.Response(503, headers={"Retry-After": "3600"}), ok())
    _, sleeps, _ = ask(script, settings)
    assert sleeps == [5.0]


def test_5xx_and_timeouts_retry_with_capped_backoff_then_give_up() -> None:
    settings = JudgeSettings("http://j/v1", "m", retries=3, backoff_base_s=1.0, backoff_cap_s=2.0)
    timeout = httpx.ReadTimeout("slow")
    script = Script(httpx.Response(500), timeout, httpx.Response(502), httpx.Response(503))
    [reply], sleeps, _ = ask(script, settings)
    assert isinstance(reply, JudgeUnavailable) and reply.attempts == 4
    assert str(reply) == "judge returned 503 after 4 attempts"
    assert len(sleeps) == 3 and all(0.5 <= s <= 2.0 for s in sleeps)


def test_connection_errors_are_transient() -> None:
    script = Script(httpx.ConnectError("refused"), ok())
    [reply], _, _ = ask(script)
    assert isinstance(reply, JudgeReply)


def test_judge_that_stays_down_is_marked_down_and_not_called_again() -> None:
    settings = JudgeSettings("http://j/v1", "m", retries=1, down_after=2)
    script = Script(*[httpx.Response(503, headers={"Retry-After": "0"})] * 4)
    replies, _, client = ask(script, settings, times=3)
    assert all(isinstance(r, JudgeUnavailable) for r in replies)
    assert len(script.requests) == 4  # 2 votes × 2 attempts; the third vote sent nothing
    assert client.down is not None and "judge down" in client.down
    assert isinstance(replies[2], JudgeUnavailable) and replies[2].attempts == 0


@pytest.mark.parametrize(
    ("status", "needle"),
    [
        (401, "refused the credentials (401): check VOICE_REGRESS_JUDGE_API_KEY or OPENAI_API_KEY"),
        (403, "refused the credentials (403)"),
        (404, "judge returned 404"),
    ],
)
def test_refused_or_wrong_model_stops_asking(status: int, needle: str) -> None:
    script = Script(httpx.Response(status, json={"error": {"message": "no such model"}}))
    replies, _, client = ask(script, times=2)
    assert all(isinstance(r, JudgeUnavailable) for r in replies)
    assert needle in str(replies[0]) and len(script.requests) == 1
    assert client.down == str(replies[0])


def test_key_is_redacted_from_echoed_errors() -> None:
    echoed = httpx.Response(418, json={"error": {"message": "bad header Bearer sk-secret-key"}})
    [reply], _, _ = ask(Script(echoed))
    assert "sk-secret-key" not in str(reply) and "***" in str(reply)
    assert "sk-secret-key" not in repr(JudgeSettings("u", "m", api_key="sk-secret-key"))


def test_key_is_redacted_before_the_message_is_cut() -> None:
    # The echo ends where the message is cut: masking after cutting leaked the key's start.
    echoed = httpx.Response(418, json={"error": {"message": "x" * 285 + " Bearer sk-secret-key"}})
    [reply], _, _ = ask(Script(echoed))
    assert "sk-" not in str(reply) and "Bearer **" in str(reply)


def test_garbage_bodies_do_not_crash() -> None:
    script = Script(
        httpx.Response(200, content=b"<html>proxy</html>"),
        httpx.Response(200, json={"choices": []}),
    )
    replies, _, _ = ask(script, times=2)
    assert isinstance(replies[0], JudgeUnavailable) and "not JSON" in str(replies[0])
    assert isinstance(replies[1], JudgeReply) and replies[1].text == ""


def test_oversized_response_is_refused() -> None:
    script = Script(httpx.Response(200, content=b"x" * (3 * 1024 * 1024)))
    [reply], _, _ = ask(script)
    assert isinstance(reply, JudgeUnavailable) and "too large" in str(reply)


@pytest.mark.parametrize(
    ("url", "model", "message"),
    [
        ("http://j/v1", None, "--judge-url needs --judge-model"),
        (None, "m", "--judge-model needs --judge-url"),
        ("ftp://j/v1", "m", "expected http(s)://"),
        ("http://", "m", "--judge-url"),
    ],
)
def test_half_configured_judge_is_an_input_error(
    url: str | None, model: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        judge_settings(url, model)


def test_no_judge_configured() -> None:
    assert judge_settings(None, None) is None
    assert judge_settings("http://j/v1", "m", "k") == JudgeSettings("http://j/v1", "m", "k")


# --- a judge that serves one request at a time (llama.cpp, Ollama) -------------------------


def _serial_judge(delay_s: float) -> tuple[Callable[[httpx.Request], Any], dict[str, int]]:
    """An async handler that answers after `delay_s` and counts requests and peak in flight."""
    seen = {"requests": 0, "in_flight": 0, "peak": 0}

    async def handle(request: httpx.Request) -> httpx.Response:
        seen["requests"] += 1
        seen["in_flight"] += 1
        seen["peak"] = max(seen["peak"], seen["in_flight"])
        try:
            await asyncio.sleep(delay_s)
        finally:
            seen["in_flight"] -= 1
        return ok()

    return handle, seen


def test_with_concurrency_1_queued_requests_wait_their_turn_and_are_sent_once() -> None:
    # 30 requests of 0.02 s queue for 0.6 s, longer than the timeout: only time in flight counts.
    handle, seen = _serial_judge(0.02)
    settings = JudgeSettings("http://judge.test/v1", "m", concurrency=1, timeout_s=0.4, retries=0)

    async def go() -> list[JudgeReply | BaseException]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
            client = JudgeClient(settings, http)
            calls = (client.complete(MESSAGES) for _ in range(30))
            return await asyncio.gather(*calls, return_exceptions=True)

    replies = asyncio.run(go())
    assert all(isinstance(r, JudgeReply) and r.attempts == 1 for r in replies)
    assert seen == {"requests": 30, "in_flight": 0, "peak": 1}


def test_a_timed_out_request_keeps_its_latency_and_is_retried_as_configured() -> None:
    handle, seen = _serial_judge(5.0)  # cut short by the timeout
    ticks = iter(range(0, 100, 3))
    settings = JudgeSettings("http://judge.test/v1", "m", timeout_s=0.05, retries=1)

    async def no_wait(_delay: float) -> None:
        return None

    async def go() -> JudgeUnavailable:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
            client = JudgeClient(settings, http, sleep=no_wait, clock=lambda: next(ticks))
            with pytest.raises(JudgeUnavailable) as caught:
                await client.complete(MESSAGES)
            return caught.value

    failure = asyncio.run(go())
    assert str(failure) == "judge timed out after 0.05s after 2 attempts"
    assert (failure.attempts, failure.latency_s) == (2, 3)  # the clock's two readings apart
    assert seen["requests"] == 2


def test_judge_flags_reach_the_settings() -> None:
    configured = judge_settings("http://j/v1", "m", concurrency=1, timeout_s=300.0, retries=0)
    assert configured == JudgeSettings(
        "http://j/v1", "m", concurrency=1, timeout_s=300.0, retries=0
    )
