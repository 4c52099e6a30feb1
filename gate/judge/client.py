"""Judge client for any OpenAI-compatible chat-completions endpoint, with retries under a budget."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from gate import __version__
from gate.errors import InputError
from gate.net import (
    JUDGE_KEY_ENVS,
    Backoff,
    Clock,
    Sleep,
    check_http_url,
    read_capped,
    retry_after,
    short,
)

MAX_RESPONSE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class JudgeSettings:
    """Where the judge is, which pinned model, and how patient to be with it."""

    url: str  # a base such as https://api.openai.com/v1, or the full …/chat/completions URL
    model: str
    api_key: str | None = field(default=None, repr=False)  # never printed
    timeout_s: float = 60.0  # one request, from when it is sent (not while it waits its turn)
    retries: int = 4  # of a transient fault (429, 5xx, timeouts), after the first attempt
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 20.0
    retry_after_cap_s: float = 60.0  # a server cannot park the gate longer than this per retry
    max_tokens: int = 400
    down_after: int = 3  # votes in a row that spent every retry before the judge counts as down
    concurrency: int = 4  # requests in flight at once

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"

    @property
    def identity(self) -> str:
        """Endpoint and model: what a cached verdict is only valid for."""
        return f"{self.endpoint} {self.model}"


def judge_settings(
    url: str | None,
    model: str | None,
    api_key: str | None = None,
    *,
    concurrency: int = 4,
    timeout_s: float = 60.0,
    retries: int = 4,
) -> JudgeSettings | None:
    """Settings from `--judge-url`/`--judge-model`, the key and `--judge-concurrency`,
    `--judge-timeout`, `--judge-retries`; None: no judge configured."""
    if not url and not model:
        return None
    if not url:
        raise InputError("--judge-model needs --judge-url (or VOICE_REGRESS_JUDGE_URL)")
    if not model:
        raise InputError(
            "--judge-url needs --judge-model: pin a dated model id "
            "(or set VOICE_REGRESS_JUDGE_MODEL)"
        )
    check_http_url(url, "--judge-url", "http(s)://host[:port]/v1")
    return JudgeSettings(
        url=url,
        model=model,
        api_key=api_key,
        timeout_s=timeout_s,
        retries=retries,
        concurrency=concurrency,
    )


def make_http_client(settings: JudgeSettings) -> httpx.AsyncClient:
    """An AsyncClient sized for the judge's concurrency and bounded by its request timeout."""
    size = max(1, settings.concurrency)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    # No pool timeout: JudgeClient lets only `size` requests out at once, so none waits for a
    # connection, and waiting one's turn must never count against a request's timeout.
    timeout = httpx.Timeout(settings.timeout_s, pool=None)
    return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False)


@dataclass(frozen=True)
class JudgeReply:
    """The judge's answer text and what it cost."""

    text: str
    model: str
    latency_s: float  # from the first attempt sent to the answer, retries included
    attempts: int


class JudgeUnavailable(Exception):
    """No answer could be had for this request; the message is the one-line reason, `latency_s`
    the time spent trying (0.0 when nothing was sent)."""

    def __init__(self, reason: str, attempts: int = 0, latency_s: float = 0.0) -> None:
        super().__init__(reason)
        self.attempts, self.latency_s = attempts, latency_s


class _Transient(Exception):
    """Worth another attempt: 408, 429, 5xx, transport errors and timeouts (`Backoff` waits
    `retry_after_s` when the server named it)."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class _Rejected(Exception):
    """The server refused this request (4xx); retrying the same bytes cannot help."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class _Attempts:
    count: int = 0


class JudgeClient:
    """Asks the judge; shared by concurrent assertions. Raises only JudgeUnavailable."""

    def __init__(
        self,
        settings: JudgeSettings,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings, self._client, self._sleep, self._clock = settings, client, sleep, clock
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))
        self.json_mode = True  # response_format json_object until the server rejects it
        self.down: str | None = None  # once set, no more requests: the judge is down for the run
        self._exhausted_in_a_row = 0
        self.requests = 0

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client the judge is asked through (shared, e.g. by the reachability probe)."""
        return self._client

    async def complete(self, messages: list[dict[str, str]]) -> JudgeReply:
        """One chat completion at temperature 0; its text, the served model and the cost."""
        if self.down is not None:
            raise JudgeUnavailable(self.down)
        attempts = _Attempts()
        # Waiting for a slot is neither latency nor timed: a judge serving one request at a time
        # (--judge-concurrency 1) must not see queued requests time out and come back twice.
        async with self._slots:
            if self.down is not None:  # it may have gone down while this one waited
                raise JudgeUnavailable(self.down)
            started = self._clock()
            try:
                body = await self._ask(messages, attempts)
            except _Transient as exc:
                reason = f"{exc} after {attempts.count} attempts"
                raise self._exhausted(reason, attempts, self._clock() - started) from None
            except _Rejected as exc:
                if exc.status in (401, 403, 404):
                    # Credentials, or a wrong URL or model: every further request fails alike.
                    self.down = str(exc)
                raise JudgeUnavailable(str(exc), attempts.count, self._clock() - started) from None
            latency = self._clock() - started
        self._exhausted_in_a_row = 0
        text, model = _content(body)
        return JudgeReply(text, model or self.settings.model, latency, attempts.count)

    def _exhausted(self, reason: str, attempts: _Attempts, latency_s: float) -> JudgeUnavailable:
        self._exhausted_in_a_row += 1
        if self._exhausted_in_a_row >= self.settings.down_after:
            count = self._exhausted_in_a_row
            self.down = f"judge down ({count} requests in a row failed): {reason}"
        return JudgeUnavailable(reason, attempts.count, latency_s)

    async def _ask(self, messages: list[dict[str, str]], attempts: _Attempts) -> Any:
        json_mode = self.json_mode
        try:
            return await self._retrying(self._post, messages, json_mode, attempts)
        except _Rejected as exc:
            if not json_mode or exc.status not in (400, 422):
                raise
        # Some servers reject response_format: ask again without it; keep that only if it works.
        body = await self._retrying(self._post, messages, False, attempts)
        self.json_mode = False
        return body

    def _retrying(self, *call: Any) -> Awaitable[Any]:
        s = self.settings
        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.retries + 1),
            wait=Backoff(s.backoff_base_s, s.backoff_cap_s, s.retry_after_cap_s),
            sleep=self._sleep,
            reraise=True,
            retry=retry_if_exception_type(_Transient),
        )
        return retrying(*call)

    async def _post(
        self, messages: list[dict[str, str]], json_mode: bool, attempts: _Attempts
    ) -> Any:
        payload: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.settings.max_tokens,
        }
        if json_mode:
            payload["response_format"] = {"type": "json_object"}
        attempts.count += 1
        self.requests += 1
        timeout = self.settings.timeout_s
        try:
            # The whole request, sent to answered: httpx's own timeouts are per read or write.
            async with (
                asyncio.timeout(timeout),
                self._client.stream(
                    "POST", self.settings.endpoint, json=payload, headers=self._headers()
                ) as response,
            ):
                raw = await read_capped(
                    response,
                    MAX_RESPONSE_BYTES,
                    lambda: _Rejected(response.status_code, "judge response too large"),
                )
        except TimeoutError:
            raise _Transient(f"judge timed out after {timeout:g}s") from None
        except httpx.TransportError as exc:
            raise _Transient(f"judge connection failed ({type(exc).__name__})") from None
        return self._check(response, raw)

    def _check(self, response: httpx.Response, raw: bytes) -> Any:
        code = response.status_code
        if code in (408, 429) or code >= 500:
            raise _Transient(f"judge returned {code}", retry_after(response.headers))
        if code in (401, 403):
            hint = "check" if self.settings.api_key else "set"
            raise _Rejected(
                code,
                f"judge refused the credentials ({code}): {hint} {' or '.join(JUDGE_KEY_ENVS)}",
            )
        if code != 200:
            raise _Rejected(code, f"judge returned {code}: {self._message(raw)}")
        try:
            return json.loads(raw)
        except ValueError:
            raise _Rejected(
                code, f"judge answered 200 with a body that is not JSON: {self._message(raw)}"
            ) from None

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": f"voice-regress-gate/{__version__}", "Accept": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        return headers

    def _message(self, raw: bytes) -> str:
        try:
            data = json.loads(raw)
            error = data.get("error") if isinstance(data, dict) else None
            text = error.get("message") if isinstance(error, dict) else error or data
        except ValueError:
            text = raw.decode("utf-8", "replace")
        # A proxy may echo our header: the key is masked before the message is cut short.
        return short(str(text), self.settings.api_key)


def _content(body: Any) -> tuple[str, str]:
    """`choices[0].message.content` and the served model; empty text when the shape is odd."""
    model = body.get("model") if isinstance(body, dict) else None
    choices = body.get("choices") if isinstance(body, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else {}
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    return (content if isinstance(content, str) else "", model if isinstance(model, str) else "")
