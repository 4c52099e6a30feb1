"""Audit: evidence that is not evidence. Inconsistent runs, absences proven by nothing and
replays without a run id must end the case `error`, never `pass` (the real CLI, a loopback
harness answering crafted RunResults)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.audit_support import Gate, gate, run_against, run_result, write_case
from support.fault_server import Reply, serve

FORBID = "tools: {forbidden_tools: [create_new_appointment]}"
CALL = {"type": "tool_call", "turn": 0, "t_ms": 100, "call_id": "c1", "name": "lookup_identity"}
RESULT = {"type": "tool_result", "turn": 0, "t_ms": 150, "call_id": "c1", "status": "ok"}
AGENT = {"type": "message", "role": "agent", "turn": 0, "t_ms": 900, "text": "Moved it."}
CALLER = {"type": "message", "role": "caller", "turn": 0, "t_ms": 0, "text": "Move it."}
WRITES = {"source": "sandbox_observed", "writes": []}


def _complete(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return run_result(*events, trace_complete=True, **fields)


def _assert_error(result: Gate, reason: str, case_id: str = "c") -> None:
    assert result.code == 1, result.out
    case = result.case(case_id)
    assert case["status"] == "error", case
    assert reason in case["reason"], case["reason"]
    assert all(a["status"] != "pass" for t in case["trials"] for a in t["assertions"])


def test_a_consistent_run_with_matching_echoes_still_passes(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID)
    run = _complete(CALLER, CALL, RESULT, AGENT, case_id="c", trial=1)
    result = run_against(tmp_path, run)
    assert result.code == 0 and result.case()["status"] == "pass", result.out


@pytest.mark.parametrize(
    ("fields", "events", "reason"),
    [
        ({"case_id": "other/case"}, (CALLER, CALL, RESULT, AGENT), "names case 'other/case'"),
        ({"trial": 2}, (CALLER, CALL, RESULT, AGENT), "names trial 2, this is trial 1"),
        ({}, (CALL, RESULT, {**CALL, "t_ms": 200}, AGENT), "repeats call_id 'c1'"),
        ({}, (CALLER, RESULT, AGENT), "which no earlier call has"),
        ({}, (CALLER, {**RESULT, "call_id": None}, AGENT), "a tool_result without a call_id"),
        ({}, (CALL, RESULT, {**RESULT, "t_ms": 160}, AGENT), "a second result for call_id"),
        ({}, (CALLER, CALL, AGENT), "call 'c1' (lookup_identity) has no tool_result"),
        ({}, (CALLER, CALL, RESULT, {**AGENT, "t_ms": 50}), "(t_ms 50) comes after t_ms 150"),
        ({}, ({**AGENT, "turn": 1}, CALLER, CALL, RESULT), "(turn 0) comes after turn 1"),
        ({}, (CALLER, {**AGENT, "turn": -1}), "has turn -1"),
        ({"turns": [{"turn": -3, "latency_ms": 5}]}, (CALLER, AGENT), "turns[0] has turn -3"),
        ({}, ({**CALLER, "t_ms": -5}, AGENT), "t_ms -5 (below 0)"),
    ],
    ids=[
        "other-case",
        "other-trial",
        "duplicate-call-id",
        "result-without-call",
        "result-without-call-id",
        "two-results",
        "missing-result-in-complete-trace",
        "t_ms-goes-back",
        "turn-goes-back",
        "negative-turn",
        "negative-timing-turn",
        "negative-t_ms",
    ],
)
def test_an_inconsistent_run_is_error(
    tmp_path: Path, fields: dict[str, Any], events: tuple[dict[str, Any], ...], reason: str
) -> None:
    write_case(tmp_path / "cases", FORBID)
    result = run_against(tmp_path, _complete(*events, **fields))
    _assert_error(result, "inconsistent RunResult: ")
    _assert_error(result, reason)


def test_a_missing_result_in_an_incomplete_trace_is_not_an_inconsistency(tmp_path: Path) -> None:
    # The harness said the trace may be partial: the absence checks end error on that already.
    write_case(tmp_path / "cases", "tools: {required_order: [lookup_identity]}")
    result = run_against(tmp_path, run_result(CALLER, CALL, AGENT, trace_complete=False))
    assert result.code == 0 and result.case()["status"] == "pass", result.out


def test_a_turn_beyond_the_cases_max_turns_is_error(tmp_path: Path) -> None:
    path = write_case(tmp_path / "cases", FORBID)
    scripted = 'scenario: {turns: ["I need to move my appointment."]}'
    text = path.read_text("utf-8").replace(scripted, scripted[:-1] + ", max_turns: 2}")
    path.write_text(text, encoding="utf-8")
    within = _complete(CALLER, {**AGENT, "turn": 1})
    assert run_against(tmp_path, within).case()["status"] == "pass"
    beyond = _complete(CALLER, {**AGENT, "turn": 2})
    _assert_error(run_against(tmp_path, beyond), "has turn 2, beyond the case's max_turns 2")


def _run_with_202(tmp_path: Path, announced: str, result: dict[str, Any]) -> Gate:
    accepted = Reply(202, {"run_id": announced, "poll_url": f"/runs/{announced}"})
    # GET /health, POST (202), then the poll.
    with serve(Reply(404, b""), accepted, then=Reply(200, result)) as harness:
        return gate(
            tmp_path, "run", "--harness-url", harness.url, "--cases", str(tmp_path / "cases")
        )


def test_a_poll_that_returns_another_run_is_error(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID)
    foreign = _complete(CALLER, CALL, RESULT, AGENT, run_id="r_someone_else")
    result = _run_with_202(tmp_path, "r_1", foreign)
    _assert_error(result, "the 202 announced run_id 'r_1', the poll returned run_id")
    own = _run_with_202(tmp_path, "r_1", _complete(CALLER, CALL, RESULT, AGENT))
    assert own.code == 0 and own.case()["trials"][0]["run_id"] == "r_1"


# --- absence proven by nothing -----------------------------------------------------------------

ABSENCES = """
outcome: {no_unplanned_handoff: true}
tools: {forbidden_tools: [create_new_appointment], max_calls: {update_appointment: 1}}
side_effects: {calendar: {max_writes: 1, forbidden_ops: [create], duplicate_events_allowed: false}}
handoff: {allowed_to: [human_scheduler]}
"""


def test_a_run_in_which_the_agent_never_acted_proves_no_absence(tmp_path: Path) -> None:
    # Hole found: a harness that never reached the agent (only the caller's line, an empty but
    # "complete" trace and an empty sandbox) passed "no forbidden tool" and "at most N writes".
    write_case(tmp_path / "cases", ABSENCES)
    result = run_against(tmp_path, _complete(CALLER, side_effects=WRITES))
    _assert_error(result, "the agent never spoke and called no tool")
    statuses = [a["status"] for a in result.case()["trials"][0]["assertions"]]
    assert statuses == ["error"] * 7, statuses


def test_the_same_checks_pass_once_the_agent_acted(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", ABSENCES)
    result = run_against(tmp_path, _complete(CALLER, AGENT, side_effects=WRITES))
    assert result.code == 0 and result.case()["status"] == "pass", result.out


def test_an_agent_error_run_proves_no_absence_and_still_fails(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", f"{FORBID}\ntranscript: {{must_not_include: [account]}}")
    run = _complete(CALLER, AGENT, status="agent_error", error="crashed")
    result = run_against(tmp_path, run)
    assert result.code == 1 and result.case()["status"] == "fail"
    checks = {a["name"]: a for a in result.case()["trials"][0]["assertions"]}
    assert checks["tools.forbidden_tools"]["status"] == "error"
    assert checks["transcript.must_not_include[0]"]["status"] == "error"
    assert "the run ended agent_error" in checks["tools.forbidden_tools"]["message"]


# --- replays without a run id ------------------------------------------------------------------


def test_one_result_without_run_id_for_two_cases_is_evidence_for_one_only(tmp_path: Path) -> None:
    # Hole found: a caching proxy without run ids passed every case on one recorded run.
    for name in ("a", "b"):
        write_case(tmp_path / "cases", FORBID, name=name)
    result = run_against(tmp_path, _complete(CALLER, CALL, RESULT, AGENT), "--concurrency", "1")
    states = sorted(result.case(i)["status"] for i in ("a", "b"))
    assert result.code == 1 and states == ["error", "pass"], states
    errored = next(result.case(i) for i in ("a", "b") if result.case(i)["status"] == "error")
    assert "same events and side effects as for" in errored["reason"]


def test_identical_trials_without_run_id_are_not_three_passes(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID, extra="trials: 3\npass_threshold: 3\n")
    result = run_against(tmp_path, _complete(CALLER, CALL, RESULT, AGENT))
    assert result.code == 1
    assert [t["status"] for t in result.case()["trials"]] == ["pass", "error"]


def test_identical_results_with_distinct_run_ids_are_distinct_runs(tmp_path: Path) -> None:
    # A deterministic sandbox may replay itself exactly; its run ids say these are two runs.
    write_case(tmp_path / "cases", FORBID, extra="trials: 3\npass_threshold: 3\n")
    runs = [_complete(CALLER, CALL, RESULT, AGENT, run_id=f"r_{i}") for i in range(4)]
    result = run_against(tmp_path, runs)
    assert result.code == 0 and [t["status"] for t in result.case()["trials"]] == ["pass"] * 3
