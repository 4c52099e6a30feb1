"""Evidence files of failing runs: content, retention flags, and paths that stay inside the dir.

Golden files are exact expected outputs of the fixtures in tests/report_fixtures.py (every volatile
value, timestamps, durations, version, is fixed there). After an intended output change, rewrite
them with `pytest tests/report tests/records --update-golden` and review the git diff.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
from typing import Any

import pytest
from support.report_fixtures import (
    HOSTILE,
    assert_golden,
    error_case,
    fail_case,
    hostile_case,
    inconclusive_case,
    multi_trial_case,
    pass_case,
    skipped_case,
)

from gate.models import Case
from gate.report.evidence import evidence_files, safe_case_path
from gate.results import CaseResult


def _with_policy(result: CaseResult, **policy: Any) -> CaseResult:
    data = result.case.case.model_dump(by_alias=True, exclude_none=True)
    data["assertions"]["evidence"] = policy
    loaded = dataclasses.replace(result.case, case=Case.model_validate(data))
    return dataclasses.replace(result, case=loaded)


def test_fail_case_golden() -> None:
    files = evidence_files(fail_case())
    text = "".join(f"===== {path}\n{content}" for path, content in sorted(files.items()))
    assert_golden("evidence/duplicate-booking.txt", text)


def test_fail_case_files() -> None:
    files = evidence_files(fail_case())
    prefix = "scheduling/duplicate-booking/trial-1/"
    assert sorted(files) == [
        prefix + name
        for name in (
            "assertions.txt",
            "run.json",
            "side_effects.json",
            "tool_trace.json",
            "transcript.txt",
        )
    ]
    transcript = files[prefix + "transcript.txt"]
    assert "[t2] agent: I created a new appointment for Wednesday." in transcript
    trace = json.loads(files[prefix + "tool_trace.json"])
    assert trace["calls"][1]["name"] == "create_new_appointment"
    assert trace["calls"][1]["result"] == {"status": "ok", "output": {"id": "appt_2"}}
    assert json.loads(files[prefix + "run.json"])["run_id"] == "r_01J_dup"


def test_only_troubled_trials_with_a_run() -> None:
    assert evidence_files(pass_case()) == {}
    assert evidence_files(skipped_case()) == {}
    assert evidence_files(error_case()) == {}  # the 503 left no run to keep
    assert list(evidence_files(inconclusive_case()))
    assert {p.split("/")[2] for p in evidence_files(multi_trial_case())} == {"trial-2"}


def test_retention_flags() -> None:
    result = _with_policy(
        fail_case(), retain_transcript=False, retain_tool_trace=False, retain_audio=False
    )
    files = evidence_files(result)
    names = {posixpath.basename(p) for p in files}
    assert names == {"assertions.txt", "run.json", "side_effects.json"}
    run = json.loads(next(v for k, v in files.items() if k.endswith("run.json")))
    assert run["events"] == []
    assert "recording_url" not in run["artifacts"] and "trace_url" in run["artifacts"]


def test_hostile_content_is_cleaned() -> None:
    for content in evidence_files(hostile_case()).values():
        for bad in ("\x00", "\x1b", "\ud800"):
            assert bad not in content
        content.encode("utf-8")
    assert HOSTILE  # the fixture really is hostile


@pytest.mark.parametrize(
    "case_id",
    [
        "../../etc/passwd",
        "/abs/path",
        "a/../../b",
        "..",
        ".",
        "",
        "a\\..\\b",
        "x/\x00/y",
        "C:/windows",
        "~/.ssh/id",
        "a//b",
        "." * 300,
    ],
)
def test_safe_case_path_stays_inside(case_id: str) -> None:
    path = safe_case_path(case_id)
    assert path and not path.startswith("/")
    assert all(part not in ("", ".", "..") for part in path.split("/"))
    assert posixpath.normpath(path) == path
    assert all(ch.isalnum() or ch in "._-/" for ch in path)


def test_safe_case_path_keeps_clean_ids_and_separates_collisions() -> None:
    assert safe_case_path("scheduling/reschedule-wednesday") == "scheduling/reschedule-wednesday"
    assert safe_case_path("a b") != safe_case_path("a_b")
    assert safe_case_path("a b") != safe_case_path("a?b")
