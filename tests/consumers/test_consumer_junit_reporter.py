"""The JUnit file as mikepenz/action-junit-report reads it: its counts agree with the gate's own,
its annotations point at the failing assertion's line in a repo-relative file, and nothing fails
the job that the gate let through (`--junit-non-blocking skipped`).

The action is not on npm and CI has no GitHub, so its real code ran once by hand
(record_junit_reporter.py, on the action's commit in the record); CI reads the same files with
the XML library the action uses (xml-js, pinned) and our junit_reporter_check.mjs, and checks
that this reading still equals what the real action said, and what the gate decided.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from junit_scenarios import ROOT, Expected, write_scenarios
from support.node import node

HERE = Path(__file__).resolve().parent
RECORD = json.loads(
    (ROOT / "tests" / "data" / "junit" / "action-junit-report.expected.json").read_text("utf-8")
)
SCENARIOS = sorted(RECORD["scenarios"])
RERECORD = "the JUnit file changed: re-run tests/consumers/record_junit_reporter.py (see its doc)"


@pytest.fixture(scope="module")
def readings(
    node_modules: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict[str, Any], Expected]]:
    """Every scenario: (xml-js reading, what the gate decided)."""
    scenarios = write_scenarios(tmp_path_factory.mktemp("junit"))
    files = [str(path) for path, _ in scenarios.values()]
    command = [node(), str(HERE / "junit_reporter_check.mjs"), str(node_modules), *files]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout)
    return {name: (read[str(path)], expected) for name, (path, expected) in scenarios.items()}


def test_the_record_is_of_a_real_run_of_every_scenario() -> None:
    assert RECORD["action"] == "mikepenz/action-junit-report"
    assert re.fullmatch(r"[0-9a-f]{40}", RECORD["commit"])
    assert set(SCENARIOS) == {
        "cli-as-is",
        "cli-skipped",
        "cli-properties",
        "every-state-as-is",
        "every-state-skipped",
        "every-state-properties",
    }
    for name in SCENARIOS:
        run = RECORD["scenarios"][name]
        # the action fails the job (fail_on_failure) exactly when it counted a failure
        assert run["failed_the_job"] == (run["outputs"]["failed"] > 0), name


@pytest.mark.parametrize("name", SCENARIOS)
def test_xml_js_reads_what_the_real_action_reported(
    readings: dict[str, tuple[dict[str, Any], Expected]], name: str
) -> None:
    reading, _ = readings[name]
    recorded = RECORD["scenarios"][name]
    counts = {key: reading[key] for key in ("total", "passed", "skipped", "failed")}
    assert counts == recorded["outputs"], RERECORD
    # `name` and `suite` are ours (for the checks below), not fields of an annotation
    ours = [
        {k: v for k, v in a.items() if k not in ("name", "suite")} for a in reading["annotations"]
    ]
    assert ours == recorded["annotations"], RERECORD


@pytest.mark.parametrize("name", SCENARIOS)
def test_counts_and_annotations_agree_with_the_gate(
    readings: dict[str, tuple[dict[str, Any], Expected]], name: str
) -> None:
    reading, expected = readings[name]
    counts = (reading["total"], reading["passed"], reading["skipped"], reading["failed"])
    assert counts == (expected.total, expected.passed, expected.skipped, expected.failed)
    where = {a["name"]: (a["path"], a["line"]) for a in reading["annotations"]}
    assert where == expected.where  # the failing assertion's line, one annotation per case
    if name.startswith("cli-"):
        for path, _ in where.values():
            assert (ROOT / path).is_file(), path  # relative to the repository root


def test_a_gate_that_passes_fails_no_job(
    readings: dict[str, tuple[dict[str, Any], Expected]],
) -> None:
    reading, expected = readings["cli-skipped"]
    assert expected.skipped > 0 and reading["failed"] == 0 and reading["annotations"] == []
    assert RECORD["scenarios"]["cli-skipped"]["failed_the_job"] is False


def test_the_documented_title_template_names_suite_and_case(
    readings: dict[str, tuple[dict[str, Any], Expected]],
) -> None:
    titled = RECORD["title_template"]
    assert titled["inputs"] == {"check_title_template": "{{SUITE_NAME}}: {{TEST_NAME}}"}
    assert "check_title_template: '{{SUITE_NAME}}: {{TEST_NAME}}'" in " ".join(
        (ROOT / "docs" / "cli.md").read_text("utf-8").split()
    )
    reading, _ = readings[titled["scenario"]]
    assert titled["titles"] == [f"{a['suite']}: {a['name']}" for a in reading["annotations"]]
