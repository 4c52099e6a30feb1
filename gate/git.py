"""Run `git` for the gate: a missing git or a hang is a failed result, never an exception."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class GitResult:
    """What one git command returned: its exit code and output."""

    code: int
    out: str
    err: str


Git = Callable[[Sequence[str]], GitResult]


def run_git(cwd: str | Path = ".") -> Git:
    """A `git` runner in `cwd`; a missing git or a hang becomes a failed result, not an error."""

    def run(args: Sequence[str]) -> GitResult:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="surrogateescape",
                timeout=GIT_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError:
            return GitResult(127, "", "git is not installed")
        except subprocess.TimeoutExpired:
            return GitResult(124, "", f"git {args[0]} took longer than {GIT_TIMEOUT_S:.0f} s")
        return GitResult(done.returncode, done.stdout, done.stderr)

    return run


def repo_root(git: Git) -> Path | None:
    """The top folder of the git work tree, or None outside one."""
    top = git(["rev-parse", "--show-toplevel"])
    return Path(top.out.strip()) if top.code == 0 and top.out.strip() else None
