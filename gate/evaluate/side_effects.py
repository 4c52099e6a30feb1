"""Side-effect assertions: the backend writes a run observed decide, not what the agent said."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gate.evaluate.absence import absence_gap
from gate.models import SystemSideEffects
from gate.results import AssertionOutcome, HarnessRun, SideEffects, Status, Write

WEAK = "side effects are only agent_reported (weaker evidence than sandbox_observed)"
SOURCES = ("sandbox_observed", "agent_reported")


def _describe(writes: list[Write]) -> str:
    if not writes:
        return "no writes"
    return ", ".join(f"{w.op} {w.entity_id or '?'}→{w.status or '?'}" for w in writes)


def _outcome(
    name: str,
    failed: str | None,
    ok: str,
    weak: bool,
    expected: Any = None,
    actual: Any = None,
    gap: str | None = None,
) -> AssertionOutcome:
    """FAIL on `failed`; else ERROR when the run cannot prove an absence (`gap`); else PASS."""
    if failed:
        return AssertionOutcome(name, Status.FAIL, failed, expected=expected, actual=actual)
    if gap:
        return AssertionOutcome(name, Status.ERROR, f"{ok} observed, but {gap}", expected, actual)
    warning = WEAK if weak else None
    return AssertionOutcome(name, Status.PASS, ok, expected, actual, warning=warning)


def _entity_checks(
    system: str, spec: SystemSideEffects, writes: list[Write], weak: bool, gap: str | None
) -> Iterator[AssertionOutcome]:
    """The seed form: `<name>_id`, `expected_status`, `duplicate_events_allowed`."""
    entities = list(spec.entity_ids.values())
    if spec.expected_status is not None:
        name = f"side_effects.{system}.expected_status"
        targets = [w for w in writes if not entities or w.entity_id in entities]
        last = targets[-1] if targets else None
        where = f" to {', '.join(entities)}" if entities else ""
        if last is None:
            failed: str | None = f"no {system} write{where}; observed: {_describe(writes)}"
        elif last.status != spec.expected_status:
            failed = (
                f"last {system} write{where} has status {last.status!r}, "
                f"expected {spec.expected_status!r}"
            )
        else:
            failed = None
        yield _outcome(
            name,
            failed,
            f"{system}{where} ends {spec.expected_status}",
            weak,
            expected=spec.expected_status,
            actual=last.status if last else None,
        )
    if spec.duplicate_events_allowed is False:
        name = f"side_effects.{system}.duplicate_events_allowed"
        creates = [w for w in writes if w.op == "create"]
        repeated = [e for e in entities if sum(w.entity_id == e for w in writes) > 1]
        failed = None
        if creates:
            failed = f"{system} has a create write ({creates[0].entity_id}): a duplicate event"
        elif repeated:
            failed = f"{system} entity {repeated[0]} written more than once: {_describe(writes)}"
        ok = f"no duplicate {system} events"
        yield _outcome(name, failed, ok, weak, actual=_describe(writes), gap=gap)


def _limit_checks(
    system: str, spec: SystemSideEffects, writes: list[Write], weak: bool, gap: str | None
) -> Iterator[AssertionOutcome]:
    """The generic keys: `forbidden_ops`, `max_writes`."""
    if spec.forbidden_ops:
        name = f"side_effects.{system}.forbidden_ops"
        bad = next((w for w in writes if w.op in spec.forbidden_ops), None)
        failed = f"{system} saw a forbidden {bad.op} on {bad.entity_id}" if bad else None
        yield _outcome(
            name,
            failed,
            f"no {'/'.join(spec.forbidden_ops)} in {system}",
            weak,
            expected=spec.forbidden_ops,
            actual=_describe(writes),
            gap=gap,
        )
    if spec.max_writes is not None:
        name = f"side_effects.{system}.max_writes"
        failed = None
        if len(writes) > spec.max_writes:
            seen = _describe(writes)
            failed = f"{system} saw {len(writes)} writes (max {spec.max_writes}): {seen}"
        yield _outcome(
            name,
            failed,
            f"{len(writes)} {system} write(s)",
            weak,
            expected=spec.max_writes,
            actual=len(writes),
            gap=gap,
        )


def _no_evidence(effects: SideEffects | None) -> str | None:
    """Why the run's side effects are no evidence at all, or None when they are."""
    if effects is None:
        return "the run reports no side effects"
    if effects.source not in SOURCES:
        # Writes nobody vouches for (often an empty placeholder) prove no absence of writes.
        return (
            f"the run's side effects have source {effects.source!r}, not one of "
            f"{', '.join(SOURCES)}"
        )
    return None


def check_side_effects(
    spec: dict[str, SystemSideEffects], run: HarnessRun
) -> Iterator[AssertionOutcome]:
    """Every per-system side-effect check; no side-effect data at all is an error, not a pass."""
    problem = _no_evidence(run.side_effects)
    if problem is not None or run.side_effects is None:
        for system in spec:
            yield AssertionOutcome(f"side_effects.{system}", Status.ERROR, str(problem))
        return
    weak = run.side_effects.source != "sandbox_observed"
    # The write record vouches for itself (source); the run still has to have reached the agent.
    gap = absence_gap(run, trace=False)
    for system, checks in spec.items():
        writes = [w for w in run.side_effects.writes if w.system == system]
        yield from _entity_checks(system, checks, writes, weak, gap)
        yield from _limit_checks(system, checks, writes, weak, gap)
