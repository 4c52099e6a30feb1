"""An evidence packet (schema-valid) → a sanitized draft case, its comments, its manifest."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate.draft.assertions import (
    Assembly,
    side_effect_assertions,
    tool_assertions,
    transcript_assertions,
)
from gate.draft.promotion import Proposal, propose
from gate.draft.sanitize import Redaction, Sanitizer
from gate.models import is_write_tool, json_path_join

SUITE = "failed_call_regression"
_ID_KEY = re.compile(r"_id$")
EVIDENCE = {"retain_transcript": True, "retain_tool_trace": True, "retain_days": 30}


@dataclass(frozen=True)
class Draft:
    """The case as data, the comments to write above its nodes, and what was sanitized."""

    case: dict[str, Any]
    comments: list[tuple[str, str]]  # (JSON path in the case, comment text)
    manifest: list[Redaction]
    proposal: Proposal
    name: str  # a file name stem, from the source call id


def draft_case(packet: Mapping[str, Any], last_turns: int | None = None) -> Draft:
    """The draft of a schema-valid packet: every string sanitized, nothing of the original kept."""
    clean, sanitizer = _sanitized(packet)
    out = Assembly()
    label, severity = str(clean["failure_label"]), str(clean["severity"])
    tool_assertions(clean.get("tool_trace") or [], label, out)
    side_effect_assertions(clean.get("side_effects") or [], out)
    transcript_assertions(clean["transcript"], out)
    if not out.assertions:
        out.assertions["outcome"] = {"task_completed": True}
    if not _any_fault(clean):
        out.todo("$.assertions", "no event is marked fault: assert what the failure broke")
    out.assertions["evidence"] = dict(EVIDENCE)
    proposal = propose(label, severity)
    case = {
        "version": 1,
        "suite": clean.get("suite") or SUITE,
        "owner": clean["owner"],
        "source": _source(clean),
        "agent_ref": clean["agent_ref"],
        "fixture": _fixture(clean),
        "caller": clean["caller"],
        "scenario": _scenario(clean, last_turns, out),
        "assertions": out.assertions,
        "promotion": {"level": "manual", "run_on": proposal.run_on},
    }
    comments = _fixed_comments(proposal) + out.comments
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(clean["source_call_id"])).strip("-.") or "draft"
    return Draft(case, comments, sanitizer.manifest, proposal, name)


def _sanitized(packet: Mapping[str, Any]) -> tuple[dict[str, Any], Sanitizer]:
    sanitizer = Sanitizer()
    sanitizer.learn(packet.get("state_before") or {}, "$.state_before")
    for i, call in enumerate(packet.get("tool_trace") or []):
        where = json_path_join("$.tool_trace", i)
        sanitizer.learn(call.get("arguments") or {}, f"{where}.arguments")
        sanitizer.learn({"result": call.get("result")}, f"{where}")
    for i, effect in enumerate(packet.get("side_effects") or []):
        entity = effect.get("entity")
        sanitizer.learn({f"{effect['system']}_id": entity}, f"$.side_effects[{i}].entity")
    sanitizer.learn(packet.get("caller") or {}, "$.caller")
    for line in packet["transcript"]:
        sanitizer.learn_text(str(line["text"]))
    clean: dict[str, Any] = sanitizer.tree(dict(packet), "$")
    return clean, sanitizer


def _any_fault(packet: Mapping[str, Any]) -> bool:
    return any(
        item.get("fault")
        for key in ("transcript", "tool_trace", "side_effects")
        for item in packet.get(key) or []
    )


def _source(packet: Mapping[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = {
        "type": packet.get("source_type") or "production_call",
        "source_call_id": packet["source_call_id"],
        "failure_label": packet["failure_label"],
        "severity": packet["severity"],
    }
    source.update({k: packet[k] for k in ("detected_by", "incident", "trace_id") if k in packet})
    source["sanitized"] = True
    return source


def _fixture(packet: Mapping[str, Any]) -> dict[str, Any]:
    """Seed shape: `*_id` keys on top, the rest under existing_state, a sandbox for writes."""
    state = packet.get("state_before") or {}
    fixture = {k: v for k, v in state.items() if _ID_KEY.search(k)}
    rest = {k: v for k, v in state.items() if not _ID_KEY.search(k)}
    if rest:
        fixture["existing_state"] = rest
    names = [str(c["name"]) for c in packet.get("tool_trace") or []]
    if packet.get("side_effects") or any(is_write_tool(n) for n in names):
        fixture["side_effect_mode"] = "sandbox"
    return fixture


def _scenario(packet: Mapping[str, Any], last_turns: int | None, out: Assembly) -> dict[str, Any]:
    """The caller's lines before the failure (the last `last_turns` of them), and the notes."""
    lines: Sequence[Mapping[str, Any]] = packet["transcript"]
    cut = _failure_index(packet)
    turns = [str(line["text"]) for line in lines[:cut] if line["role"] == "caller"]
    if not turns:
        turns = [str(line["text"]) for line in lines if line["role"] == "caller"]
        out.todo("$.scenario.turns", "no caller line precedes the failure: check the script")
    # Names are found in fields and self-introductions only: a person has to read the turns.
    out.todo("$.scenario.turns", "reduce to the turns that reproduce it; no caller data left?")
    if last_turns is not None:
        turns = turns[-last_turns:]
    scenario: dict[str, Any] = {"turns": turns}
    notes = [
        str(item["note"])
        for key in ("transcript", "tool_trace", "side_effects")
        for item in packet.get(key) or []
        if item.get("fault") and item.get("note")
    ]
    if notes:
        scenario["must_reproduce"] = notes
    return scenario


def _failure_index(packet: Mapping[str, Any]) -> int:
    """How many transcript lines precede the first fault (by position, else by t_ms)."""
    lines: Sequence[Mapping[str, Any]] = packet["transcript"]
    marked = [i for i, line in enumerate(lines) if line.get("fault")]
    times = [
        float(item["t_ms"])
        for key in ("tool_trace",)
        for item in packet.get(key) or []
        if item.get("fault") and "t_ms" in item
    ]
    if times:
        earliest = min(times)
        marked.append(sum(1 for line in lines if float(line.get("t_ms", 0)) <= earliest))
    return min(marked) if marked else len(lines)


def _fixed_comments(proposal: Proposal) -> list[tuple[str, str]]:
    return [
        ("$.agent_ref", "TODO: point agent_ref at the agent under test, not the production one"),
        ("$.fixture", "TODO: check that the fixture recreates the failure's shape"),
        (
            "$.promotion.level",
            f"proposed (seed 000 decision table): {proposal.level} — {proposal.why}",
        ),
        (
            "$.promotion.level",
            f"TODO: a human promotes the case (to {proposal.level}?) once it is crisp",
        ),
    ]
