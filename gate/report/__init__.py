"""Renderers: pure functions from a GateResult to text (console, JUnit, results file, evidence)."""

from __future__ import annotations

from gate.records.results_file import SCHEMA, load_results, render_results, results_dict
from gate.report.console import progress_line, render_summary, verdict_line
from gate.report.evidence import evidence_files, safe_case_path
from gate.report.junit import render_junit

__all__ = [
    "SCHEMA",
    "evidence_files",
    "load_results",
    "progress_line",
    "render_junit",
    "render_results",
    "render_summary",
    "results_dict",
    "safe_case_path",
    "verdict_line",
]
