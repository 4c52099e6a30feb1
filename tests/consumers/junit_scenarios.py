"""The JUnit files a GitHub Action JUnit reporter was run on, and what the gate itself decided.

Shared by the CI test (test_consumer_junit_reporter.py) and the by-hand recording of the real
action (record_junit_reporter.py), so both read the same files. Two sources:

- `cli-*`: `voice-regress-gate run` from `examples/` against the duplicate-booking bug (passes
  and blocking failures, `file` and `line` pointing at real files of this repository);
- `every-state-*`: the report fixtures' mixed run (pass, fail, error, inconclusive, skipped, a
  multi-trial case, hostile text), once with its error made non-blocking.

Each in `--junit-non-blocking as-is` and `skipped`, and with `--junit-properties true`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.report_fixtures import mixed_gate

from gate.cli import main
from gate.report.case_facts import first_failing_outcome
from gate.report.junit import JunitOptions, render_junit
from gate.results import NOT_PASSING, GateResult, Status

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Expected:
    """What a reporter must say, from the gate's own results: counts, and where each case that
    fails the job points (`file`, `line`), by case id."""

    total: int
    passed: int
    skipped: int
    failed: int
    where: dict[str, tuple[str, int]]


def _cli(folder: Path, name: str, *extra: str) -> tuple[Path, Expected]:
    junit, results = folder / f"{name}.xml", folder / f"{name}.results.json"
    argv = ["run", "--harness-url", "builtin:duplicate-booking", "--cases", "cases"]
    argv += ["--junit", str(junit), "--results", str(results), *extra]
    before = Path.cwd()
    os.chdir(ROOT / "examples")  # --cases relative to a folder below the repository root
    try:
        code = main(argv, {}, io.StringIO(), io.StringIO())
    finally:
        os.chdir(before)
    assert code in (0, 1), f"{name}: exit {code}"
    data = json.loads(results.read_text("utf-8"))
    cases = data["cases"]
    not_passing = [c for c in cases if c["status"] in NOT_PASSING]
    if "skipped" in extra:  # only with --fail-on never here: nothing blocks, all are skipped
        assert data["verdict"] == "pass", name
        failed, skipped = [], list(not_passing)
    else:
        failed, skipped = not_passing, []
    skipped += [c for c in cases if c["status"] == "skipped"]
    where = {}
    for case in failed:
        first = next(
            a["name"]
            for t in case["trials"]
            if t["status"] == case["status"]
            for a in t["assertions"]
            if a["status"] == case["status"]
        )
        where[case["id"]] = (f"examples/{case['file']}", case["assertion_lines"][first])
    passed = sum(c["status"] == "pass" for c in cases)
    return junit, Expected(len(cases), passed, len(skipped), len(failed), where)


def _fixture(
    folder: Path, name: str, gate: GateResult, options: JunitOptions
) -> tuple[Path, Expected]:
    junit = folder / f"{name}.xml"
    junit.write_text(render_junit(gate, options), "utf-8")
    blocking = set(gate.blocking_failures)
    not_passing = [r for r in gate.cases if r.status in NOT_PASSING]
    if options.non_blocking == "skipped":
        failed = [r for r in not_passing if r.case.id in blocking]
    else:
        failed = not_passing
    skipped = sum(r.status is Status.SKIPPED for r in gate.cases) + len(not_passing) - len(failed)
    where = {}
    for result in failed:
        outcome = first_failing_outcome(result)
        line = result.case.line_of(f"$.assertions.{outcome.name}") if outcome else result.case.line
        where[result.case.id] = (result.case.file, line)
    passed = sum(r.status is Status.PASS for r in gate.cases)
    return junit, Expected(len(gate.cases), passed, skipped, len(failed), where)


def _error_not_blocking() -> GateResult:
    gate = mixed_gate()
    blocking = tuple(c for c in gate.blocking_failures if c != "billing/refund-lookup")
    return dataclasses.replace(gate, blocking_failures=blocking)


def write_scenarios(folder: Path) -> dict[str, tuple[Path, Expected]]:
    """Every scenario's JUnit file, written into `folder`, with what the gate decided."""
    skipped = JunitOptions(non_blocking="skipped")
    return {
        "cli-as-is": _cli(folder, "cli-as-is"),
        "cli-skipped": _cli(
            folder, "cli-skipped", "--fail-on", "never", "--junit-non-blocking", "skipped"
        ),
        "cli-properties": _cli(folder, "cli-properties", "--junit-properties", "true"),
        "every-state-as-is": _fixture(folder, "every-state-as-is", mixed_gate(), JunitOptions()),
        "every-state-skipped": _fixture(
            folder, "every-state-skipped", _error_not_blocking(), skipped
        ),
        "every-state-properties": _fixture(
            folder, "every-state-properties", mixed_gate(), JunitOptions(properties=True)
        ),
    }


def as_json(expected: Expected) -> dict[str, Any]:
    return dataclasses.asdict(expected)
