"""Tool-trace checks: which tools were called, in what order, with what arguments, how often."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gate.evaluate.absence import NO_TRACE, absence_gap
from gate.evaluate.matching import arguments_match, matching_keys
from gate.models import ToolAssertions
from gate.patterns import TextTooLong
from gate.results import AssertionOutcome, HarnessRun, Status
from gate.text import json_compact

Outcomes = Iterator[AssertionOutcome]
ok, fail, error = AssertionOutcome.ok, AssertionOutcome.fail, AssertionOutcome.error


def _subsequence(order: list[str], seq: list[str]) -> list[int] | str:
    """Where each required tool is found in order, or the first one missing."""
    found, position = [], 0
    for wanted in order:
        at = next((i for i in range(position, len(seq)) if seq[i] == wanted), None)
        if at is None:
            return wanted
        found.append(at)
        position = at + 1
    return found


def _contiguous(order: list[str], seq: list[str]) -> bool:
    width = len(order)
    return any(seq[i : i + width] == order for i in range(len(seq) - width + 1))


def _required_order(order: list[str], strict: bool, run: HarnessRun) -> AssertionOutcome:
    name, seq = "tools.required_order", run.tool_sequence
    shown = " → ".join(seq) or "(no tool calls)"
    found = _subsequence(order, seq)
    if isinstance(found, str):
        wanted = found
        earlier = wanted in seq
        if not earlier and not run.trace_is_complete:
            return error(name, f"{wanted} not in the trace; {NO_TRACE}", expected=order, actual=seq)
        what = "was called out of order" if earlier else "was never called"
        return fail(name, f"{wanted} {what}; actual sequence: {shown}", expected=order, actual=seq)
    if strict and not _contiguous(order, seq):
        if not run.trace_is_complete:
            msg = f"the required tools are not adjacent in the trace; {NO_TRACE}"
            return error(name, msg, expected=order, actual=seq)
        calls = run.tool_calls
        extra = next(i for i in range(found[0], found[-1]) if i not in found)
        msg = (
            f"order: strict, but {seq[extra]} was called at {calls[extra].ref} between "
            f"the required tools; actual sequence: {shown}"
        )
        return fail(name, msg, expected=order, actual=seq, turn=calls[extra].turn)
    if strict and (gap := absence_gap(run)):
        # "nothing between them" is an absence: a call the trace lacks could sit there.
        msg = f"the required tools are adjacent in the trace, but {gap}"
        return error(name, msg, expected=order, actual=seq)
    how = "with nothing between them" if strict else "in order"
    return ok(name, f"{len(order)} tools called {how}", expected=order, actual=seq)


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
            return ok(
                name,
                f"{tool} called with the expected arguments at {call.ref}",
                expected=expected,
                actual=call.arguments,
                turn=call.turn,
            )
    if skipped is not None:
        return error(name, f"no {tool} call matched, and one could not be checked: {skipped}")
    if not calls:
        status = Status.FAIL if run.trace_is_complete else Status.ERROR
        tail = "" if run.trace_is_complete else f"; {NO_TRACE}"
        return AssertionOutcome(name, status, f"{tool} was never called{tail}", expected=expected)
    closest = max(calls, key=lambda c: matching_keys(expected, c.arguments))
    msg = (
        f"no {tool} call had {json_compact(expected)}; closest at {closest.ref}: "
        f"{json_compact(closest.arguments)}"
    )
    return fail(name, msg, expected=expected, actual=closest.arguments, turn=closest.turn)


def _forbidden(tools: list[str], run: HarnessRun) -> AssertionOutcome:
    name = "tools.forbidden_tools"
    called = [c for c in run.tool_calls if c.name in tools]
    if called:
        c = called[0]
        return fail(
            name,
            f"{c.name} was called at {c.ref}",
            expected=f"none of {tools}",
            actual=run.tool_sequence,
            turn=c.turn,
        )
    if gap := absence_gap(run):
        return error(name, f"none of {tools} in the trace, but {gap}")
    return ok(name, f"none of {len(tools)} forbidden tools was called")


def _max_calls(tool: str, limit: int, run: HarnessRun) -> AssertionOutcome:
    name = f"tools.max_calls.{tool}"
    calls = [c for c in run.tool_calls if c.name == tool]
    if len(calls) > limit:
        extra = calls[limit]
        times = "once" if len(calls) == 1 else f"{len(calls)} times"
        msg = f"{tool} was called {times} (max {limit}); call {limit + 1} at {extra.ref}"
        return fail(name, msg, expected=limit, actual=len(calls), turn=extra.turn)
    if gap := absence_gap(run):
        return error(name, f"{tool} called {len(calls)} times in the trace, but {gap}")
    return ok(
        name, f"{tool} called {len(calls)} times (max {limit})", expected=limit, actual=len(calls)
    )


def check_tools(spec: ToolAssertions, run: HarnessRun) -> Outcomes:
    """`tools.required_order` (+ `order`), `arguments`, `forbidden_tools`, `max_calls`."""
    if spec.required_order:
        yield _required_order(spec.required_order, spec.order == "strict", run)
    for tool, expected in (spec.arguments or {}).items():
        yield _arguments(tool, expected, run)
    if spec.forbidden_tools:
        yield _forbidden(spec.forbidden_tools, run)
    for tool, limit in (spec.max_calls or {}).items():
        yield _max_calls(tool, limit, run)
