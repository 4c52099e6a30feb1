"""Checks over every call of a tool: its results (`results`, `no_errors`) and `preconditions`."""

from __future__ import annotations

from collections.abc import Iterator

from gate.evaluate.absence import NO_TRACE, absence_gap
from gate.evaluate.matching import matching_keys, value_matches
from gate.models import ToolAssertions, ToolPrecondition, ToolResultSpec
from gate.results import AssertionOutcome, Event, HarnessRun
from gate.text import json_compact

OK = "ok"

Outcomes = Iterator[AssertionOutcome]
ok, fail, error = AssertionOutcome.ok, AssertionOutcome.fail, AssertionOutcome.error


def _results(run: HarnessRun) -> dict[str, Event]:
    """call_id -> its tool_result (the consistency check allows at most one per call)."""
    return {e.call_id: e for e in run.events if e.type == "tool_result" and e.call_id}


def _result_of(call: Event, results: dict[str, Event]) -> Event | None:
    return results.get(call.call_id) if call.call_id else None


def _result_problem(spec: ToolResultSpec, result: Event) -> str | None:
    if spec.status is not None and result.status != spec.status:
        return f"status {result.status!r}, expected {spec.status!r}"
    if spec.output is not None and not value_matches(spec.output, result.output):
        return f"output {json_compact(result.output)}, expected {json_compact(spec.output)}"
    return None


def _tool_result(tool: str, spec: ToolResultSpec, run: HarnessRun) -> AssertionOutcome:
    name, results = f"tools.results.{tool}", _results(run)
    calls = [c for c in run.tool_calls if c.name == tool]
    want = spec.model_dump(exclude_none=True)
    if not calls:
        if not run.trace_is_complete:
            return error(name, f"{tool} was never called; {NO_TRACE}", expected=want)
        return fail(name, f"{tool} was never called, so no result is {json_compact(want)}")
    unlinked = None
    for call in calls:
        result = _result_of(call, results)
        if result is None:
            unlinked = unlinked or call
            continue
        problem = _result_problem(spec, result)
        if problem is not None:
            msg = f"{tool} at {call.ref} returned {problem}"
            actual = {"status": result.status, "output": result.output}
            return fail(name, msg, expected=want, actual=actual, turn=call.turn)
    if unlinked is not None:
        msg = f"{tool} at {unlinked.ref} has no tool_result in the run"
        return error(name, msg, expected=want, turn=unlinked.turn)
    if gap := absence_gap(run):
        # "every call" is also "no other call": a call the trace lacks could be a bad one.
        return error(name, f"all {len(calls)} {tool} call(s) in the trace match, but {gap}")
    return ok(name, f"all {len(calls)} {tool} call(s) returned {json_compact(want)}")


def _no_errors(tools: list[str] | None, run: HarnessRun) -> AssertionOutcome:
    name, results = "tools.no_errors", _results(run)
    scope = [c for c in run.tool_calls if tools is None or c.name in tools]
    unknown = None
    for call in scope:
        result = _result_of(call, results)
        if result is None or result.status is None:
            unknown = unknown or call
        elif result.status != OK:
            detail = f": {json_compact(result.output)}" if result.output is not None else ""
            msg = f"{call.name} at {call.ref} returned status {result.status!r}{detail}"
            return fail(name, msg, expected=OK, actual=result.status, turn=call.turn)
    if unknown is not None:
        msg = f"{unknown.name} at {unknown.ref} has no tool_result status in the run"
        return error(name, msg, expected=OK, turn=unknown.turn)
    if gap := absence_gap(run):
        return error(name, f"{len(scope)} tool result(s) ok in the trace, but {gap}")
    return ok(name, f"{len(scope)} tool result(s), all ok")


def _missing_before(
    call: Event, index: int, required: str, run: HarnessRun, results: dict[str, Event]
) -> tuple[str, bool] | None:
    """Why `call` lacks an earlier successful `required` call (message, is-evidence-missing)."""
    earlier = [c for c in run.tool_calls[:index] if c.name == required]
    statuses = [getattr(_result_of(c, results), "status", None) for c in earlier]
    if OK in statuses:
        return None
    if not earlier:
        missing = not run.trace_is_complete
        tail = f"; {NO_TRACE}" if missing else ""
        return f"came before any {required} call{tail}", missing
    if None in statuses:
        return f"follows {required} calls whose results the run does not report", True
    return f"follows {required} only with status {statuses[-1]!r}, never ok", False


def _precondition(tool: str, spec: ToolPrecondition, run: HarnessRun) -> AssertionOutcome:
    name, results = f"tools.preconditions.{tool}", _results(run)
    calls = [(i, c) for i, c in enumerate(run.tool_calls) if c.name == tool]
    unproven: tuple[Event, str] | None = None
    for index, call in calls:
        for required in spec.after or []:
            why = _missing_before(call, index, required, run, results)
            if why is not None and not why[1]:
                msg = f"{tool} at {call.ref} {why[0]}"
                return fail(name, msg, expected=spec.after, turn=call.turn)
            if why is not None and unproven is None:
                unproven = (call, why[0])
        want = spec.arguments or {}
        if want and matching_keys(want, call.arguments) != len(want):
            msg = (
                f"{tool} at {call.ref} had {json_compact(call.arguments)}, "
                f"expected every call to carry {json_compact(want)}"
            )
            return fail(name, msg, expected=want, actual=call.arguments, turn=call.turn)
    if unproven is not None:
        return error(name, f"{tool} at {unproven[0].ref} {unproven[1]}", turn=unproven[0].turn)
    if gap := absence_gap(run):
        return error(name, f"{len(calls)} {tool} call(s) in the trace hold, but {gap}")
    return ok(name, f"{len(calls)} {tool} call(s), each with its preconditions")


def check_tool_results(spec: ToolAssertions, run: HarnessRun) -> Outcomes:
    """`tools.results`, `tools.no_errors`, `tools.preconditions`: every call, not any one."""
    for tool, result_spec in (spec.results or {}).items():
        yield _tool_result(tool, result_spec, run)
    if spec.no_errors:
        yield _no_errors(None if spec.no_errors is True else spec.no_errors, run)
    for tool, precondition in (spec.preconditions or {}).items():
        yield _precondition(tool, precondition, run)
