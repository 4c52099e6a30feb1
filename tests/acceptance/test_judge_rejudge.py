"""rejudge over recorded results: what is re-evaluated, and what can never become a pass."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from support.report_fixtures import (
    FINISHED,
    STARTED,
    booking_events,
    make_case,
    make_run,
    results_data,
)

from gate.commands.rejudge import rejudge_cases
from gate.commands.wiring import resolve
from gate.judge.scorer import spent
from gate.models import LoadedCase
from gate.records.record import parse_record
from gate.records.results_file import RECORDED_RUN_LIMIT
from gate.results import (
    AssertionOutcome,
    CallBudget,
    CaseResult,
    GateResult,
    Selection,
    Status,
    TrialResult,
)

CASE = make_case("scheduling/reschedule")  # forbids create_new_appointment
GOOD_EVENTS = booking_events()[:6]  # no create_new_appointment call yet


def trial(number: int, events: list[Any] | None, status: Status = Status.PASS) -> TrialResult:
    run = make_run(f"r{number}", events, trace_complete=True) if events is not None else None
    outcome = AssertionOutcome("tools.forbidden_tools", status, "recorded")
    return TrialResult(number, status, "recorded reason", 1.0, (outcome,), run, 2)


def recorded(
    *trials: TrialResult, planned: int = 1, record: bool = True, case: LoadedCase = CASE
) -> dict[str, Any]:
    result = CaseResult(case, trials[0].status, "recorded", trials, planned)
    gate = GateResult(
        "pass", "", (result,), Selection("all", (case.id,)), "blocking", STARTED, FINISHED
    )
    return results_data(gate, "0.0.0-test", record_runs=record)


def rejudge(
    data: dict[str, Any], cases: list[LoadedCase]
) -> tuple[list[CaseResult], Selection, CallBudget]:
    args = argparse.Namespace(cases=["cases/"])
    settings = resolve(args, {}, need_harness=False)
    return asyncio.run(rejudge_cases(parse_record(data), cases, settings, source="old.json"))


def test_recorded_runs_are_re_evaluated_against_the_current_case() -> None:
    data = recorded(trial(1, GOOD_EVENTS), trial(2, booking_events()), planned=3)
    [result], selection, budget = rejudge(data, [CASE])
    assert [t.status for t in result.trials] == [Status.PASS, Status.FAIL]
    # 1 pass + 1 fail of 3 planned: the third trial never ran, so nothing is decided any more.
    assert result.status is Status.ERROR and "do not decide the case any more" in result.reason
    assert result.trials[1].harness_calls == 2  # what the original run spent, kept
    assert selection.tier == "rejudge" and "no harness call was made" in selection.note
    assert budget == CallBudget(harness_runs_max=0, judge_calls_max=0)


def test_a_recorded_pass_can_turn_into_a_fail() -> None:
    data = recorded(trial(1, booking_events(), Status.PASS))
    [result], _, _ = rejudge(data, [CASE])
    assert result.status is Status.FAIL and "create_new_appointment was called" in result.reason


def test_unrecorded_runs_are_errors_never_passes() -> None:
    data = recorded(trial(1, GOOD_EVENTS), record=False)
    [result], _, _ = rejudge(data, [CASE])
    assert result.status is Status.ERROR
    assert "no recorded run to re-evaluate" in result.trials[0].reason


def test_a_trial_that_never_had_a_run_keeps_its_reason() -> None:
    broken = TrialResult(1, Status.ERROR, "dispatch: harness returned 503", 0.5, (), None, 4)
    [result], _, _ = rejudge(recorded(broken), [CASE])
    assert result.status is Status.ERROR
    assert result.trials[0].reason.endswith("it was: dispatch: harness returned 503")


def test_a_run_too_large_to_record_is_left_out_and_said_so() -> None:
    huge = [{"type": "message", "role": "agent", "turn": 0, "text": "x" * RECORDED_RUN_LIMIT}]
    data = recorded(trial(1, huge))
    stored = data["cases"][0]["trials"][0]
    assert "run" not in stored and stored["run_omitted"].startswith("run of 1,000,")
    [result], _, _ = rejudge(data, [CASE])
    assert result.status is Status.ERROR and "too large to record" in result.trials[0].reason


def test_a_tampered_run_is_an_error() -> None:
    data = recorded(trial(1, GOOD_EVENTS))
    data["cases"][0]["trials"][0]["run"] = {"protocol": "voice-regress/v1", "status": "bogus"}
    [result], _, _ = rejudge(data, [CASE])
    assert result.status is Status.ERROR and "not a valid RunResult" in result.reason


def test_cases_on_one_side_only_are_deferred_with_why() -> None:
    other = make_case("scheduling/other")
    data = recorded(trial(1, GOOD_EVENTS))
    data["cases"].append({**data["cases"][0], "id": "gone/case"})
    results, selection, _ = rejudge(data, [CASE, other])
    assert [r.case.id for r in results] == [CASE.id]
    assert dict(selection.deferred) == {
        "gone/case": "in the results file, but not in --cases",
        "scheduling/other": "not in old.json",
    }


def test_recorded_runs_round_trip_the_whole_run() -> None:
    data = recorded(trial(1, booking_events()))
    run = data["cases"][0]["trials"][0]["run"]
    assert run["run_id"] == "r1" and run["trace_complete"] is True
    assert any(e["type"] == "tool_result" for e in run["events"])  # all of it, for the judge


def test_spent_counts_trials_run() -> None:
    results = [CaseResult(CASE, Status.PASS, "", (trial(1, GOOD_EVENTS), trial(2, None)), 3)]
    assert spent(CallBudget(5, 9), results, None) == CallBudget(5, 9, harness_runs=2)


def test_a_recorded_run_that_is_not_consistent_evidence_is_error() -> None:
    # Hole found: rejudge re-evaluated a (hand-edited) recorded run of another case as a pass.
    foreign = make_run("r1", GOOD_EVENTS, trace_complete=True, case_id="other/case")
    data = recorded(TrialResult(1, Status.PASS, "recorded", 1.0, (), foreign, 1))
    [result], _, _ = rejudge(data, [CASE])
    assert result.status is Status.ERROR
    assert "inconsistent RunResult: it names case 'other/case'" in result.trials[0].reason


def test_one_recorded_run_for_two_trials_is_evidence_for_one_only() -> None:
    data = recorded(trial(1, GOOD_EVENTS), trial(1, GOOD_EVENTS), planned=2)
    data["cases"][0]["trials"][1]["trial"] = 2
    [result], _, _ = rejudge(data, [CASE])
    assert [t.status for t in result.trials] == [Status.PASS, Status.ERROR]
    assert "run_id 'r1' again" in result.trials[1].reason
