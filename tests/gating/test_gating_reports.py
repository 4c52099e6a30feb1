"""Baseline labels and readiness in every report: comment, job summary, console, JUnit, results."""

from __future__ import annotations

from dataclasses import replace

from support.report_fixtures import mixed_gate, results_data

from gate.evaluate.readiness import Thresholds, readiness
from gate.records.record import parse_record
from gate.records.results_reader import results_from_record
from gate.report.case_facts import ReportLinks
from gate.report.comment import render_comment
from gate.report.console import render_summary
from gate.report.junit import render_junit
from gate.report.summary import render_job_summary
from gate.results import BaselineReport, GateResult

LABELS = {
    "scheduling/reschedule-wednesday": "unchanged",
    "scheduling/duplicate-booking": "pre-existing",
    "billing/refund-lookup": "new",
}
CHANGES = {
    "billing/refund-lookup": ("tool lookup_refund disappeared",),
    "scheduling/duplicate-booking": ("slowest turn 900 ms (base 700 ms, +200 ms)",),
}


def labelled() -> GateResult:
    gate = mixed_gate()
    baseline = BaselineReport("base/results.json", LABELS, CHANGES)
    return replace(gate, baseline=baseline, readiness=readiness(gate.cases, Thresholds()))


def test_the_comment_leads_with_new_failures_and_what_changed() -> None:
    body = render_comment(labelled(), "default", ReportLinks())
    lead = body.index("### New failures vs base (1)")
    assert lead < body.index("| selected |") < body.index("### Not passing")
    assert "**billing/refund-lookup** (new): tool lookup\\_refund disappeared" in body
    table = body[body.index("### Not passing") :]
    assert table.index("billing/refund-lookup") < table.index("scheduling/duplicate-booking")
    assert "· pre-existing" in table
    assert "- scheduling/duplicate-booking (pre-existing): slowest turn 900 ms" in body
    assert "### Release readiness: ❌ no-go" in body


def test_the_summary_console_and_junit_carry_the_labels() -> None:
    gate = labelled()
    assert "### New failures vs base" in render_job_summary(gate, ReportLinks())
    console = render_summary(gate)
    assert "Baseline base/results.json: new 1 · pre-existing 1 · unchanged 1" in console
    assert "baseline pre-existing" in console and "Release readiness: NO-GO" in console
    junit = render_junit(gate)
    assert "baseline: new" in junit and "baseline_change: tool lookup_refund disappeared" in junit


def test_an_unusable_baseline_is_a_warning_in_the_comment() -> None:
    gate = replace(mixed_gate(), baseline=BaselineReport("b.json", warning="baseline unusable: x"))
    body = render_comment(gate, "default", ReportLinks())
    assert "> [!WARNING]\n> Baseline: baseline unusable: x" in body


def test_the_results_file_round_trips_labels_and_readiness() -> None:
    gate = labelled()
    data = results_data(gate, "1.0")
    assert {c["id"]: c.get("baseline") for c in data["cases"]}["billing/refund-lookup"] == "new"
    back = results_from_record(parse_record(data))
    assert back.baseline == gate.baseline
    assert back.readiness is not None and gate.readiness is not None
    assert back.readiness.go == gate.readiness.go
    assert [r.name for r in back.readiness.rows] == [r.name for r in gate.readiness.rows]
