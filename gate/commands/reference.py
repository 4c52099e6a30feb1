"""`reference-harness`: serve the bundled reference harness on loopback."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TextIO

from gate.reference.server import serve


def reference_harness_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`reference-harness`: serve the bundled harness until interrupted."""
    serve(host=args.host, port=args.port, bugs=tuple(args.bug))
    return 0
