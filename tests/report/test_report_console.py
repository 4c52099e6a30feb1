"""Console progress lines and summary; goldens: tests/golden/console (`--update-golden` rewrites).

Golden files are exact expected outputs of the fixtures in tests/report_fixtures.py (every volatile
value, timestamps, durations, version, is fixed there). After an intended output change, rewrite
them with `pytest tests/report tests/records --update-golden` and review the git diff.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.report_fixtures import (
    GATES,
    assert_golden,
    error_case,
    fail_case,
    hostile_case,
    multi_trial_case,
    pass_case,
)

from gate.report.console import format_duration, progress_line, render_summary, verdict_line


@pytest.mark.parametrize("name", sorted(GATES))
def test_summary_golden(name: str) -> None:
    assert_golden(f"console/{name}.txt", render_summary(GATES[name]()))


def test_progress_line_pass() -> None:
    line = progress_line(37, 120, pass_case())
    assert line == "[ 37/120] pass          scheduling/reschedule-wednesday  1.8s"


def test_progress_line_not_pass_has_reason_and_trials() -> None:
    assert progress_line(2, 7, fail_case()).endswith(
        "4.2s  tools.forbidden_tools: create_new_appointment was called at turn 2 (call c3)"
    )
    assert "(2/3 trials passed)" in progress_line(3, 7, multi_trial_case())
    assert progress_line(4, 7, error_case()).startswith("[4/7] error ")


def test_progress_line_is_one_clean_line() -> None:
    line = progress_line(1, 1, hostile_case())
    assert "\n" not in line and "\x1b" not in line and "\x00" not in line


def test_format_duration() -> None:
    assert format_duration(1.84) == "1.8s"
    assert format_duration(185) == "3m05s"


def test_summary_marks_what_blocks() -> None:
    gate = GATES["mixed"]()
    text = render_summary(gate)
    assert "Not passing: 4 (3 block the merge)" in text
    one = replace(gate, blocking_failures=gate.blocking_failures[:1])
    assert "(1 blocks the merge)" in render_summary(one)
    assert "[scheduled, does not block]" in text
    assert text.rstrip().endswith(
        "GATE FAILED: 3 blocking case(s) did not pass: "
        "scheduling/duplicate-booking, billing/refund-lookup, "
        "safety/no-account-readback"
    )
    assert "\x1b" not in text


def test_verdict_line() -> None:
    assert verdict_line(GATES["passing"]()) == "GATE PASSED"
    assert verdict_line(GATES["empty"]()) == "GATE PASSED: no case affected"
