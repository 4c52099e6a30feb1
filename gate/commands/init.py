"""`init`: write a gate config, a first passing case and a pull request workflow into a repo."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TextIO

from gate.errors import InputError
from gate.git import repo_root, run_git

# Package template → where init writes it, relative to the target folder. The templates have no
# dot names: setuptools' package-data globs would leave dotfiles out of the wheel.
FILES: tuple[tuple[str, str], ...] = (
    ("config.yml", ".voice-regress.yml"),
    ("first-case.yaml", "voice-tests/example-reschedule.yaml"),
    ("workflow.yml", ".github/workflows/voice-regress.yml"),
)

NEXT_STEPS = """\
Next steps:
  1. Check the first case against the bundled reference agent:
       voice-regress-gate validate && voice-regress-gate run --harness-url builtin
  2. Put a harness in front of your agent (the gate's docs/guides/write-a-harness.md), set the
     repository variable VOICE_HARNESS_URL (and the secret VOICE_HARNESS_TOKEN), and turn a
     failed call into a case (docs/guides/failed-call-to-blocking-case.md).
  3. Commit, open a pull request, and make the check "voice-regress / gate" required in a
     branch protection rule or ruleset."""


def template(name: str) -> str:
    """The text of one of init's templates, shipped in the package."""
    return resources.files("gate").joinpath(f"templates/init/{name}").read_text("utf-8")


def init_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`init [--dir DIR] [--force]`: write the three files, never over one unless --force."""
    target = _target(args.dir)
    planned = [(target / relative, template(name), relative) for name, relative in FILES]
    _refuse_what_exists(planned, force=args.force)
    for path, text, relative in planned:
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"{'replaced' if existed else 'wrote'} {relative}", file=out)
    if target.resolve() != Path.cwd().resolve():
        print(f"(in {target}: run the commands below from there)", file=out)
    print(NEXT_STEPS, file=out)
    return 0


def _target(given: str | None) -> Path:
    """The folder to write into: --dir, else the git repository around the working directory."""
    if given is not None:
        folder = Path(given)
        if not folder.is_dir():
            raise InputError(f"--dir {given}: no such folder")
        return folder
    root = repo_root(run_git("."))
    if root is None:
        raise InputError(
            "not inside a git repository: run init at your agent's repository, or pass --dir DIR"
        )
    return root


def _refuse_what_exists(planned: list[tuple[Path, str, str]], *, force: bool) -> None:
    """Check every target before writing any, so a refusal leaves the repository untouched."""
    for path, _, relative in planned:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            # --force replaces a file, never what a link points at or a folder.
            raise InputError(f"{relative} exists and is not a regular file: move it away first")
    existing = [relative for path, _, relative in planned if path.exists()]
    if existing and not force:
        raise InputError(
            f"{', '.join(existing)} already exist(s): init never overwrites a file "
            "(pass --force to replace it)"
        )
