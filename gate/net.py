"""What all the gate's HTTP clients share: injected clocks, backoff, Retry-After, capped reads."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import httpx
from tenacity import RetryCallState
from tenacity.wait import wait_base

from gate.errors import InputError
from gate.redact import redact_url
from gate.text import one_line

# Injected so tests never wait: the harness, judge and GitHub clients take both.
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_MESSAGE_CHARS = 300


class Backoff(wait_base):
    """Retry-After when the server sent one (capped), else capped exponential with jitter.

    The Retry-After is the failed attempt's `retry_after_s`: the harness's `Retryable` faults and
    the judge's transient faults carry one.
    """

    def __init__(
        self, base_s: float, cap_s: float, retry_after_cap_s: float, floor_s: float = 0.0
    ) -> None:
        self.base_s, self.cap_s, self.retry_after_cap_s = base_s, cap_s, retry_after_cap_s
        self.floor_s = floor_s

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        problem = outcome.exception() if outcome is not None else None
        asked: float | None = getattr(problem, "retry_after_s", None)
        if asked is not None:
            # The floor wins over a `Retry-After: 0`: the server may slow us, not speed us up.
            return max(self.floor_s, min(asked, self.retry_after_cap_s))
        ceiling = min(self.cap_s, self.base_s * 2.0 ** (retry_state.attempt_number - 1))
        # "Equal jitter": spreads concurrent trials apart but never waits under half the step.
        return max(self.floor_s, ceiling / 2 + random.uniform(0, ceiling / 2))


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait (delta-seconds or HTTP-date), if it asked."""
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def short(text: str, secret: str | None = None) -> str:
    """`text` on one short line, `secret` masked first (so truncation cannot cut it in half)."""
    if secret:
        text = text.replace(secret, "***")
    return one_line(text, None)[:_MESSAGE_CHARS]


def check_http_url(url: str, label: str, shape: str) -> None:
    """An http(s) URL with a host, else an InputError naming the setting (`label`)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InputError(f"{label}: invalid URL {redact_url(url)!r}: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"{label}: expected {shape}, got {redact_url(url)!r}")


async def read_capped(
    response: httpx.Response, limit: int, too_big: Callable[[], Exception]
) -> bytes:
    """The body, read in chunks; past `limit` bytes (declared or read) raise `too_big()`.

    A hostile or broken server must not be able to exhaust the runner's memory.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big()
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise too_big()
    return bytes(body)


TOKEN_ENV = "VOICE_REGRESS_HARNESS_TOKEN"


def header_secret(value: str | None, name: str) -> str | None:
    """A secret from the environment variable `name`, stripped; None when unset or blank.

    Raises:
        InputError: it holds what an HTTP header cannot carry (anything but printable ASCII):
            exit 2 naming the variable, never the value (not a crash at the first request).
    """
    secret = (value or "").strip()
    if secret and not (secret.isascii() and secret.isprintable()):
        raise InputError(f"{name} holds characters an HTTP header cannot carry (printable ASCII)")
    return secret or None


JUDGE_KEY_ENVS = ("VOICE_REGRESS_JUDGE_API_KEY", "OPENAI_API_KEY")  # first one set wins

SECRET_ENVS = (TOKEN_ENV, *JUDGE_KEY_ENVS)  # masked in CI logs, never printed
# URLs that may carry credentials (userinfo, query): those are masked too.
URL_ENVS = ("VOICE_REGRESS_HARNESS_URL", "VOICE_REGRESS_JUDGE_URL")
