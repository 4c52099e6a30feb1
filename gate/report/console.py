"""Plain-text console output: a progress line per finished case and the final summary."""

from __future__ import annotations

import json

from gate.records.results_file import selection_record
from gate.report.case_facts import trial_split
from gate.report.gating import NEW_LABELS, baseline_console, label_of, readiness_console
from gate.results import NOT_PASSING, CallBudget, CaseResult, GateResult, Selection, Status
from gate.text import listed, one_line

STATE_ORDER = (Status.PASS, Status.FAIL, Status.ERROR, Status.INCONCLUSIVE, Status.SKIPPED)
# Pad to the longest state so the case ids line up in a CI log.
STATUS_WIDTH = max(len(s.value) for s in STATE_ORDER)
REASON_LIMIT = 300
NOT_RUN_SHOWN = 20  # case ids listed when a stopped run never started them
LIST_LIMIT = 20  # deferred cases / changed paths listed before "… and N more"
INDENT = "      "


def progress_line(done: int, total: int, result: CaseResult) -> str:
    """`[37/120] pass          scheduling/reschedule-wednesday  1.8s` (+ reason if not pass)."""
    counter = f"[{done:>{len(str(total))}}/{total}]"
    duration = format_duration(sum(t.duration_s for t in result.trials))
    status = f"{result.status.value:<{STATUS_WIDTH}}"
    line = f"{counter} {status}  {one_line(result.case.id)}  {duration}"
    if result.trials_planned > 1:
        line += f"  ({trial_split(result)})"
    if result.status is not Status.PASS:
        line += f"  {one_line(result.reason, 120)}"
    return line


CLEAR_LINE = "\r\x1b[K"  # carriage return + erase line: only ever written to a terminal


def live_bar(done: int, total: int, width: int = 30) -> str:
    """`[#########.....................]  9/30 cases done` for a terminal (no newline)."""
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:>{len(str(total))}}/{total} cases done"


def format_duration(seconds: float) -> str:
    """`1.8s` under a minute, `3m05s` above."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def render_summary(gate: GateResult) -> str:
    """The end-of-run summary, print-ready (no trailing newline): counts, cases, verdict."""
    blocks: list[list[str]] = [_header(gate), baseline_console(gate)]
    if not gate.cases:
        blocks.append(_empty(gate))
    bad = [c for c in gate.cases if c.status in NOT_PASSING]
    unrun = [c for c in bad if gate.abort_reason and not c.trials]
    if unrun:
        # One reason for all: the run stopped before these cases started (401, unreachable…).
        bad = [c for c in bad if c not in unrun]
        blocks.append(_not_run(gate, unrun))
    if bad:
        blocked = sum(1 for c in bad if c.case.id in gate.blocking_failures)
        title = f"Not passing: {len(bad)} ({blocked} block{'s' if blocked == 1 else ''} the merge)"
        blocks.append([title, *(line for c in bad for line in _case_block(gate, c))])
    flaky = [c for c in gate.cases if c.flaky]
    if flaky:
        blocks.append(["Passed with failing trials:", *(_flaky_line(c) for c in flaky)])
    skipped = [c for c in gate.cases if c.status is Status.SKIPPED]
    if skipped:
        lines = [f"  {one_line(c.case.id)}: {one_line(c.reason, REASON_LIMIT)}" for c in skipped]
        blocks.append(["Skipped:", *lines])
    if gate.selection.deferred:
        blocks.append(_deferred(gate))
    blocks.append(
        [
            f"Harness calls: {gate.harness_calls}",
            *_budget_lines(gate.budget),
            f"Wall time: {format_duration(gate.wall_s)}",
        ]
    )
    blocks.append(readiness_console(gate.readiness))
    blocks.append([verdict_line(gate)])
    return "\n\n".join("\n".join(block) for block in blocks if block)


def _not_run(gate: GateResult, unrun: list[CaseResult]) -> list[str]:
    ids = [one_line(c.case.id) for c in unrun]
    shown = listed(ids, NOT_RUN_SHOWN)
    reason = one_line(gate.abort_reason, REASON_LIMIT)
    return [f"Not run: {len(unrun)} case(s), the run stopped: {reason}", f"  {shown}"]


def _budget_lines(budget: CallBudget | None) -> list[str]:
    """What was spent against the plan announced before dispatch (early stop shows as saved)."""
    if budget is None:
        return []
    lines = [f"Harness runs: {budget.harness_runs} of at most {budget.harness_runs_max}"]
    if budget.judge_calls_max or budget.judge_calls:
        saved = budget.judge_calls_max - budget.judge_calls - budget.judge_cached
        lines.append(
            f"Judge calls: {budget.judge_calls} of at most {budget.judge_calls_max} "
            f"({budget.judge_cached} answered from the cache, {max(saved, 0)} saved by "
            "early stop)"
        )
    return lines


def verdict_line(gate: GateResult) -> str:
    """`GATE PASSED` or `GATE FAILED: <reason>` (a pass reason, when given, is appended too)."""
    word = "PASSED" if gate.verdict == "pass" else "FAILED"
    reason = one_line(gate.verdict_reason, 500)
    return f"GATE {word}: {reason}" if reason else f"GATE {word}"


def _header(gate: GateResult) -> list[str]:
    sel = gate.selection
    counts = " | ".join(f"{s.value} {gate.count(s)}" for s in STATE_ORDER)
    lines = [
        f"voice-regress-gate: tier {one_line(sel.tier, 40)}, fail-on {one_line(gate.fail_on, 40)}",
        f"selected {len(sel.selected)}, deferred {len(sel.deferred)}, considered {sel.considered}",
        counts,
    ]
    if sel.note:
        lines.append(one_line(sel.note, 1000))
    return lines


def _empty(gate: GateResult) -> list[str]:
    # A selection note ("no case affected by this change …") already says why nothing ran.
    lines = [] if gate.selection.note else ["No case ran."]
    paths = gate.selection.changed_paths
    if paths is not None:
        shown = ", ".join(one_line(p, 200) for p in paths[:LIST_LIMIT]) or "(none)"
        lines.append(f"Changed paths looked at: {shown}{_more(len(paths))}")
    return lines


def _case_block(gate: GateResult, result: CaseResult) -> list[str]:
    case = result.case
    blocks = case.id in gate.blocking_failures
    mark = "BLOCKS THE MERGE" if blocks else "does not block"
    label = label_of(gate, case.id)
    mark += f", baseline {label}" if label else ""
    lines = [
        f"  {result.status.value:<{STATUS_WIDTH}}  {one_line(case.id)}  [{result.level}, {mark}]",
        f"{INDENT}{one_line(result.reason, REASON_LIMIT)}",
        f"{INDENT}owner {one_line(case.case.owner, 100)}"
        f", source call {one_line(case.case.source.source_call_id, 100)}"
        f", {one_line(case.file, 200)}:{case.line}",
    ]
    if gate.baseline and label_of(gate, case.id) not in NEW_LABELS:
        # New failures list their changes under "Baseline"; the others' changes show here.
        lines += [
            f"{INDENT}vs base: {one_line(c, 300)}" for c in gate.baseline.changes.get(case.id, ())
        ]
    others = _other_failures(result)
    if others:
        lines.append(f"{INDENT}also: {', '.join(one_line(n, 80) for n in others)}")
    if result.trials_planned > 1:
        lines.append(f"{INDENT}{trial_split(result)}")
        lines.extend(
            f"{INDENT}  trial {t.trial}: {t.status.value}: {one_line(t.reason, REASON_LIMIT)}"
            for t in result.trials
            if t.status is not Status.PASS
        )
    return lines


def _other_failures(result: CaseResult) -> list[str]:
    """Names of the other failing assertions of the first bad trial (the reason shows one)."""
    bad = next((t for t in result.trials if t.status is result.status), None)
    if bad is None:
        return []
    names = list(dict.fromkeys(a.name for a in bad.assertions if a.status is bad.status))
    return names[1:]


def _flaky_line(result: CaseResult) -> str:
    bad = next((t for t in result.trials if t.status is not Status.PASS), None)
    detail = f"; trial {bad.trial}: {one_line(bad.reason, REASON_LIMIT)}" if bad else ""
    return f"  {one_line(result.case.id)}: {trial_split(result)}{detail}"


def _deferred(gate: GateResult) -> list[str]:
    deferred = gate.selection.deferred
    lines = [f"Deferred (not run in tier {one_line(gate.selection.tier, 40)}):"]
    lines.extend(
        f"  {one_line(i)}: {one_line(why, REASON_LIMIT)}" for i, why in deferred[:LIST_LIMIT]
    )
    if len(deferred) > LIST_LIMIT:
        lines.append(f"  …{_more(len(deferred))}")
    return lines


def _more(count: int) -> str:
    return f" and {count - LIST_LIMIT} more" if count > LIST_LIMIT else ""


def render_selection(selection: Selection, fmt: str = "text") -> str:
    """`select`'s output: every selected case with its reason, the deferred ones, the totals."""
    if fmt == "json":
        data = selection_record(selection).model_dump(mode="json", exclude_unset=True)
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    lines = [
        f"tier {one_line(selection.tier, 40)}: {len(selection.selected)} selected, "
        f"{len(selection.deferred)} deferred, {selection.considered} considered"
    ]
    if selection.note:
        lines.append(one_line(selection.note, 2000))
    width = max((len(i) for i in (*selection.selected, *dict(selection.deferred))), default=0)
    width = min(width, 60)
    lines.append(f"selected ({len(selection.selected)}):")
    lines += [
        f"  {one_line(i):<{width}}  {one_line(selection.reasons.get(i, ''), 500)}"
        for i in selection.selected
    ] or ["  (none)"]
    if selection.deferred:
        lines.append(f"deferred ({len(selection.deferred)}), run by the nightly tier:")
        lines += [
            f"  {one_line(i):<{width}}  {one_line(why, 500)}" for i, why in selection.deferred
        ]
    if selection.changed_paths is not None:
        lines.append(f"changed paths looked at ({len(selection.changed_paths)}):")
        lines += [f"  {one_line(p, 500)}" for p in selection.changed_paths] or ["  (none)"]
    return "\n".join(lines)
