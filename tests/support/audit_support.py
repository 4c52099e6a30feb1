"""Helpers of the audit tests (acceptance/test_audit_*.py): one-case suites and the real CLI."""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.fault_server import Reply, serve

from gate.cli import main

PROTOCOL = "voice-regress/v1"
CASE = """\
version: 1
suite: audit
owner: audit-team
source: {{type: synthetic, source_call_id: call_audit_1, failure_label: wrong_tool,
          severity: high, sanitized: true}}
agent_ref: {{agent_slug: audit-agent}}
fixture: {{side_effect_mode: sandbox}}
scenario: {{turns: ["I need to move my appointment."]}}
promotion: {{level: {level}, run_on: [{run_on}]}}
{extra}assertions:
{assertions}
"""


@dataclass(frozen=True)
class Gate:
    """One CLI invocation: exit code, output, errors, and the results file (if one was written)."""

    code: int
    out: str
    err: str
    results: dict[str, Any] | None

    def case(self, case_id: str = "c") -> dict[str, Any]:
        assert self.results is not None, self.out + self.err
        found: dict[str, Any] = next(c for c in self.results["cases"] if c["id"] == case_id)
        return found


def write_case(
    folder: Path,
    assertions: str,
    *,
    name: str = "c",
    level: str = "blocking",
    run_on: str = "prompt_change",
    extra: str = "",
) -> Path:
    """A valid one-file case `name` under `folder` with these (YAML) assertions."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    body = textwrap.indent(textwrap.dedent(assertions).strip("\n"), "  ")
    path.write_text(
        CASE.format(level=level, run_on=run_on, extra=extra, assertions=body), encoding="utf-8"
    )
    return path


def gate(tmp_path: Path, *argv: str, environ: Mapping[str, str] | None = None) -> Gate:
    """`voice-regress-gate ARGV… --results tmp/results.json` through `gate.cli.main`."""
    results = tmp_path / "results.json"
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--results", str(results)], dict(environ or {}), out, err)
    data = json.loads(results.read_text("utf-8")) if results.exists() else None
    return Gate(code, out.getvalue(), err.getvalue(), data)


def run_against(
    tmp_path: Path, body: Any, *flags: str, cases: Path | None = None, **reply: Any
) -> Gate:
    """`run` over `cases` (default tmp/cases) against a loopback harness that answers every
    request, GET /health included, with `body` (a RunResult dict, or raw bytes/str); a list of
    bodies answers one request each (the last one then answers the rest)."""
    code = reply.pop("status", 200)
    bodies = body if isinstance(body, list) else [body]
    script = [Reply(code, each, **reply) for each in bodies]
    with serve(*script[:-1], then=script[-1]) as harness:
        return gate(
            tmp_path,
            "run",
            "--harness-url",
            harness.url,
            "--cases",
            str(cases or tmp_path / "cases"),
            "--retries",
            "0",
            "--timeout",
            "5",
            *flags,
        )


def run_result(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A completed RunResult with these events (and any other top-level fields)."""
    return {"protocol": PROTOCOL, "status": "completed", "events": list(events), **fields}
