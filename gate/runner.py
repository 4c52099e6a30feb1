"""Run the selected cases: bounded concurrency across cases, sequential trials with early stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from gate.dispatch.consistency import inconsistency
from gate.errors import HarnessError
from gate.evaluate.pooled import pool_trials, pools_trials
from gate.evaluate.replays import ReplayLedger
from gate.evaluate.trial import TrialJudge, evaluate_trial
from gate.evaluate.verdicts import tally_trials
from gate.models import LoadedCase
from gate.results import NOT_PASSING, CaseResult, HarnessRun, Status, TrialResult

Item = TypeVar("Item")


class Dispatched(Protocol):
    """What a dispatcher returns for one run: evidence, or the reason there is none."""

    @property
    def run(self) -> HarnessRun | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def calls(self) -> int: ...
    @property
    def duration_s(self) -> float: ...


class TrialSource(Protocol):
    """Anything that can run one trial of a case against a harness (gate.dispatch.client)."""

    async def check_health(self) -> None: ...

    async def run(self, case: LoadedCase, trial: int) -> Dispatched: ...


@dataclass
class Runner:
    """Runs cases and keeps every finished CaseResult, so an interrupt loses nothing finished."""

    concurrency: int = 8
    trials: int | None = None  # --trials overrides every case's own `trials`
    on_done: Callable[[CaseResult], None] = lambda _result: None
    judge: TrialJudge | None = None  # scores judged assertions; None: they stay skipped
    # Shared with the caller, so an interrupt that ends the event loop loses nothing finished.
    finished: dict[str, CaseResult] = field(default_factory=dict)
    abort_reason: str | None = None  # set once: 401/403 or a wrong protocol stops every case
    ledger: ReplayLedger = field(default_factory=ReplayLedger)  # every run, by id and content
    durations: Mapping[str, float] = field(default_factory=dict)  # history: seconds per case
    fail_fast: bool = False  # after a blocking case fails, start no new run
    failed_fast: str | None = None  # the blocking case that stopped new runs
    clock: Callable[[], float] = time.monotonic  # times the evaluation (judge votes) of a trial

    async def run_all(
        self, cases: Sequence[LoadedCase], dispatcher: TrialSource
    ) -> list[CaseResult]:
        """Every case ends in exactly one state, reported in the order given; with history
        durations the longest start first (`longest_first`). A harness that refuses us at the
        health check (HarnessError) runs nothing: every case is `error`, the run aborted."""
        try:
            await dispatcher.check_health()
        except HarnessError as exc:
            self.abort_reason = str(exc)
            return unfinished(cases, self.finished, self.trials, f"not run: {exc}")
        slots = asyncio.Semaphore(max(1, self.concurrency))
        order = longest_first(cases, self.durations)
        # The semaphore serves waiters first come, first served: trials start in `order`. Cases
        # are admitted a window at a time: 5,000 tasks all waiting on `slots` from the start
        # were 16 MB and their scheduling, for nothing (only `concurrency` of them can run).
        await in_window(
            order, 2 * max(1, self.concurrency), lambda c: self._run_case(c, dispatcher, slots)
        )
        return [self.finished[c.id] for c in cases]

    def aborted(self) -> bool:
        return self.abort_reason is not None

    def stopped(self) -> bool:
        """No new run starts: the run was aborted, or `fail_fast` saw a blocking case fail."""
        return self.aborted() or self.failed_fast is not None

    def planned_trials(self, case: LoadedCase) -> int:
        return planned_trials(case, self.trials)

    async def _run_case(
        self, case: LoadedCase, dispatcher: TrialSource, slots: asyncio.Semaphore
    ) -> None:
        planned, done = self.planned_trials(case), list[TrialResult]()
        threshold = case.case.pass_threshold
        while len(done) < planned and not self.stopped():
            async with slots:
                if self.stopped():  # another case may have stopped the run while we waited
                    break
                try:
                    out = await dispatcher.run(case, len(done) + 1)
                except HarnessError as exc:
                    # 401/403 or a wrong protocol: every further call would fail the same way.
                    self.abort_reason = str(exc)
                    break
            done.append(await self._evaluate(case, len(done) + 1, out))
            # A check over all trials needs every planned one: no early stop for it.
            if tally_trials(done, planned, threshold).decided and not pools_trials(case):
                break
        self._finish(case, list(pool_trials(case, done, planned)), planned)

    async def _evaluate(self, case: LoadedCase, number: int, out: Dispatched) -> TrialResult:
        """The trial's result; its duration is the harness call's plus the evaluation's, judge
        votes included (what the trial cost, as the progress line, JUnit and history show it)."""
        run, error = self._own_run(case, number, out)
        started = self.clock()
        trial = await evaluate_trial(
            case, number, run, error, calls=out.calls, duration_s=0.0, judge=self.judge
        )
        return replace(trial, duration_s=out.duration_s + max(0.0, self.clock() - started))

    def _own_run(
        self, case: LoadedCase, number: int, out: Dispatched
    ) -> tuple[HarnessRun | None, str | None]:
        """The run, if it is consistent evidence of this trial and no other trial's: a replayed
        or cached result (say, a proxy that ignores the body) is no evidence."""
        run = out.run
        if run is None:
            return run, out.error
        scenario = case.case.scenario
        max_turns = scenario.max_turns if scenario else None
        problem = inconsistency(run, case.id, number, max_turns) or self.ledger.claim(
            (case.id, number), run
        )
        return (run, out.error) if problem is None else (None, problem)

    def _finish(self, case: LoadedCase, done: list[TrialResult], planned: int) -> None:
        tally = tally_trials(done, planned, case.case.pass_threshold)
        if not done and self.failed_fast is not None and not self.aborted():
            # --fail-fast: never started, an explicit state of its own (not a failure of it).
            reason = f"not run: --fail-fast stopped the run after {self.failed_fast} failed"
            result = CaseResult(case, Status.SKIPPED, reason, (), planned)
        elif not tally.decided:
            # Stopped before the outcome was decided (abort): no evidence either way.
            why = self.abort_reason or (
                f"--fail-fast after {self.failed_fast}" if self.failed_fast else "stopped"
            )
            reason = f"not run to the end: {why}"
            result = CaseResult(case, Status.ERROR, reason, tuple(done), planned)
        else:
            result = CaseResult(case, tally.status, tally.reason, tuple(done), planned)
            if self.fail_fast and result.level == "blocking" and result.status in NOT_PASSING:
                self.failed_fast = self.failed_fast or case.id
        self.finished[case.id] = result
        self.on_done(result)


async def in_window(
    items: Sequence[Item], width: int, work: Callable[[Item], Awaitable[None]]
) -> None:
    """`work(item)` for every item, started in order, at most `width` at a time. A failure
    stops the rest and is raised as itself (not wrapped in an exception group)."""
    window = asyncio.Semaphore(width)

    async def admitted(item: Item) -> None:
        try:
            await work(item)
        finally:
            window.release()

    try:
        async with asyncio.TaskGroup() as group:
            for item in items:
                await window.acquire()
                group.create_task(admitted(item))
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


def planned_trials(case: LoadedCase, override: int | None) -> int:
    """--trials (`override`), else the case's trials; never fewer than its pass_threshold."""
    return max(override or case.case.trials or 1, case.case.pass_threshold or 1)


def longest_first(cases: Sequence[LoadedCase], durations: Mapping[str, float]) -> list[LoadedCase]:
    """Longest processing time first (LPT): by history duration, longest first, a case without
    history weighing the mean of the known ones; so one slow case does not start last and set
    the wall time alone. Without durations, the given order. Stable: ties keep the given order."""
    known = [durations[c.id] for c in cases if c.id in durations]
    if not known:
        return list(cases)
    default = sum(known) / len(known)
    return sorted(cases, key=lambda c: -durations.get(c.id, default))


def unfinished(
    cases: Sequence[LoadedCase],
    finished: Mapping[str, CaseResult],
    trials: int | None,
    why: str,
) -> list[CaseResult]:
    """All cases' results after an interrupt: finished ones as they are, the rest `error`."""
    return [
        finished.get(c.id) or CaseResult(c, Status.ERROR, why, (), planned_trials(c, trials))
        for c in cases
    ]
