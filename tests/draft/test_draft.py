"""Drafting (pure): a packet's fixture, turns, assertions and promotion proposal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gate.draft.assertions import not_exactly
from gate.draft.build import draft_case
from gate.draft.promotion import propose

REPO = Path(__file__).resolve().parents[2]
PACKET = REPO / "examples" / "evidence" / "duplicate-booking.json"


def packet() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PACKET.read_text("utf-8"))
    return data


def test_the_draft_has_the_seed_shape_and_guards_each_fault() -> None:
    draft = draft_case(packet())
    case = draft.case
    assert case["fixture"]["caller_id"] == "caller_fixture_1"
    assert case["fixture"]["appointment_id"] == "appointment_fixture_1"
    assert case["fixture"]["side_effect_mode"] == "sandbox"
    assert case["fixture"]["existing_state"]["appointment_status"] == "confirmed"
    tools = case["assertions"]["tools"]
    assert tools["required_order"] == [
        "lookup_identity",
        "list_appointments",
        "list_available_slots",
    ]
    assert tools["forbidden_tools"] == ["create_new_appointment"]
    assert case["assertions"]["side_effects"] == {"calendar": {"duplicate_events_allowed": False}}
    assert case["assertions"]["transcript"] == {"must_not_include": ["I created a new appointment"]}
    assert case["promotion"]["level"] == "manual"
    assert draft.proposal.level == "blocking"
    # the caller's turns before the failure, not the agent's, not what came after
    assert len(case["scenario"]["turns"]) == 2


def test_last_turns_keeps_the_last_caller_turns_before_the_failure() -> None:
    turns = draft_case(packet(), last_turns=1).case["scenario"]["turns"]
    assert turns == ["Could you move my appointment to Tuesday morning?"]


def test_a_wrong_argument_becomes_an_arguments_check_with_a_todo_naming_the_observed_value() -> (
    None
):
    data = packet()
    data["failure_label"] = "wrong_tool_arguments"
    data["tool_trace"][3]["name"] = "update_appointment"
    data["tool_trace"][3]["arguments"] = {
        "appointment_id": "apt_90172",
        "new_start_time": "2026-06-09T15:00:00-05:00",
    }
    draft = draft_case(data)
    check = draft.case["assertions"]["tools"]["arguments"]["update_appointment"]
    assert check["appointment_id"] == "appointment_fixture_1"
    assert check["new_start_time"] == {"regex": not_exactly("2026-06-09T15:00:00-05:00")}
    todo = [t for p, t in draft.comments if p.endswith("update_appointment")]
    assert todo and todo[0].startswith("TODO:") and "2026-06-09T15:00:00-05:00" in todo[0]
    data["tool_trace"][3]["expected_arguments"] = {"new_start_time": "2026-06-09T08:30:00-05:00"}
    check = draft_case(data).case["assertions"]["tools"]["arguments"]["update_appointment"]
    assert check == {"new_start_time": "2026-06-09T08:30:00-05:00"}


@pytest.mark.parametrize(
    ("label", "severity", "level"),
    [
        ("wrong_tool", "high", "blocking"),
        ("tool_selection", "medium", "scheduled"),
        ("wrong_tool_arguments", "critical", "blocking"),
        ("safety_policy", "low", "blocking"),
        ("side_effect", "medium", "blocking"),
        ("latency_interruption", "high", "scheduled"),
        ("caller_confused", "high", "manual"),
    ],
)
def test_promotion_follows_the_seed_decision_table(label: str, severity: str, level: str) -> None:
    assert propose(label, severity).level == level
