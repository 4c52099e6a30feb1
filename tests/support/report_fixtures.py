"""Synthetic GateResults for the renderer tests, with every volatile value fixed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from support.golden import assert_golden_file

from gate.load.digest import case_digest
from gate.models import Case, LoadedCase
from gate.records.results_file import render_results
from gate.report.case_facts import ReportLinks
from gate.results import (
    PROTOCOL,
    AssertionOutcome,
    CaseResult,
    GateResult,
    HarnessRun,
    Selection,
    Status,
    TrialResult,
)

GOLDEN = Path(__file__).parents[1] / "golden"
GATE_VERSION = "0.0.0-test"
STARTED = "2026-06-01T12:00:00Z"
FINISHED = "2026-06-01T12:00:42Z"
# Everything a hostile caller or agent could put in a transcript to break XML or a terminal.
HOSTILE = "ok\x00 \x1b[31mRED\x1b[0m ]]> </failure><x a='1'> &amp; \ud800 \x07\x9b2J end"

FORBIDDEN_TOOLS = {"tools": {"forbidden_tools": ["create_new_appointment"]}}


def assert_golden(relpath: str, text: str) -> None:
    """Compare with tests/golden/<relpath> (`pytest --update-golden` rewrites it)."""
    assert_golden_file(GOLDEN / relpath, text)


def make_case(
    case_id: str,
    *,
    suite: str = "failed_call_regression",
    owner: str = "scheduling-eng",
    level: str = "blocking",
    assertions: dict[str, Any] | None = None,
    call_id: str = "call_2026_05_29_1842",
    trials: int | None = None,
) -> LoadedCase:
    """A valid case, validated by the real model so fixtures cannot drift from the format."""
    data: dict[str, Any] = {
        "version": 1,
        "id": case_id,
        "suite": suite,
        "owner": owner,
        "source": {
            "type": "production_call",
            "source_call_id": call_id,
            "failure_label": "wrong_tool",
            "severity": "high",
            "sanitized": True,
        },
        "agent_ref": {"environment": "staging", "agent_slug": "scheduling-agent"},
        "fixture": {"caller_id": "caller_fixture_204", "side_effect_mode": "sandbox"},
        "scenario": {"starting_turn": "I need to move Tuesday's appointment."},
        "assertions": assertions or FORBIDDEN_TOOLS,
        "promotion": {"level": level, "run_on": ["prompt_change"]},
    }
    if trials:
        data["trials"] = trials
    case = Case.model_validate(data)
    file = f"cases/{case_id}.yaml"
    return LoadedCase(id=case_id, file=file, case=case, line=1, digest=case_digest(case))


def make_run(run_id: str, events: list[dict[str, Any]], **extra: Any) -> HarnessRun:
    """A completed RunResult with the given events."""
    data = {"protocol": PROTOCOL, "status": "completed", "run_id": run_id, "events": events}
    return HarnessRun.model_validate({**data, **extra})


def booking_events(agent_text: str = "I created a new appointment for Wednesday.") -> list[Any]:
    """A call where the agent creates a second appointment at turn 2 (call c3)."""
    return [
        {
            "type": "message",
            "role": "caller",
            "turn": 0,
            "text": "I need to move Tuesday's appointment.",
        },
        {
            "type": "tool_call",
            "turn": 0,
            "call_id": "c1",
            "name": "lookup_identity",
            "arguments": {"caller_id": "caller_fixture_204"},
        },
        {
            "type": "tool_result",
            "turn": 0,
            "call_id": "c1",
            "status": "ok",
            "output": {"verified": True},
        },
        {"type": "message", "role": "agent", "turn": 0, "text": "Thanks, I found your account."},
        {"type": "message", "role": "caller", "turn": 1, "text": "Wednesday after 2, please."},
        {"type": "message", "role": "agent", "turn": 1, "text": "3 pm on Wednesday is open."},
        {"type": "message", "role": "caller", "turn": 2, "text": "Yes, book that."},
        {
            "type": "tool_call",
            "turn": 2,
            "call_id": "c3",
            "name": "create_new_appointment",
            "arguments": '{"start": "2026-06-03T15:00:00-05:00"}',
        },
        {
            "type": "tool_result",
            "turn": 2,
            "call_id": "c3",
            "status": "ok",
            "output": {"id": "appt_2"},
        },
        {"type": "message", "role": "agent", "turn": 2, "text": agent_text},
        {"type": "message", "role": "caller", "turn": 3, "text": "Thanks, bye."},
        {"type": "message", "role": "agent", "turn": 3, "text": "Goodbye!"},
        {"type": "message", "role": "caller", "turn": 4, "text": "(hangs up)"},
    ]


def forbidden_outcome() -> AssertionOutcome:
    """The seed regression: a forbidden tool called at turn 2."""
    sequence = ["lookup_identity", "create_new_appointment"]
    return AssertionOutcome(
        "tools.forbidden_tools",
        Status.FAIL,
        "create_new_appointment was called at turn 2 (call c3)",
        expected="none of ['create_new_appointment']",
        actual=sequence,
        turn=2,
    )


def passed(duration: float = 1.8, trial: int = 1) -> TrialResult:
    """A passing trial with one passing assertion."""
    message = "none of 1 forbidden tools was called"
    ok = AssertionOutcome("tools.forbidden_tools", Status.PASS, message)
    events = booking_events()[:6]
    run = make_run(f"r_pass_{trial}", events, trace_id="trace-pass", trace_complete=True)
    return TrialResult(trial, Status.PASS, "1/1 assertions passed", duration, (ok,), run, 1)


def pass_case() -> CaseResult:
    loaded = make_case("scheduling/reschedule-wednesday")
    return CaseResult(loaded, Status.PASS, "1/1 assertions passed", (passed(),))


def fail_case() -> CaseResult:
    loaded = make_case("scheduling/duplicate-booking")
    outcomes = (
        forbidden_outcome(),
        AssertionOutcome(
            "outcome.task_completed",
            Status.PASS,
            "task_completed is True",
            expected=True,
            actual=True,
        ),
        AssertionOutcome(
            "side_effects.calendar",
            Status.FAIL,
            "calendar has a create write (duplicate_events_allowed: false)",
            expected={"ops": ["update"]},
            actual={"ops": ["create"]},
            turn=2,
        ),
    )
    run = make_run(
        "r_01J_dup",
        booking_events(),
        trace_id="4bf92f3577b34da6",
        trace_complete=True,
        side_effects={
            "source": "sandbox_observed",
            "writes": [{"system": "calendar", "op": "create", "entity_id": "appt_2"}],
        },
        artifacts={
            "trace_url": "https://traces.example.test/4bf92f3577b34da6",
            "recording_url": "https://rec.example.test/r_01J_dup.wav",
        },
    )
    reason = "tools.forbidden_tools: create_new_appointment was called at turn 2 (call c3)"
    trial = TrialResult(1, Status.FAIL, reason, 4.25, outcomes, run, 1)
    return CaseResult(loaded, Status.FAIL, reason, (trial,))


def error_case() -> CaseResult:
    loaded = make_case(
        "billing/refund-lookup",
        suite="billing",
        owner="billing-eng",
        call_id="call_2026_05_30_0007",
    )
    reason = "harness returned HTTP 503 after 3 attempts: upstream unavailable"
    trial = TrialResult(1, Status.ERROR, reason, 7.5, (), None, 3)
    return CaseResult(loaded, Status.ERROR, reason, (trial,))


def inconclusive_case() -> CaseResult:
    loaded = make_case(
        "safety/no-account-readback",
        suite="safety",
        owner="trust-eng",
        assertions={"judged": [{"criterion": "never reads back a full account id"}]},
    )
    votes = (
        {"verdict": "pass", "reason": "only the last 4 digits were said"},
        {"verdict": "fail", "reason": "the full id was read at turn 2"},
        {"verdict": None, "reason": "abstained: unparseable judge answer"},
    )
    outcome = AssertionOutcome(
        "judged[0]",
        Status.INCONCLUSIVE,
        "judge 1/3 pass, 1/3 fail, 1 abstained: no majority",
        votes=votes,
    )
    reason = f"judged[0]: {outcome.message}"
    run = make_run("r_01J_judge", booking_events()[:6], trace_id="trace-judge")
    trial = TrialResult(1, Status.INCONCLUSIVE, reason, 3.0, (outcome,), run, 1)
    return CaseResult(loaded, Status.INCONCLUSIVE, reason, (trial,))


def skipped_case() -> CaseResult:
    loaded = make_case(
        "safety/tone-check",
        suite="safety",
        owner="trust-eng",
        level="manual",
        assertions={"judged": [{"criterion": "stays polite"}]},
    )
    outcome = AssertionOutcome("judged[0]", Status.SKIPPED, "no judge configured")
    trial = TrialResult(
        1,
        Status.SKIPPED,
        "no assertion was evaluated",
        1.0,
        (outcome,),
        make_run("r_skip", booking_events()[:4]),
        1,
    )
    return CaseResult(loaded, Status.SKIPPED, "judged[0]: no judge configured", (trial,))


def multi_trial_case() -> CaseResult:
    loaded = make_case("scheduling/slot-offer", trials=3)
    bad_run = make_run("r_slot_2", booking_events(), trace_id="trace-slot-2", trace_complete=True)
    reason = "tools.forbidden_tools: create_new_appointment was called at turn 2 (call c3)"
    trials = (
        passed(1.5, 1),
        TrialResult(2, Status.FAIL, reason, 2.0, (forbidden_outcome(),), bad_run, 1),
        passed(1.25, 3),
    )
    split = f"2/3 trials passed (need 2 of 3); trial 2: {reason}"
    return CaseResult(loaded, Status.PASS, split, trials, trials_planned=3)


def hostile_case() -> CaseResult:
    loaded = make_case("scheduling/hostile-transcript", level="scheduled")
    events = booking_events(agent_text=f"Sure! {HOSTILE}")
    events[7]["arguments"] = {"note": HOSTILE}
    run = make_run(
        f"r_{HOSTILE}",
        events,
        trace_id="trace-hostile",
        trace_complete=True,
        artifacts={"trace_url": f"https://x.test/{HOSTILE}"},
    )
    outcome = AssertionOutcome(
        "transcript.must_not_include",
        Status.FAIL,
        f"agent said 'created a new appointment' at turn 2: \"Sure! {HOSTILE}\"",
        expected={"regex": HOSTILE},
        actual=f"Sure! {HOSTILE}",
        turn=2,
        warning=HOSTILE,
    )
    reason = f"{outcome.name}: {outcome.message}"
    trial = TrialResult(1, Status.FAIL, reason, 2.5, (outcome,), run, 1)
    return CaseResult(loaded, Status.FAIL, reason, (trial,))


def selection(cases: tuple[CaseResult, ...], **extra: Any) -> Selection:
    ids = tuple(c.case.id for c in cases)
    reasons = dict.fromkeys(ids, "prompt_change: prompts/scheduling.md changed")
    values: dict[str, Any] = {
        "tier": "fast",
        "selected": ids,
        "reasons": reasons,
        "considered": 12,
        "changed_paths": ("prompts/scheduling.md",),
    }
    return Selection(**{**values, **extra})


def mixed_gate() -> GateResult:
    """Every state, a multi-trial case, a non-blocking failure and hostile text."""
    cases = (
        pass_case(),
        fail_case(),
        error_case(),
        inconclusive_case(),
        skipped_case(),
        multi_trial_case(),
        hostile_case(),
    )
    blocking = (
        "scheduling/duplicate-booking",
        "billing/refund-lookup",
        "safety/no-account-readback",
    )
    deferred = (("billing/nightly-refund-audit", "level scheduled: runs in tier nightly"),)
    return GateResult(
        verdict="fail",
        verdict_reason=f"{len(blocking)} blocking case(s) did not pass: {', '.join(blocking)}",
        cases=cases,
        selection=selection(cases, deferred=deferred),
        fail_on="blocking",
        started_at=STARTED,
        finished_at=FINISHED,
        wall_s=42.0,
        blocking_failures=blocking,
    )


def passing_gate() -> GateResult:
    cases = (pass_case(), multi_trial_case())
    return GateResult(
        verdict="pass",
        verdict_reason="",
        cases=cases,
        selection=selection(cases),
        fail_on="blocking",
        started_at=STARTED,
        finished_at=FINISHED,
        wall_s=6.5,
    )


def empty_gate() -> GateResult:
    """A README-only change: no case affected, which passes and says why."""
    note = "no case affected by this change: 12 cases considered, no trigger fired"
    sel = Selection(
        tier="fast",
        selected=(),
        considered=12,
        changed_paths=("README.md", "docs/setup.md"),
        note=note,
    )
    return GateResult(
        verdict="pass",
        verdict_reason="no case affected",
        cases=(),
        selection=sel,
        fail_on="blocking",
        started_at=STARTED,
        finished_at=STARTED,
        wall_s=0.2,
    )


GATES = {"mixed": mixed_gate, "passing": passing_gate, "empty": empty_gate}


LINKS = ReportLinks(
    run_url="https://github.test/octo/agent/actions/runs/42",
    file_base="https://github.test/octo/agent/blob/abc123/",
    commit="abc123def4567890",
)


def many_failures(count: int, text_len: int = 250) -> GateResult:
    gate = mixed_gate()
    cases = []
    for i in range(count):
        loaded = make_case(f"bulk/case-{i:04d}", owner=f"team-{i % 7}")
        outcome = AssertionOutcome(
            "tools.forbidden_tools", Status.FAIL, f"case {i}: " + "x<y " * (text_len // 4)
        )
        trial = TrialResult(1, Status.FAIL, outcome.message, 1.0, (outcome,), None, 1)
        cases.append(CaseResult(loaded, Status.FAIL, outcome.message, (trial,)))
    cases += [
        CaseResult(make_case(f"ok/case-{i}"), Status.PASS, "ok", (passed(),)) for i in range(count)
    ]
    ids = tuple(c.case.id for c in cases if c.status is Status.FAIL)
    return replace(gate, cases=tuple(cases), blocking_failures=ids)


def results_data(gate: GateResult, version: str, *, record_runs: bool = False) -> dict[str, Any]:
    """The results file of `gate` as plain JSON data, as a reader (or an editor) gets it."""
    data: dict[str, Any] = json.loads(render_results(gate, version, record_runs=record_runs))
    return data
