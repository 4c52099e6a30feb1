"""A recorded gate run → an evidence packet: its events, writes, and the faults its checks found."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from gate.models import Case, RegexItem
from gate.results import Event, HarnessRun

_CALL = re.compile(r"\(call ([^)\s]+)\)")


def packet_from_run(
    record: Mapping[str, Any],
    run: HarnessRun,
    case: Case | None,
    failed: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The packet of one recorded trial; `case` (the case file, when it still loads) gives the
    agent, fixture and caller, and its checks mark the events that broke them, as do the
    trial's `failed` assertion records (the call they name, the arguments they expected)."""
    results = {e.call_id: e for e in run.events if e.type == "tool_result" and e.call_id}
    marks = _marks(failed)
    packet: dict[str, Any] = {
        "source_call_id": str(record["source_call_id"]),
        "source_type": case.source.type if case else "production_call",
        "suite": str(record["suite"]),
        "owner": str(record["owner"]),
        "severity": str(record["severity"]),
        "failure_label": str(record["failure_label"]),
        "detected_by": f"voice-regress-gate run (case {record['id']})",
        "agent_ref": dict(case.agent_ref) if case else {"agent_slug": "unknown"},
        "caller": _caller(case),
        "transcript": [_line(e, case) for e in run.events if e.type == "message"],
        "tool_trace": [_call(e, results, case, marks) for e in run.tool_calls],
        "side_effects": [_write(w.model_dump(), case) for w in _writes(run)],
        "state_before": _state(case),
    }
    if run.trace_id:
        packet["trace_id"] = run.trace_id
    return packet


def _state(case: Case | None) -> dict[str, Any]:
    """The case's fixture as the state before the call (the draft rebuilds the seed shape)."""
    fixture = dict(case.fixture) if case else {}
    nested = fixture.pop("existing_state", None)
    fixture.pop("side_effect_mode", None)
    return {**fixture, **(nested if isinstance(nested, dict) else {})}


def _caller(case: Case | None) -> dict[str, Any]:
    caller = case.caller.model_dump(exclude_none=True) if case and case.caller else {}
    caller.setdefault("goal", "the goal of the recorded case (see its scenario)")
    return caller


def _line(event: Event, case: Case | None) -> dict[str, Any]:
    line: dict[str, Any] = {"role": event.role, "text": event.text or ""}
    if event.t_ms is not None:
        line["t_ms"] = event.t_ms
    transcript = case.assertions.transcript if case else None
    banned = (transcript.must_not_include or []) if transcript else []
    if event.role == "agent" and any(text_matches(item, line["text"]) for item in banned):
        line["fault"] = True
    return line


def text_matches(item: str | RegexItem, text: str) -> bool:
    """The transcript checks' rule: a folded substring, or `{regex}` by re.search."""
    if isinstance(item, RegexItem):
        return re.search(item.regex, text) is not None
    return " ".join(item.casefold().split()) in " ".join(text.casefold().split())


def _marks(failed: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Call id → the fault a failed tool assertion names (`… (call c4)`), with the arguments a
    failed `tools.arguments.<tool>` expected."""
    marks: dict[str, dict[str, Any]] = {}
    for assertion in failed:
        name, message = str(assertion.get("name", "")), str(assertion.get("message", ""))
        found = _CALL.search(message)
        if not name.startswith("tools.") or found is None:
            continue
        mark: dict[str, Any] = {"fault": True}
        expected = assertion.get("expected")
        if name.startswith("tools.arguments.") and isinstance(expected, dict) and expected:
            mark["expected_arguments"] = expected
        marks[found.group(1)] = mark
    return marks


def _call(
    event: Event, results: Mapping[str, Event], case: Case | None, marks: Mapping[str, Any]
) -> dict[str, Any]:
    call: dict[str, Any] = {"call_id": event.call_id or "", "name": event.name or ""}
    if isinstance(event.arguments, dict):
        call["arguments"] = event.arguments
    result = results.get(event.call_id or "")
    if result is not None:
        call["result"] = result.output
        call["status"] = "error" if result.status not in (None, "ok") else "ok"
    if event.t_ms is not None:
        call["t_ms"] = event.t_ms
    tools = case.assertions.tools if case else None
    if tools and event.name in (tools.forbidden_tools or []):
        call["fault"] = True
    call.update(marks.get(event.call_id or "", {}))
    return call


def _writes(run: HarnessRun) -> list[Any]:
    return list(run.side_effects.writes) if run.side_effects else []


def _write(write: Mapping[str, Any], case: Case | None) -> dict[str, Any]:
    op = str(write["op"]) if write["op"] in ("create", "update", "delete", "notify") else "update"
    effect: dict[str, Any] = {"system": write["system"], "op": op}
    effect.update(
        {k: write[v] for k, v in (("entity", "entity_id"), ("status", "status")) if write[v]}
    )
    checks = (case.assertions.side_effects or {}) if case else {}
    system = checks.get(str(write["system"]))
    if system is not None and op == "create" and system.duplicate_events_allowed is False:
        effect["fault"] = True
    if system is not None and op in (system.forbidden_ops or []):
        effect["fault"] = True
    return effect
