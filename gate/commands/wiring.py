"""Stage glue shared by the commands: load with diagnostics, finish a run, write its reports."""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from gate.commands.gating import release_verdict, run_baseline, run_readiness
from gate.errors import CaseFileError, Diagnostic, InputError
from gate.evaluate.retention import retained
from gate.evaluate.verdicts import (
    empty_selection_reason,
    gate_verdict,
    none_selected_reason,
)
from gate.github.environment import github_workspace
from gate.github.event import change_context
from gate.judge.client import (
    JudgeSettings,
    judge_settings,
)
from gate.judge.scorer import Judge, open_judge, plan_budget, preview_line
from gate.load.config import (
    GateConfig,
    config_defaults,
    discover_config,
    load_with_config,
)
from gate.load.loader import LoadResult
from gate.load.parallel import Background, map_shared
from gate.load.pinning import floating_reason, pinned_hint
from gate.load.similarity import Mapper, near_duplicates
from gate.models import LoadedCase
from gate.net import JUDGE_KEY_ENVS, TOKEN_ENV, Sleep, header_secret
from gate.results import (
    CallBudget,
    CaseResult,
    GateResult,
    Selection,
)
from gate.settings import RunSettings, case_paths, flags_over_env, run_converters
from gate.text import log_line

BACKGROUND_CASES = 2000  # below, near-duplicates take well under a forked process's start-up


def load_checked(
    paths: Sequence[str],
    err: TextIO,
    config: GateConfig | None = None,
    require_pinned: bool = False,
    *,
    near_duplicates_later: bool = False,
) -> LoadResult:
    """Load and validate; warnings are printed, any error stops the run with exit 2. The
    near-duplicate warnings too, unless `near_duplicates_later` (the caller prints them with
    `near_duplicates_alongside`): of a valid suite, that is."""
    loaded = load_with_config(paths, config, require_pinned)
    for diagnostic in loaded.diagnostics:
        if diagnostic.severity != "error":
            print(log_line(str(diagnostic)), file=err)  # names files: untrusted text
    if loaded.errors or not near_duplicates_later:
        print_near_duplicates(_near_duplicates_job(loaded.cases, now=True), err)
    if loaded.errors:
        raise CaseFileError(loaded.errors)
    return loaded


@contextmanager
def near_duplicates_alongside(
    cases: Sequence[LoadedCase], err: TextIO
) -> Iterator[Background[list[Diagnostic]]]:
    """The near-duplicate warnings (a human decides) of `cases`, printed after the block; at
    thousands of cases worked out in a forked process meanwhile: comparing 20,000 cases took
    3 s, added straight to a run's wall before its first case. Not waited for on an exception,
    nor once the block has cancelled the job it is given (an interrupted run).
    """
    job = _near_duplicates_job(cases, now=False)
    try:
        yield job
    except BaseException:
        job.cancel()
        raise
    if not job.cancelled:
        print_near_duplicates(job, err)


def _near_duplicates_job(cases: Sequence[LoadedCase], *, now: bool) -> Background[Any]:
    """The comparison: on the spot when `now` or for a small suite (thousands of cases still
    compared on every core), else in a forked process on one core (dispatch has the other)."""
    many = len(cases) >= BACKGROUND_CASES
    if now or not many:
        compare = functools.partial(near_duplicates, mapper=_mapper(parallel=many))
        return Background(compare, cases, now=True)
    return Background(near_duplicates, cases)


def print_near_duplicates(job: Background[list[Diagnostic]], err: TextIO) -> None:
    """The job's warnings on `err`; a failed check is one warning itself (it is advisory: it
    must not fail a run whose cases all finished)."""
    try:
        warnings = job.result()
    except Exception as exc:
        warnings = []
        why = f"{type(exc).__name__}: {exc}"
        print(
            log_line(
                f"warning: the near-duplicate check did not finish ({why}): `validate` shows it"
            ),
            file=err,
        )
    for diagnostic in warnings:
        print(log_line(str(diagnostic)), file=err)


def _mapper(*, parallel: bool) -> Mapper:
    return functools.partial(map_shared, parallel=parallel)


def load_for(settings: RunSettings, err: TextIO) -> LoadResult:
    """`load_checked` for a run's settings, after checking that its judge model is pinned."""
    check_judge_model(settings, err)
    return load_checked(
        settings.cases, err, settings.config, settings.require_pinned, near_duplicates_later=True
    )


def check_judge_model(settings: RunSettings, err: TextIO) -> None:
    """A floating judge model is a warning, an InputError under --require-pinned (or the
    config's `require_pinned: true`): verdicts would drift with the provider's alias."""
    model = settings.judge_model
    if not model or floating_reason(model) is None:
        return
    hint = pinned_hint("the judge model", model)
    if settings.require_pinned or (settings.config and settings.config.require_pinned):
        raise InputError(f"{hint} (--require-pinned)")
    print(f"warning: {hint}", file=err)


def now_iso() -> str:
    """The current time, UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def finish_run(
    settings: RunSettings,
    loaded: LoadResult,
    selection: Selection,
    results: list[CaseResult],
    abort: str | None,
    started: tuple[str, float],
) -> GateResult:
    """The GateResult of a run: its verdict under the settings' fail-on rules, the baseline's
    labels and (release tier) readiness."""
    results = [retained(r) for r in results]  # before any report is drawn from them
    baseline, fail_on = run_baseline(settings.baseline, settings.fail_on, results)
    verdict = gate_verdict(
        results,
        fail_on=fail_on,
        fail_on_empty=settings.fail_on_empty,
        files_found=len(loaded.files),
        sources=" ".join(settings.cases),
        abort_reason=abort,
        none_selected=none_selected_reason(selection),
        empty_selection=empty_selection_reason(selection),
        labels=baseline.labels if baseline else None,
    )
    gate = GateResult(
        verdict.verdict,
        verdict.reason,
        tuple(results),
        selection,
        fail_on,
        started[0],
        now_iso(),
        round(time.monotonic() - started[1], 3),
        verdict.blocking_failures,
        abort,
        baseline=baseline,
        readiness=run_readiness(settings.readiness, settings.config, selection, results),
    )
    return release_verdict(gate)


def run_judge_settings(settings: RunSettings) -> JudgeSettings | None:
    """The judge of a run's settings (None: not configured); InputError when half configured."""
    config = judge_settings(
        settings.judge_url,
        settings.judge_model,
        settings.judge_api_key,
        # Sized to the run: as many judged trials may finish at once as runs are in flight.
        concurrency=settings.judge_concurrency or settings.concurrency,
        timeout_s=settings.judge_timeout,
        retries=settings.judge_retries,
    )
    if config is None and settings.require_calibration:
        raise InputError("--require-calibration needs a judge: pass --judge-url and --judge-model")
    return config


def open_run_judge(
    settings: RunSettings, sleep: Sleep = asyncio.sleep
) -> AbstractAsyncContextManager[Judge | None]:
    """`open_judge` configured from the run's settings."""
    return open_judge(
        run_judge_settings(settings),
        cache_dir=settings.cache_dir,
        votes=settings.votes,
        require_calibration=settings.require_calibration,
        sleep=sleep,
    )


def plan_run(
    settings: RunSettings, cases: Sequence[LoadedCase], trials: Callable[[LoadedCase], int]
) -> tuple[CallBudget, str]:
    """The cost preview of a run (checks the judge settings first: InputError before dispatch)."""
    judge = run_judge_settings(settings) is not None
    budget = plan_budget(
        cases, trials, votes=settings.votes, judge=judge, calibrate=settings.require_calibration
    )
    return budget, preview_line(budget, cases, judge)


def checked_config(
    explicit: str | None, environ: Mapping[str, str]
) -> tuple[GateConfig, dict[str, Any]]:
    """The gate config and its `defaults:` as run settings, each checked as its flag would be:
    the one check `validate` and `run` share, so `validate --config` refuses whatever `run
    --config` would.

    Raises:
        InputError: a named config is missing; ConfigError: the config is invalid.
    """
    config = discover_config(explicit, environ)
    return config, config_defaults(config, run_converters())


def resolve(
    args: argparse.Namespace, environ: Mapping[str, str], *, need_harness: bool = True
) -> RunSettings:
    """Merge flags over environment over the gate config over defaults; bad values are input
    errors naming their flag, variable or config line."""
    values = flags_over_env(args, environ, run_converters())
    config, defaults = checked_config(getattr(args, "config", None), environ)
    values = defaults | values
    cases = case_paths(getattr(args, "cases", None), environ, config)
    if not cases:
        raise InputError(
            "no case paths: pass --cases PATH (or set VOICE_REGRESS_CASES, or "
            "cases: in .voice-regress.yml)"
        )
    if "harness_url" not in values and need_harness:
        raise InputError("no harness: pass --harness-url URL (or builtin for the reference one)")
    values.setdefault("harness_url", "")  # rejudge and judge-check never call a harness
    token = header_secret(environ.get(TOKEN_ENV), TOKEN_ENV)
    judge_env = next((k for k in JUDGE_KEY_ENVS if environ.get(k, "").strip()), None)
    judge_key = header_secret(environ[judge_env], judge_env) if judge_env else None
    return RunSettings(
        cases=cases,
        token=token,
        judge_api_key=judge_key,
        config=config,
        context=change_context(environ),
        workspace=github_workspace(environ),
        **values,
    )
