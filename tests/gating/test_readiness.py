"""Release readiness: seed 004 gates 1 and 2 as rows, the JSON, and the release tier's exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import cli

from gate.evaluate.readiness import Thresholds, readiness

REPO = Path(__file__).resolve().parents[2]
ROWS = [
    "scenario_pass_rate",
    "tool_call_correctness",
    "critical_failures",
    "task_completion",
    "p95_turn_latency_ms",
]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_a_healthy_release_is_go_and_the_json_has_every_row(tmp_path: Path) -> None:
    path = tmp_path / "readiness.json"
    code, out, _ = cli("demo", "--tier", "release", "--readiness", str(path))
    assert code == 0, out
    assert "Release readiness: GO" in out
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["go"] is True
    assert [r["name"] for r in data["rows"]] == ROWS
    assert all(set(r) >= {"name", "value", "threshold", "ok"} for r in data["rows"])
    assert "scheduling-eng" in data["by_owner"] and data["by_suite"]
    # A group shows the rows it has evidence for: every one ok in a healthy run.
    groups = [*data["by_owner"].values(), *data["by_suite"].values()]
    assert all(r["ok"] and r["value"] is not None for rows in groups for r in rows)
    assert "no-go" not in out


def test_the_release_tier_exits_1_on_no_go_naming_the_failed_rows(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    code, out, _ = cli(
        "demo", "--tier", "release", "--bug", "slow", "--fail-on", "never",
        "--results", str(results),
    )  # fmt: skip
    assert code == 1
    verdict = out.rstrip().splitlines()[-1]
    assert "release readiness is no-go (scenario_pass_rate, p95_turn_latency_ms)" in verdict
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["readiness"]["go"] is False and data["verdict"] == "fail"


def test_a_critical_case_blocks_a_release_even_when_it_is_scheduled(tmp_path: Path) -> None:
    text = (REPO / "examples/cases/safety/no-account-readback.yaml").read_text(encoding="utf-8")
    text = text.replace("level: blocking", "level: scheduled").replace(
        "    - release_candidate\n", ""
    )
    (tmp_path / "readback.yaml").write_text(text, encoding="utf-8")
    results = tmp_path / "r.json"
    code, out, _ = cli(
        "run", "--harness-url", "builtin:policy-leak", "--cases", str(tmp_path),
        "--tier", "release", "--results", str(results),
    )  # fmt: skip
    assert code == 1, out  # --fail-on blocking alone would not block a scheduled case
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["cases"][0]["level"] == "scheduled"
    assert data["selection"]["reasons"] == {
        data["cases"][0]["id"]: "critical scheduled case in the release tier"
    }
    row = next(r for r in data["readiness"]["rows"] if r["name"] == "critical_failures")
    assert row["ok"] is False and row["value"] == 1 and "readback" in row["detail"]


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "gate.yml"
    config.write_text("readiness:\n  p95_turn_latency_ms: 5000\n  scenario_pass_rate: 0.5\n")
    code, out, _ = cli(
        "demo", "--tier", "release", "--bug", "slow", "--fail-on", "never",
        "--config", str(config),
    )  # fmt: skip
    assert code == 0, out
    assert "Release readiness: GO" in out


def test_a_bad_threshold_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "gate.yml"
    config.write_text("readiness:\n  scenario_pass_rate: 95\n")
    code, _, err = cli("demo", "--tier", "release", "--config", str(config))
    assert code == 2 and "scenario_pass_rate" in err


def test_no_evidence_is_never_ok() -> None:
    got = readiness([], Thresholds())
    assert not got.go
    assert {r.name for r in got.rows if r.value is None} == {
        "scenario_pass_rate",
        "tool_call_correctness",
        "task_completion",
        "p95_turn_latency_ms",
    }


def test_other_tiers_only_report_readiness(tmp_path: Path) -> None:
    path = tmp_path / "readiness.json"
    code, out, _ = cli("demo", "--tier", "all", "--bug", "slow", "--fail-on", "never",
                       "--readiness", str(path))  # fmt: skip
    assert code == 0, out
    assert json.loads(path.read_text(encoding="utf-8"))["go"] is False


def test_shards_leave_the_release_verdict_to_merge(tmp_path: Path) -> None:
    files = []
    for index in (1, 2):
        files.append(str(tmp_path / f"r{index}.json"))
        cli("demo", "--tier", "release", "--bug", "slow", "--fail-on", "never",
            "--shard", f"{index}/2", "--results", files[-1])  # fmt: skip
    shard_verdicts = [json.loads(Path(f).read_text(encoding="utf-8"))["verdict"] for f in files]
    assert shard_verdicts == ["pass", "pass"]  # --fail-on never, and readiness is merge's call
    merged = tmp_path / "merged.json"
    code, out, _ = cli("merge", *files, "--results", str(merged))
    assert code == 1, out
    assert "release readiness is no-go (scenario_pass_rate, p95_turn_latency_ms)" in out
    data = json.loads(merged.read_text(encoding="utf-8"))
    selected = sum(len(json.loads(Path(f).read_text("utf-8"))["cases"]) for f in files)
    assert data["readiness"]["go"] is False and len(data["cases"]) == selected > 0
