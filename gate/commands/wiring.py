"""Stage glue shared by the commands: load with diagnostics, finish a run, write its reports."""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from gate import __version__
from gate.commands.gating import release_verdict, run_baseline, run_readiness
from gate.errors import CaseFileError, InputError, PublishError
from gate.evaluate.retention import retained
from gate.evaluate.verdicts import (
    empty_selection_reason,
    gate_verdict,
    none_selected_reason,
)
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
from gate.load.similarity import near_duplicates
from gate.models import LoadedCase
from gate.net import JUDGE_KEY_ENVS, TOKEN_ENV, Sleep
from gate.records.results_file import readiness_json, render_results
from gate.redact import mask
from gate.report.evidence import evidence_files
from gate.report.junit import render_junit
from gate.results import (
    CallBudget,
    CaseResult,
    GateResult,
    Selection,
)
from gate.settings import RunSettings, case_paths, flags_over_env, run_converters


def load_checked(paths: Sequence[str], err: TextIO, config: GateConfig | None = None) -> LoadResult:
    """Load and validate; warnings are printed, any error stops the run with exit 2."""
    loaded = load_with_config(paths, config)
    for diagnostic in loaded.diagnostics:
        if diagnostic.severity != "error":
            print(diagnostic, file=err)
    for diagnostic in near_duplicates(loaded.cases):  # warnings only: a human decides
        print(diagnostic, file=err)
    if loaded.errors:
        raise CaseFileError(loaded.errors)
    return loaded


def write_file(path: str, text: str) -> None:
    """Write a report file, creating its folder; failure is a PublishError (exit 1).

    A new or regular file is replaced atomically: a reader (or a cancelled job) sees the old
    report or the new one, never half of one. Anything else the path names (/dev/null, a FIFO,
    a symlink) is written through, in place: replacing it would replace the device or link.
    """
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if _is_regular_or_absent(target):
            _replace_atomically(target, mask(text))
        else:
            target.write_text(mask(text), encoding="utf-8")
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from None


def _is_regular_or_absent(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except FileNotFoundError:
        return True


def _replace_atomically(target: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # what a plain write would give, not 0600
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    # Read once (setting it is the only way to read it): later steps read these reports.
    mask_bits = os.umask(0o022)
    os.umask(mask_bits)
    return mask_bits


def clear_stale_reports(*paths: str | None) -> None:
    """Remove the report files a run is about to write: a run that stops early (bad input, a
    crash, a cancel) must not leave an earlier run's green report looking like its own."""
    for path in filter(None, paths):
        # Only a regular file is a report: never a device (/dev/null), a FIFO or a link.
        if not _is_regular_or_absent(Path(path)):
            continue
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:
            raise PublishError(f"cannot remove the old {path}: {exc.strerror or exc}") from None


def write_reports(gate: GateResult, settings: RunSettings) -> None:
    """JUnit, results file and evidence, wherever the settings say."""
    if settings.junit:
        write_file(settings.junit, render_junit(gate))
    if settings.results:
        write_file(
            settings.results, render_results(gate, __version__, record_runs=settings.record_runs)
        )
    if settings.readiness and gate.readiness:
        write_file(settings.readiness, readiness_json(gate.readiness))
    if settings.evidence_dir:
        # Every case: a passing case may still have a failing trial worth keeping.
        for result in gate.cases:
            for relative, text in evidence_files(result).items():
                write_file(str(Path(settings.evidence_dir) / relative), text)


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
    config = judge_settings(settings.judge_url, settings.judge_model, settings.judge_api_key)
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


def resolve(
    args: argparse.Namespace, environ: Mapping[str, str], *, need_harness: bool = True
) -> RunSettings:
    """Merge flags over environment over the gate config over defaults; bad values are input
    errors naming their flag, variable or config line."""

    converters = run_converters()
    values = flags_over_env(args, environ, converters)
    config = discover_config(getattr(args, "config", None), environ)
    values = config_defaults(config, converters) | values
    cases = case_paths(getattr(args, "cases", None), environ, config)
    if not cases:
        raise InputError(
            "no case paths: pass --cases PATH (or set VOICE_REGRESS_CASES, or "
            "cases: in .voice-regress.yml)"
        )
    if "harness_url" not in values and need_harness:
        raise InputError("no harness: pass --harness-url URL (or builtin for the reference one)")
    values.setdefault("harness_url", "")  # rejudge and judge-check never call a harness
    token = environ.get(TOKEN_ENV, "").strip() or None
    judge_key = next(
        (environ[k].strip() for k in JUDGE_KEY_ENVS if environ.get(k, "").strip()), None
    )
    return RunSettings(
        cases=cases,
        token=token,
        judge_api_key=judge_key,
        config=config,
        context=change_context(environ),
        **values,
    )
