"""Deterministic assertions: each family passes on evidence, fails with expected vs actual and the
turn, and turns missing evidence into `error`, never `pass`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gate.evaluate.checks import evaluate_assertions
from gate.evaluate.trial import judged_outcomes
from gate.models import Assertions
from gate.results import AssertionOutcome, HarnessRun, Status


def run_of(**overrides: Any) -> HarnessRun:
    """A completed reschedule run like the reference harness's, with fields overridden."""
    events = [
        {"type": "message", "role": "caller", "turn": 0, "text": "Move Tuesday to Wednesday"},
        {
            "type": "tool_call",
            "turn": 0,
            "call_id": "c1",
            "name": "lookup_identity",
            "arguments": {"caller_id": "caller_fixture_204"},
        },
        {
            "type": "tool_call",
            "turn": 1,
            "call_id": "c2",
            "name": "list_appointments",
            "arguments": '{"caller_id": "caller_fixture_204"}',
        },
        {
            "type": "tool_call",
            "turn": 1,
            "call_id": "c3",
            "name": "update_appointment",
            "arguments": {
                "appointment_id": "appt_fixture_771",
                "new_start_time": "2026-06-03T20:00:00Z",
                "notify": True,
            },
        },
        {"type": "message", "role": "agent", "turn": 1, "text": "Thanks, I found your account."},
        {
            "type": "message",
            "role": "agent",
            "turn": 2,
            "text": "Done: moved to Wednesday at 3 pm.  Our   cancellation policy applies.",
        },
    ]
    body: dict[str, Any] = {
        "protocol": "voice-regress/v1",
        "status": "completed",
        "trace_complete": True,
        "events": events,
        "turns": [{"turn": 0, "latency_ms": 700}, {"turn": 1, "latency_ms": 900}],
        "outcome": {"task_completed": True},
        "side_effects": {
            "source": "sandbox_observed",
            "writes": [
                {
                    "system": "calendar",
                    "op": "update",
                    "entity_id": "appt_fixture_771",
                    "status": "rescheduled",
                }
            ],
        },
    }
    body.update(overrides)
    return HarnessRun.model_validate(body)


def check(spec: dict[str, Any], run: HarnessRun | None = None) -> list[AssertionOutcome]:
    return evaluate_assertions(Assertions.model_validate(spec), run or run_of())


def only(spec: dict[str, Any], run: HarnessRun | None = None) -> AssertionOutcome:
    outcomes = check(spec, run)
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


def test_required_order_is_a_subsequence() -> None:
    spec = {"tools": {"required_order": ["lookup_identity", "update_appointment"]}}
    assert only(spec).status is Status.PASS


def test_required_order_names_the_tool_out_of_order_and_the_sequence() -> None:
    out = only({"tools": {"required_order": ["list_appointments", "lookup_identity"]}})
    assert out.status is Status.FAIL
    assert out.message == (
        "lookup_identity was called out of order; actual sequence: "
        "lookup_identity → list_appointments → update_appointment"
    )


def test_required_order_missing_tool_is_fail_with_complete_trace_error_without() -> None:
    spec = {"tools": {"required_order": ["lookup_identity", "send_confirmation"]}}
    assert only(spec).status is Status.FAIL
    assert "send_confirmation was never called" in only(spec).message
    assert only(spec, run_of(trace_complete=False)).status is Status.ERROR


def test_arguments_subset_with_timestamps_as_instants_and_json_string_arguments() -> None:
    spec = {
        "tools": {
            "arguments": {
                "update_appointment": {
                    "appointment_id": "appt_fixture_771",
                    "new_start_time": "2026-06-03T15:00:00-05:00",
                },
                "list_appointments": {"caller_id": {"regex": "^caller_fixture_"}},
            }
        }
    }
    assert [o.status for o in check(spec)] == [Status.PASS, Status.PASS]


def test_arguments_failure_shows_expected_and_closest_call() -> None:
    spec = {
        "tools": {
            "arguments": {
                "update_appointment": {
                    "appointment_id": "appt_fixture_771",
                    "new_start_time": "2026-06-04T15:00:00-05:00",
                }
            }
        }
    }
    out = only(spec)
    assert out.status is Status.FAIL
    assert out.message.startswith("no update_appointment call had ")
    assert "closest at turn 1 (call c3)" in out.message and out.turn == 1
    assert out.actual["new_start_time"] == "2026-06-03T20:00:00Z"


def test_arguments_bool_is_not_int() -> None:
    spec = {"tools": {"arguments": {"update_appointment": {"notify": 1}}}}
    assert only(spec).status is Status.FAIL


def test_forbidden_tool_message_names_turn_and_call() -> None:
    out = only({"tools": {"forbidden_tools": ["update_appointment"]}})
    assert out.status is Status.FAIL
    assert out.message == "update_appointment was called at turn 1 (call c3)"


def test_forbidden_tools_with_incomplete_trace_is_error_never_pass() -> None:
    spec = {"tools": {"forbidden_tools": ["create_new_appointment"]}}
    assert only(spec).status is Status.PASS
    assert only(spec, run_of(trace_complete=False)).status is Status.ERROR
    # trace_complete absent and no tool events at all: absence proves nothing either
    no_tools = run_of(
        trace_complete=None, events=[{"type": "message", "role": "agent", "turn": 0, "text": "hi"}]
    )
    assert only(spec, no_tools).status is Status.ERROR


def test_max_calls_guards_duplicate_writes() -> None:
    events = run_of().events + run_of().events[3:4]
    run = run_of(events=[e.model_dump() for e in events])
    out = only({"tools": {"max_calls": {"update_appointment": 1}}}, run)
    assert out.status is Status.FAIL and "called 2 times (max 1)" in out.message


def test_outcome_task_completed_and_missing_outcome_is_error() -> None:
    assert only({"outcome": {"task_completed": True}}).status is Status.PASS
    assert only({"outcome": {"task_completed": False}}).status is Status.FAIL
    assert only({"outcome": {"task_completed": True}}, run_of(outcome=None)).status is Status.ERROR


def test_unplanned_handoff() -> None:
    handoff = {"type": "handoff", "turn": 2, "to": "billing_queue", "summary": "s"}
    run = run_of(events=[e.model_dump() for e in run_of().events] + [handoff])
    out = only({"outcome": {"no_unplanned_handoff": True}}, run)
    assert out.status is Status.FAIL and "'billing_queue' at turn 2" in out.message
    allowed = check(
        {"outcome": {"no_unplanned_handoff": True}, "handoff": {"allowed_to": ["billing_queue"]}},
        run,
    )
    assert {o.status for o in allowed} == {Status.PASS}


def test_handoff_expected_to_and_summary() -> None:
    handoff = {
        "type": "handoff",
        "turn": 2,
        "to": "human_scheduler",
        "summary": "Caller caller_fixture_204 wants to reschedule",
    }
    run = run_of(events=[e.model_dump() for e in run_of().events] + [handoff])
    spec = {
        "handoff": {
            "expected_to": "human_scheduler",
            "summary_must_include": ["reschedule", {"regex": "refund"}],
        }
    }
    assert [o.status for o in check(spec, run)] == [Status.PASS, Status.PASS, Status.FAIL]
    missing = only({"handoff": {"expected_to": "human_scheduler"}})
    assert missing.status is Status.FAIL


def test_side_effects_seed_form() -> None:
    spec = {
        "side_effects": {
            "calendar": {
                "appointment_id": "appt_fixture_771",
                "expected_status": "rescheduled",
                "duplicate_events_allowed": False,
            }
        }
    }
    assert [o.status for o in check(spec)] == [Status.PASS, Status.PASS]
    dup = run_of(
        side_effects={
            "source": "sandbox_observed",
            "writes": [
                {
                    "system": "calendar",
                    "op": "create",
                    "entity_id": "appt_new_1",
                    "status": "booked",
                }
            ],
        }
    )
    status, duplicate = check(spec, dup)
    assert status.status is Status.FAIL
    assert "no calendar write to appt_fixture_771" in status.message
    assert duplicate.status is Status.FAIL and "create write (appt_new_1)" in duplicate.message


def test_side_effects_generic_keys_and_missing_data() -> None:
    spec = {"side_effects": {"calendar": {"forbidden_ops": ["delete"], "max_writes": 0}}}
    ops, limit = check(spec)
    assert ops.status is Status.PASS and limit.status is Status.FAIL
    assert (
        only({"side_effects": {"calendar": {"max_writes": 1}}}, run_of(side_effects=None)).status
        is Status.ERROR
    )


def test_side_effects_agent_reported_pass_with_warning() -> None:
    run = run_of(
        side_effects={
            "source": "agent_reported",
            "writes": [
                {"system": "calendar", "op": "update", "entity_id": "a", "status": "rescheduled"}
            ],
        }
    )
    out = only({"side_effects": {"calendar": {"expected_status": "rescheduled"}}}, run)
    assert out.status is Status.PASS and out.warning and "agent_reported" in out.warning


def test_transcript_folded_substring_regex_and_turn_quoted() -> None:
    spec = {
        "transcript": {
            "must_include": ["our cancellation policy"],
            "must_not_include": ["I created a new appointment", {"regex": r"moved to \w+day"}],
        }
    }
    inc, no_new, no_regex = check(spec)
    assert inc.status is Status.PASS and no_new.status is Status.PASS
    assert no_regex.status is Status.FAIL and no_regex.turn == 2
    assert no_regex.message.startswith("the agent said /moved to \\w+day/ at turn 2: 'Done:")


def test_transcript_within_turns_phrase_and_regex() -> None:
    spec = {"transcript": {"within_turns": {"found your account": 2, "/policy/": 2}}}
    found, policy = check(spec)
    assert found.status is Status.PASS
    assert policy.status is Status.FAIL and "said only at turn 2" in policy.message


def test_transcript_without_agent_utterances_is_error() -> None:
    run = run_of(events=[{"type": "tool_call", "turn": 0, "name": "x", "call_id": "c1"}])
    assert only({"transcript": {"must_not_include": ["x"]}}, run).status is Status.ERROR


@pytest.mark.parametrize(("limit", "status"), [(900, Status.PASS), (899, Status.FAIL)])
def test_latency(limit: int, status: Status) -> None:
    assert only({"latency": {"max_turn_ms": limit}}).status is status


def test_latency_p95_nearest_rank_and_missing_data_is_error() -> None:
    turns = [{"turn": i, "latency_ms": 100.0 * (i + 1)} for i in range(20)]
    out = only({"latency": {"p95_turn_ms": 1899}}, run_of(turns=turns))
    assert out.status is Status.FAIL and out.actual == 1900
    assert only({"latency": {"p95_turn_ms": 1}}, run_of(turns=None)).status is Status.ERROR


def test_judged_without_judge_is_skipped_not_passed() -> None:
    spec = Assertions.model_validate({"judged": [{"criterion": "confirms the policy"}] * 2})
    assert evaluate_assertions(spec, run_of()) == []  # judged ones are the trial evaluator's
    outcomes = asyncio.run(judged_outcomes(spec.judged or [], run_of(), [], None))
    assert [(o.name, o.status, o.message) for o in outcomes] == [
        ("judged[0]", Status.SKIPPED, "no judge configured"),
        ("judged[1]", Status.SKIPPED, "no judge configured"),
    ]
