"""Deterministic assertion checks: pure functions from (case assertions, run) to outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gate.evaluate.absence import NO_TRACE, absence_gap
from gate.evaluate.matching import (
    arguments_match,
    describe_item,
    first_match,
    matching_keys,
    nearest_rank,
    phrase_item,
)
from gate.models import (
    HandoffAssertions,
    LatencyAssertions,
    OutcomeAssertions,
    TextItem,
    ToolAssertions,
    TranscriptAssertions,
)
from gate.patterns import TextTooLong
from gate.results import AssertionOutcome, Event, HarnessRun, Status
from gate.text import json_compact

Outcomes = Iterator[AssertionOutcome]


def _ok(name: str, message: str, **kw: Any) -> AssertionOutcome:
    return AssertionOutcome(name, Status.PASS, message, **kw)


def _fail(name: str, message: str, **kw: Any) -> AssertionOutcome:
    return AssertionOutcome(name, Status.FAIL, message, **kw)


def _error(name: str, message: str, **kw: Any) -> AssertionOutcome:
    return AssertionOutcome(name, Status.ERROR, message, **kw)


def _call_ref(call: Event) -> str:
    return f"turn {call.turn} (call {call.call_id})" if call.call_id else f"turn {call.turn}"


def _sequence(run: HarnessRun) -> list[str]:
    return [c.name or "?" for c in run.tool_calls]


def check_outcome(spec: OutcomeAssertions, run: HarnessRun, allowed: list[str]) -> Outcomes:
    """`outcome.task_completed` and `outcome.no_unplanned_handoff`."""
    if spec.task_completed is not None:
        name = "outcome.task_completed"
        actual, want = (run.outcome or {}).get("task_completed"), spec.task_completed
        if not isinstance(actual, bool):
            yield _error(name, "the run reports no outcome.task_completed", expected=want)
        elif actual == want:
            yield _ok(
                name, f"task_completed is {json_compact(actual)}", expected=want, actual=actual
            )
        else:
            # YAML/JSON spelling (true/false): that is what the case file and the run say.
            msg = (
                f"expected task_completed {json_compact(want)}, the run reports "
                f"{json_compact(actual)}"
            )
            yield _fail(name, msg, expected=spec.task_completed, actual=actual)
    if spec.no_unplanned_handoff:
        name = "outcome.no_unplanned_handoff"
        handoffs = [e for e in run.events if e.type == "handoff"]
        unplanned = [e for e in handoffs if e.to not in allowed]
        if unplanned:
            h = unplanned[0]
            msg = f"unplanned handoff to {h.to!r} at turn {h.turn} (allowed: {allowed or 'none'})"
            yield _fail(name, msg, expected=allowed, actual=h.to, turn=h.turn)
        elif gap := absence_gap(run):
            yield _error(name, f"{len(handoffs)} handoff(s) in the trace, but {gap}")
        else:
            yield _ok(name, f"{len(handoffs)} handoff(s), none unplanned")


def _required_order(order: list[str], run: HarnessRun) -> AssertionOutcome:
    name, seq = "tools.required_order", _sequence(run)
    position = 0
    for wanted in order:
        found = next((i for i in range(position, len(seq)) if seq[i] == wanted), None)
        if found is None:
            earlier = wanted in seq[:position]
            if not earlier and not run.trace_is_complete:
                msg = f"{wanted} not in the trace; {NO_TRACE}"
                return _error(name, msg, expected=order, actual=seq)
            what = "was called out of order" if earlier else "was never called"
            msg = f"{wanted} {what}; actual sequence: {' → '.join(seq) or '(no tool calls)'}"
            return _fail(name, msg, expected=order, actual=seq)
        position = found + 1
    return _ok(name, f"{len(order)} tools called in order", expected=order, actual=seq)


def _arguments(tool: str, expected: dict[str, Any], run: HarnessRun) -> AssertionOutcome:
    name = f"tools.arguments.{tool}"
    calls = [c for c in run.tool_calls if c.name == tool]
    skipped: TextTooLong | None = None
    for call in calls:
        try:
            matched = arguments_match(expected, call.arguments)
        except TextTooLong as exc:  # this call proves nothing either way
            skipped, matched = exc, False
        if matched:
            return _ok(
                name,
                f"{tool} called with the expected arguments at {_call_ref(call)}",
                expected=expected,
                actual=call.arguments,
                turn=call.turn,
            )
    if skipped is not None:
        return _error(name, f"no {tool} call matched, and one could not be checked: {skipped}")
    if not calls:
        status = Status.FAIL if run.trace_is_complete else Status.ERROR
        tail = "" if run.trace_is_complete else f"; {NO_TRACE}"
        return AssertionOutcome(name, status, f"{tool} was never called{tail}", expected=expected)
    closest = max(calls, key=lambda c: matching_keys(expected, c.arguments))
    msg = (
        f"no {tool} call had {json_compact(expected)}; closest at {_call_ref(closest)}: "
        f"{json_compact(closest.arguments)}"
    )
    return _fail(name, msg, expected=expected, actual=closest.arguments, turn=closest.turn)


def _forbidden(tools: list[str], run: HarnessRun) -> AssertionOutcome:
    name = "tools.forbidden_tools"
    called = [c for c in run.tool_calls if c.name in tools]
    if called:
        c = called[0]
        return _fail(
            name,
            f"{c.name} was called at {_call_ref(c)}",
            expected=f"none of {tools}",
            actual=_sequence(run),
            turn=c.turn,
        )
    if gap := absence_gap(run):
        return _error(name, f"none of {tools} in the trace, but {gap}")
    return _ok(name, f"none of {len(tools)} forbidden tools was called")


def _max_calls(tool: str, limit: int, run: HarnessRun) -> AssertionOutcome:
    name = f"tools.max_calls.{tool}"
    calls = [c for c in run.tool_calls if c.name == tool]
    if len(calls) > limit:
        extra = calls[limit]
        times = "once" if len(calls) == 1 else f"{len(calls)} times"
        msg = f"{tool} was called {times} (max {limit}); call {limit + 1} at {_call_ref(extra)}"
        return _fail(name, msg, expected=limit, actual=len(calls), turn=extra.turn)
    if gap := absence_gap(run):
        return _error(name, f"{tool} called {len(calls)} times in the trace, but {gap}")
    return _ok(
        name, f"{tool} called {len(calls)} times (max {limit})", expected=limit, actual=len(calls)
    )


def check_tools(spec: ToolAssertions, run: HarnessRun) -> Outcomes:
    """`tools.required_order`, `arguments`, `forbidden_tools`, `max_calls`."""
    if spec.required_order:
        yield _required_order(spec.required_order, run)
    for tool, expected in (spec.arguments or {}).items():
        yield _arguments(tool, expected, run)
    if spec.forbidden_tools:
        yield _forbidden(spec.forbidden_tools, run)
    for tool, limit in (spec.max_calls or {}).items():
        yield _max_calls(tool, limit, run)


def _utterance(e: Event) -> str:
    return f"turn {e.turn}: {(e.text or '')[:160]!r}"


def _first_said(item: TextItem, said: list[Event]) -> Event | None:
    """The first utterance `item` matches (see `first_match`; may raise TextTooLong)."""
    index = first_match(item, [e.text or "" for e in said])
    return None if index is None else said[index]


def _includes(
    name: str, items: list[TextItem], said: list[Event], want: bool, gap: str | None = None
) -> Outcomes:
    """`gap`: why the run cannot prove a phrase was never said (see absence_gap)."""
    for i, item in enumerate(items):
        label = f"{name}[{i}]"
        try:
            hit = _first_said(item, said)
        except TextTooLong as exc:
            yield _error(label, f"{describe_item(item)} not found, but {exc}")
            continue
        if want and hit is None:
            yield _fail(label, f"the agent never said {describe_item(item)}", expected=str(item))
        elif want and hit is not None:
            yield _ok(label, f"said {describe_item(item)} at turn {hit.turn}", turn=hit.turn)
        elif hit is not None:
            yield _fail(
                label,
                f"the agent said {describe_item(item)} at {_utterance(hit)}",
                expected=f"not {describe_item(item)}",
                actual=hit.text,
                turn=hit.turn,
            )
        elif gap:
            yield _error(label, f"{describe_item(item)} not in the transcript, but {gap}")
        else:
            yield _ok(label, f"never said {describe_item(item)}")


def _within_turns(phrases: dict[str, int], said: list[Event]) -> Outcomes:
    for key, limit in phrases.items():
        name, item = f"transcript.within_turns[{key!r}]", phrase_item(key)
        # Turn numbers are the harness's 0-based conversation turns: "by turn 3" means turns 0-2.
        early = [e for n, e in enumerate(said) if (e.turn if e.turn is not None else n) < limit]
        try:
            hit = _first_said(item, early)
        except TextTooLong as exc:
            yield _error(name, f"{describe_item(item)} not found within {limit} turns, but {exc}")
            continue
        if hit is not None:
            yield _ok(name, f"said {describe_item(item)} at turn {hit.turn}", turn=hit.turn)
            continue
        try:
            late = _first_said(item, said)
            when = f"only at turn {late.turn}" if late else "never"
        except TextTooLong:  # the failure stands; only its "said later" detail is unknown
            late, when = None, "not in time (a later utterance was too long to search)"
        yield _fail(
            name,
            f"expected {describe_item(item)} within {limit} turns; said {when}",
            expected=limit,
            actual=late.turn if late else None,
        )


def check_transcript(spec: TranscriptAssertions, run: HarnessRun) -> Outcomes:
    """`transcript.must_include`, `must_not_include`, `within_turns` over agent utterances."""
    said = run.agent_messages
    if not said:
        yield _error("transcript", "the run has no agent utterances to check")
        return
    yield from _includes("transcript.must_include", spec.must_include or [], said, want=True)
    forbidden = spec.must_not_include or []
    gap = absence_gap(run, trace=False)
    yield from _includes("transcript.must_not_include", forbidden, said, False, gap)
    yield from _within_turns(spec.within_turns or {}, said)


def check_latency(spec: LatencyAssertions, run: HarnessRun) -> Outcomes:
    """`latency.p95_turn_ms`, `max_turn_ms`; missing latency data is an error, never a pass."""
    timed = [(t.turn, t.latency_ms) for t in run.turns or [] if t.latency_ms is not None]
    values = [ms for _, ms in timed]
    for field, limit in (("p95_turn_ms", spec.p95_turn_ms), ("max_turn_ms", spec.max_turn_ms)):
        if limit is None:
            continue
        name = f"latency.{field}"
        if not values:
            yield _error(name, "the run reports no per-turn latency", expected=limit)
            continue
        actual = nearest_rank(values, 95) if field == "p95_turn_ms" else max(values)
        worst_turn = max(timed, key=lambda t: t[1])[0]
        if actual > limit:
            msg = f"{field} {actual:.0f} ms > {limit:.0f} ms (slowest: turn {worst_turn})"
            yield _fail(name, msg, expected=limit, actual=actual, turn=worst_turn)
        else:
            msg = f"{field} {actual:.0f} ms ≤ {limit:.0f} ms"
            yield _ok(name, msg, expected=limit, actual=actual)


def check_handoff(spec: HandoffAssertions, run: HarnessRun) -> Outcomes:
    """`handoff.expected_to`, `allowed_to`, `summary_must_include`."""
    handoffs = [e for e in run.events if e.type == "handoff"]
    if spec.allowed_to is not None:
        bad = next((h for h in handoffs if h.to not in spec.allowed_to), None)
        if bad is not None:
            yield _fail(
                "handoff.allowed_to",
                f"handed off to {bad.to!r} at turn {bad.turn}",
                expected=spec.allowed_to,
                actual=bad.to,
                turn=bad.turn,
            )
        elif gap := absence_gap(run):
            # A handoff is usually a tool call (transfer_to_human): an incomplete trace may miss it.
            yield _error(
                "handoff.allowed_to", f"{len(handoffs)} handoff(s) in the trace, but {gap}"
            )
        else:
            yield _ok("handoff.allowed_to", f"{len(handoffs)} handoff(s), all allowed")
    if spec.expected_to is None and not spec.summary_must_include:
        return
    target = next((h for h in handoffs if spec.expected_to in (None, h.to)), None)
    if target is None:
        name, want = "handoff.expected_to", spec.expected_to or "any destination"
        if not run.trace_is_complete:
            yield _error(name, f"no handoff to {want} in the trace; {NO_TRACE}")
        else:
            yield _fail(
                name,
                f"no handoff to {want}; handoffs: {[h.to for h in handoffs]}",
                expected=spec.expected_to,
                actual=[h.to for h in handoffs],
            )
        return
    if spec.expected_to:
        yield _ok("handoff.expected_to", f"handed off to {target.to} at turn {target.turn}")
    for i, item in enumerate(spec.summary_must_include or []):
        name = f"handoff.summary_must_include[{i}]"
        try:
            found = first_match(item, [target.summary or ""]) is not None
        except TextTooLong as exc:
            yield _error(name, f"{describe_item(item)} not found, but {exc}", turn=target.turn)
            continue
        if found:
            yield _ok(name, f"handoff summary mentions {describe_item(item)}")
        else:
            yield _fail(
                name,
                f"handoff summary lacks {describe_item(item)}: {target.summary!r}",
                expected=str(item),
                actual=target.summary,
                turn=target.turn,
            )
