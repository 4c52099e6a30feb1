"""`harness-check URL`: does a harness speak the protocol? Line by line, what to fix; exit 0/1/2."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from typing import TextIO

from gate.dispatch.client import DispatchSettings
from gate.dispatch.conformance_checks import Check
from gate.dispatch.conformance_scenarios import Session, check_harness
from gate.net import TOKEN_ENV, check_http_url, header_secret
from gate.redact import redact_url
from gate.reference.server import harness_url_served


def harness_check_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """Run the canned scenarios; 0 when nothing needs fixing, 1 when something does."""
    token = header_secret(environ.get(TOKEN_ENV), TOKEN_ENV)
    with harness_url_served(args.url) as base:
        check_http_url(base, "harness URL", "http(s)://host[:port][/path] or builtin[:BUG,…]")
        print(f"harness-check {redact_url(base)}", file=out)
        settings = DispatchSettings(harness_url=base, token=token, timeout_s=args.timeout)
        checks = asyncio.run(check_harness(Session(settings)))
    return _report(checks, out)


def _report(checks: list[Check], out: TextIO) -> int:
    for check in checks:
        print(check, file=out)
    fixes = sum(1 for c in checks if c.level == "fix")
    warnings = sum(1 for c in checks if c.level == "warn")
    if fixes:
        print(f"NOT CONFORMANT: {fixes} thing(s) the adapter must fix", file=out)
        return 1
    print(f"CONFORMANT: voice-regress/v1 ({warnings} advice line(s))", file=out)
    return 0
