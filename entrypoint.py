"""GitHub Action entrypoint: map `INPUT_*` to the CLI's argv and run it in-process."""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from gate.github.workflow_commands import add_mask
from gate.net import SECRET_ENVS

# Action input → `run` flag. The agreed rule is `foo-bar` → `--foo-bar`; the report paths keep the
# CLI's shorter flag names. tests/test_action_contract.py checks this table against action.yml
# and against the CLI's parser, so an input can never be silently dropped.
FLAG_BY_INPUT: dict[str, str] = {
    "cases": "--cases",
    "config": "--config",
    "harness-url": "--harness-url",
    "tier": "--tier",
    "base-ref": "--base-ref",
    "head-ref": "--head-ref",
    "concurrency": "--concurrency",
    "timeout": "--timeout",
    "retries": "--retries",
    "trials": "--trials",
    "judge-url": "--judge-url",
    "judge-model": "--judge-model",
    "votes": "--votes",
    "fail-on": "--fail-on",
    "fail-on-empty": "--fail-on-empty",
    "junit-path": "--junit",
    "junit-non-blocking": "--junit-non-blocking",
    "junit-properties": "--junit-properties",
    "results-path": "--results",
    "evidence-dir": "--evidence-dir",
    "baseline": "--baseline",
    "readiness": "--readiness",
    "comment-mode": "--comment-mode",
    "comment-key": "--comment-key",
    "job-summary": "--job-summary",
    "annotations-limit": "--annotations-limit",
}
# Inputs that are not a `--flag VALUE` of their own.
SHARD_INPUTS = ("shard-index", "shard-total")  # → --shard I/N
TOKEN_INPUT = "github-token"  # → environment GITHUB_TOKEN, never argv
MERGE_INPUT = "merge-results"  # → `merge PATH…` instead of `run`
# The inputs that still mean something to `merge` (it reports and gates; it dispatches nothing).
MERGE_FLAG_INPUTS = (
    "fail-on",
    "fail-on-empty",
    "junit-path",
    "junit-non-blocking",
    "junit-properties",
    "results-path",
    "comment-mode",
    "comment-key",
    "job-summary",
    "annotations-limit",
)
BOOLEAN_INPUTS = frozenset({"fail-on-empty", "job-summary", "junit-properties"})
LIST_INPUTS = frozenset({"cases", MERGE_INPUT})
OUTPUT_PATH_INPUTS = ("junit-path", "results-path", "evidence-dir", "readiness")
# YAML 1.2 core booleans, exactly as the toolkit's getBooleanInput accepts them.
YAML_BOOLEANS = {
    "true": "true",
    "True": "true",
    "TRUE": "true",
    "false": "false",
    "False": "false",
    "FALSE": "false",
}
# The non-empty defaults of action.yml besides github-token (the contract test keeps them equal).
ACTION_DEFAULTS = {"tier": "auto"}

Run = Callable[[list[str]], subprocess.CompletedProcess[str]]
Cli = Callable[[Sequence[str], Mapping[str, str]], int]


class InputProblem(Exception):
    """An input the gate cannot use; the message names the input (exit 2)."""


def read_input(name: str, environ: Mapping[str, str]) -> str | None:
    """The runner's `INPUT_<NAME>` (hyphens kept, upper case); empty or blank means unset."""
    value = environ.get("INPUT_" + name.replace(" ", "_").upper(), "").strip()
    return value or None


def boolean_input(name: str, value: str) -> str:
    """`true`/`True`/`TRUE`/… → `true`/`false`; anything else names the input."""
    if value not in YAML_BOOLEANS:
        raise InputProblem(
            f"input {name}: expected true or false (or True, TRUE, False, FALSE), got {value!r}"
        )
    return YAML_BOOLEANS[value]


def path_lines(value: str, expand: Callable[[str], list[str]]) -> list[str]:
    """One path or glob per line; a glob matching nothing stays literal for the CLI to report."""
    paths: list[str] = []
    for line in (raw.strip() for raw in value.splitlines()):
        if not line:
            continue
        matches = expand(line) if glob.has_magic(line) else []
        paths.extend(matches or [line])
    return paths


def _expand(pattern: str) -> list[str]:
    return sorted(glob.glob(pattern, recursive=True))


def _flag_values(name: str, value: str, expand: Callable[[str], list[str]]) -> list[str]:
    flag = FLAG_BY_INPUT[name]
    if name in LIST_INPUTS:
        # `--flag=VALUE` per path: a path that starts with `-` can never be read as a flag.
        return [f"{flag}={path}" for path in path_lines(value, expand)]
    if name in BOOLEAN_INPUTS:
        value = boolean_input(name, value)
    return [f"{flag}={value}"]


def _shard_flag(environ: Mapping[str, str]) -> list[str]:
    index, total = (read_input(name, environ) for name in SHARD_INPUTS)
    if (index is None) != (total is None):
        raise InputProblem("inputs shard-index and shard-total go together: set both or neither")
    return [] if index is None else [f"--shard={index}/{total}"]


def build_argv(
    environ: Mapping[str, str], expand: Callable[[str], list[str]] = _expand
) -> list[str]:
    """The CLI argv for these inputs: `run …`, or `merge PATH… …` when merge-results is set."""
    merge = read_input(MERGE_INPUT, environ)
    if merge is not None:
        argv = ["merge", *path_lines(merge, expand)]
        names: Iterable[str] = MERGE_FLAG_INPUTS
    else:
        argv = ["run"]
        names = FLAG_BY_INPUT
    for name in names:
        value = read_input(name, environ)
        if value is not None:
            argv += _flag_values(name, value, expand)
    if merge is None:
        argv += _shard_flag(environ)
    elif (total := read_input("shard-total", environ)) is not None:
        argv.append(f"--shards={total}")  # merge fails when a shard's results are missing
    if environ.get("RUNNER_DEBUG") == "1":  # the re-run "with debug logging" also shows tracebacks
        argv.insert(0, "--debug")
    return argv


def ignored_in_merge(environ: Mapping[str, str]) -> list[str]:
    """Inputs set to other than their action.yml default that `merge` cannot use."""
    if read_input(MERGE_INPUT, environ) is None:
        return []
    ignored = []
    for name in (*FLAG_BY_INPUT, "shard-index"):
        value = read_input(name, environ)
        if name not in MERGE_FLAG_INPUTS and value not in (None, ACTION_DEFAULTS.get(name)):
            ignored.append(name)
    return ignored


def secrets(environ: Mapping[str, str]) -> list[str]:
    """Every secret value the log must never show, one entry per line of each."""
    values = [read_input(TOKEN_INPUT, environ), environ.get("GITHUB_TOKEN")]
    values += [environ.get(name) for name in SECRET_ENVS]
    for name in ("harness-url", "judge-url"):  # https://user:password@host
        url = read_input(name, environ)
        values.append(_url_password(url) if url else None)
    lines = (line.strip() for value in values if value for line in value.splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _run_git(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def mark_safe_directory(environ: Mapping[str, str], run: Run = _run_git) -> str | None:
    """Trust the workspace for git: it belongs to the runner's user, this container runs as root.

    Returns a warning when git cannot be told (selection by changed files then fails open).
    """
    workspace = environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return None
    command = ["git", "config", "--global", "--add", "safe.directory", workspace]
    try:
        done = run(command)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot mark {workspace} as a git safe.directory: {exc}"
    if done.returncode != 0:
        return f"cannot mark {workspace} as a git safe.directory: {done.stderr.strip()}"
    return None


def cli_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The CLI's environment: no INPUT_* (the CLI knows flags, not the Action); the token."""
    env = {key: value for key, value in environ.items() if not key.startswith("INPUT_")}
    token = read_input(TOKEN_INPUT, environ)
    if token is not None:
        env["GITHUB_TOKEN"] = token
    return env


def hand_back(
    environ: Mapping[str, str],
    chown: Callable[[str, int, int], None] = os.chown,
) -> list[str]:
    """Give the report files back to the workspace's owner (actions/runner#1282).

    The container runs as root, so what it writes is root's, and a self-hosted runner's next
    checkout cannot delete it. Only paths inside the workspace that root owns are changed.
    """
    workspace = environ.get("GITHUB_WORKSPACE")
    if not workspace or os.geteuid() != 0:
        return []
    root = Path(workspace).resolve()
    owner = root.stat()
    if owner.st_uid == 0:
        return []
    changed: list[str] = []
    for name in OUTPUT_PATH_INPUTS:
        value = read_input(name, environ)
        target = (root / value).resolve() if value else None
        if target is None or not target.is_relative_to(root) or not target.exists():
            continue
        for path in _owned_by_root(root, target):
            chown(str(path), owner.st_uid, owner.st_gid)
            changed.append(str(path))
    return changed


def _owned_by_root(root: Path, target: Path) -> list[Path]:
    """The folders between the workspace and `target`, `target`, and all below it, root's only."""
    parents = [p for p in reversed(target.parents) if p.is_relative_to(root) and p != root]
    below = sorted(target.rglob("*")) if target.is_dir() else []
    return [p for p in [*parents, target, *below] if p.lstat().st_uid == 0]


def _default_cli(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    from gate.cli import main as cli_main

    return cli_main(argv, environ)


def main(
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    run: Run = _run_git,
    cli: Cli = _default_cli,
) -> int:
    """Mask secrets, trust the workspace, map the inputs, run the CLI, return its exit code."""
    environ = os.environ if environ is None else environ
    out, err = out or sys.stdout, err or sys.stderr
    for value in secrets(environ):  # before anything else is printed
        print(add_mask(value), file=out, flush=True)
    warning = mark_safe_directory(environ, run)
    if warning:
        print(f"voice-regress-gate: warning: {warning}", file=err, flush=True)
    try:
        argv = build_argv(environ)
    except InputProblem as exc:
        print(f"voice-regress-gate: error: {exc}", file=err, flush=True)
        return 2
    for name in ignored_in_merge(environ):
        print(
            f"voice-regress-gate: warning: input {name} does not apply with merge-results; ignored",
            file=err,
            flush=True,
        )
    print("voice-regress-gate " + shlex.join(argv), file=out, flush=True)
    code = cli(argv, cli_environment(environ))
    try:
        hand_back(environ)
    except OSError as exc:  # best effort: the verdict is already decided
        print(f"voice-regress-gate: warning: cannot hand the reports back: {exc}", file=err)
    return code


if __name__ == "__main__":
    sys.exit(main())
