"""`validate`: every problem in every case file (and the config), exit 0 or 2."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TextIO

from gate.commands.wiring import checked_config, load_checked
from gate.errors import InputError
from gate.settings import case_paths, from_env, parse_bool


def validate_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`validate PATH…`: every problem in every file, exit 0 or 2."""
    config, _ = checked_config(args.config, environ)  # what `run` refuses fails validation too
    paths = case_paths([*args.paths, *args.cases], environ, config)
    if not paths:
        raise InputError("no case paths: pass PATH… (or set VOICE_REGRESS_CASES)")
    pinned = args.require_pinned or from_env("require_pinned", environ, parse_bool) or False
    loaded = load_checked(paths, err, config, pinned)
    if not loaded.files:
        raise InputError(f"no case files (*.yaml, *.yml) found under {' '.join(paths)}")
    print(f"{len(loaded.cases)} case(s) in {len(loaded.files)} file(s) are valid", file=out)
    return 0
