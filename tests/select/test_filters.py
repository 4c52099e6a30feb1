"""`--suite` and `--level` on `select` and `run`: narrow the cases before the tier selects, say so
in the selection note, and refuse a suite no case has (with a did-you-mean)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_selection import FIXTURE, cli, loaded, select_json  # noqa: F401  (fixture)

from gate.errors import InputError
from gate.models import LoadedCase
from gate.select.filters import filter_cases


def test_no_filter_keeps_everything(loaded: list[LoadedCase]) -> None:  # noqa: F811
    assert filter_cases(loaded) == (loaded, "")


def test_suite_and_level_combine(loaded: list[LoadedCase]) -> None:  # noqa: F811
    kept, note = filter_cases(loaded, ["billing", "safety"], ["blocking"])
    assert kept and all(c.case.suite in ("billing", "safety") for c in kept)
    assert all(c.case.promotion.level == "blocking" for c in kept)
    assert note == f"--suite billing --suite safety --level blocking: {len(kept)} of 50 case(s)"


def test_an_unknown_suite_is_an_input_error(loaded: list[LoadedCase]) -> None:  # noqa: F811
    with pytest.raises(InputError, match=r"--suite 'biling'.*did you mean 'billing'\?"):
        filter_cases(loaded, ["biling"])


@pytest.fixture
def in_fixture(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(FIXTURE)
    return FIXTURE


def _suites_and_levels(data: dict[str, Any], cases: list[LoadedCase]) -> set[tuple[str, str]]:
    by_id = {c.id: c.case for c in cases}
    return {(by_id[i].suite, by_id[i].promotion.level) for i in data["selected"]}


def test_select_takes_the_seed_workflow_flags(
    in_fixture: Path,
    loaded: list[LoadedCase],  # noqa: F811
) -> None:
    # seed 000: `voice-tests -- --suite=failed_call_regression --level=blocking`
    data = select_json(tier="all", extra=("--suite=scheduling", "--level=blocking"))
    assert data["selected"] and _suites_and_levels(data, loaded) == {("scheduling", "blocking")}
    assert "--suite scheduling --level blocking:" in data["note"]
    env = {"VOICE_REGRESS_SUITES": "scheduling,billing", "VOICE_REGRESS_LEVELS": "scheduled"}
    data = select_json(tier="all", environ=env)
    assert {s for s, _ in _suites_and_levels(data, loaded)} <= {"scheduling", "billing"}
    assert {lvl for _, lvl in _suites_and_levels(data, loaded)} <= {"scheduled"}


def test_bad_filters_exit_2(in_fixture: Path) -> None:
    code, _, err = cli("select", "--tier", "all", "--suite", "schedulng")
    assert code == 2 and "did you mean 'scheduling'?" in err
    code, _, err = cli("select", "--level", "sometimes")
    assert code == 2 and "invalid choice" in err
    code, _, err = cli("select", environ={"VOICE_REGRESS_LEVELS": "blocking nope"})
    assert code == 2 and "VOICE_REGRESS_LEVELS" in err


def test_run_runs_only_the_filtered_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    examples = str(Path(__file__).resolve().parents[2] / "examples" / "cases")
    results = tmp_path / "results.json"
    code, out, err = cli(
        "run", "--harness-url", "builtin", "--cases", examples, "--tier", "all",
        "--suite", "failed_call_regression", "--level", "scheduled", "--results", str(results),
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(results.read_text("utf-8"))
    levels = {c["level"] for c in data["cases"]}
    assert data["cases"] and levels == {"scheduled"}, levels
