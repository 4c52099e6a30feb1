"""The commands behind the CLI: wire the pipeline stages together and decide where output goes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from gate import __version__
from gate.commands.rejudge import judge_check_command, rejudge_command
from gate.commands.wiring import finish_run, load_checked, now_iso, write_reports
from gate.dispatch.client import Dispatcher, DispatchSettings, make_client
from gate.errors import HarnessError, InputError
from gate.github.publish import Publisher, no_publisher, publisher_for
from gate.judge.scorer import open_run_judge, plan_run, spent
from gate.load.config import discover
from gate.load.loader import LoadResult
from gate.models import LoadedCase
from gate.records.history import append_run_history, history_command, history_durations
from gate.records.lifecycle import lifecycle_command
from gate.records.merge import merge_command
from gate.records.results_file import results_dict
from gate.reference import BUGS
from gate.reference.server import running_harness, serve
from gate.report.console import CLEAR_LINE, live_bar, progress_line, render_summary
from gate.results import CaseResult
from gate.runner import Runner, unfinished
from gate.select.changes import select_for_settings
from gate.select.selection import render_selection
from gate.select.shard import shard_selection
from gate.settings import RunSettings, case_paths, resolve

Command = Callable[[argparse.Namespace, Mapping[str, str], TextIO, TextIO], int]
EXAMPLES = Path("examples/cases")


def validate_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`validate PATH…`: every problem in every file, exit 0 or 2."""
    config = discover(args.config, environ)  # a bad gate config fails validation too
    paths = case_paths(args.paths, environ, config)
    if not paths:
        raise InputError("no case paths: pass PATH… (or set VOICE_REGRESS_CASES)")
    loaded = load_checked(paths, err, config)
    if not loaded.files:
        raise InputError(f"no case files (*.yaml, *.yml) found under {' '.join(paths)}")
    print(f"{len(loaded.cases)} case(s) in {len(loaded.files)} file(s) are valid", file=out)
    return 0


@contextlib.contextmanager
def _harness(url: str) -> Iterator[str]:
    """A real URL, or `builtin[:BUG,…]`: the reference harness served on loopback for this run."""
    if url != "builtin" and not url.startswith("builtin:"):
        yield url.rstrip("/")
        return
    bugs = [b for b in url.partition(":")[2].split(",") if b]
    unknown = [b for b in bugs if b not in BUGS]
    if unknown:
        raise InputError(f"--harness-url: unknown bug {unknown[0]!r} (known: {', '.join(BUGS)})")
    with running_harness(bugs=tuple(bugs)) as base_url:
        yield base_url


async def _dispatch(
    settings: RunSettings, url: str, cases: list[LoadedCase], runner: Runner
) -> list[CaseResult]:
    config = DispatchSettings(
        harness_url=url, token=settings.token, timeout_s=settings.timeout, retries=settings.retries
    )
    async with (
        make_client(config, concurrency=settings.concurrency) as client,
        open_run_judge(settings) as judge,
    ):
        runner.judge = judge
        dispatcher = Dispatcher(config, client)
        try:
            await dispatcher.check_health()
        except HarnessError as exc:
            runner.abort_reason = str(exc)
            return unfinished(cases, runner, f"not run: {exc}")
        return await runner.run_all(cases, dispatcher)


class _Progress:
    """A line per finished case; on a terminal also a live bar, redrawn and erased at the end."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total, self.done = out, total, 0
        self.live = out.isatty()  # CI logs get plain lines only

    def __call__(self, result: CaseResult) -> None:
        self.done += 1
        line = progress_line(self.done, self.total, result)
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
    started = (now_iso(), time.monotonic())
    loaded = load_checked(settings.cases, err, settings.config)
    # The loaded cases live as long as the run: out of the collector's sight, so the full
    # collections that dispatch's garbage triggers do not walk thousands of cases every time.
    gc.freeze()
    try:
        return _run_loaded(settings, loaded, started, out, err, publisher or no_publisher(out))
    finally:
        gc.unfreeze()  # back in sight: a process that runs the gate twice (tests) frees them


def _run_loaded(
    settings: RunSettings,
    loaded: LoadResult,
    started: tuple[str, float],
    out: TextIO,
    err: TextIO,
    publisher: Publisher,
) -> int:
    selection = select_for_settings(loaded.cases, settings)
    # A case outside this shard is simply not selected by it. An unsharded run is shard 1/1, so
    # `merge` (and the fork-safe publish pattern) can take its results file as a complete run.
    durations = history_durations(settings.history)  # also orders dispatch: longest first
    selection = shard_selection(
        selection,
        settings.shard or (1, 1),
        durations if settings.shard else None,
        files_found=len(loaded.files),
        sources=" ".join(settings.cases),
    )
    chosen = set(selection.selected)  # built once: a set per case made this quadratic
    cases = [c for c in loaded.cases if c.id in chosen]
    progress = _Progress(out, len(cases))
    runner = Runner(
        concurrency=settings.concurrency,
        trials=settings.trials,
        on_done=progress,
        durations=durations or {},
        fail_fast=settings.fail_fast,
    )
    budget, preview = plan_run(settings, cases, runner.planned_trials)  # judge flags checked
    print(preview, file=out, flush=True)
    results, interrupted = _run_cases(settings, cases, runner, publisher)
    progress.close()
    gate = finish_run(settings, loaded, selection, results, runner.abort_reason, started)
    gate = replace(gate, budget=spent(budget, results, runner.judge))
    write_reports(gate, settings)
    if settings.history:
        append_run_history(settings.history, results_dict(gate, __version__), err)
    with publisher.untrusted_output():
        print(render_summary(gate), file=out)
    if interrupted:
        raise KeyboardInterrupt
    publisher.publish(gate, junit=settings.junit, results=settings.results)
    return 0 if gate.verdict == "pass" else 1


def _run_cases(
    settings: RunSettings, cases: list[LoadedCase], runner: Runner, publisher: Publisher
) -> tuple[list[CaseResult], bool]:
    """Every case's result, and whether the run was interrupted (^C) before it finished."""
    try:
        with (
            publisher.log_group(f"voice-regress-gate: {len(cases)} case(s)"),
            _harness(settings.harness_url) as url,
        ):
            return (asyncio.run(_dispatch(settings, url, cases, runner)) if cases else []), False
    except KeyboardInterrupt:
        return unfinished(cases, runner, "interrupted before it finished"), True


def run_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`run`: the gate."""
    return execute_run(resolve(args, environ), out, err, publisher_for(args, environ, out))


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
        replace(settings, harness_url=args.harness_url), out, err, publisher_for(args, environ, out)
    )


def select_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`select`: which cases the change selects and why; no harness call."""
    settings = resolve(args, environ, need_harness=False)
    loaded = load_checked(settings.cases, err, settings.config)
    selection = select_for_settings(loaded.cases, settings)
    print(render_selection(selection, args.format), file=out)
    return 0


def reference_harness_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`reference-harness`: serve the bundled harness until interrupted."""
    serve(host=args.host, port=args.port, bugs=tuple(args.bug))
    return 0


COMMAND_BY_NAME: dict[str, Command] = {
    "validate": validate_command,
    "run": run_command,
    "demo": demo_command,
    "reference-harness": reference_harness_command,
    "merge": merge_command,
    "select": select_command,
    "history": history_command,
    "lifecycle": lifecycle_command,
    "rejudge": rejudge_command,
    "judge-check": judge_check_command,
}
