"""The job summary (GITHUB_STEP_SUMMARY): the comment's report plus failure details (pure)."""

from __future__ import annotations

from gate.report.case_facts import ReportLinks
from gate.report.comment import (
    ICONS,
    join_blocks,
    not_passing,
    report_blocks,
    row_budgets,
)
from gate.report.evidence import trial_split
from gate.report.markdown import html_text, md_text
from gate.results import AssertionOutcome, CaseResult, GateResult, Status
from gate.text import compact

# GitHub refuses a step's summary above 1 MiB ("upload aborted"); it is measured in bytes.
SUMMARY_LIMIT = 1024 * 1024
ASSERTIONS_PER_CASE = 20


def render_job_summary(gate: GateResult, links: ReportLinks, limit: int = SUMMARY_LIMIT) -> str:
    """Markdown for the job summary; degrades like the comment when over `limit` UTF-8 bytes."""
    bad = not_passing(gate)
    # With failure details, then without, then failing rows only, fewer and fewer.
    attempts = [
        ("full", len(bad), True),
        ("full", len(bad), False),
        *(("failures", rows, False) for rows in row_budgets(len(bad))),
    ]
    for level, count, details in attempts:
        blocks = report_blocks(gate, links, level, count)
        if details and bad:
            blocks[-1:-1] = [["### Failure details"], *(case_details(c) for c in bad)]
        text = join_blocks(blocks)
        if len(text.encode("utf-8")) <= limit:
            return text
    text = join_blocks(report_blocks(gate, links, "counts", 0))
    return text if len(text.encode("utf-8")) <= limit else _cut_bytes(text, limit)


def case_details(result: CaseResult) -> list[str]:
    """A folded block per not-passing case: every failing assertion of every bad trial."""
    title = (
        f"{ICONS[result.status]} {html_text(result.case.id, 200)}: "
        f"{result.status.value}, {html_text(trial_split(result), 80)}"
    )
    lines = [f"<details><summary>{title}</summary>", ""]
    lines.append(
        f"Owner {md_text(result.case.case.owner, 100)} · severity "
        f"{md_text(result.case.case.source.severity, 20)} · source call "
        f"{md_text(result.case.case.source.source_call_id, 100)} · "
        f"{md_text(result.case.file, 200)}:{result.case.line}"
    )
    lines.append("")
    for trial in result.trials:
        if trial.status is Status.PASS:
            continue
        lines.append(f"- trial {trial.trial}: {trial.status.value}: {md_text(trial.reason, 300)}")
        bad = [a for a in trial.assertions if a.status is not Status.PASS]
        lines.extend(f"  - {assertion_line(a)}" for a in bad[:ASSERTIONS_PER_CASE])
        if len(bad) > ASSERTIONS_PER_CASE:
            lines.append(f"  - … and {len(bad) - ASSERTIONS_PER_CASE} more")
    return [*lines, "", "</details>"]


def assertion_line(outcome: AssertionOutcome) -> str:
    """`state name: message; expected …; actual …; turn n` as inert markdown."""
    parts = [f"{outcome.status.value} {md_text(outcome.name, 100)}: {md_text(outcome.message)}"]
    if outcome.expected is not None:
        parts.append(f"expected {md_text(compact(outcome.expected, 300))}")
    if outcome.actual is not None:
        parts.append(f"actual {md_text(compact(outcome.actual, 300))}")
    if outcome.turn is not None:
        parts.append(f"turn {outcome.turn}")
    for i, vote in enumerate(outcome.votes or (), start=1):
        verdict = vote.get("verdict") if isinstance(vote, dict) else None
        reason = vote.get("reason") if isinstance(vote, dict) else vote
        parts.append(f"vote {i} {md_text(verdict or 'abstain', 20)}: {md_text(reason, 200)}")
    return "; ".join(parts)


def _cut_bytes(text: str, limit: int) -> str:
    note = "\n\n… (cut to fit the job summary size limit)\n"
    room = max(0, limit - len(note.encode("utf-8")))
    return text.encode("utf-8")[:room].decode("utf-8", "ignore") + note
