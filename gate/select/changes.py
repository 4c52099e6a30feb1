"""The change to select by (a changed-file list or `git diff`, never a guess): selection IO."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from gate.errors import InputError
from gate.git import Git, GitResult
from gate.select.model import ChangeContext, Changes
from gate.select.path_lists import parse_name_status, parse_path_list, repo_relative

# GitHub's pulls.listFiles stops at 3,000 files: a list that long may be cut, so it proves nothing.
MAX_CHANGED_FILES = 3000
_ZERO_SHA = re.compile(r"0{7,64}")


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


def repo_path(file: str, root: Path) -> str:
    relative = os.path.relpath(os.path.abspath(file), root)
    return relative.replace(os.sep, "/")
