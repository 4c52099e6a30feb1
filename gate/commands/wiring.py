"""Stage glue shared by the commands: load with diagnostics, finish a run, write its reports."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from gate.errors import CaseFileError, InputError
from gate.evaluate.verdicts import (
    empty_selection_reason,
    gate_verdict,
    none_selected_reason,
)
from gate.git import Git, repo_root, run_git
from gate.github.event import change_context
from gate.globs import compile_filter
from gate.judge.client import (
    JudgeSettings,
    judge_settings,
)
from gate.judge.scorer import Judge, open_judge, plan_budget, preview_line
from gate.load.config import (
    CONFIG_NAME,
    GateConfig,
    config_defaults,
    discover_config,
    load_with_config,
)
from gate.load.loader import LoadResult
from gate.load.pinning import floating_reason, pinned_hint
from gate.load.similarity import near_duplicates
from gate.models import LoadedCase
from gate.net import JUDGE_KEY_ENVS, TOKEN_ENV, Sleep
from gate.records.history import FAILURE_STATES, by_case, read_history
from gate.results import (
    CallBudget,
    CaseResult,
    GateResult,
    Selection,
)
from gate.select.changes import collect, repo_path
from gate.select.filters import filter_cases
from gate.select.selection import Hints, Rules, select_cases
from gate.settings import RunSettings, case_paths, flags_over_env, run_converters


def load_checked(
    paths: Sequence[str],
    err: TextIO,
    config: GateConfig | None = None,
    require_pinned: bool = False,
) -> LoadResult:
    """Load and validate; warnings are printed, any error stops the run with exit 2."""
    loaded = load_with_config(paths, config, require_pinned)
    for diagnostic in loaded.diagnostics:
        if diagnostic.severity != "error":
            print(diagnostic, file=err)
    for diagnostic in near_duplicates(loaded.cases):  # warnings only: a human decides
        print(diagnostic, file=err)
    if loaded.errors:
        raise CaseFileError(loaded.errors)
    return loaded


def load_for(settings: RunSettings, err: TextIO) -> LoadResult:
    """`load_checked` for a run's settings, after checking that its judge model is pinned."""
    check_judge_model(settings, err)
    return load_checked(settings.cases, err, settings.config, settings.require_pinned)


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
    """The GateResult of a run: its verdict under the settings' fail-on rules."""
    verdict = gate_verdict(
        results,
        fail_on=settings.fail_on,
        fail_on_empty=settings.fail_on_empty,
        files_found=len(loaded.files),
        sources=" ".join(settings.cases),
        abort_reason=abort,
        none_selected=none_selected_reason(selection),
        empty_selection=empty_selection_reason(selection),
    )
    return GateResult(
        verdict.verdict,
        verdict.reason,
        tuple(results),
        selection,
        settings.fail_on,
        started[0],
        now_iso(),
        round(time.monotonic() - started[1], 3),
        verdict.blocking_failures,
        abort,
    )


RECENT_DAYS = 30  # a failure this recent ranks a case up in the fast tier


def select_for_settings(
    cases: Sequence[LoadedCase],
    settings: RunSettings,
    stdin: TextIO | None = None,
    git: Git | None = None,
) -> Selection:
    """The impure edge of selection: read git (and the GitHub event, via the settings), history,
    then the pure core decides.

    Raises:
        InputError: conflicting selection flags, an unreadable `--changed-files` or history.
    """
    git = git or run_git()
    config, tier = settings.config or GateConfig(), settings.tier
    changes, root = None, repo_root(git) or Path.cwd()
    if tier in ("auto", "fast") or settings.changed_files or settings.base:
        changes = collect(
            changed_files=settings.changed_files,
            base=settings.base,
            head=settings.head,
            context=settings.context,
            git=git,
            stdin=stdin or sys.stdin,
            root=root,
        )
    cases, narrowed = filter_cases(cases, settings.suites or (), settings.levels or ())
    case_paths = {c.id: repo_path(c.file, root) for c in cases}
    hints = hints_from_history(settings.history, settings.concurrency)
    selection = select_cases(
        cases,
        tier,
        changes,
        context=settings.context,
        rules=selection_rules(config, root),
        case_paths=case_paths,
        hints=hints,
    )
    if not narrowed:
        return selection
    return replace(selection, note="; ".join(n for n in (narrowed, selection.note) if n))


def hints_from_history(path: str | None, concurrency: int = 1) -> Hints:
    """Durations and recent failures (within RECENT_DAYS of the newest record: deterministic,
    no clock) from the history file; empty hints without one."""
    if not path:
        return Hints(concurrency=concurrency)
    histories = by_case(read_history(path, missing_ok=True))
    newest = max((h.last_seen for h in histories.values()), default=None)
    if newest is None:
        return Hints(concurrency=concurrency)
    since = newest - timedelta(days=RECENT_DAYS)
    failures = {
        case: sum(h.count(s, since) for s in FAILURE_STATES) for case, h in histories.items()
    }
    durations = {case: d for case, h in histories.items() if (d := h.mean_duration) is not None}
    return Hints({c: n for c, n in failures.items() if n}, durations, concurrency)


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


def selection_rules(config: GateConfig, repo: Path | None = None) -> Rules:
    """The config's selection part compiled, with its own repository path (`repo` is the root)."""
    own = None
    if config.path is not None:
        own = repo_path(config.path, repo or Path.cwd())  # its change runs the whole tier
    syntax = config.pattern_syntax
    return Rules(
        triggers={n: compile_filter(p, syntax) for n, p in config.triggers.items()},
        always_full=compile_filter(config.always_full, syntax) if config.always_full else None,
        syntax=syntax,
        max_cases=config.max_cases,
        max_minutes=config.max_minutes,
        config_name=config.path or CONFIG_NAME,
        config_path=own,
    )


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
