"""The draft's assertions: the healthy prefix of the trace kept, each marked fault guarded."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gate.models import json_path_join

ARGUMENT_LABELS = ("wrong_tool_arguments", "tool_arguments")
_ID_KEY = re.compile(r"(?:^|_)ids?$", re.IGNORECASE)


@dataclass
class Assembly:
    """Assertions being drafted, and the comments (JSON path in the case, text) they need."""

    assertions: dict[str, Any] = field(default_factory=dict)
    comments: list[tuple[str, str]] = field(default_factory=list)

    def family(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.assertions.setdefault(name, {})
        return found

    def todo(self, path: str, text: str) -> None:
        self.comments.append((path, f"TODO: {text}"))


def shown(value: Any) -> str:
    """A value on one line, as a comment shows it (already sanitized)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def tool_assertions(trace: Sequence[Mapping[str, Any]], label: str, out: Assembly) -> None:
    """required_order and arguments from the calls before the first fault; faults guarded."""
    first_fault = next((i for i, c in enumerate(trace) if c.get("fault")), len(trace))
    healthy = [c for c in trace[:first_fault] if c.get("status", "ok") == "ok"]
    order = list(dict.fromkeys(str(c["name"]) for c in healthy))
    tools = out.family("tools")
    if order:
        tools["required_order"] = order
    arguments: dict[str, Any] = {}
    for call in healthy:
        if call.get("arguments"):
            arguments.setdefault(str(call["name"]), dict(call["arguments"]))
    if arguments:
        tools["arguments"] = arguments
        out.todo(
            "$.assertions.tools.arguments",
            "keep only the arguments this failure is about (these are the healthy calls' own)",
        )
    for index, call in enumerate(trace):
        if call.get("fault"):
            _guard_call(call, index, label, order, out)
    if not tools:
        del out.assertions["tools"]


def _guard_call(
    call: Mapping[str, Any], index: int, label: str, healthy: list[str], out: Assembly
) -> None:
    name = str(call["name"])
    tools = out.family("tools")
    note = f" ({call['note']})" if call.get("note") else ""
    if call.get("expected_arguments") or label in ARGUMENT_LABELS:
        _guard_arguments(call, out)
    elif name in healthy:
        tools.setdefault("max_calls", {})[name] = healthy.count(name)
        out.todo(
            json_path_join("$.assertions.tools.max_calls", name),
            f"tool_trace[{index}] called {name} once too often{note}: is this the limit?",
        )
    else:
        forbidden = tools.setdefault("forbidden_tools", [])
        if name not in forbidden:
            forbidden.append(name)
        if note:
            out.comments.append(("$.assertions.tools.forbidden_tools", f"{name}{note}"))


MAX_GUARDED = 40  # characters of an observed wrong value a negative regex is written for


def not_exactly(value: str) -> str:
    """An RE2 regex (no lookaround) matching every string except `value`: at the first place a
    string leaves `value` it has another character, ends early, or runs on past its end."""
    pattern = "(?s:.+)"  # past the end of `value`: anything more
    for char in reversed(value):
        code = char if char.isascii() and char.isalnum() else f"\\x{{{ord(char):x}}}"
        pattern = f"(?:[^{code}](?s:.*)|{code}{pattern})?"  # the `?`: ending here differs too
    return f"^(?:{pattern})$" if value else "^(?s:.+)$"


def _guard_arguments(call: Mapping[str, Any], out: Assembly) -> None:
    name, observed = str(call["name"]), dict(call.get("arguments") or {})
    expected = call.get("expected_arguments")
    arguments = out.family("tools").setdefault("arguments", {})
    path = json_path_join("$.assertions.tools.arguments", name)
    if expected:
        arguments[name] = dict(expected)
        out.comments.append((path, f"observed wrong arguments: {shown(observed)}"))
        return
    # Without the expected value, the check refuses the observed wrong one (ids stay as seen).
    arguments[name] = {
        key: value if _ID_KEY.search(key) else {"regex": not_exactly(value)}
        for key, value in observed.items()
        # a long value's regex would pass the pattern bound (gate.patterns): the TODO says it
        if _ID_KEY.search(key) or (isinstance(value, str) and len(value) <= MAX_GUARDED)
    }
    out.todo(
        path,
        f"observed wrong value(s) {shown(observed)}: replace each negative regex "
        "with the expected value",
    )


def side_effect_assertions(effects: Sequence[Mapping[str, Any]], out: Assembly) -> None:
    """A faulty create is a duplicate write; a faulty delete or notify is a forbidden op."""
    for index, effect in enumerate(effects):
        if not effect.get("fault"):
            continue
        system = str(effect["system"])
        checks = out.family("side_effects").setdefault(system, {})
        op = str(effect["op"])
        if op in ("create", "update"):
            checks["duplicate_events_allowed"] = False
        else:
            ops = checks.setdefault("forbidden_ops", [])
            ops += [] if op in ops else [op]
        if op == "update":
            out.todo(
                json_path_join("$.assertions.side_effects", system),
                f"side_effects[{index}] is a wrong update: add <entity>_id and expected_status",
            )


def transcript_assertions(lines: Sequence[Mapping[str, Any]], out: Assembly) -> None:
    """Each faulty agent line becomes a phrase the agent must not say."""
    for line in lines:
        if not line.get("fault") or line.get("role") != "agent":
            continue
        phrase = line.get("prohibited") or line["text"]
        banned = out.family("transcript").setdefault("must_not_include", [])
        if phrase not in banned:
            banned.append(phrase)
        if not line.get("prohibited"):
            out.todo(
                "$.assertions.transcript.must_not_include",
                "shorten each whole agent line to the phrase that is prohibited",
            )
