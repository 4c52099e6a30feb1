"""harness-check's RunResult checks (pure): what each missing or wrong piece is reported as."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gate.dispatch.conformance_checks import (
    CASE_ID,
    MAX_TURNS,
    canned_case,
    content_digest,
    run_checks,
)
from gate.dispatch.protocol import build_request
from gate.reference import run_agent
from gate.results import HarnessRun


def reference_run(change: Callable[[dict[str, Any]], Any] = lambda r: None) -> HarnessRun:
    result = run_agent(build_request(canned_case(), 1, 30))
    change(result)
    return HarnessRun.model_validate(result)


def lines(run: HarnessRun) -> list[str]:
    return [str(c) for c in run_checks("run", run, CASE_ID, 1, MAX_TURNS)]


def test_the_reference_run_is_all_ok() -> None:
    found = lines(reference_run())
    assert [line[:5] for line in found] == ["OK   ", "OK   "]
    assert "5 tool call(s), 2 write(s)" in found[1]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["events"][-1].update(turn=MAX_TURNS), "beyond the case's max_turns 4"),
        (lambda r: r.update(trial=2), "it names trial 2, this is trial 1"),
        (lambda r: r["events"][2].update(call_id="c9"), "which no earlier call has"),
        (
            lambda r: r["side_effects"].update(source="observed"),
            "side_effects.source is 'observed'",
        ),
        (
            lambda r: r["events"][1].pop("t_ms"),
            "1 event(s) without t_ms or turn (first: events[1])",
        ),
    ],
)
def test_each_problem_is_a_fix_line(change: Callable[[dict[str, Any]], Any], expected: str) -> None:
    fixes = [line for line in lines(reference_run(change)) if line.startswith("FIX")]
    assert any(expected in line for line in fixes), fixes


def test_missing_optional_evidence_is_advice_not_a_fix() -> None:
    def strip(result: dict[str, Any]) -> None:
        for key in ("trace_complete", "turns", "case_id", "trial"):
            result.pop(key)

    found = lines(reference_run(strip))
    assert not [line for line in found if line.startswith("FIX")]
    assert len([line for line in found if line.startswith("WARN")]) == 3


def test_the_content_digest_tells_runs_apart_by_id_events_and_writes() -> None:
    first = reference_run()
    assert content_digest(first) == content_digest(reference_run())
    other = reference_run(lambda r: r.update(run_id="r_other"))
    assert content_digest(other) != content_digest(first)
    moved = reference_run(lambda r: r["side_effects"]["writes"].pop())
    assert content_digest(moved) != content_digest(first)
