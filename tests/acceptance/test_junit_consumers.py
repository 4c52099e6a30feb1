"""The JUnit file as its consumers read it: junitparser's counts agree with the gate's verdict,
`file` is relative to the repository root, `line` is the failing assertion's, a shard's suites
have names of their own, and `--junit-non-blocking skipped` makes a reporter agree with a gate
that passes with failures it does not block on."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import junitparser
import pytest
from support.cli import cli

REPO = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *extra: str, environ: Mapping[str, str] | None = None) -> Any:
    """`run` from `examples/` against the duplicate-booking bug; (code, results, junit path)."""
    junit, results = tmp_path / "junit.xml", tmp_path / "r.json"
    argv = ["run", "--harness-url", "builtin:duplicate-booking", "--cases", "cases"]
    code, out, err = cli(
        *argv, "--junit", str(junit), "--results", str(results), *extra, environ=environ
    )
    assert code in (0, 1), out + err
    return code, json.loads(results.read_text("utf-8")), junit


@pytest.fixture(autouse=True)
def _in_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "examples")  # --cases relative to a folder below the root


def _cases(junit: Path) -> list[Any]:
    return [case for suite in junitparser.JUnitXml.fromfile(str(junit)) for case in suite]


def test_as_is_counts_file_and_line(tmp_path: Path) -> None:
    code, data, junit = run(tmp_path)
    assert code == 1 and data["verdict"] == "fail"
    xml = junitparser.JUnitXml.fromfile(str(junit))
    counts = data["counts"]
    assert xml.tests == len(data["cases"])
    assert xml.failures == counts["fail"] and xml.failures > 0
    assert xml.errors == counts.get("error", 0) + counts.get("inconclusive", 0)
    assert xml.skipped == counts.get("skipped", 0)
    by_id = {c["id"]: c for c in data["cases"]}
    root = ET.fromstring(junit.read_text("utf-8"))
    for case in root.iter("testcase"):
        record = by_id[case.get("name", "")]
        assert case.get("file") == f"examples/{record['file']}"  # from the repository root
        assert (REPO / case.get("file", "")).is_file()
        if record["status"] == "fail":
            first = next(
                a["name"]
                for t in record["trials"]
                if t["status"] == "fail"
                for a in t["assertions"]
                if a["status"] == "fail"
            )
            assert case.get("line") == str(record["assertion_lines"][first])
            assert case.get("line") != str(record["line"])  # not the case's first line
        else:
            assert case.get("line") == str(record["line"])


def test_skipped_makes_the_reporter_agree_with_a_passing_gate(tmp_path: Path) -> None:
    environ = {"VOICE_REGRESS_JUNIT_NON_BLOCKING": "skipped"}
    code, data, junit = run(tmp_path, "--fail-on", "never", environ=environ)
    assert code == 0 and data["verdict"] == "pass"
    xml = junitparser.JUnitXml.fromfile(str(junit))
    assert (xml.failures, xml.errors) == (0, 0)  # nothing a reporter would fail the job on
    not_passing = [c for c in data["cases"] if c["status"] != "pass"]
    assert not_passing and xml.skipped == len(not_passing)
    messages = [r.message for case in _cases(junit) for r in case.result]
    assert any(m.startswith("fail, not blocking (--fail-on never): ") for m in messages)


def test_properties_and_shard_names(tmp_path: Path) -> None:
    _, _, junit = run(tmp_path, "--junit-properties", "true", "--shard", "1/2")
    root = ET.fromstring(junit.read_text("utf-8"))
    names = [s.get("name", "") for s in root.iter("testsuite")]
    assert names and all(n.endswith(" [shard 1/2]") for n in names)
    case = next(root.iter("testcase"))
    keys = [p.get("name") for p in case.iterfind("properties/property")]
    assert keys == ["owner", "severity", "failure_label", "source_call_id", "level"]
    assert "disabled" not in junit.read_text("utf-8")


def test_file_is_relative_to_the_actions_workspace(tmp_path: Path) -> None:
    environ = {"GITHUB_WORKSPACE": str(REPO / "examples")}  # a checkout in a subfolder
    _, data, junit = run(tmp_path, environ=environ)
    files = {c.get("file") for c in ET.fromstring(junit.read_text("utf-8")).iter("testcase")}
    assert files == {c["file"] for c in data["cases"]} and all(
        f.startswith("cases/") for f in files
    )
