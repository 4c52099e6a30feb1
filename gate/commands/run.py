"""The commands behind the CLI: wire the pipeline stages together and decide where output goes."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from gate import __version__
from gate.commands.gating import check_baseline_path, warn_baseline
from gate.commands.reports import (
    clear_stale_reports,
    finished_cases,
    in_order,
    unchanged_results,
    write_reports,
)
from gate.commands.selecting import select_for_settings
from gate.commands.wiring import (
    finish_run,
    load_for,
    near_duplicates_alongside,
    now_iso,
    open_run_judge,
    plan_run,
    resolve,
)
from gate.dispatch.client import Dispatcher, DispatchSettings, make_client
from gate.errors import InputError, Terminated
from gate.evaluate.retention import retained
from gate.github.publish import Publisher, no_publisher
from gate.judge.scorer import JudgeUsage, spent
from gate.load.loader import LoadResult
from gate.models import LoadedCase
from gate.records.early import EarlyCases
from gate.records.history import append_run_history, history_durations
from gate.records.results_file import results_record
from gate.reference.server import builtin_bugs, harness_url_served
from gate.report.console import (
    CLEAR_LINE,
    live_bar,
    progress_line,
    render_summary,
)
from gate.results import CaseResult, GateResult, Selection
from gate.runner import Runner, planned_trials, unfinished
from gate.select.shard import shard_selection
from gate.settings import RunSettings, publish_options
from gate.text import log_line

EXAMPLES = Path("examples/cases")


@dataclass
class _Dispatched:
    """What dispatch leaves behind, kept outside the event loop so an interrupt loses nothing."""

    finished: dict[str, CaseResult] = field(default_factory=dict)
    abort_reason: str | None = None
    usage: JudgeUsage | None = None
    durations: dict[str, float] = field(default_factory=dict)  # history: longest dispatched first


async def _dispatch(
    settings: RunSettings,
    url: str,
    cases: list[LoadedCase],
    on_done: Callable[[CaseResult], None],
    state: _Dispatched,
) -> list[CaseResult]:
    config = DispatchSettings(
        harness_url=url, token=settings.token, timeout_s=settings.timeout, retries=settings.retries
    )
    async with (
        _sigterm_cancels(),
        make_client(config, concurrency=settings.concurrency) as client,
        open_run_judge(settings) as judge,
    ):
        state.usage = judge.usage if judge else None
        runner = Runner(
            settings.concurrency,
            settings.trials,
            on_done,
            judge=judge,
            finished=state.finished,
            durations=state.durations,
            fail_fast=settings.fail_fast,
        )
        results = await runner.run_all(cases, Dispatcher(config, client))
        state.abort_reason = runner.abort_reason
        return results


@asynccontextmanager
async def _sigterm_cancels() -> AsyncIterator[None]:
    """While cases are dispatched, SIGTERM cancels the dispatch, as asyncio does for Ctrl-C, and
    is raised as Terminated once it has unwound. Why: raised by the CLI's handler wherever the
    event loop happened to be, inside a task it left "Task exception was never retrieved"
    tracebacks on raw stderr. The CLI's own handler is back afterwards."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    previous = signal.getsignal(signal.SIGTERM)
    received: list[bool] = []

    def cancel() -> None:
        received.append(True)
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        yield
        return
    try:
        yield
    except asyncio.CancelledError:
        if not received:
            raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)
    if received:  # also when it came as the dispatch was ending and cancelled nothing
        raise Terminated


class _Progress:
    """A line per finished case; on a terminal also a live bar, redrawn and erased at the end."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total, self.done = out, total, 0
        self.live = out.isatty()  # CI logs get plain lines only

    def __call__(self, result: CaseResult) -> None:
        self.done += 1
        line = progress_line(self.done, self.total, retained(result))  # a CI log is a report too
        if self.live:
            line = f"{CLEAR_LINE}{line}\n{live_bar(self.done, self.total)}"
        print(line, file=self.out, flush=True, end="" if self.live else "\n")

    def close(self) -> None:
        if self.live and self.done:
            print(CLEAR_LINE, file=self.out, end="", flush=True)


def execute_run(
    settings: RunSettings, out: TextIO, err: TextIO, publisher: Publisher | None = None
) -> int:
    """select → dispatch → evaluate → report (→ publish); returns the gate's exit code."""
    publisher = publisher or no_publisher(out)
    started = (now_iso(), time.monotonic())
    builtin_bugs(settings.harness_url)  # a bad URL or bug name stops the run before it starts
    carried = finished_cases(settings.resume) if settings.resume else {}  # read before clearing
    check_baseline_path(settings.baseline, settings.results)
    clear_stale_reports(settings.junit, settings.results)
    loaded = load_for(settings, err)
    # The loaded cases live as long as the run: out of the collector's sight, so the full
    # collections that dispatch's garbage triggers do not walk thousands of cases every time.
    gc.freeze()
    try:
        return _run_loaded(settings, loaded, carried, started, out, err, publisher)
    finally:
        gc.unfreeze()  # back in sight: a process that runs the gate twice (tests) frees them


def _run_loaded(
    settings: RunSettings,
    loaded: LoadResult,
    carried: dict[str, CaseResult],
    started: tuple[str, float],
    out: TextIO,
    err: TextIO,
    publisher: Publisher,
) -> int:
    durations = history_durations(settings.history)  # shard balance, and dispatch longest first
    selection = _selection(settings, loaded, durations)
    selected = set(selection.selected)  # built once: a set per case made this quadratic
    carried = _kept(settings, [c for c in loaded.cases if c.id in selected], carried, out, err)
    cases = [c for c in loaded.cases if c.id in selected and c.id not in carried]
    progress, state = _Progress(out, len(cases)), _Dispatched(durations=durations or {})
    budget, preview = plan_run(  # judge flags checked before anything is dispatched
        settings, cases, lambda case: planned_trials(case, settings.trials)
    )
    print(preview, file=out, flush=True)
    # The near-duplicate warnings (advisory) are collected last: waiting for them must never
    # stand between finished cases and their reports (an interrupt there lost every report).
    with near_duplicates_alongside(loaded.cases, err) as near_duplicates:  # beside dispatch
        with _early_entries(settings, selection) as early:
            on_done = _each(progress, early)
            results, interrupted = _run_cases(settings, cases, on_done, state, publisher)
            progress.close()
            if interrupted is not None:
                near_duplicates.cancel()  # an interrupted run does not wait for them
            results = in_order(selection.selected, [*carried.values(), *results])
            # An interrupted run stops like an aborted one: its verdict says so, not "empty".
            stopped = state.abort_reason
            if stopped is None and interrupted is not None:
                stopped = _interrupted_reason(interrupted)
            gate = finish_run(settings, loaded, selection, results, stopped, started)
            gate = replace(gate, budget=spent(budget, results, state.usage))
            warn_baseline(gate, err)
            write_reports(gate, settings, early)
        return _after_reports(settings, gate, interrupted, out, err, publisher)


def _after_reports(
    settings: RunSettings,
    gate: GateResult,
    interrupted: KeyboardInterrupt | None,
    out: TextIO,
    err: TextIO,
    publisher: Publisher,
) -> int:
    """History, the summary, then (unless interrupted) publishing; the gate's exit code."""
    if settings.history:
        append_run_history(settings.history, results_record(gate, __version__), err)
    with publisher.untrusted_output():
        print(render_summary(gate), file=out)
    if interrupted is not None:
        raise interrupted
    publisher.publish(gate, junit=settings.junit, results=settings.results)
    return 0 if gate.verdict == "pass" else 1


def _early_entries(
    settings: RunSettings, selection: Selection
) -> AbstractContextManager[EarlyCases | None]:
    """Where finished cases' results-file entries wait for the end (none without --results)."""
    if not settings.results:
        return nullcontext()
    return EarlyCases(shard=selection.shard is not None, record_runs=settings.record_runs)


def _each(progress: _Progress, early: EarlyCases | None) -> Callable[[CaseResult], None]:
    """What happens as each case finishes: its progress line, and its results-file entry."""
    if early is None:
        return progress

    def done(result: CaseResult) -> None:
        progress(result)
        early.add(result)

    return done


def _kept(
    settings: RunSettings,
    cases: list[LoadedCase],
    carried: dict[str, CaseResult],
    out: TextIO,
    err: TextIO,
) -> dict[str, CaseResult]:
    """`--resume`: the carried results still of these (selected) cases, as loaded now."""
    if not carried:
        return {}
    kept = unchanged_results(
        carried, cases, lambda c: planned_trials(c, settings.trials), str(settings.resume), err
    )
    print(log_line(f"resume: {len(kept)} finished case(s) kept from {settings.resume}"), file=out)
    return kept


def _run_cases(
    settings: RunSettings,
    cases: list[LoadedCase],
    progress: Callable[[CaseResult], None],
    state: _Dispatched,
    publisher: Publisher,
) -> tuple[list[CaseResult], KeyboardInterrupt | None]:
    """Dispatch the cases; an interrupt (Ctrl-C, or SIGTERM: Terminated) keeps what finished."""
    try:
        with (
            publisher.log_group(f"voice-regress-gate: {len(cases)} case(s)"),
            harness_url_served(settings.harness_url) as url,
        ):
            results = asyncio.run(_dispatch(settings, url, cases, progress, state)) if cases else []
        return results, None
    except KeyboardInterrupt as exc:
        why = _interrupted_reason(exc)
        return unfinished(cases, state.finished, settings.trials, why), exc


def _interrupted_reason(exc: KeyboardInterrupt) -> str:
    why = "terminated" if isinstance(exc, Terminated) else "interrupted"
    return f"{why} before it finished"


def _selection(
    settings: RunSettings, loaded: LoadResult, durations: dict[str, float] | None
) -> Selection:
    selection = select_for_settings(loaded.cases, settings)
    # A case outside this shard is simply not selected by it. An unsharded run is shard 1/1, so
    # `merge` (and the fork-safe publish pattern) can take its results file as a complete run.
    return shard_selection(
        selection,
        settings.shard or (1, 1),
        durations if settings.shard else None,
        files_found=len(loaded.files),
        sources=" ".join(settings.cases),
    )


def _publisher(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> Publisher:
    """The run's publisher: its publishing flags and environment, checked before anything runs."""
    return Publisher(publish_options(args, environ), environ, out)


def run_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`run`: the gate."""
    return execute_run(resolve(args, environ), out, err, _publisher(args, environ, out))


def demo_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`demo`: `run` over the bundled examples against the in-process reference harness."""
    if not args.cases:
        if not EXAMPLES.is_dir():
            raise InputError(
                f"demo: no {EXAMPLES}/ here; run it from a checkout of the repo "
                "or pass --cases PATH"
            )
        args.cases = [str(EXAMPLES)]
    args.harness_url = "builtin" + (":" + ",".join(args.bug) if args.bug else "")
    settings = resolve(args, environ)
    return execute_run(
        replace(settings, harness_url=args.harness_url), out, err, _publisher(args, environ, out)
    )
