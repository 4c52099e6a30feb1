"""Selection's impure edge for the commands: git, the event, history, the config's rules."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from gate.git import Git, repo_root, run_git
from gate.globs import compile_filter
from gate.load.config import CONFIG_NAME, GateConfig
from gate.models import LoadedCase
from gate.records.history import FAILURE_STATES, by_case, read_history
from gate.results import Selection
from gate.select.changes import collect, repo_path
from gate.select.filters import filter_cases
from gate.select.selection import Hints, Rules, select_cases
from gate.settings import RunSettings

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


def archived_due(every_days: int, today: date) -> str | None:
    """Whether the nightly tier runs the archived (manual) cases `today`, and why: every
    `every_days` days by the calendar, so the cadence needs no state and never drifts."""
    if every_days <= 0 or today.toordinal() % every_days:
        return None
    return (
        f"archived case: the nightly tier runs archived cases every {every_days} day(s) "
        "(nightly.archived_every_days), so lifecycle can propose resurrecting one that fails"
    )


def selection_rules(
    config: GateConfig, repo: Path | None = None, today: date | None = None
) -> Rules:
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
        archived=archived_due(config.archived_every_days, today or datetime.now(UTC).date()),
    )
