"""Audit: a hostile or broken harness must never turn into a green gate. Every test drives the
real CLI against a loopback harness that answers with a crafted RunResult."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from support.audit_support import Gate, run_against, run_result, write_case

FORBID = "tools: {forbidden_tools: [create_new_appointment]}"
TOOL = {"type": "tool_call", "turn": 0, "call_id": "c1", "name": "lookup_identity", "arguments": {}}
RESULT = {"type": "tool_result", "turn": 0, "call_id": "c1", "status": "ok", "output": {}}
AGENT = {"type": "message", "role": "agent", "turn": 0, "text": "Your appointment is moved."}


def _statuses(result: Gate) -> list[str]:
    return [a["status"] for t in result.case()["trials"] for a in t["assertions"]]


def _error_case(result: Gate, reason: str) -> None:
    assert result.code == 1, result.out
    case = result.case()
    assert case["status"] == "error" and reason in case["reason"], case["reason"]
    assert "pass" not in _statuses(result)


def test_a_run_with_only_unknown_events_proves_nothing_in_any_family(tmp_path: Path) -> None:
    write_case(
        tmp_path / "cases",
        """
        outcome: {task_completed: true, no_unplanned_handoff: true}
        tools:
          required_order: [lookup_identity]
          arguments: {update_appointment: {appointment_id: appt_fixture_1}}
          forbidden_tools: [create_new_appointment]
          max_calls: {update_appointment: 1}
        side_effects: {calendar: {max_writes: 1, forbidden_ops: [create]}}
        transcript: {must_not_include: [account number]}
        latency: {max_turn_ms: 2000}
        handoff: {allowed_to: [human_scheduler], expected_to: human_scheduler}
    """,
    )
    result = run_against(tmp_path, run_result({"type": "dtmf", "digits": "1"}))
    assert result.code == 1
    statuses = _statuses(result)
    assert len(statuses) == 11 and set(statuses) == {"error"}, statuses


@pytest.mark.parametrize(
    "assertions",
    [
        "outcome: {no_unplanned_handoff: true}",
        "handoff: {allowed_to: [human_scheduler]}",
    ],
)
def test_no_handoff_in_an_incomplete_trace_is_error_not_pass(
    tmp_path: Path, assertions: str
) -> None:
    # Hole found: both passed on a run whose trace proves nothing (a handoff is usually a tool
    # call, like transfer_to_human, and the trace said nothing about being complete).
    write_case(tmp_path / "cases", assertions)
    _error_case(run_against(tmp_path, run_result(AGENT)), "trace_complete is false")
    complete = run_against(tmp_path, run_result(AGENT, trace_complete=True))
    assert complete.code == 0 and complete.case()["status"] == "pass"


@pytest.mark.parametrize(
    "assertions",
    [
        FORBID,
        "tools: {max_calls: {create_new_appointment: 0}}",
    ],
)
def test_a_tool_call_without_a_name_is_error(tmp_path: Path, assertions: str) -> None:
    # Hole found: a nameless call could be the forbidden tool, yet both checks passed.
    write_case(tmp_path / "cases", assertions)
    run = run_result({"type": "tool_call", "turn": 0, "arguments": {}}, trace_complete=True)
    _error_case(run_against(tmp_path, run), "a tool_call needs a name")


@pytest.mark.parametrize(
    "message",
    [
        {"type": "message", "role": "agent", "turn": 0},
        {"type": "message", "text": "your account number is 4242", "turn": 0},
    ],
)
def test_a_message_without_role_or_text_is_error(tmp_path: Path, message: dict[str, Any]) -> None:
    # Hole found: must_not_include passed over an agent message whose text was missing.
    write_case(tmp_path / "cases", "transcript: {must_not_include: [account number]}")
    _error_case(run_against(tmp_path, run_result(message)), "a message needs a role and a text")


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({**TOOL, "type": "Tool_Call", "name": "create_new_appointment"}, "type 'Tool_Call'"),
        ({**TOOL, "type": "tool-call", "name": "create_new_appointment"}, "type 'tool-call'"),
        ({**AGENT, "role": "Agent", "text": "I created a new appointment"}, "role 'Agent'"),
    ],
)
def test_a_misspelt_event_type_or_role_is_error_not_ignored(
    tmp_path: Path, event: dict[str, Any], problem: str
) -> None:
    # Hole found: unknown types are ignored (forward compatible), so `Tool_Call` of the forbidden
    # tool in a complete trace passed forbidden_tools, and an `Agent` line escaped the transcript.
    write_case(
        tmp_path / "cases",
        f"""
        {FORBID}
        transcript: {{must_not_include: [created a new appointment]}}
    """,
    )
    run = run_result(AGENT, event, trace_complete=True)
    _error_case(run_against(tmp_path, run), problem)


@pytest.mark.parametrize("latency", ["NaN", "-Infinity", "Infinity", "-40"])
def test_a_latency_that_is_not_a_finite_non_negative_number_is_error(
    tmp_path: Path, latency: str
) -> None:
    # Hole found: Python's json reads NaN; NaN > limit is False, so NaN (and any negative
    # number) passed max_turn_ms.
    write_case(tmp_path / "cases", "latency: {max_turn_ms: 1500}")
    # Written by hand: json.dumps would refuse (or quote) these values.
    turns = '"turns": [{"turn": 0, "latency_ms": ' + latency + "}]"
    body = json.dumps(run_result(AGENT))[:-1] + ", " + turns + "}"
    _error_case(run_against(tmp_path, body), "turns.0.latency_ms")


@pytest.mark.parametrize("effects", [{}, {"writes": []}, {"source": "vibes", "writes": []}])
def test_side_effects_nobody_vouches_for_are_error(tmp_path: Path, effects: dict[str, Any]) -> None:
    # Hole found: `side_effects: {}` (no source, no writes) passed max_writes and forbidden_ops.
    write_case(tmp_path / "cases", "side_effects: {calendar: {max_writes: 0}}")
    _error_case(
        run_against(tmp_path, run_result(AGENT, side_effects=effects)),
        "not one of sandbox_observed, agent_reported",
    )


def test_agent_reported_side_effects_still_pass_with_the_warning(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "side_effects: {calendar: {max_writes: 0}}")
    effects = {"source": "agent_reported", "writes": []}
    result = run_against(tmp_path, run_result(AGENT, side_effects=effects))
    assert result.code == 0
    [outcome] = result.case()["trials"][0]["assertions"]
    assert outcome["status"] == "pass" and "agent_reported" in outcome["warning"]


def test_one_run_id_returned_for_two_cases_is_evidence_for_one_only(tmp_path: Path) -> None:
    # Hole found: a harness (or a caching proxy that ignores the body) answering every case
    # with the same recorded run made every case pass on one run's evidence.
    for name in ("a", "b"):
        write_case(tmp_path / "cases", FORBID, name=name)
    run = run_result(TOOL, RESULT, trace_complete=True, run_id="r_cached")
    result = run_against(tmp_path, run, "--concurrency", "1")
    assert result.code == 1
    states = sorted(result.case(i)["status"] for i in ("a", "b"))
    assert states == ["error", "pass"], states
    errored = next(result.case(i) for i in ("a", "b") if result.case(i)["status"] == "error")
    assert "run_id 'r_cached' again" in errored["reason"]


def test_one_run_id_for_every_trial_of_a_case_is_not_three_passes(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID, extra="trials: 3\npass_threshold: 3\n")
    result = run_against(tmp_path, run_result(TOOL, RESULT, trace_complete=True, run_id="r_same"))
    assert result.code == 1
    assert [t["status"] for t in result.case()["trials"]] == ["pass", "error"]


# --- attacks the gate already held: kept as regression guards --------------------------------


def test_a_200_with_a_202_style_body_is_error(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID)
    _error_case(
        run_against(tmp_path, {"run_id": "r1", "poll_url": "/runs/r1"}), "not a valid RunResult"
    )


def test_a_gzip_bomb_is_cut_off_after_decompression(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID)
    bomb = gzip.compress(b'{"pad": "' + b" " * (40 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100_000  # small on the wire, 40 MiB once decoded
    result = run_against(tmp_path, bomb, headers={"Content-Encoding": "gzip"})
    _error_case(result, "harness response exceeds")


def test_allowing_empty_runs_never_turns_an_outage_green(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID, level="manual")
    result = run_against(
        tmp_path, b"busy", "--fail-on-empty", "false", "--fail-on", "any", status=503
    )
    assert result.code == 1 and result.case()["status"] == "error"
