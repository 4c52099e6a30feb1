"""Every-call tool checks: results, no_errors, preconditions, and required_order's strict mode;
each passes on evidence, fails naming the turn and call, and is `error` when evidence is missing."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gate.evaluate.checks import evaluate_assertions
from gate.models import Assertions, ToolAssertions
from gate.results import AssertionOutcome, HarnessRun, Status


def call(n: int, name: str, turn: int = 0, status: str | None = "ok", **args: Any) -> list[Any]:
    """A tool_call and (unless status is None and output absent) its tool_result."""
    events: list[dict[str, Any]] = [
        {"type": "tool_call", "turn": turn, "call_id": f"c{n}", "name": name, "arguments": args}
    ]
    if status is not None:
        output = {"sent": status == "ok", "channel": args.get("channel", "sms")}
        events.append(
            {"type": "tool_result", "turn": turn, "call_id": f"c{n}", "status": status,
             "output": output}
        )  # fmt: skip
    return events


def run(*calls: list[Any], **overrides: Any) -> HarnessRun:
    events = [e for c in calls for e in c]
    events.append({"type": "message", "role": "agent", "turn": 0, "text": "Done."})
    body = {"protocol": "voice-regress/v1", "status": "completed", "trace_complete": True}
    return HarnessRun.model_validate({**body, "events": events, **overrides})


def one(tools: dict[str, Any], harness_run: HarnessRun) -> AssertionOutcome:
    outcomes = evaluate_assertions(Assertions.model_validate({"tools": tools}), harness_run)
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


GOOD = run(
    call(1, "lookup_identity"),
    call(2, "update_appointment", turn=1, appointment_id="a1"),
    call(3, "send_confirmation", turn=1, channel="sms"),
)


# --- tools.results ------------------------------------------------------------------------


def test_results_pass_when_every_call_matches() -> None:
    spec = {"results": {"send_confirmation": {"status": "ok", "output": {"channel": "sms"}}}}
    assert one(spec, GOOD).status is Status.PASS


def test_results_fail_on_one_bad_call_among_good_ones_and_name_it() -> None:
    bad = run(
        call(1, "send_confirmation", channel="sms"),
        call(2, "send_confirmation", turn=2, status="error", channel="sms"),
    )
    outcome = one({"results": {"send_confirmation": {"status": "ok"}}}, bad)
    assert outcome.status is Status.FAIL and outcome.turn == 2
    assert outcome.message == (
        "send_confirmation at turn 2 (call c2) returned status 'error', expected 'ok'"
    )


def test_results_output_is_a_subset_with_regex() -> None:
    spec = {"results": {"send_confirmation": {"output": {"channel": {"regex": "^e"}}}}}
    outcome = one(spec, GOOD)
    assert outcome.status is Status.FAIL
    assert 'output {"channel": "sms", "sent": true}, expected {"channel": {"regex": "^e"}}' in (
        outcome.message
    )


@pytest.mark.parametrize(
    ("harness_run", "status", "message"),
    [
        (run(call(1, "lookup_identity")), Status.FAIL, "was never called"),
        (run(call(1, "lookup_identity"), trace_complete=False), Status.ERROR, "trace_complete"),
        (run(call(1, "send_confirmation", status=None)), Status.ERROR, "has no tool_result"),
    ],
)
def test_results_without_a_result_to_check(
    harness_run: HarnessRun, status: Status, message: str
) -> None:
    outcome = one({"results": {"send_confirmation": {"status": "ok"}}}, harness_run)
    assert outcome.status is status and message in outcome.message


def test_every_call_needs_the_whole_trace() -> None:
    # A call missing from an incomplete trace could be the bad one: no pass on the rest.
    partial = GOOD.model_copy(update={"trace_complete": False})
    for spec in (
        {"results": {"send_confirmation": {"status": "ok"}}},
        {"preconditions": {"update_appointment": {"after": ["lookup_identity"]}}},
    ):
        outcome = one(spec, partial)
        assert outcome.status is Status.ERROR and "trace_complete is false" in outcome.message


# --- tools.no_errors ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", [True, ["send_confirmation"]])
def test_no_errors_passes_on_all_ok(spec: Any) -> None:
    assert one({"no_errors": spec}, GOOD).status is Status.PASS


def test_no_errors_fails_on_a_failed_result_with_its_output() -> None:
    bad = run(call(1, "lookup_identity"), call(2, "send_confirmation", turn=1, status="error"))
    outcome = one({"no_errors": True}, bad)
    assert outcome.status is Status.FAIL and outcome.actual == "error"
    assert outcome.message.startswith("send_confirmation at turn 1 (call c2) returned status")
    # A list limits the check to those tools.
    assert one({"no_errors": ["lookup_identity"]}, bad).status is Status.PASS


@pytest.mark.parametrize(
    ("harness_run", "message"),
    [
        (run(call(1, "send_confirmation", status=None)), "no tool_result status"),
        (run(call(1, "lookup_identity"), status="timeout"), "ended timeout"),
        (run(call(1, "lookup_identity"), trace_complete=False), "trace_complete"),
    ],
)
def test_no_errors_without_evidence_is_an_error(harness_run: HarnessRun, message: str) -> None:
    outcome = one({"no_errors": True}, harness_run)
    assert outcome.status is Status.ERROR and message in outcome.message


def test_no_errors_false_checks_nothing() -> None:
    assert (
        evaluate_assertions(Assertions.model_validate({"tools": {"no_errors": False}}), GOOD) == []
    )


# --- tools.preconditions ------------------------------------------------------------------

UPDATE_AFTER_LOOKUP = {"preconditions": {"update_appointment": {"after": ["lookup_identity"]}}}


def test_preconditions_pass_when_every_call_follows_a_successful_one() -> None:
    assert one(UPDATE_AFTER_LOOKUP, GOOD).status is Status.PASS


def test_update_lookup_update_fails_on_the_first_update() -> None:
    # required_order [lookup_identity, update_appointment] passes this (a subsequence).
    trace = run(
        call(1, "update_appointment", appointment_id="a1"),
        call(2, "lookup_identity", turn=1),
        call(3, "update_appointment", turn=1, appointment_id="a1"),
    )
    order = {"required_order": ["lookup_identity", "update_appointment"]}
    assert one(order, trace).status is Status.PASS
    outcome = one(UPDATE_AFTER_LOOKUP, trace)
    assert outcome.status is Status.FAIL and outcome.turn == 0
    assert outcome.message == (
        "update_appointment at turn 0 (call c1) came before any lookup_identity call"
    )


def test_a_failed_precondition_call_does_not_count() -> None:
    trace = run(call(1, "lookup_identity", status="error"), call(2, "update_appointment"))
    outcome = one(UPDATE_AFTER_LOOKUP, trace)
    assert outcome.status is Status.FAIL
    assert "only with status 'error', never ok" in outcome.message


def test_one_good_call_does_not_hide_a_bad_one() -> None:
    # `arguments` is any-one-call; preconditions.arguments is every call.
    trace = run(
        call(1, "issue_refund", supervisor_approved=True),
        call(2, "issue_refund", turn=3, supervisor_approved=False),
    )
    assert one({"arguments": {"issue_refund": {"supervisor_approved": True}}}, trace).status is (
        Status.PASS
    )
    spec = {"preconditions": {"issue_refund": {"arguments": {"supervisor_approved": True}}}}
    outcome = one(spec, trace)
    assert outcome.status is Status.FAIL and outcome.turn == 3
    assert outcome.message.startswith("issue_refund at turn 3 (call c2) had")


@pytest.mark.parametrize(
    ("harness_run", "status", "message"),
    [
        (run(call(1, "lookup_identity", status=None), call(2, "update_appointment")),
         Status.ERROR, "whose results the run does not report"),
        (run(call(1, "update_appointment"), trace_complete=False), Status.ERROR, "trace_complete"),
        (run(call(1, "lookup_identity")), Status.PASS, "0 update_appointment call(s)"),
        (run(call(1, "lookup_identity"), status="agent_error"), Status.ERROR, "agent_error"),
    ],
)  # fmt: skip
def test_preconditions_missing_evidence(
    harness_run: HarnessRun, status: Status, message: str
) -> None:
    outcome = one(UPDATE_AFTER_LOOKUP, harness_run)
    assert outcome.status is status and message in outcome.message


# --- tools.order: strict ------------------------------------------------------------------

STRICT = {"required_order": ["lookup_identity", "update_appointment"], "order": "strict"}


def test_strict_order_passes_when_adjacent_somewhere() -> None:
    trace = run(
        call(1, "update_appointment"), call(2, "lookup_identity"), call(3, "update_appointment")
    )
    assert one(STRICT, trace).status is Status.PASS
    assert one(STRICT, GOOD).status is Status.PASS


def test_strict_order_fails_naming_the_call_in_between() -> None:
    trace = run(
        call(1, "lookup_identity"),
        call(2, "list_appointments", turn=1),
        call(3, "update_appointment", turn=1),
    )
    assert one({**STRICT, "order": "subsequence"}, trace).status is Status.PASS
    outcome = one(STRICT, trace)
    assert outcome.status is Status.FAIL and outcome.turn == 1
    assert outcome.message.startswith(
        "order: strict, but list_appointments was called at turn 1 (call c2) between"
    )


def test_strict_order_on_an_incomplete_trace_is_an_error() -> None:
    for calls in (
        ["lookup_identity", "x", "update_appointment"],
        ["lookup_identity", "update_appointment"],
    ):
        trace = run(*(call(n, name) for n, name in enumerate(calls, 1)))
        partial = trace.model_copy(update={"trace_complete": False})
        assert one(STRICT, partial).status is Status.ERROR


def test_order_needs_required_order() -> None:
    with pytest.raises(ValidationError, match="tools.order needs tools.required_order"):
        ToolAssertions.model_validate({"order": "strict"})
