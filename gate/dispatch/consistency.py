"""A consistent RunResult: one run of this case and trial, told in an order that adds up."""

from __future__ import annotations

from collections.abc import Iterator

from gate.results import Event, HarnessRun


def inconsistency(run: HarnessRun, case_id: str, trial: int, max_turns: int | None) -> str | None:
    """The first reason `run` cannot be evidence for trial `trial` of `case_id`, or None.

    Each rule closes a way a broken adapter or a replaying proxy could hand over evidence of some
    other run: the wrong echo, a turn the case cannot have, an order that contradicts its own
    clock, or tool results that belong to no call.
    """
    for problem in (
        _echo(run, case_id, trial),
        _turns(run, max_turns),
        _order(run.events),
        _calls(run),
    ):
        if problem is not None:
            return f"inconsistent RunResult: {problem}"
    return None


def _echo(run: HarnessRun, case_id: str, trial: int) -> str | None:
    if run.case_id is not None and run.case_id != case_id:
        return f"it names case {run.case_id[:200]!r}, this is {case_id!r}"
    if run.trial is not None and run.trial != trial:
        return f"it names trial {run.trial}, this is trial {trial}"
    return None


def _turn_indexes(run: HarnessRun) -> Iterator[tuple[str, int]]:
    for i, event in enumerate(run.events):
        if event.turn is not None:
            yield f"events[{i}]", event.turn
    for i, timing in enumerate(run.turns or []):
        yield f"turns[{i}]", timing.turn


def _turns(run: HarnessRun, max_turns: int | None) -> str | None:
    for where, turn in _turn_indexes(run):
        if turn < 0:
            return f"{where} has turn {turn} (turns count from 0)"
        # Turns are 0-based: a case of max_turns N has turns 0 … N-1.
        if max_turns is not None and turn >= max_turns:
            return f"{where} has turn {turn}, beyond the case's max_turns {max_turns}"
    return None


def _order(events: list[Event]) -> str | None:
    """Array order is the order things happened: neither `turn` nor `t_ms` may go back."""
    last_turn: int | None = None
    last_ms: float | None = None
    for i, event in enumerate(events):
        if event.t_ms is not None and event.t_ms < 0:
            return f"events[{i}] has t_ms {event.t_ms:g} (below 0)"
        if event.turn is not None:
            if last_turn is not None and event.turn < last_turn:
                return f"events[{i}] (turn {event.turn}) comes after turn {last_turn}"
            last_turn = event.turn
        if event.t_ms is not None:
            if last_ms is not None and event.t_ms < last_ms:
                return f"events[{i}] (t_ms {event.t_ms:g}) comes after t_ms {last_ms:g}"
            last_ms = event.t_ms
    return None


def _calls(run: HarnessRun) -> str | None:
    """Call ids are unique; every result answers one earlier call; a complete trace has all
    results (the judge and the evidence reports read them)."""
    open_calls: dict[str, str] = {}
    answered: set[str] = set()
    for i, event in enumerate(run.events):
        where, call_id = f"events[{i}]", event.call_id
        if event.type == "tool_call" and call_id is not None:
            if call_id in open_calls or call_id in answered:
                return f"{where} repeats call_id {call_id!r}"
            open_calls[call_id] = event.name or "?"
        elif event.type == "tool_result":
            if call_id is None:
                return f"{where} is a tool_result without a call_id"
            if call_id in answered:
                return f"{where} is a second result for call_id {call_id!r}"
            if open_calls.pop(call_id, None) is None:
                return f"{where} answers call_id {call_id!r}, which no earlier call has"
            answered.add(call_id)
    if open_calls and run.status == "completed" and run.trace_complete:
        call_id, name = next(iter(open_calls.items()))
        return f"the trace is complete, yet call {call_id!r} ({name}) has no tool_result"
    return None
