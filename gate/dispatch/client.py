"""Dispatch: run one case trial on the harness over HTTP; return its RunResult or why not."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import NamedTuple

import httpx
from tenacity import AsyncRetrying

from gate import __version__
from gate.dispatch import protocol as wire
from gate.dispatch.protocol import RunFault, build_request, idempotency_key
from gate.dispatch.reach import environment_proxy, tls_context
from gate.dispatch.retry import Pending, Transient, harness_retrying
from gate.dispatch.transport import AiohttpTransport
from gate.errors import HarnessError
from gate.models import LoadedCase
from gate.net import TOKEN_ENV, Clock, Sleep, check_http_url, read_capped, retry_after, short
from gate.redact import redact_url
from gate.results import HarnessRun
from gate.text import one_line


@dataclass(frozen=True)
class DispatchSettings:
    """How to reach the harness and how patient to be with it."""

    harness_url: str
    token: str | None = field(default=None, repr=False)  # repr=False: settings may get logged
    timeout_s: float = 120.0  # the whole trial: POSTs, retries, backoff and polling
    retries: int = 3  # after the first attempt
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0
    poll_interval_s: float = 1.0
    # Floor under every poll wait, Retry-After included: `Retry-After: 0` cannot make us spin.
    min_poll_interval_s: float = 0.25
    max_polls: int = 240  # polls per run; with the floor, 240 polls take at least a minute
    invocation_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    user_agent: str = f"voice-regress-gate/{__version__}"
    max_response_bytes: int = 20 * 1024 * 1024

    @property
    def poll_floor_s(self) -> float:
        """The shortest wait between two polls (never 0, whatever the settings say)."""
        return max(self.min_poll_interval_s, 0.01)

    @property
    def retry_after_cap_s(self) -> float:
        """The longest Retry-After we honour, so a hostile harness cannot park us."""
        return self.backoff_cap_s * 4


@dataclass(frozen=True)
class DispatchOutcome:
    """Evidence (`run`) or a one-line reason (`error`); never a verdict."""

    run: HarnessRun | None
    error: str | None
    calls: int  # HTTP requests sent for this trial: POSTs, polls and retries
    duration_s: float


def make_client(settings: DispatchSettings, *, concurrency: int = 8) -> httpx.AsyncClient:
    """An AsyncClient sized for `concurrency` parallel trials and bounded by the trial budget."""
    budget = settings.timeout_s
    # A synchronous harness answers the POST only when the call is over: read may take it all.
    timeout = httpx.Timeout(
        connect=min(10.0, budget), read=budget, write=min(10.0, budget), pool=budget
    )
    size = max(1, concurrency) + 1  # +1: the health check never waits behind a trial
    # aiohttp underneath, httpx on top: see gate.dispatch.transport for why.
    proxy = environment_proxy(settings.harness_url)
    tls = tls_context(settings.harness_url, proxy)
    transport = AiohttpTransport(size, proxy=proxy, tls=tls)
    # Redirects are not followed: a redirected harness URL is a configuration error to fix.
    # No cookies are kept: they would carry state from one trial (and case) into the next.
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        timeout=timeout, transport=transport, follow_redirects=False, cookies=no_cookies
    )


# A POST /runs answered "no such endpoint" or "no such method": not a fault that passes (501 is
# not retried), but a harness URL that is not the adapter's base, or no adapter at all.
NOT_A_HARNESS = (404, 405, 501)
WRONG_URL_HINT = (
    " (is --harness-url the adapter's base URL? The gate adds /runs and /health to it;"
    " `voice-regress-gate harness-check URL` checks an adapter)"
)


class _Reply(NamedTuple):
    status: int
    headers: httpx.Headers
    body: bytes


@dataclass
class _Budget:
    """Per-trial bookkeeping; the Dispatcher itself is shared by concurrent trials."""

    deadline: float
    calls: int = 0
    last_problem: str | None = None


class Dispatcher:
    """Runs trials on one harness; safe to share between concurrent trials."""

    def __init__(
        self,
        settings: DispatchSettings,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self._settings, self._client, self._sleep, self._clock = settings, client, sleep, clock
        self._base = _harness_base(settings.harness_url)
        # Parsed once: httpx takes a URL object as it is, a string it parses on every request.
        self._runs_url = endpoint(self._base, "runs")
        self._origin = _origin(self._runs_url)

    async def check_health(self) -> None:
        """Fail fast on refused credentials, a foreign protocol or an unreachable harness."""
        url = endpoint(self._base, "health")
        try:
            async with asyncio.timeout(min(10.0, self._settings.timeout_s)):
                reply = await self._send("GET", url, _Budget(0.0), self._headers(url))
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            message = f"cannot reach harness at {redact_url(self._base)}: {_describe(exc)}"
            raise HarnessError(self._redact(message)) from exc
        except (httpx.TransportError, RunFault, TimeoutError):
            return  # health is optional: the runs will report their own faults
        if reply.status in (401, 403):
            raise self._credentials_error(reply.status)
        if reply.status != 200:
            return
        try:
            protocol = wire.json_object(reply.body).get("protocol")
            if protocol is not None:
                wire.check_protocol(protocol)
        except RunFault:
            return
        except HarnessError as exc:
            raise HarnessError(self._redact(str(exc))) from None

    async def run(self, case: LoadedCase, trial: int) -> DispatchOutcome:
        """One trial of `case`. Raises only HarnessError (credentials, protocol major)."""
        started = self._clock()
        budget = _Budget(deadline=started + self._settings.timeout_s)
        run: HarnessRun | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self._settings.timeout_s):
                run = await self._trial(case, trial, budget)
        except TimeoutError:
            last = f" (last: {budget.last_problem})" if budget.last_problem else ""
            error = f"harness timed out after {self._settings.timeout_s:g}s{last}"
        except RunFault as exc:
            error = str(exc)
        except HarnessError as exc:
            raise HarnessError(self._redact(str(exc))) from None
        redacted = None if error is None else self._redact(error)
        duration = self._clock() - started
        return DispatchOutcome(run=run, error=redacted, calls=budget.calls, duration_s=duration)

    async def _trial(self, case: LoadedCase, trial: int, budget: _Budget) -> HarnessRun:
        body = build_request(case, trial, self._settings.timeout_s)
        content = json.dumps(body).encode()  # encoded once: every retry sends the same bytes
        key = idempotency_key(self._settings.invocation_id, case.id, trial)
        run = await self._start(content, key, budget)
        if run.status != "harness_error":
            return run
        # A harness_error run is finished: resending its key would only replay that broken
        # result, so the one retry the protocol allows uses a fresh key (a fresh sandbox run).
        budget.last_problem = f"harness_error: {self._short(run.error or 'no message')}"
        retry = await self._start(content, f"{key}:retry1", budget)
        if retry.status == "harness_error":
            detail = self._short(retry.error or "no message")
            raise RunFault(f"harness reported harness_error twice: {detail}")
        return retry

    async def _start(self, content: bytes, key: str, budget: _Budget) -> HarnessRun:
        url = self._runs_url
        headers = self._headers(url)
        headers.update({"Content-Type": "application/json", "Idempotency-Key": key})
        retrying = self._retrying(budget)
        reply: _Reply = await retrying(self._attempt, "POST", url, budget, headers, content)
        if reply.status != 202:
            return wire.parse_run(reply.body)
        url = httpx.URL(wire.poll_target(str(url), reply.body, reply.headers))
        announced = wire.accepted_run_id(reply.body)
        await self._budget_sleep(budget)(self._first_poll_wait(retry_after(reply.headers)))
        reply = await self._retrying(budget, polling=True)(self._poll_once, url, budget)
        return wire.check_polled(wire.parse_run(reply.body), announced)

    def _first_poll_wait(self, hint: float | None) -> float:
        s = self._settings
        # The harness may ask for a longer wait, never for a shorter one than the gate's floor.
        wanted = s.poll_interval_s if hint is None else hint
        return min(max(wanted, s.poll_floor_s), max(s.retry_after_cap_s, s.poll_floor_s))

    async def _poll_once(self, url: httpx.URL, budget: _Budget) -> _Reply:
        reply = await self._attempt("GET", url, budget, self._headers(url), None, "harness poll")
        if reply.status == 202:
            budget.last_problem = "the run was still in progress"
            raise Pending(budget.last_problem, retry_after(reply.headers))
        return reply

    async def _attempt(
        self,
        method: str,
        url: httpx.URL,
        budget: _Budget,
        headers: dict[str, str],
        content: bytes | None,
        label: str = "harness",
    ) -> _Reply:
        try:
            reply = await self._send(method, url, budget, headers, content)
        except httpx.TransportError as exc:
            budget.last_problem = f"{label} connection failed ({_describe(exc)})"
            raise Transient(budget.last_problem) from exc
        code = reply.status
        if code in (401, 403):
            raise self._credentials_error(code)
        if code in (400, 422):
            message = wire.harness_message(reply.body, self._settings.token)
            raise RunFault(f"harness rejected the case ({code}): {message}")
        if code in (408, 429) or (code >= 500 and code not in NOT_A_HARNESS):
            budget.last_problem = f"{label} returned {code}"
            raise Transient(budget.last_problem, retry_after(reply.headers))
        if code not in (200, 202):
            message = wire.harness_message(reply.body, self._settings.token)
            hint = WRONG_URL_HINT if method == "POST" and code in NOT_A_HARNESS else ""
            raise RunFault(f"{label} returned {code}: {message}{hint}")
        return reply

    async def _send(
        self,
        method: str,
        url: httpx.URL,
        budget: _Budget,
        headers: dict[str, str],
        content: bytes | None = None,
    ) -> _Reply:
        budget.calls += 1
        limit = self._settings.max_response_bytes
        too_big = RunFault(f"harness response exceeds {limit:,} bytes")
        async with self._client.stream(method, url, headers=headers, content=content) as response:
            try:
                body = await read_capped(response, limit, lambda: too_big)
            except httpx.DecodingError as exc:  # a Content-Encoding its body does not match
                raise RunFault(f"harness response cannot be decoded ({_describe(exc)})") from None
        return _Reply(response.status_code, response.headers, body)

    def _retrying(self, budget: _Budget, *, polling: bool = False) -> AsyncRetrying:
        s = self._settings
        # A floor under the poll interval: even a 0 setting must not hammer the harness.
        base = max(s.poll_interval_s, s.poll_floor_s) if polling else s.backoff_base_s
        return harness_retrying(
            s.retries,
            base,
            s.backoff_cap_s,
            s.retry_after_cap_s,
            self._budget_sleep(budget),
            polling=polling,
            floor_s=s.poll_floor_s if polling else 0.0,
            max_pending=s.max_polls,
        )

    def _budget_sleep(self, budget: _Budget) -> Sleep:
        async def sleep(delay: float) -> None:
            # Waiting past the deadline cannot help: end now, with the timeout's reason.
            if self._clock() + delay > budget.deadline:
                raise TimeoutError
            await self._sleep(delay)

        return sleep

    def _headers(self, url: httpx.URL) -> dict[str, str]:
        headers = {"User-Agent": self._settings.user_agent, "Accept": "application/json"}
        # The token only goes to the harness's own origin, never to a foreign absolute poll_url.
        if self._settings.token and _origin(url) == self._origin:
            headers["Authorization"] = f"Bearer {self._settings.token}"
        return headers

    def _credentials_error(self, code: int) -> HarnessError:
        hint = "check" if self._settings.token else "set"
        return HarnessError(f"harness rejected the credentials ({code}): {hint} {TOKEN_ENV}")

    def _short(self, text: str) -> str:
        return short(text, self._settings.token)

    def _redact(self, text: str) -> str:
        # Harness text is echoed into reasons, and a harness may echo our Authorization header.
        token = self._settings.token
        return text.replace(token, "***") if token else text


def _harness_base(url: str) -> str:
    check_http_url(url, "harness URL", "http(s)://host[:port][/path]")
    return url if "?" in url else url.rstrip("/")  # a query's own trailing `/` is kept


def endpoint(harness_url: str, name: str) -> httpx.URL:
    """`{harness_url}/{name}`, its query kept after the path (`…/v1/runs?key=…`, not
    `…/v1?key=…/runs`), its encoding as given."""
    url = httpx.URL(harness_url)
    path, mark, query = url.raw_path.partition(b"?")
    return url.copy_with(raw_path=path.rstrip(b"/") + b"/" + name.encode() + mark + query)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _describe(exc: Exception) -> str:
    detail = one_line(exc, None)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
