"""GitHub REST client: httpx with the token injected, tenacity retries, Link-header pagination.

Retries 5xx, transport errors and rate limits (429, or 403 with Retry-After, with
`x-ratelimit-remaining: 0` or a "rate limit" message), honouring Retry-After and
`x-ratelimit-reset` up to `max_wait_s`: a longer wait gives up at once rather than park a CI job.
Writes are spaced `write_interval_s` apart (GitHub's secondary limit is 80 content-creating
requests a minute). Sleep and clocks are injected, so tests never wait.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from gate import __version__
from gate.errors import PublishError
from gate.net import retry_after
from gate.redact import mask
from gate.text import one_line

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# GitHub's advice for a secondary rate limit that names no wait: "at least one minute".
RATE_LIMIT_DEFAULT_WAIT_S = 60.0


class GitHubApiError(PublishError):
    """A GitHub API request failed for good; publishing turns it into a `::warning::`."""

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method, self.path, self.status, self.detail = method, path, status, message
        answer = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"GitHub API {method} {path}: {answer}: {message}")

    @property
    def forbidden(self) -> bool:
        """The token may not do this (a read-only fork token, missing `permissions:`)."""
        return self.status in (401, 403)


@dataclass(frozen=True)
class ApiPolicy:
    """How patient the client is; defaults suit a CI job."""

    attempts: int = 4  # the first try included
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 16.0
    max_wait_s: float = 60.0  # the longest Retry-After / rate-limit reset we wait for
    write_interval_s: float = 1.0
    timeout_s: float = 30.0
    per_page: int = 100
    max_pages: int = 50  # 5,000 comments or issues: a bound, never an endless loop


class _Retryable(Exception):
    """A failed attempt worth another one; `wait_s` is what GitHub asked for, if anything."""

    def __init__(self, message: str, wait_s: float | None, status: int | None) -> None:
        super().__init__(message)
        self.message, self.wait_s, self.status = message, wait_s, status


class _Wait(wait_base):
    """GitHub's requested wait when it named one, else capped exponential backoff."""

    def __init__(self, policy: ApiPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        problem = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(problem, _Retryable) and problem.wait_s is not None:
            return problem.wait_s
        step = self.policy.backoff_base_s * 2.0 ** (retry_state.attempt_number - 1)
        return min(self.policy.backoff_cap_s, step)


class _WaitTooLong(stop_base):
    """Give up at once when GitHub asks for a longer wait than we allow."""

    def __init__(self, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        problem = retry_state.outcome.exception() if retry_state.outcome else None
        return isinstance(problem, _Retryable) and (problem.wait_s or 0.0) > self.max_wait_s


class GitHubClient:
    """A synchronous REST client bound to one API base URL and token; close it (or use `with`)."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        *,
        policy: ApiPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy or ApiPolicy()
        self._sleep, self._clock, self._wall_clock = sleep, clock, wall_clock
        self._last_write: float | None = None
        self.sent = 0  # HTTP requests sent, retries included
        base = httpx.URL(api_url.rstrip("/") + "/")
        if base.scheme not in ("http", "https") or not base.host:
            raise PublishError(f"GITHUB_API_URL: not an http(s) URL: {one_line(api_url)[:200]}")
        self._origin = (base.scheme, base.host, base.port)
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"voice-regress-gate/{__version__}",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Redirects: GitHub moves renamed repos with 301/307; httpx drops the token off-origin.
        self._http = httpx.Client(
            base_url=base,
            headers=headers,
            timeout=self.policy.timeout_s,
            transport=transport,
            follow_redirects=True,
        )

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        """One API call with retries; raises GitHubApiError when it fails for good."""
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.policy.attempts) | _WaitTooLong(self.policy.max_wait_s),
            wait=_Wait(self.policy),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._send, method, path, params, body)
        except _Retryable as exc:
            message = exc.message
            if (exc.wait_s or 0.0) > self.policy.max_wait_s:
                message += (
                    f" (GitHub asked to wait {exc.wait_s:.0f}s; this gate waits at most "
                    f"{self.policy.max_wait_s:.0f}s)"
                )
            raise GitHubApiError(method, _shown(path), exc.status, message) from None

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and decode JSON."""
        return _json(self.request("GET", path, params=params), "GET", path)

    def post_json(self, path: str, body: Any) -> Any:
        """POST a JSON body and decode the JSON answer."""
        return _json(self.request("POST", path, body=body), "POST", path)

    def patch_json(self, path: str, body: Any) -> Any:
        """PATCH a JSON body and decode the JSON answer."""
        return _json(self.request("PATCH", path, body=body), "PATCH", path)

    def delete(self, path: str) -> None:
        """DELETE; a 404 (already gone, e.g. a concurrent run deleted it) is fine."""
        try:
            self.request("DELETE", path)
        except GitHubApiError as exc:
            if exc.status != 404:
                raise

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, following `Link: <…>; rel="next"` (bounded)."""
        query: Mapping[str, Any] | None = {"per_page": self.policy.per_page, **(params or {})}
        url: str | None = path
        for _ in range(self.policy.max_pages):
            if url is None:
                return
            response = self.request("GET", url, params=query)
            items = _json(response, "GET", path)
            if not isinstance(items, list):
                raise GitHubApiError("GET", path, response.status_code, "expected a JSON list")
            yield from (item for item in items if isinstance(item, dict))
            url, query = self._next_page(response, path), None  # the link carries the query
        if url is not None:
            raise GitHubApiError("GET", path, None, f"more than {self.policy.max_pages} pages")

    def _next_page(self, response: httpx.Response, path: str) -> str | None:
        target = response.links.get("next", {}).get("url")
        if not target:
            return None
        try:
            url = response.url.join(target)
        except httpx.InvalidURL:
            raise GitHubApiError("GET", path, None, "unusable pagination link") from None
        if (url.scheme, url.host, url.port) != self._origin:
            # The token must never follow a link to another host.
            raise GitHubApiError("GET", path, None, "pagination link leaves the API host")
        return str(url)

    def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> httpx.Response:
        write = method in WRITE_METHODS
        if write:
            self._space_writes()
        self.sent += 1
        try:
            response = self._http.request(method, path, params=params, **_json_body(body))
        except httpx.TransportError as exc:
            raise _Retryable(
                f"{type(exc).__name__}: {one_line(str(exc))[:200]}", None, None
            ) from None
        except httpx.HTTPError as exc:  # e.g. too many redirects: not worth another try
            raise GitHubApiError(
                method, _shown(path), None, f"{type(exc).__name__}: {one_line(str(exc))[:200]}"
            ) from None
        finally:
            if write:
                self._last_write = self._clock()
        status = response.status_code
        if status < 300:
            return response
        message = _message(response)
        if status >= 500:
            raise _Retryable(message, retry_after(response.headers), status)
        wait = self._rate_limit_wait(response, message)
        if wait is not None:
            raise _Retryable(f"rate limited: {message}", wait, status)
        raise GitHubApiError(method, _shown(path), status, message)

    def _space_writes(self) -> None:
        if self._last_write is None:
            return
        left = self.policy.write_interval_s - (self._clock() - self._last_write)
        if left > 0:
            self._sleep(left)

    def _rate_limit_wait(self, response: httpx.Response, message: str) -> float | None:
        """Seconds to wait if this is a rate limit, else None (a 403 may be a permission)."""
        headers = response.headers
        asked = retry_after(headers)
        exhausted = headers.get("x-ratelimit-remaining") == "0"
        limited = response.status_code == 429 or (
            response.status_code == 403
            and (asked is not None or exhausted or "rate limit" in message.lower())
        )
        if not limited:
            return None
        if asked is not None:
            return asked
        reset = headers.get("x-ratelimit-reset", "")
        if exhausted and reset.isdigit():
            return max(0.0, float(reset) - self._wall_clock())
        return RATE_LIMIT_DEFAULT_WAIT_S


def _shown(path: str) -> str:
    # Error messages name the path, never a full URL with a query (it may carry anything).
    return one_line(httpx.URL(path).path)[:200]


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return one_line(response.text)[:200] or response.reason_phrase
    message = data.get("message") if isinstance(data, dict) else None
    return one_line(str(message))[:300] if message else response.reason_phrase


def _json(response: httpx.Response, method: str, path: str) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise GitHubApiError(
            method, _shown(path), response.status_code, "answer is not JSON"
        ) from None


def _json_body(body: Any) -> dict[str, Any]:
    """The request body as JSON, through the one redaction point: a comment or issue must
    never publish a secret a harness or judge reflected into the evidence."""
    if body is None:
        return {}
    text = mask(json.dumps(body, ensure_ascii=False))
    return {"content": text.encode("utf-8"), "headers": {"content-type": "application/json"}}


def same_login(a: str, b: str) -> bool:
    """GitHub logins are case-insensitive."""
    return a.casefold() == b.casefold()
