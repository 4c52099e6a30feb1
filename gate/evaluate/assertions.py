"""Deterministic assertion checks: pure functions from (case assertions, run) to outcomes."""

from __future__ import annotations

from collections.abc import Iterator

from gate.evaluate.absence import NO_TRACE, absence_gap
from gate.evaluate.matching import describe_item, first_match, nearest_rank
from gate.models import HandoffAssertions, LatencyAssertions, OutcomeAssertions
from gate.patterns import TextTooLong
from gate.results import AssertionOutcome, HarnessRun
from gate.text import json_compact

Outcomes = Iterator[AssertionOutcome]
ok, fail, error = AssertionOutcome.ok, AssertionOutcome.fail, AssertionOutcome.error


def _intent(want: str, run: HarnessRun) -> AssertionOutcome:
    name, actual = "outcome.intent", (run.outcome or {}).get("intent")
    if not isinstance(actual, str) or not actual:
        return error(name, "the run reports no outcome.intent", expected=want, actual=actual)
    if actual != want:
        said = next((e for e in run.events if e.type == "message" and e.role == "caller"), None)
        heard = f" (caller at turn {said.turn}: {(said.text or '')[:80]!r})" if said else ""
        msg = f"expected intent {want!r}, the agent recognised {actual!r}{heard}"
        return fail(name, msg, expected=want, actual=actual, turn=said.turn if said else None)
    return ok(name, f"the agent recognised intent {actual!r}", expected=want, actual=actual)


def check_outcome(spec: OutcomeAssertions, run: HarnessRun, allowed: list[str]) -> Outcomes:
    """`outcome.task_completed`, `outcome.no_unplanned_handoff` and `outcome.intent`."""
    if spec.intent is not None:
        yield _intent(spec.intent, run)
    if spec.task_completed is not None:
        name = "outcome.task_completed"
        actual, want = (run.outcome or {}).get("task_completed"), spec.task_completed
        if not isinstance(actual, bool):
            yield error(name, "the run reports no outcome.task_completed", expected=want)
        elif actual == want:
            yield ok(
                name, f"task_completed is {json_compact(actual)}", expected=want, actual=actual
            )
        else:
            # YAML/JSON spelling (true/false): that is what the case file and the run say.
            msg = (
                f"expected task_completed {json_compact(want)}, the run reports "
                f"{json_compact(actual)}"
            )
            yield fail(name, msg, expected=spec.task_completed, actual=actual)
    if spec.no_unplanned_handoff:
        name = "outcome.no_unplanned_handoff"
        handoffs = [e for e in run.events if e.type == "handoff"]
        unplanned = [e for e in handoffs if e.to not in allowed]
        if unplanned:
            h = unplanned[0]
            msg = f"unplanned handoff to {h.to!r} at turn {h.turn} (allowed: {allowed or 'none'})"
            yield fail(name, msg, expected=allowed, actual=h.to, turn=h.turn)
        elif gap := absence_gap(run):
            yield error(name, f"{len(handoffs)} handoff(s) in the trace, but {gap}")
        else:
            yield ok(name, f"{len(handoffs)} handoff(s), none unplanned")


def check_latency(spec: LatencyAssertions, run: HarnessRun) -> Outcomes:
    """`latency.p95_turn_ms`, `max_turn_ms`, `max_first_word_ms`; missing latency data is an
    error, never a pass."""
    timed = [(t.turn, t.latency_ms) for t in run.turns or [] if t.latency_ms is not None]
    values = [ms for _, ms in timed]
    for field, limit in (("p95_turn_ms", spec.p95_turn_ms), ("max_turn_ms", spec.max_turn_ms)):
        if limit is None:
            continue
        name = f"latency.{field}"
        if not values:
            yield error(name, "the run reports no per-turn latency", expected=limit)
            continue
        actual = nearest_rank(values, 95) if field == "p95_turn_ms" else max(values)
        worst_turn = max(timed, key=lambda t: t[1])[0]
        if actual > limit:
            msg = f"{field} {actual:.0f} ms > {limit:.0f} ms (slowest: turn {worst_turn})"
            yield fail(name, msg, expected=limit, actual=actual, turn=worst_turn)
        else:
            msg = f"{field} {actual:.0f} ms ≤ {limit:.0f} ms"
            yield ok(name, msg, expected=limit, actual=actual)
    if spec.max_first_word_ms is not None:
        yield _first_word(spec.max_first_word_ms, run)
    # trials_p95_turn_ms is over all trials at once: gate.evaluate.pooled


def _first_word(limit: float, run: HarnessRun) -> AssertionOutcome:
    """Every agent turn's time to first word is within `limit`; a turn without one is `error`."""
    name, turns = "latency.max_first_word_ms", run.turns or []
    if not turns:
        return error(name, "the run reports no per-turn timings", expected=limit)
    timed = [t for t in turns if t.first_word_ms is not None]
    late = max(timed, key=lambda t: t.first_word_ms or 0.0, default=None)
    if late is not None and (late.first_word_ms or 0.0) > limit:
        actual = late.first_word_ms or 0.0
        msg = f"turn {late.turn}: first word after {actual:.0f} ms > {limit:.0f} ms"
        return fail(name, msg, expected=limit, actual=actual, turn=late.turn)
    untimed = next((t for t in turns if t.first_word_ms is None), None)
    if untimed is not None:
        msg = f"the harness reports no first_word_ms for turn {untimed.turn}"
        return error(name, msg, expected=limit, turn=untimed.turn)
    slowest = late.first_word_ms if late else 0.0
    msg = f"first word within {slowest:.0f} ms ≤ {limit:.0f} ms on all {len(turns)} turns"
    return ok(name, msg, expected=limit, actual=slowest)


def check_handoff(spec: HandoffAssertions, run: HarnessRun) -> Outcomes:
    """`handoff.expected_to`, `allowed_to`, `summary_must_include`."""
    handoffs = [e for e in run.events if e.type == "handoff"]
    if spec.allowed_to is not None:
        bad = next((h for h in handoffs if h.to not in spec.allowed_to), None)
        if bad is not None:
            yield fail(
                "handoff.allowed_to",
                f"handed off to {bad.to!r} at turn {bad.turn}",
                expected=spec.allowed_to,
                actual=bad.to,
                turn=bad.turn,
            )
        elif gap := absence_gap(run):
            # A handoff is usually a tool call (transfer_to_human): an incomplete trace may miss it.
            yield error("handoff.allowed_to", f"{len(handoffs)} handoff(s) in the trace, but {gap}")
        else:
            yield ok("handoff.allowed_to", f"{len(handoffs)} handoff(s), all allowed")
    if spec.expected_to is None and not spec.summary_must_include:
        return
    target = next((h for h in handoffs if spec.expected_to in (None, h.to)), None)
    if target is None:
        name, want = "handoff.expected_to", spec.expected_to or "any destination"
        if not run.trace_is_complete:
            yield error(name, f"no handoff to {want} in the trace; {NO_TRACE}")
        else:
            yield fail(
                name,
                f"no handoff to {want}; handoffs: {[h.to for h in handoffs]}",
                expected=spec.expected_to,
                actual=[h.to for h in handoffs],
            )
        return
    if spec.expected_to:
        yield ok("handoff.expected_to", f"handed off to {target.to} at turn {target.turn}")
    for i, item in enumerate(spec.summary_must_include or []):
        name = f"handoff.summary_must_include[{i}]"
        try:
            found = first_match(item, [target.summary or ""]) is not None
        except TextTooLong as exc:
            yield error(name, f"{describe_item(item)} not found, but {exc}", turn=target.turn)
            continue
        if found:
            yield ok(name, f"handoff summary mentions {describe_item(item)}")
        else:
            yield fail(
                name,
                f"handoff summary lacks {describe_item(item)}: {target.summary!r}",
                expected=str(item),
                actual=target.summary,
                turn=target.turn,
            )
