"""Evidence files of failing runs: relative path → content, for `--evidence-dir` and upload."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from gate.models import EvidencePolicy
from gate.results import (
    NOT_PASSING,
    AssertionOutcome,
    CaseResult,
    Event,
    HarnessRun,
    TrialResult,
)
from gate.text import clean, compact, json_safe, one_line

_SEGMENT_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SEGMENT_MAX = 80
_TOOL_EVENTS = ("tool_call", "tool_result")
_TEXT_EVENTS = ("message", "handoff")


def safe_case_path(case_id: str) -> str:
    """A relative directory for `case_id` that cannot leave the evidence dir (no `..`, no `/x`).

    Keeps the id's `/` hierarchy; when any segment had to change, a short hash of the original id
    is appended so two ids that sanitise alike never share a directory.
    """
    segments = []
    for raw in re.split(r"[/\\]+", case_id):
        segment = _SEGMENT_UNSAFE.sub("_", raw).lstrip(".")[:_SEGMENT_MAX]
        if segment:
            segments.append(segment)
    path = "/".join(segments) or "case"
    if path != case_id:
        path += "-" + hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return path


def event_line(event: Event) -> str | None:
    """One turn-numbered transcript line (`[t2] agent: …`); `None` for events that have none."""
    turn = f"[t{event.turn}]" if event.turn is not None else "[t?]"
    if event.type == "message":
        return f"{turn} {one_line(event.role or 'unknown', 40)}: {clean(event.text)}"
    if event.type == "handoff":
        summary = f": {clean(event.summary)}" if event.summary else ""
        return f"{turn} handoff to {one_line(event.to or '?', 80)}{summary}"
    if event.type == "tool_call":
        call = f" (call {one_line(event.call_id, 40)})" if event.call_id else ""
        return f"{turn} tool {one_line(event.name or '?', 80)}{call} {compact(event.arguments)}"
    return None


def transcript_lines(events: Iterable[Event], tools: bool = False) -> list[str]:
    """Transcript lines in event order; with `tools`, tool calls appear in their turn too."""
    kinds = _TEXT_EVENTS + (("tool_call",) if tools else ())
    lines = (event_line(e) for e in events if e.type in kinds)
    return [line for line in lines if line is not None]


def assertion_lines(outcome: AssertionOutcome, indent: str = "  ") -> list[str]:
    """An outcome as lines: name and message, then expected/actual, turn, warning, votes."""
    lines = [f"{outcome.name}: {clean(outcome.message)}"]
    if outcome.expected is not None:
        lines.append(f"{indent}expected: {compact(outcome.expected, 1000)}")
    if outcome.actual is not None:
        lines.append(f"{indent}actual:   {compact(outcome.actual, 1000)}")
    if outcome.turn is not None:
        lines.append(f"{indent}turn:     {outcome.turn}")
    if outcome.warning:
        lines.append(f"{indent}warning:  {one_line(outcome.warning, 500)}")
    for i, vote in enumerate(outcome.votes or (), start=1):
        lines.append(f"{indent}vote {i}:   {compact(vote, 500)}")
    return lines


def evidence_files(result: CaseResult) -> dict[str, str]:
    """Files to write for each failing, erroring or inconclusive trial that has a run.

    Honours the case's `assertions.evidence` policy: `retain_transcript: false` drops
    `transcript.txt` and the message text from `run.json`; `retain_tool_trace: false` drops
    `tool_trace.json` and the tool events; `retain_audio: false` drops the recording URL.
    Unset flags mean retain.
    """
    policy = result.case.case.assertions.evidence or EvidencePolicy()
    base = safe_case_path(result.case.id)
    files: dict[str, str] = {}
    for trial in result.trials:
        if trial.status in NOT_PASSING and trial.run is not None:
            prefix = f"{base}/trial-{trial.trial}/"
            for name, content in _trial_files(result, trial, trial.run, policy).items():
                files[prefix + name] = content
    return files


def _trial_files(
    result: CaseResult, trial: TrialResult, run: HarnessRun, policy: EvidencePolicy
) -> dict[str, str]:
    files = {"assertions.txt": _assertions_text(result, trial, run)}
    if policy.retain_transcript is not False:
        files["transcript.txt"] = "".join(f"{line}\n" for line in transcript_lines(run.events))
    if policy.retain_tool_trace is not False:
        files["tool_trace.json"] = _dump(_tool_trace(run))
    files["side_effects.json"] = _dump(run.side_effects)
    files["run.json"] = _dump(_redacted_run(run, policy))
    return files


def _assertions_text(result: CaseResult, trial: TrialResult, run: HarnessRun) -> str:
    head = [
        f"case:     {one_line(result.case.id, 500)}",
        f"file:     {one_line(result.case.file, 500)}:{result.case.line}",
        f"trial:    {trial.trial} of {result.trials_planned}",
        f"status:   {trial.status.value}",
        f"reason:   {one_line(trial.reason, 1000)}",
        f"run_id:   {one_line(run.run_id or '-', 200)}",
        f"trace_id: {one_line(run.trace_id or '-', 200)}",
    ]
    body = [""]
    for outcome in trial.assertions:
        lines = assertion_lines(outcome)
        body.append(f"[{outcome.status.value}] {lines[0]}")
        body.extend(lines[1:])
    return "\n".join(head + body) + "\n"


def _tool_trace(run: HarnessRun) -> dict[str, Any]:
    results = {e.call_id: e for e in run.events if e.type == "tool_result" and e.call_id}
    calls = []
    for call in run.tool_calls:
        reply = results.get(call.call_id) if call.call_id else None
        calls.append(
            {
                "turn": call.turn,
                "t_ms": call.t_ms,
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
                "result": None
                if reply is None
                else {"status": reply.status, "output": reply.output},
            }
        )
    return {"trace_complete": run.trace_complete, "calls": calls}


def _redacted_run(run: HarnessRun, policy: EvidencePolicy) -> dict[str, Any]:
    data: dict[str, Any] = run.model_dump(mode="json", exclude_none=True)
    dropped: tuple[str, ...] = ()
    if policy.retain_transcript is False:
        dropped += _TEXT_EVENTS
    if policy.retain_tool_trace is False:
        dropped += _TOOL_EVENTS
    data["events"] = [e for e in data["events"] if e.get("type") not in dropped]
    if policy.retain_audio is False and isinstance(data.get("artifacts"), dict):
        data["artifacts"] = {k: v for k, v in data["artifacts"].items() if k != "recording_url"}
    return data


def _dump(value: Any) -> str:
    # No truncation: evidence is the one place the whole (cleaned) run is kept.
    data = json_safe(value, limit=None)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
