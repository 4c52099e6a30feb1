"""`reference-harness`: serve the bundled reference harness on loopback."""

from __future__ import annotations

import argparse
import errno
from collections.abc import Mapping
from typing import TextIO

from gate.errors import InputError
from gate.reference.server import serve


def reference_harness_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`reference-harness`: serve the bundled harness until interrupted."""
    try:
        serve(host=args.host, port=args.port, bugs=tuple(args.bug))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"{args.host}:{args.port} is in use: pass --port N (0 picks a free port)"
            ) from None
        raise InputError(
            f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    return 0
