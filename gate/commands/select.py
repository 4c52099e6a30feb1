"""`select`: which cases a change selects and why, without a harness."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TextIO

from gate.commands.selecting import select_for_settings
from gate.commands.wiring import (
    load_for,
    resolve,
)
from gate.report.console import (
    render_selection,
)


def select_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`select`: which cases the change selects and why; no harness call."""
    settings = resolve(args, environ, need_harness=False)
    loaded = load_for(settings, err)
    selection = select_for_settings(loaded.cases, settings)
    print(render_selection(selection, args.format), file=out)
    return 0
