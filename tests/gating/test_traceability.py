"""Traceability and retention: which agent ran, where a case came from, what reports may keep."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support.cli import cli

from gate import __version__
from gate.github.publish import retention_days
from gate.records.record import read_record
from gate.records.results_reader import results_from_record
from gate.report.case_facts import ReportLinks
from gate.report.comment import render_comment
from gate.report.summary import render_job_summary

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "examples/cases/scheduling/reschedule-wednesday.yaml"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def seed_with(tmp_path: Path, evidence: str, source: str = "") -> Path:
    """The seed case with its `evidence:` block replaced and lines added under `source:`."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index("  evidence:\n")
    end = text.index("\n\n", start)
    text = text[:start] + evidence + text[end:]
    text = text.replace("source:\n", "source:\n" + source, 1)
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "seed.yaml").write_text(text, encoding="utf-8")
    return folder


def run(folder: Path, tmp_path: Path, bug: str = "wrong-slot") -> tuple[dict[str, Any], str]:
    results, junit = tmp_path / "r.json", tmp_path / "j.xml"
    cli("run", "--harness-url", f"builtin:{bug}", "--cases", str(folder), "--tier", "all",
        "--results", str(results), "--junit", str(junit))  # fmt: skip
    body = "\n".join(
        (e.text or "") for e in ET.parse(junit).iter() if e.tag in ("system-out", "failure")
    )
    return json.loads(results.read_text(encoding="utf-8")), body


def test_the_agent_and_the_source_are_recorded_and_shown(tmp_path: Path) -> None:
    source = "  incident: INC-4711\n  trace_id: src-trace-9\n"
    folder = seed_with(tmp_path, "  evidence:\n    retain_days: 30", source)
    data, junit = run(folder, tmp_path)
    case = data["cases"][0]
    assert case["agent_ref"]["agent_slug"] == "scheduling-agent"
    assert case["agent_reported"]["version"] == __version__
    assert case["incident"] == "INC-4711" and case["source_trace_id"] == "src-trace-9"
    assert "incident: INC-4711" in junit and "trace_id: src-trace-9" in junit
    assert f'"version": "{__version__}"' in junit  # agent_reported
    gate = results_from_record(read_record(str(tmp_path / "r.json")))
    summary = render_job_summary(gate, ReportLinks())
    assert "Agent under test:" in summary and f"{__version__}" in summary
    assert "incident INC-4711" in summary and "source trace src-trace-9" in summary
    comment = render_comment(gate, "default", ReportLinks())
    assert "incident INC-4711" in comment
    assert retention_days(gate) == "30"


def test_a_case_that_keeps_no_transcript_is_not_written_anywhere(tmp_path: Path) -> None:
    evidence = "  evidence:\n    retain_transcript: false\n    retain_audio: false"
    data, junit = run(seed_with(tmp_path, evidence), tmp_path)
    trial = data["cases"][0]["trials"][0]
    assert "run" not in trial and "retain_transcript false" in trial["run_omitted"]
    assert data["cases"][0]["status"] == "fail"
    assert "caller:" not in junit and "agent:" not in junit  # no transcript lines
    assert "recording_url" not in junit and "recording" not in json.dumps(data)


def test_a_case_that_keeps_no_audio_keeps_its_run_without_the_recording(tmp_path: Path) -> None:
    data, junit = run(seed_with(tmp_path, "  evidence:\n    retain_audio: false"), tmp_path)
    run_ = data["cases"][0]["trials"][0]["run"]
    assert "recording_url" not in run_["artifacts"] and "trace_url" in run_["artifacts"]
    assert "recording_url" not in junit and "trace_url" in junit


def test_retain_days_zero_is_the_shortest_artifact_retention(tmp_path: Path) -> None:
    run(seed_with(tmp_path, "  evidence:\n    retain_days: 0"), tmp_path)
    assert retention_days(results_from_record(read_record(str(tmp_path / "r.json")))) == "1"


def _leak(data: dict[str, Any]) -> dict[str, Any]:
    return next(
        a
        for t in data["cases"][0]["trials"]
        for a in t["assertions"]
        if a["name"].startswith("transcript.must_not_include") and a["status"] == "fail"
    )


def test_a_case_that_keeps_no_transcript_quotes_no_agent_words(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    kept, _ = run(
        seed_with(tmp_path / "kept", "  evidence:\n    retain_days: 1"),
        tmp_path / "kept",
        bug="policy-leak",
    )
    words = _leak(kept)["actual"]
    assert isinstance(words, str) and words in json.dumps(kept)
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    evidence = "  evidence:\n    retain_transcript: false"
    data, junit = run(seed_with(hidden, evidence), hidden, bug="policy-leak")
    leak = _leak(data)
    assert leak["actual"] == "[not retained]" and "[not retained]" in leak["message"]
    assert words not in json.dumps(data) and words not in junit
    gate = results_from_record(read_record(str(hidden / "r.json")))
    assert words not in render_comment(gate, "default", ReportLinks())
    assert words not in render_job_summary(gate, ReportLinks())
    _, out, _ = cli("run", "--harness-url", "builtin:policy-leak", "--cases", str(hidden / "cases"),
                    "--tier", "all")  # fmt: skip
    assert "[not retained]" in out and words not in out  # progress lines and summary
