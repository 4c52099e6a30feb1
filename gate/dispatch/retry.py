"""The retry policy of harness calls (tenacity): what retries, how long to wait, when to stop."""

from __future__ import annotations

from typing import NoReturn

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from gate.dispatch.protocol import RunFault
from gate.net import Backoff, Sleep


class Retryable(RunFault):
    """A fault tenacity may retry; `retry_after_s` is the harness's Retry-After, if any."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class Transient(Retryable):
    """Worth another attempt: 408, 429, 5xx, transport errors, read timeouts."""


class Pending(Retryable):
    """A poll answered 202: the run is still going (bounded by the trial budget only)."""


class TransientLimit:
    """Tenacity stop: give up after `retries` retried transient failures, or after
    `max_pending` polls that answered 202 (counted apart: a long run is not a fault)."""

    def __init__(self, retries: int, max_pending: int | None = None) -> None:
        self.retries, self.failures = retries, 0
        self.max_pending, self.pending = max_pending, 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        problem = outcome.exception() if outcome is not None else None
        self.failures += isinstance(problem, Transient)
        self.pending += isinstance(problem, Pending)
        too_long = self.max_pending is not None and self.pending >= self.max_pending
        return self.failures > self.retries or too_long

    def give_up(self, retry_state: RetryCallState) -> NoReturn:
        problem = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(problem, Pending):
            raise RunFault(f"the run was still in progress after {self.pending} polls")
        raise RunFault(f"{problem or 'harness failed'} after {self.failures} attempts")


def harness_retrying(
    retries: int,
    base_s: float,
    cap_s: float,
    retry_after_cap_s: float,
    sleep: Sleep,
    *,
    polling: bool,
    floor_s: float = 0.0,
    max_pending: int | None = None,
) -> AsyncRetrying:
    """Retry transient faults `retries` times (and, when `polling`, 202s up to `max_pending`
    polls within the trial budget), waiting `Backoff` (never under `floor_s`) in between."""
    stop = TransientLimit(retries, max_pending if polling else None)
    wait = Backoff(base_s, max(cap_s, base_s), retry_after_cap_s, floor_s)
    # Polling also retries 202 (Pending); only the trial budget bounds how long a run runs.
    retry_on = Retryable if polling else Transient
    return AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception_type(retry_on),
        sleep=sleep,
        retry_error_callback=stop.give_up,
    )
