"""harness-check's canned case, and what a RunResult must carry, phrased as what to fix; pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from gate.dispatch.consistency import inconsistency
from gate.models import Case, LoadedCase
from gate.results import HarnessRun

Level = Literal["ok", "warn", "fix"]
SOURCES = ("sandbox_observed", "agent_reported")
CASE_ID = "harness-check/reschedule"
MAX_TURNS = 4
CANNED: dict[str, Any] = {
    "version": 1,
    "suite": "harness_check",
    "owner": "harness-adapter",
    "source": {
        "type": "synthetic",
        "source_call_id": "harness-check",
        "failure_label": "side_effect",
        "severity": "low",
        "sanitized": True,
    },
    "agent_ref": {"environment": "staging"},
    "fixture": {
        "caller_id": "caller_fixture_hc1",
        "appointment_id": "appt_fixture_hc1",
        "existing_state": {
            "appointment_status": "confirmed",
            "appointment_start": "2026-06-02T16:00:00-05:00",
            "available_slots": ["2026-06-09T08:30:00-05:00", "2026-06-09T15:00:00-05:00"],
        },
        "side_effect_mode": "sandbox",
    },
    "scenario": {
        "turns": ["Could you move my appointment to Tuesday morning?"],
        "max_turns": MAX_TURNS,
    },
    "assertions": {"side_effects": {"calendar": {"duplicate_events_allowed": False}}},
    "promotion": {"level": "manual", "run_on": ["release_candidate"]},
}


def canned_case() -> LoadedCase:
    """The case every run scenario dispatches."""
    return LoadedCase(CASE_ID, "<harness-check>", Case.model_validate(CANNED))


@dataclass(frozen=True)
class Answer:
    """One response on the wire: method, path and status."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class Check:
    """One line of the report: `fix` fails the check, `warn` is advice, `ok` holds."""

    level: Level
    scenario: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():<5} {self.scenario}: {self.message}"


def run_checks(
    scenario: str, run: HarnessRun, case_id: str, trial: int, max_turns: int | None
) -> list[Check]:
    """The checks of one RunResult of the canned case (trial `trial`)."""
    checks = [_consistent(scenario, run, case_id, trial, max_turns)]
    problems = [
        _status(run),
        _run_id(run),
        _call_ids(run),
        _timed(run),
        _side_effects(run),
    ]
    checks += [Check("fix", scenario, p) for p in problems if p is not None]
    checks += [Check("warn", scenario, w) for w in _advice(run)]
    if len(checks) == 1 and checks[0].level == "ok":
        checks.append(Check("ok", scenario, _summary(run)))
    return checks


def _consistent(
    scenario: str, run: HarnessRun, case_id: str, trial: int, max_turns: int | None
) -> Check:
    problem = inconsistency(run, case_id, trial, max_turns)
    if problem is None:
        return Check("ok", scenario, "consistent: echoes, ordered events, call ids paired")
    return Check("fix", scenario, problem)


def _status(run: HarnessRun) -> str | None:
    if run.status == "completed":
        return None
    detail = f" ({run.error})" if run.error else ""
    return f"status {run.status!r}{detail}: the canned scenario must complete (status completed)"


def _run_id(run: HarnessRun) -> str | None:
    if run.run_id:
        return None
    return "no run_id: set a distinct run_id per run (the gate tells runs and replays apart by it)"


def _call_ids(run: HarnessRun) -> str | None:
    answered = {e.call_id for e in run.events if e.type == "tool_result"}
    for index, event in enumerate(run.events):
        if event.type != "tool_call":
            continue
        if not event.call_id:
            return f"events[{index}] ({event.name}) has no call_id: link each call to its result"
        if event.call_id not in answered:
            return (
                f"events[{index}] ({event.name}) call_id {event.call_id!r} has no tool_result: "
                "report each call's result with the same call_id"
            )
    return None


def _timed(run: HarnessRun) -> str | None:
    untimed = [i for i, e in enumerate(run.events) if e.t_ms is None or e.turn is None]
    if not untimed:
        return None
    return (
        f"{len(untimed)} event(s) without t_ms or turn (first: events[{untimed[0]}]): the gate "
        "orders events and places failures by them"
    )


def _side_effects(run: HarnessRun) -> str | None:
    effects = run.side_effects
    if effects is None:
        return "no side_effects: report the sandbox's writes (an empty list when there are none)"
    if effects.source not in SOURCES:
        return (
            f"side_effects.source is {effects.source!r}: it must be sandbox_observed or "
            "agent_reported, else every side-effect assertion ends error"
        )
    return None


def _advice(run: HarnessRun) -> list[str]:
    advice = []
    if run.trace_complete is None:
        advice.append("no trace_complete: absence checks (forbidden_tools…) end error without it")
    if not run.turns:
        advice.append("no turns[].latency_ms: latency assertions end error")
    if run.case_id is None or run.trial is None:
        advice.append("case_id/trial not echoed: echoes let the gate refuse another case's run")
    return advice


def _summary(run: HarnessRun) -> str:
    calls, writes = len(run.tool_calls), len(run.side_effects.writes if run.side_effects else [])
    return f"run {run.run_id}: {len(run.events)} events, {calls} tool call(s), {writes} write(s)"


def content_digest(run: HarnessRun) -> str:
    """What makes two answers the same run: id, events and side effects."""
    data: dict[str, Any] = run.model_dump(
        mode="json", include={"run_id", "events", "side_effects"}, exclude_none=True
    )
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
