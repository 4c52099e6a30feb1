"""The job summary: the comment's report plus per-case failure details, within 1 MiB (bytes)."""

from __future__ import annotations

from support.report_fixtures import LINKS, assert_golden, many_failures, mixed_gate

from gate.report.summary import SUMMARY_LIMIT, render_job_summary


def test_golden_mixed() -> None:
    assert_golden("comment/summary-mixed.md", render_job_summary(mixed_gate(), LINKS))


def test_has_no_comment_marker_and_every_failing_assertion() -> None:
    text = render_job_summary(mixed_gate(), LINKS)
    assert "<!--" not in text
    assert "### Failure details" in text
    # both failing assertions of the duplicate booking, with expected and actual
    assert "fail tools.forbidden\\_tools: create\\_new\\_appointment was called" in text
    assert "fail side\\_effects.calendar: calendar has a create write" in text
    assert 'expected {"ops": \\["update"\\]}; actual {"ops": \\["create"\\]}' in text
    # every judge vote with its reason
    assert "vote 2 fail: the full id was read at turn 2" in text
    assert "vote 3 abstain: abstained: unparseable judge answer" in text


def test_degrades_in_bytes() -> None:
    gate = many_failures(60)
    full = render_job_summary(gate, LINKS)
    assert len(full.encode()) <= SUMMARY_LIMIT and "### Failure details" in full
    size = len(full.encode())
    smaller = render_job_summary(gate, LINKS, limit=size - 1)
    assert "### Failure details" not in smaller and len(smaller.encode()) < size
    assert "other case(s): passed or skipped" in smaller
    tiny = render_job_summary(gate, LINKS, limit=5_000)
    assert len(tiny.encode()) <= 5_000 and "not listed here" in tiny
    cut = render_job_summary(gate, LINKS, limit=300)
    assert len(cut.encode()) <= 300 and cut.endswith("(cut to fit the job summary size limit)\n")
