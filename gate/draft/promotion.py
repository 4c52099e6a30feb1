"""Seed 000's promotion decision table: failure type × severity → the level a human may choose."""

from __future__ import annotations

from dataclasses import dataclass

HIGH = ("high", "critical")
BLOCKING_TRIGGERS = ["prompt_change", "tool_schema_change", "workflow_change", "release_candidate"]
SCHEDULED_TRIGGERS = ["release_candidate"]
# (blocking when the severity is one of these, else the fallback, why) per failure type.
_TABLE: dict[str, tuple[tuple[str, ...], str, str]] = {
    "wrong_tool": (HIGH, "scheduled", "wrong tool in a high-risk flow changes workflow state"),
    "wrong_tool_arguments": (HIGH, "scheduled", "argument mistakes return after prompt edits"),
    "tool_ordering": (("low", "medium", *HIGH), "blocking", "unsafe tool order"),
    "side_effect": (("low", "medium", *HIGH), "blocking", "missing, duplicated or wrong write"),
    "safety_policy": (("low", "medium", *HIGH), "blocking", "safety regressions block release"),
    "handoff": (HIGH, "scheduled", "lost handoff context"),
    "intent_miss": (HIGH, "scheduled", "intent misses are scheduled unless high risk"),
    "latency_interruption": (("critical",), "scheduled", "latency is scheduled unless critical"),
}
_ALIASES = {"tool_selection": "wrong_tool", "tool_arguments": "wrong_tool_arguments"}


@dataclass(frozen=True)
class Proposal:
    """The level the table proposes, its triggers and the row that decided it."""

    level: str
    run_on: list[str]
    why: str


def propose(failure_label: str, severity: str) -> Proposal:
    """The seed's row for this failure type and severity; unknown types stay manual."""
    label = _ALIASES.get(failure_label, failure_label)
    row = _TABLE.get(label)
    if row is None:
        why = f"{failure_label} is outside the seed taxonomy: a one-off stays manual until crisp"
        return Proposal("manual", list(SCHEDULED_TRIGGERS), why)
    blocking_at, fallback, reason = row
    level = "blocking" if severity in blocking_at else fallback
    triggers = BLOCKING_TRIGGERS if level == "blocking" else SCHEDULED_TRIGGERS
    return Proposal(level, list(triggers), f"{label} × severity {severity}: {reason}")
