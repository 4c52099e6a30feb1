"""The fault-injection suite (gate/reference/fault_suite.py): hundreds of cases through the real
gate against a loopback harness that breaks per case; no fault may end `pass`, none is lost."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gate.cli import main
from gate.reference.fault_suite import SuiteReport, render_table, run_suite
from gate.reference.faults import FAULTS, PERSISTENT, TRANSIENT

# A 5 s budget: the stalls and endless 202s cost it once per round, and the faults that clear
# (well under a second each) keep their margin on a loaded CI runner.
CASES, CONCURRENCY, TIMEOUT_S, RETRIES = 300, 64, 5.0, 2


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> SuiteReport:
    folder: Path = tmp_path_factory.mktemp("faults")
    return run_suite(
        main, folder, CASES, concurrency=CONCURRENCY, timeout_s=TIMEOUT_S, retries=RETRIES
    )


def test_every_fault_is_exercised_on_a_clean_and_a_buggy_agent(report: SuiteReport) -> None:
    assert report.selected == CASES and set(report.rows) == set(FAULTS)
    assert all(row.cases >= 2 * (CASES // (2 * len(FAULTS))) for row in report.rows.values())


def test_every_selected_case_ends_in_exactly_one_state(report: SuiteReport) -> None:
    assert report.total("lost") == 0, render_table(report)
    assert sum(sum(r.outcomes.values()) for r in report.rows.values()) == CASES


def test_no_fault_ends_pass(report: SuiteReport) -> None:
    assert report.total("false_passes") == 0, render_table(report)
    for fault in PERSISTENT:
        assert report.rows[fault].outcomes["pass"] == 0, render_table(report)
    assert report.exit_code == 1  # the gate is red


def test_faults_that_clear_end_as_the_true_result_and_the_rest_as_error(
    report: SuiteReport,
) -> None:
    assert report.total("wrong") == 0, render_table(report)
    for fault in TRANSIENT:
        row = report.rows[fault]
        assert row.outcomes == {"pass": row.cases // 2, "fail": row.cases // 2}, row


def test_retries_happened_and_stayed_within_the_budget(report: SuiteReport) -> None:
    rows = report.rows
    for fault in ("503-once", "429-retry-after", "reset-once"):
        assert rows[fault].retries == rows[fault].cases, rows[fault]  # exactly one retry each
    for fault in ("503-forever", "reset-forever"):
        # Every retry the budget allows (a loaded runner may run out of time one retry early).
        assert rows[fault].cases < rows[fault].retries <= RETRIES * rows[fault].cases, rows[fault]
    assert rows["poll-503-once"].polls == 2 * rows["poll-503-once"].cases
    # 202 + `Retry-After: 0` forever: the poll floor keeps it to a few polls a second.
    assert 0 < rows["202-loop"].polls <= rows["202-loop"].cases * TIMEOUT_S / 0.25


def test_one_idempotency_key_per_run(report: SuiteReport) -> None:
    assert set(report.keys_per_run) == {1} and report.shared_keys == 0


def test_wall_time_is_bounded_by_the_budget_not_by_the_harness(report: SuiteReport) -> None:
    assert report.slowest_trial_s <= TIMEOUT_S + 0.5
    rounds = math.ceil((CASES + CASES // len(FAULTS)) / CONCURRENCY)
    assert report.wall_s <= rounds * TIMEOUT_S + 5, render_table(report)


def test_the_table_names_every_figure(report: SuiteReport) -> None:
    table = render_table(report)
    for heading in ("cases", "retries", "outcomes", "false pass", "lost", "faults: 25"):
        assert heading in table


@pytest.mark.parametrize(
    ("fault", "detector"),
    [
        ("foreign-run-id", "the 202 announced run_id"),
        ("foreign-case", "inconsistent RunResult: it names case"),
        ("foreign-trial", "inconsistent RunResult: it names trial"),
        ("duplicate-call-id", "repeats call_id"),
        ("orphan-result", "answers call_id 'ghost', which no earlier call has"),
        ("missing-result", "has no tool_result"),
        ("disordered", "comes after"),
        ("negative-turn", "(turns count from 0)"),
        ("turn-beyond-max", "beyond the case's max_turns 4"),
        ("silent", "the agent never spoke and called no tool"),
        ("replay-trial", "same events and side effects as for"),
        ("replay-run-id", "again, first for"),
        ("replay-case", "same events and side effects as for"),
        ("202-loop", "timed out"),
        ("stall", "timed out"),
    ],
)
def test_each_fault_is_caught_by_the_rule_meant_for_it(
    report: SuiteReport, fault: str, detector: str
) -> None:
    # The right detector, not just any error: a replay hidden behind an inconsistent echo would
    # leave the content digest untested.
    # The clean agent's cases: there no genuine failure can decide the case first.
    reasons = [r for case_id, r in report.reasons.items() if case_id.endswith(f"-{fault}-ok")]
    assert reasons and all(detector in r for r in reasons), (fault, reasons)
