"""`run --baseline`: label each case against the base branch's last results, say what changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from gate.errors import InputError
from gate.records.record import read_record
from gate.records.results_reader import case_results
from gate.results import BaselineReport, CaseResult, HarnessRun, Status
from gate.text import compact, one_line

CHANGES_PER_CASE = 8  # a rewritten flow is summed up, not listed call by call


def read_baseline(path: str) -> tuple[list[CaseResult], str | None]:
    """The base run's cases, or none and why the file cannot serve as a baseline."""
    try:
        record = read_record(path)
        if record.abort_reason:
            # Every case of an aborted run is `error`: it would make each failure look old.
            raise InputError(f"{path}: the base run was aborted ({one_line(record.abort_reason)})")
        return case_results(record, path), None
    except InputError as exc:
        return [], f"baseline unusable: {one_line(str(exc), 400)}"


def baseline_report(
    path: str | None, cases: Sequence[CaseResult], fail_on: str
) -> BaselineReport | None:
    """Each case labelled against the baseline at `path`; None when there is none to compare
    with and `--fail-on new` did not ask for one (then the warning says so)."""
    if path is None:
        if fail_on != "new":
            return None
        return BaselineReport("", warning="--fail-on new needs --baseline RESULTS")
    base, warning = read_baseline(path)
    if warning:
        return BaselineReport(path, warning=warning)
    by_id = {c.case.id: c for c in base}
    labels = {c.case.id: baseline_label(c, by_id.get(c.case.id)) for c in cases}
    changes = {
        c.case.id: found
        for c in cases
        if c.case.id in by_id and (found := run_changes(c, by_id[c.case.id]))
    }
    return BaselineReport(path, labels, changes)


def baseline_label(now: CaseResult, base: CaseResult | None) -> str:
    """`added`, `flaky-on-base`, `unchanged`, `new`, `pre-existing` or `fixed` (issue 10)."""
    if base is None:
        return "added"
    if len({t.status for t in base.trials}) > 1:
        return "flaky-on-base"
    passes_now, passed = now.status is Status.PASS, base.status is Status.PASS
    if passed:
        return "unchanged" if passes_now else "new"
    return "fixed" if passes_now else "pre-existing"


def _sample_run(result: CaseResult) -> HarnessRun | None:
    """The run that explains the case: a trial in its state first; only a recorded one."""
    trials = sorted(result.trials, key=lambda t: t.status is not result.status)
    # A run rebuilt from ids alone (a shard's passing trial) has no protocol: nothing recorded.
    return next((t.run for t in trials if t.run is not None and t.run.protocol), None)


def run_changes(now: CaseResult, base: CaseResult) -> tuple[str, ...]:
    """What the head run did differently from the base run, where both were recorded."""
    head, old = _sample_run(now), _sample_run(base)
    if head is None or old is None:
        return ()
    found = [*_tool_changes(head, old), *_argument_changes(head, old)]
    found += _side_effect_changes(head, old)
    found += _latency_change(head, old)
    if len(found) > CHANGES_PER_CASE:
        found = [*found[:CHANGES_PER_CASE], f"… and {len(found) - CHANGES_PER_CASE} more"]
    return tuple(found)


def _tool_changes(head: HarnessRun, old: HarnessRun) -> list[str]:
    now = Counter(e.name for e in head.tool_calls)
    was = Counter(e.name for e in old.tool_calls)
    found = []
    for name in dict.fromkeys([*was, *now]):
        shown = one_line(name, 80)
        if not was[name]:
            found.append(f"tool {shown} appeared")
        elif not now[name]:
            found.append(f"tool {shown} disappeared")
        elif now[name] != was[name]:
            found.append(f"tool {shown} called {now[name]}× (base {was[name]}×)")
    return found


def _argument_changes(head: HarnessRun, old: HarnessRun) -> list[str]:
    """Argument values of the first call of each tool both runs made."""
    was: dict[str | None, Any] = {}
    for event in old.tool_calls:
        was.setdefault(event.name, event.arguments)
    found: list[str] = []
    seen: set[str | None] = set()
    for event in head.tool_calls:
        if event.name in seen or event.name not in was:
            continue
        seen.add(event.name)
        before, after = _as_dict(was[event.name]), _as_dict(event.arguments)
        found.extend(
            f"argument {one_line(event.name, 80)}.{one_line(key, 80)}: "
            f"{compact(after.get(key), 80)} (base {compact(before.get(key), 80)})"
            for key in dict.fromkeys([*before, *after])
            if before.get(key) != after.get(key)
        )
    return found


def _as_dict(arguments: Any) -> dict[str, Any]:
    return {str(k): v for k, v in arguments.items()} if isinstance(arguments, dict) else {}


def _side_effect_changes(head: HarnessRun, old: HarnessRun) -> list[str]:
    if head.side_effects is None or old.side_effects is None:
        return []  # not recorded (a shard keeps events only): nothing to compare

    def writes(run: HarnessRun) -> Counter[str]:
        effects = run.side_effects.writes if run.side_effects else []
        return Counter(
            one_line(f"{w.system}.{w.op} ({w.status or 'no status'})", 120) for w in effects
        )

    now, was = writes(head), writes(old)
    found = [f"side effect {w} appeared" for w in now if now[w] > was[w]]
    return found + [f"side effect {w} disappeared" for w in was if was[w] > now[w]]


def _latency_change(head: HarnessRun, old: HarnessRun) -> list[str]:
    now, was = worst_latency(head), worst_latency(old)
    if now is None or was is None or round(now) == round(was):
        return []
    return [f"slowest turn {now:.0f} ms (base {was:.0f} ms, {now - was:+.0f} ms)"]


def worst_latency(run: HarnessRun) -> float | None:
    """The slowest reported turn of a run, in ms; None when it reported none."""
    values = [t.latency_ms for t in run.turns or () if t.latency_ms is not None]
    return max(values) if values else None
