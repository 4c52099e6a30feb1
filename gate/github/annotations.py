"""Annotations on the case files: `::error file=…,line=…,title=…::message` lines (pure).

Blocking failures are errors, other not-passing cases warnings, cases that passed with failing
trials notices; at most `limit` of each kind, and one extra notice counts the rest (GitHub itself
shows at most 10 of each kind per step and hides the others without a word).
"""

from __future__ import annotations

from gate.github.options import DEFAULT_LIMIT
from gate.github.workflow_commands import annotation
from gate.report.case_facts import first_failing_outcome, first_failure, relative_path
from gate.results import NOT_PASSING, CaseResult, GateResult, Status
from gate.text import clean, one_line

KINDS = ("error", "warning", "notice")


def annotation_kind(gate: GateResult, result: CaseResult) -> str | None:
    """error (blocks the merge), warning (not passing), notice (flaky pass), or None."""
    if result.status in NOT_PASSING:
        return "error" if result.case.id in gate.blocking_failures else "warning"
    if result.flaky:
        return "notice"
    return None


def annotation_lines(
    gate: GateResult,
    limit: int = DEFAULT_LIMIT,
    workspace: str | None = None,
    cwd: str | None = None,
) -> list[str]:
    """The workflow-command lines to print, in run order, then the count of the rest."""
    lines: list[str] = []
    shown = dict.fromkeys(KINDS, 0)
    omitted = dict.fromkeys(KINDS, 0)
    for result in gate.cases:
        kind = annotation_kind(gate, result)
        if kind is None:
            continue
        if shown[kind] >= limit:
            omitted[kind] += 1
            continue
        shown[kind] += 1
        lines.append(case_annotation(kind, result, workspace, cwd))
    rest = [f"{n} {kind}(s)" for kind, n in omitted.items() if n]
    if rest:
        lines.append(
            annotation(
                "notice",
                f"{', '.join(rest)} more not annotated (--annotations-limit {limit}); "
                "the job summary lists every case",
                title="voice-regress-gate",
            )
        )
    return lines


def case_annotation(
    kind: str, result: CaseResult, workspace: str | None = None, cwd: str | None = None
) -> str:
    """One annotation on the case file, at the line of its first failing assertion.

    GitHub places `file=` relative to the workspace: a case path relative to `cwd` (the working
    directory of the run) is made relative to `workspace` when it lies inside it.
    """
    case = result.case
    outcome = first_failing_outcome(result)
    line = case.line_of(f"$.assertions.{outcome.name}") if outcome else case.line
    # A flaky pass says its trial split; anything else its first failing assertion.
    message = result.reason if result.status is Status.PASS else first_failure(result)
    text = (
        f"{clean(message, 1000)}\nowner {one_line(case.case.owner, 100)}, source call "
        f"{one_line(case.case.source.source_call_id, 100)}"
    )
    title = f"{one_line(case.id, 200)}: {result.status.value}"
    return annotation(
        kind, text, file=relative_path(case.file, workspace, cwd), line=line, title=title
    )
