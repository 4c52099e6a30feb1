"""`run --baseline`: labels against the base branch's results, `--fail-on new`, and the fallback."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support.cli import cli

REPO = Path(__file__).resolve().parents[2]
ARGS = ("--cases", "examples/cases/scheduling", "--tier", "all")


def labels(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {c["id"]: c.get("baseline") for c in data["cases"]}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The base branch's results: healthy, and with wrong-slot already broken there."""
    folder = tmp_path_factory.mktemp("bases")
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        for name, url in (("healthy", "builtin"), ("broken", "builtin:wrong-slot")):
            found[name] = folder / f"{name}.json"
            cli("run", "--harness-url", url, *ARGS, "--results", str(found[name]))
    return found


def test_a_new_failure_is_labelled_new_and_blocks_under_fail_on_new(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    results, junit = tmp_path / "r.json", tmp_path / "j.xml"
    code, out, err = cli(
        "run", "--harness-url", "builtin:wrong-slot", *ARGS, "--baseline", str(bases["healthy"]),
        "--fail-on", "new", "--results", str(results), "--junit", str(junit),
    )  # fmt: skip
    assert code == 1, out + err
    got = labels(results)
    assert got["reschedule-arguments-friday"] == "new"
    assert got["cancel-verifies-identity-first"] == "unchanged"
    assert "Baseline " in out and "new failure: reschedule-arguments-friday" in out
    # What changed against the base run: the argument value the agent now sends.
    data = json.loads(results.read_text(encoding="utf-8"))
    friday = next(c for c in data["cases"] if c["id"] == "reschedule-arguments-friday")
    assert any(c.startswith("argument ") for c in friday["baseline_changes"]), friday
    outs = [e.text or "" for e in ET.parse(junit).iter("system-out")]
    assert any("baseline: new" in o for o in outs)


def test_a_pre_existing_failure_does_not_block_under_fail_on_new(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    results = tmp_path / "r.json"
    code, out, _ = cli(
        "run", "--harness-url", "builtin:wrong-slot", *ARGS, "--baseline", str(bases["broken"]),
        "--fail-on", "new", "--results", str(results),
    )  # fmt: skip
    assert code == 0, out
    assert labels(results)["reschedule-arguments-friday"] == "pre-existing"
    # The same run under the default --fail-on blocking still fails: labels inform, not excuse.
    code, _, _ = cli(
        "run", "--harness-url", "builtin:wrong-slot", *ARGS, "--baseline", str(bases["broken"])
    )
    assert code == 1


def test_a_fix_is_labelled_fixed(bases: dict[str, Path], tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    code, _, _ = cli(
        "run", "--harness-url", "builtin", *ARGS, "--baseline", str(bases["broken"]),
        "--results", str(results),
    )  # fmt: skip
    assert code == 0
    assert labels(results)["reschedule-arguments-friday"] == "fixed"


@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_an_unusable_baseline_warns_and_falls_back_to_blocking(
    problem: str, bases: dict[str, Path], tmp_path: Path
) -> None:
    baseline = tmp_path / "base.json"
    if problem == "corrupt":
        data = json.loads(bases["broken"].read_text(encoding="utf-8"))
        data["cases"][0]["status"] = "pass" if data["cases"][0]["status"] != "pass" else "fail"
        baseline.write_text(json.dumps(data), encoding="utf-8")
    results = tmp_path / "r.json"
    code, out, err = cli(
        "run", "--harness-url", "builtin:wrong-slot", *ARGS, "--baseline", str(baseline),
        "--fail-on", "new", "--results", str(results),
    )  # fmt: skip
    assert code == 1, out
    assert "warning: baseline unusable" in err and "falls back to --fail-on blocking" in err
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["fail_on"] == "blocking" and "falls back" in data["baseline"]["warning"]
    assert all("baseline" not in c for c in data["cases"])


def test_fail_on_new_without_a_baseline_is_fail_on_blocking() -> None:
    code, _, err = cli("run", "--harness-url", "builtin:wrong-slot", *ARGS, "--fail-on", "new")
    assert code == 1
    assert "--fail-on new needs --baseline" in err


def test_the_baseline_cannot_be_the_results_file_the_run_replaces(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    same = tmp_path / "results.json"
    same.write_bytes(bases["healthy"].read_bytes())
    code, _, err = cli(
        "run", "--harness-url", "builtin", *ARGS, "--baseline", str(same), "--results", str(same)
    )
    assert code == 2 and "the same file" in err
    assert same.read_bytes() == bases["healthy"].read_bytes()  # untouched


def test_merge_keeps_the_shards_labels_for_fail_on_new(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    files = [str(tmp_path / f"s{i}.json") for i in (1, 2)]
    for index, path in enumerate(files, start=1):
        cli("run", "--harness-url", "builtin:wrong-slot", *ARGS, "--shard", f"{index}/2",
            "--baseline", str(bases["broken"]), "--fail-on", "new", "--results", path)  # fmt: skip
    merged = tmp_path / "merged.json"
    code, out, _ = cli("merge", *files, "--fail-on", "new", "--results", str(merged))
    assert code == 0, out  # every failure is pre-existing
    assert labels(merged)["reschedule-arguments-friday"] == "pre-existing"
    code, _, _ = cli("merge", *files, "--fail-on", "blocking")
    assert code == 1
