"""Baseline labels and release readiness as console lines and markdown blocks (pure)."""

from __future__ import annotations

from gate.report.markdown import md_text
from gate.results import (
    BASELINE_LABELS,
    NOT_PASSING,
    CaseResult,
    GateResult,
    Readiness,
    ReadinessRow,
)
from gate.text import one_line

# Under --fail-on new these are the failures a PR brought (or that no baseline vouches for).
NEW_LABELS = ("new", "added")
LIST_LIMIT = 20
PERCENT_ROWS = ("scenario_pass_rate", "tool_call_correctness", "task_completion")


def label_of(gate: GateResult, case_id: str) -> str | None:
    """The case's baseline label, None without a usable baseline."""
    return gate.baseline.labels.get(case_id) if gate.baseline else None


def new_failures(gate: GateResult) -> list[CaseResult]:
    """Not-passing cases the baseline shows passing (`new`) or does not hold (`added`)."""
    return [
        c for c in gate.cases if c.status in NOT_PASSING and label_of(gate, c.case.id) in NEW_LABELS
    ]


def label_counts(gate: GateResult) -> str:
    """`new 1 · pre-existing 2 · …` in the order of BASELINE_LABELS, zeros left out."""
    labels = list(gate.baseline.labels.values()) if gate.baseline else []
    shown = [f"{name} {labels.count(name)}" for name in BASELINE_LABELS if name in labels]
    return " · ".join(shown) or "no case compared"


def baseline_console(gate: GateResult) -> list[str]:
    """`Baseline <file>: new 1 · …`, then each new failure with what changed."""
    if gate.baseline is None:
        return []
    if gate.baseline.warning:
        return [f"Baseline: WARNING: {one_line(gate.baseline.warning, 500)}"]
    lines = [f"Baseline {one_line(gate.baseline.source, 200)}: {label_counts(gate)}"]
    for result in new_failures(gate)[:LIST_LIMIT]:
        label = label_of(gate, result.case.id)
        lines.append(f"  {label} failure: {one_line(result.case.id)}")
        lines += [f"    {one_line(c, 300)}" for c in gate.baseline.changes.get(result.case.id, ())]
    return lines


def baseline_markdown(gate: GateResult) -> list[str]:
    """The comment's lead when a baseline was given: new failures first, with what changed."""
    if gate.baseline is None:
        return []
    if gate.baseline.warning:
        return [f"> [!WARNING]\n> Baseline: {md_text(gate.baseline.warning, 500)}"]
    new = new_failures(gate)
    lines = [
        f"### New failures vs base ({len(new)})",
        "",
        f"Baseline {md_text(gate.baseline.source, 200)}: {md_text(label_counts(gate), 300)}",
    ]
    if new:
        lines.append("")
    for result in new[:LIST_LIMIT]:
        changes = gate.baseline.changes.get(result.case.id, ())
        what = "; ".join(md_text(c, 200) for c in changes) or "no recorded run to compare"
        label = label_of(gate, result.case.id)
        lines.append(f"- **{md_text(result.case.id, 200)}** ({label}): {what}")
    if len(new) > LIST_LIMIT:
        lines.append(f"- … and {len(new) - LIST_LIMIT} more")
    return lines + _other_changes(gate, {c.case.id for c in new})


def _other_changes(gate: GateResult, shown: set[str]) -> list[str]:
    """What changed for the other labelled cases (pre-existing, fixed, …), folded."""
    assert gate.baseline is not None
    rest = [(i, c) for i, c in gate.baseline.changes.items() if i not in shown and c]
    if not rest:
        return []
    lines = ["", f"<details><summary>Changes vs base in {len(rest)} other case(s)</summary>", ""]
    for case_id, changes in rest[:LIST_LIMIT]:
        label = gate.baseline.labels.get(case_id, "")
        what = "; ".join(md_text(c, 200) for c in changes)
        lines.append(f"- {md_text(case_id, 200)} ({label}): {what}")
    if len(rest) > LIST_LIMIT:
        lines.append(f"- … and {len(rest) - LIST_LIMIT} more")
    return [*lines, "", "</details>"]


def format_value(row: ReadinessRow) -> tuple[str, str]:
    """The row's value and threshold as people read them (`93.3%`, `≤ 1200 ms`)."""
    if row.name in PERCENT_ROWS:
        value = "n/a" if row.value is None else f"{row.value:.1%}"
        return value, f"≥ {row.threshold:.0%}"
    unit = " ms" if row.name.endswith("_ms") else ""
    value = "n/a" if row.value is None else f"{row.value:g}{unit}"
    return value, f"≤ {row.threshold:g}{unit}"


def readiness_console(readiness: Readiness | None) -> list[str]:
    """The go/no-go table, then one line per suite and owner that is not go."""
    if readiness is None:
        return []
    lines = [f"Release readiness: {'GO' if readiness.go else 'NO-GO'}"]
    for row in readiness.rows:
        value, threshold = format_value(row)
        mark = "ok  " if row.ok else "FAIL"
        lines.append(f"  {mark}  {row.name:<22} {value:>9}  {threshold:<10} {one_line(row.detail)}")
    for kind, groups in (("suite", readiness.by_suite), ("owner", readiness.by_owner)):
        for name, rows in groups.items():
            failed = [r.name for r in rows if not r.ok]
            state = "no-go: " + ", ".join(failed) if failed else "go"
            lines.append(f"  {kind} {one_line(name, 100)}: {state}")
    return lines


def readiness_markdown(readiness: Readiness | None) -> list[str]:
    """The readiness section of the comment and the job summary."""
    if readiness is None:
        return []
    icon = "✅ go" if readiness.go else "❌ no-go"
    lines = [f"### Release readiness: {icon}", "", "| row | value | threshold | ok | detail |"]
    lines.append("|---|---:|---|---|---|")
    for row in readiness.rows:
        value, threshold = format_value(row)
        ok = "✅" if row.ok else "❌"
        lines.append(f"| {row.name} | {value} | {threshold} | {ok} | {md_text(row.detail, 200)} |")
    groups = [("suite", readiness.by_suite), ("owner", readiness.by_owner)]
    lines += ["", "| per | name | state |", "|---|---|---|"]
    for kind, named in groups:
        for name, rows in named.items():
            failed = [r.name for r in rows if not r.ok]
            state = "no-go: " + ", ".join(failed) if failed else "go"
            lines.append(f"| {kind} | {md_text(name, 100)} | {state} |")
    return lines
