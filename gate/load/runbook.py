"""Lint for the runbook's rules (pure): pinned models, blocking what is critical, evidence of the
caller's goal, and failure labels that match what the case asserts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gate.errors import Diagnostic
from gate.load.pinning import floating_reason, pinned_hint
from gate.models import Location, nearest_location

Finding = tuple[str, str, str]  # (json path, message, severity)


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def lint_runbook(
    data: Mapping[str, Any], locations: Mapping[str, Location], path: str, require_pinned: bool
) -> list[Diagnostic]:
    """The runbook's rules as located diagnostics (`locations` as gate.load.yamlsafe records
    them); a floating agent model is an error under `require_pinned`."""
    out = []
    for json_path, message, severity in runbook_rules(data, require_pinned):
        line, col = nearest_location(locations, json_path) or (1, 1)
        out.append(Diagnostic(path, line, col, json_path, message, severity))
    return out


def runbook_rules(data: Mapping[str, Any], require_pinned: bool = False) -> Iterator[Finding]:
    """Warnings (the pinned-model one an error under `require_pinned`) for one case's data."""
    model = _get(_get(data, "agent_ref"), "model")
    if isinstance(model, str) and model.strip() and floating_reason(model):
        severity = "error" if require_pinned else "warning"
        yield "$.agent_ref.model", pinned_hint("agent_ref.model", model), severity
    source, assertions = _get(data, "source"), _get(data, "assertions")
    level = _get(_get(data, "promotion"), "level")
    if _get(source, "severity") == "critical" and level == "manual":
        yield (
            "$.promotion.level",
            "a critical case kept manual never runs on its own: make it blocking or scheduled",
            "warning",
        )
    goal = _get(_get(data, "caller"), "goal")
    if not (isinstance(goal, str) and goal.strip()):
        yield (
            "$.caller",
            "no caller.goal: the evidence packet needs what the caller wanted, in plain words",
            "warning",
        )
    yield from _label_without_check(_get(source, "failure_label"), assertions)


def _label_without_check(label: Any, assertions: Any) -> Iterator[Finding]:
    if not isinstance(label, str):
        return
    if label == "side_effect" and not _get(assertions, "side_effects"):
        yield (
            "$.source.failure_label",
            "failure label 'side_effect' but no side_effects assertion checks the writes",
            "warning",
        )
    if label.startswith("tool_") and not _get(assertions, "tools"):
        yield (
            "$.source.failure_label",
            f"failure label {label!r} but no tools assertion checks the tool calls",
            "warning",
        )
