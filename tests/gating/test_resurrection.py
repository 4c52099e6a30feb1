"""Resurrection (seed 001): archived cases run in the nightly tier, and lifecycle proposes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_traceability import cli, seed_with

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_a_nightly_run_of_an_archived_case_that_fails_proposes_resurrection(
    tmp_path: Path,
) -> None:
    folder = seed_with(tmp_path, "  evidence:\n    retain_days: 30")
    case = folder / "seed.yaml"
    case.write_text(
        case.read_text(encoding="utf-8").replace("level: blocking", "level: manual"),
        encoding="utf-8",
    )
    config = tmp_path / "gate.yml"
    config.write_text("nightly:\n  archived_every_days: 1\n", encoding="utf-8")
    history = tmp_path / "history.jsonl"
    code, out, _ = cli(
        "run", "--harness-url", "builtin:wrong-slot", "--cases", str(folder), "--tier", "nightly",
        "--config", str(config), "--history", str(history), "--fail-on", "never",
    )  # fmt: skip
    assert code == 0 and "selected 1" in out, out
    code, out, _ = cli("lifecycle", "--history", str(history), "--cases", str(folder))
    assert code == 0
    assert "resurrect" in out and "manual → blocking" in out, out
