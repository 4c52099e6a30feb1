"""The publisher of `run`, `demo` and `merge`: their publishing flags and the GitHub environment."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TextIO

from gate.github.publish import Publisher
from gate.settings import publish_options


def publisher_for(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> Publisher:
    """The publisher of a `run`/`demo`/`merge`: its flags and environment (checked now)."""
    return Publisher(publish_options(args, environ), environ, out)
