"""Run the CLI in-process, as the tests do: its exit code, standard output and standard error."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Mapping
from pathlib import Path

from gate.cli import main


def cli(*argv: str, environ: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), dict(environ or {}), out, err)
    return code, out.getvalue(), err.getvalue()


def git(cwd: Path, *args: str) -> str:
    """`git ARGS` in `cwd` with a fixed identity and default branch; its stripped output."""
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=gate",
            "-c",
            "user.email=gate@example.com",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()
