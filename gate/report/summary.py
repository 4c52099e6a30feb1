"""The job summary (GITHUB_STEP_SUMMARY): the comment's report plus failure details (pure)."""

from __future__ import annotations

from gate.report.case_facts import ReportLinks, case_details
from gate.report.comment import join_blocks, not_passing, report_blocks, row_budgets
from gate.results import GateResult

# GitHub refuses a step's summary above 1 MiB ("upload aborted"); it is measured in bytes.
SUMMARY_LIMIT = 1024 * 1024


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


def _cut_bytes(text: str, limit: int) -> str:
    note = "\n\n… (cut to fit the job summary size limit)\n"
    room = max(0, limit - len(note.encode("utf-8")))
    return text.encode("utf-8")[:room].decode("utf-8", "ignore") + note
