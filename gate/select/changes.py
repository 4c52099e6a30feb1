"""The change to select by (a changed-file list or `git diff`, never a guess): selection IO."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from gate.errors import InputError
from gate.git import Git, GitResult, repo_root, run_git
from gate.github.event import ChangeContext
from gate.globs import compile_filter
from gate.load.config import CONFIG_NAME, GateConfig
from gate.models import LoadedCase
from gate.records.history import FAILURE_STATES, by_case, read_history
from gate.results import Selection
from gate.select.path_lists import parse_name_status, parse_path_list, repo_relative
from gate.select.selection import TIERS, Hints, Rules, select_cases
from gate.settings import RunSettings, concurrency_count

# GitHub's pulls.listFiles stops at 3,000 files: a list that long may be cut, so it proves nothing.
MAX_CHANGED_FILES = 3000
RECENT_DAYS = 30  # a failure this recent ranks a case up in the fast tier
_ZERO_SHA = re.compile(r"0{7,64}")


@dataclass(frozen=True)
class Changes:
    """The changed files (repo-root-relative POSIX paths, sorted) and how they were found.

    `fail_open` set means the list cannot be trusted to select by (no base, a shallow clone,
    possibly truncated): the whole tier runs and the reason is shown.
    """

    paths: tuple[str, ...]
    source: str
    fail_open: str | None = None


# --- pure: whether a list can be trusted ------------------------------------------------


def changes_from(
    paths: Sequence[str], source: str, *, trusted_empty: bool, distrusted: Sequence[str] = ()
) -> Changes:
    """Sorted, unique paths; fail open when the list may be cut off or is suspiciously empty,
    or names paths that are not in the repository (`distrusted`, from `repo_relative`)."""
    unique = tuple(sorted(set(paths)))
    if distrusted:
        more = f" and {len(distrusted) - 1} more" if len(distrusted) > 1 else ""
        return Changes(
            unique,
            source,
            f"{len(distrusted)} path(s) in the changed-file list "
            f"from {source} cannot be matched to the repository: {distrusted[0]}"
            f"{more}; list paths relative to the repository root",
        )
    if len(unique) >= MAX_CHANGED_FILES:
        return Changes(
            unique,
            source,
            f"{len(unique)} changed files from {source}: a list "
            f"this long (≥ {MAX_CHANGED_FILES}) may be truncated",
        )
    if not unique and not trusted_empty:
        return Changes(
            unique,
            source,
            f"the changed-file list from {source} is empty: an "
            "empty list usually means the step that made it failed",
        )
    return Changes(unique, source)


# --- IO: the list, git --------------------------------------------------------------------


def read_changed_files(spec: str, stdin: TextIO, root: Path | None = None) -> Changes:
    """`--changed-files FILE` or `-` (standard input); absolute paths under `root` (the
    repository) become relative to it, any other absolute path or `..` fails open.

    Raises:
        InputError: the file cannot be read, or is not text.
    """
    source = "--changed-files -" if spec == "-" else f"--changed-files {spec}"
    try:
        text = stdin.read() if spec == "-" else Path(spec).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--changed-files: cannot read {spec}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"--changed-files: {spec} is not UTF-8 text") from None
    paths, distrusted = repo_relative(parse_path_list(text), _roots(root))
    return changes_from(paths, source, trusted_empty=False, distrusted=distrusted)


def _roots(root: Path | None) -> list[str]:
    """The repository root as a list may spell it: as git gave it, and with symlinks resolved."""
    if root is None:
        return []
    return list(dict.fromkeys((root.as_posix(), Path(os.path.realpath(root)).as_posix())))


def from_git(base: str, head: str, git: Git, *, merge_base: bool = True) -> Changes:
    """The files changed from `base` to `head`: `base...head` (what the head's branch changed
    since it forked) or `base..head`; fails open when the diff cannot be trusted."""
    spec = f"{base}{'...' if merge_base else '..'}{head}"
    source = f"git diff {_short(base)}{'...' if merge_base else '..'}{_short(head)}"
    if _ZERO_SHA.fullmatch(base):
        return Changes(
            (),
            source,
            f"the base {_short(base)} is all zeros (a new branch or a "
            "first push): there is nothing to diff against",
        )
    for name, rev in (("base", base), ("head", head)):
        found = git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
        if found.code != 0:
            return Changes((), source, _unreachable(name, rev, found, git))
    diff = git(["-c", "core.quotepath=off", "diff", "--name-status", "-z", "-M", spec])
    if diff.code != 0:
        why = _first_line(diff.err) or f"exit code {diff.code}"
        return Changes((), source, f"git diff {spec} failed ({why}){_shallow_hint(git)}")
    return changes_from(parse_name_status(diff.out), source, trusted_empty=True)


def _unreachable(name: str, rev: str, found: GitResult, git: Git) -> str:
    if found.err.strip():  # not a repository, dubious ownership, no git…
        return f"git cannot look up the {name} {_short(rev)}: {_first_line(found.err)}"
    return f"the {name} {_short(rev)} is not in this clone{_shallow_hint(git)}"


def _shallow_hint(git: Git) -> str:
    shallow = git(["rev-parse", "--is-shallow-repository"])
    if shallow.code == 0 and shallow.out.strip() == "true":
        return (
            " (a shallow clone: check out with fetch-depth: 0 so the base is there for "
            "change-based selection)"
        )
    return ""


def collect(
    *,
    changed_files: str | None,
    base: str | None,
    head: str | None,
    context: ChangeContext | None,
    git: Git,
    stdin: TextIO,
    root: Path | None = None,
) -> Changes | None:
    """The change to select by: flags first, then the GitHub event; None when there is none.

    `root` is the repository root that absolute paths in `--changed-files` may be under.

    Raises:
        InputError: conflicting or incomplete flags, or an unreadable `--changed-files`.
    """
    if changed_files and base:
        raise InputError("pass --changed-files or --base, not both")
    if changed_files:
        return read_changed_files(changed_files, stdin, root)
    if base:
        return from_git(base, head or "HEAD", git)
    if head:
        raise InputError("--head needs --base (the commit to compare it with)")
    if context is None or context.tier != "fast":
        return None
    if context.base is None or context.head is None:
        return Changes((), f"the {context.event} event", context.reason)
    changes = from_git(context.base, context.head, git, merge_base=context.merge_base)
    if changes.fail_open and context.merge_commit:
        # A pull request's test merge commit against its first parent is the same change and
        # needs only fetch-depth: 2.
        merged = from_git(f"{context.merge_commit}^1", context.merge_commit, git, merge_base=False)
        if merged.fail_open is None:
            return merged
    return changes


def _short(rev: str) -> str:
    return re.sub(r"\A([0-9a-f]{12})[0-9a-f]{1,52}\b", r"\1", rev)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


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
    case_paths = {c.id: _relative(c.file, root) for c in cases}
    hints = hints_from_history(settings.history, settings.concurrency)
    return select_cases(
        cases,
        tier,
        changes,
        context=settings.context,
        rules=selection_rules(config, root),
        case_paths=case_paths,
        hints=hints,
    )


def selection_rules(config: GateConfig, repo: Path | None = None) -> Rules:
    """The config's selection part compiled, with its own repository path (`repo` is the root)."""
    own = None
    if config.path is not None:
        own = _relative(config.path, repo or Path.cwd())  # its change runs the whole tier
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


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """`--config`, `--changed-files`, `--base`/`--base-ref`, `--head`/`--head-ref`."""
    add = parser.add_argument
    add(
        "--config",
        metavar="FILE",
        help="gate config (default: .voice-regress.yml at the repository root)",
    )
    add(
        "--changed-files",
        metavar="FILE",
        help="changed paths, one a line or a JSON list; - reads standard input",
    )
    add(
        "--base",
        "--base-ref",
        dest="base",
        metavar="SHA",
        help="select by the files changed in git from SHA to --head",
    )
    add(
        "--head",
        "--head-ref",
        dest="head",
        metavar="SHA",
        help="the commit whose changes are selected by (default: HEAD)",
    )


def add_select_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`select`: which cases a change selects and why, without a harness."""
    select = sub.add_parser("select", help="print which cases a change selects and why")
    select.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (repeatable)",
    )
    select.add_argument("--tier", choices=TIERS, help="which tier (default: auto)")
    select.add_argument("--format", choices=("text", "json"), default="text")
    select.add_argument(
        "--concurrency",
        type=concurrency_count,
        help="runs in flight, for the fast tier's minutes estimate",
    )
    select.add_argument(
        "--history",
        metavar="FILE",
        help="history file: ranks by recent failures, estimates durations",
    )
    add_selection_options(select)


def _relative(file: str, root: Path) -> str:
    relative = os.path.relpath(os.path.abspath(file), root)
    return relative.replace(os.sep, "/")
