"""`merge`: 4 shards + merge equal the unsharded run; a lost shard is never a pass."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import cli
from support.report_fixtures import GATE_VERSION, GATES, results_data

from gate.errors import InputError
from gate.records.merge import merge_results
from gate.records.record import parse_record
from gate.records.results_file import render_results, results_record
from gate.records.results_reader import results_from_record
from gate.report.console import render_summary
from gate.report.junit import render_junit
from gate.results import ShardInfo

REPO = Path(__file__).resolve().parents[2]
SHARDS = 4


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def save(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run_both(tmp: Path, harness: str, *extra: str) -> dict[str, Any]:
    """The unsharded run and its 4 shards, all through the CLI; returns codes, outputs, paths."""
    base = ["run", "--harness-url", harness, "--cases", "examples/cases", *extra]
    full = cli(*base, "--results", str(tmp / "full.json"), "--junit", str(tmp / "full.xml"))
    shards = []
    for index in range(1, SHARDS + 1):
        results = tmp / f"shard-{index}.json"
        code, out, _ = cli(*base, "--shard", f"{index}/{SHARDS}", "--results", str(results))
        assert f"shard {index}/{SHARDS}: " in out  # the selection note says which shard ran
        shards.append(results)
    return {"full": full, "shards": shards}


@pytest.fixture(scope="module", params=["builtin", "builtin:duplicate-booking"])
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("shards")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        yield {"tmp": tmp, **run_both(tmp, request.param)}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def without_timings_xml(text: str) -> str:
    return re.sub(r' (time|timestamp)="[^"]*"', "", text)


def summary_of(out: str) -> str:
    """The end-of-run summary without the per-case progress lines and the wall time."""
    text = out[out.index("voice-regress-gate: tier") :]
    return re.sub(r"Wall time: .*", "Wall time: -", text)


def without_timings(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["started_at"] = data["finished_at"] = "-"
    for case in data["cases"]:
        for trial in case["trials"]:
            trial["duration_s"] = 0
    return data


def test_four_shards_merged_equal_the_unsharded_run(runs: dict[str, Any]) -> None:
    tmp = runs["tmp"]
    full_code, full_out, _ = runs["full"]
    code, out, err = cli(
        "merge",
        *map(str, runs["shards"]),
        "--junit",
        str(tmp / "m.xml"),
        "--results",
        str(tmp / "m.json"),
    )
    assert code == full_code, err
    assert out.startswith(f"merged {SHARDS} shard(s): ")
    assert summary_of(out) == summary_of(full_out)  # same counts, cases, reasons, verdict line
    full, merged = load(tmp / "full.json"), load(tmp / "m.json")
    assert merged["verdict"] == full["verdict"]
    assert [(c["id"], c["status"]) for c in merged["cases"]] == [
        (c["id"], c["status"]) for c in full["cases"]
    ]
    assert without_timings(merged) == without_timings(full)  # the whole results file
    # The whole JUnit file: testcases, messages, failure bodies with the transcript excerpt.
    full_xml = (tmp / "full.xml").read_text(encoding="utf-8")
    assert without_timings_xml((tmp / "m.xml").read_text(encoding="utf-8")) == without_timings_xml(
        full_xml
    )


def test_each_shard_records_its_shard_and_the_whole_selection(runs: dict[str, Any]) -> None:
    full = load(runs["tmp"] / "full.json")
    assert (full["selection"]["shard"]["index"], full["selection"]["shard"]["total"]) == (1, 1)
    seen: list[str] = []
    for index, path in enumerate(runs["shards"], 1):
        data = load(path)
        shard = data["selection"]["shard"]
        assert (shard["index"], shard["total"]) == (index, SHARDS)
        assert shard["run_selected"] == full["selection"]["selected"]
        assert [c["id"] for c in data["cases"]] == data["selection"]["selected"]
        seen += data["selection"]["selected"]
        for case in data["cases"]:  # every trial that did not pass keeps its run
            for trial in case["trials"]:
                assert "run" in trial or trial["status"] == "pass"
    assert sorted(seen) == sorted(full["selection"]["selected"])


def test_the_merge_exits_and_ends_like_the_unsharded_run(runs: dict[str, Any]) -> None:
    full_code, full_out, _ = runs["full"]
    code, out, _ = cli("merge", *map(str, runs["shards"]))
    assert code == full_code
    assert out.rstrip().splitlines()[-1] == full_out.rstrip().splitlines()[-1]  # GATE … line
    if full_code == 1:  # builtin:duplicate-booking
        assert "blocking case(s) did not pass" in out
        assert "create_new_appointment was called" in out


@pytest.fixture
def shards(runs: dict[str, Any]) -> list[Path]:
    return list(runs["shards"])


def merge_error(*argv: str) -> str:
    code, _, err = cli("merge", *argv)
    assert code == 2, err
    return err


def test_a_missing_shard_fails_the_merge_with_a_clear_message(shards: list[Path]) -> None:
    err = merge_error(str(shards[0]), str(shards[1]), str(shards[3]))
    assert (
        "missing the results of shard 3/4 (have 1/4, 2/4, 4/4): a lost shard is not a pass" in err
    )
    assert "no such results file" in merge_error(*map(str, shards[:3]), "nowhere/shard-4.json")


def test_shard_count_and_duplicates_are_checked(shards: list[Path], tmp_path: Path) -> None:
    assert "--shards 5, but the results files come from a run cut into 4 shard(s)" in merge_error(
        *map(str, shards), "--shards", "5"
    )
    assert "shard 1/4 given twice" in merge_error(*map(str, shards), str(shards[0]))
    assert cli("merge", *map(str, shards), "--shards", "4")[0] in (0, 1)


def test_an_unsharded_results_file_merges_as_the_whole_run(runs: dict[str, Any]) -> None:
    # The fork-safe pattern publishes one unsharded run's results through `merge`.
    full_code, full_out, _ = runs["full"]
    code, out, _ = cli("merge", str(runs["tmp"] / "full.json"))
    assert code == full_code
    assert out.rstrip().splitlines()[-1] == full_out.rstrip().splitlines()[-1]


def altered(path: Path, tmp_path: Path, change: Any) -> Path:
    data = load(path)
    change(data)
    return save(tmp_path / f"altered-{path.name}", data)


def test_shards_of_different_runs_do_not_merge(shards: list[Path], tmp_path: Path) -> None:
    def version(data: dict[str, Any]) -> None:
        data["gate_version"] = "9.9.9"

    other = altered(shards[1], tmp_path, version)
    err = merge_error(str(shards[0]), str(other), *map(str, shards[2:]))
    assert "the shards disagree on the gate version" in err

    def selection(data: dict[str, Any]) -> None:
        data["selection"]["shard"]["run_selected"].pop()

    other = altered(shards[1], tmp_path, selection)
    err = merge_error(str(shards[0]), str(other), *map(str, shards[2:]))
    assert "the shards disagree on the whole-run selection" in err


def test_a_case_in_two_shards_or_in_none_is_an_error(shards: list[Path], tmp_path: Path) -> None:
    stolen = load(shards[0])["cases"][0]

    def duplicate(data: dict[str, Any]) -> None:
        data["cases"].append(stolen)
        data["selection"]["selected"].append(stolen["id"])

    other = altered(shards[1], tmp_path, duplicate)
    err = merge_error(str(shards[0]), str(other), *map(str, shards[2:]))
    assert f"case {stolen['id']!r} is in two shards' results" in err

    def lose(data: dict[str, Any]) -> None:
        data["cases"].pop(0)
        data["selection"]["selected"].pop(0)

    other = altered(shards[0], tmp_path, lose)
    err = merge_error(str(other), *map(str, shards[1:]))
    assert f"1 selected case(s) in no shard's results: {stolen['id']}" in err


def test_a_corrupt_results_file_names_the_json_path(shards: list[Path], tmp_path: Path) -> None:
    def corrupt(data: dict[str, Any]) -> None:
        data["cases"][0]["status"] = "maybe"

    other = altered(shards[0], tmp_path, corrupt)
    assert "$.cases[0].status: Input should be" in merge_error(str(other), *map(str, shards[1:]))


def test_an_aborted_shard_fails_the_merge_whatever_fail_on(
    shards: list[Path], tmp_path: Path
) -> None:
    def abort(data: dict[str, Any]) -> None:
        data["abort_reason"] = "harness refused the credentials (401)"

    other = altered(shards[1], tmp_path, abort)
    code, out, _ = cli(
        "merge", str(shards[0]), str(other), *map(str, shards[2:]), "--fail-on", "never"
    )
    assert code == 1
    assert "GATE FAILED: shard 2/4: harness refused the credentials (401)" in out


def test_zero_harness_calls_fail_the_merge(shards: list[Path], tmp_path: Path) -> None:
    def no_calls(data: dict[str, Any]) -> None:
        for case in data["cases"]:
            for trial in case["trials"]:
                trial["harness_calls"] = 0

    silent = [altered(path, tmp_path, no_calls) for path in shards]
    selected = len(load(shards[0])["selection"]["shard"]["run_selected"])
    code, out, _ = cli("merge", *map(str, silent), "--fail-on", "never")
    assert code == 1 and f"{selected} case(s) selected but zero harness calls were made" in out
    code, out, _ = cli("merge", *map(str, silent), "--fail-on", "never", "--fail-on-empty", "false")
    assert code == 0 and "allowed by --fail-on-empty false" in out
    code, out, _ = cli(
        "merge",
        *map(str, silent),
        environ={"VOICE_REGRESS_FAIL_ON": "never", "VOICE_REGRESS_FAIL_ON_EMPTY": "false"},
    )
    assert code == 0 and "allowed by --fail-on-empty false" in out


@pytest.mark.parametrize(
    ("variable", "value"),
    [("VOICE_REGRESS_FAIL_ON", "sometimes"), ("VOICE_REGRESS_FAIL_ON_EMPTY", "yes")],
)
def test_a_bad_environment_value_fails_the_merge_naming_it(
    shards: list[Path], variable: str, value: str
) -> None:
    code, _, err = cli("merge", *map(str, shards), environ={variable: value})
    assert code == 2 and f"{variable}: expected" in err


def write_case(path: Path, level: str) -> None:
    text = (REPO / "examples/cases/scheduling/change-uses-update.yaml").read_text("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("level: blocking", f"level: {level}"), encoding="utf-8")


def test_a_tier_with_no_case_is_an_empty_run_sharded_or_not(tmp_path: Path) -> None:
    # No change information and no blocking case: the fast tier holds nothing, so nothing is
    # checked; that is an empty run (it fails), not "no case affected by this change".
    write_case(tmp_path / "cases" / "nightly.yaml", "scheduled")
    base = ("run", "--harness-url", "builtin", "--cases", str(tmp_path / "cases"), "--tier", "fast")
    paths = []
    for index in (1, 2):
        paths.append(tmp_path / f"r{index}.json")
        code, _, _ = cli(*base, "--shard", f"{index}/2", "--results", str(paths[-1]))
        assert code == 1
    code, out, _ = cli("merge", *map(str, paths))
    full_code, full_out, _ = cli(*base)
    assert code == full_code == 1
    assert out.rstrip().splitlines()[-1] == full_out.rstrip().splitlines()[-1]
    assert "tier fast holds no case (1 considered)" in out.rstrip().splitlines()[-1]
    allowed, _, _ = cli("merge", *map(str, paths), "--fail-on-empty", "false")
    assert allowed == 0


def test_a_shard_whose_part_is_empty_passes_when_others_have_cases(tmp_path: Path) -> None:
    write_case(tmp_path / "cases" / "only.yaml", "blocking")
    base = ("run", "--harness-url", "builtin", "--cases", str(tmp_path / "cases"))
    codes = [
        cli(*base, "--shard", f"{i}/3", "--results", str(tmp_path / f"r{i}.json"))[0]
        for i in (1, 2, 3)
    ]
    assert sorted(codes) == [0, 0, 0]
    code, out, _ = cli("merge", *(str(tmp_path / f"r{i}.json") for i in (1, 2, 3)))
    assert code == 0 and "1/1 case(s) passed" in out


def test_shards_that_found_no_case_files_fail(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    paths = []
    for index in (1, 2):
        paths.append(tmp_path / f"r{index}.json")
        cli(
            "run",
            "--harness-url",
            "builtin",
            "--cases",
            str(tmp_path / "empty"),
            "--shard",
            f"{index}/2",
            "--results",
            str(paths[-1]),
        )
    code, out, _ = cli("merge", *map(str, paths))
    assert code == 1 and "GATE FAILED: no case files found under" in out


# --- results_from_dict over the renderer fixtures (hostile text, trials, votes, errors) -------


def sharded(name: str) -> Any:
    gate = GATES[name]()
    info = ShardInfo(1, 1, gate.selection.selected, gate.selection.note, 12, "cases")
    return gate, dataclasses.replace(
        gate, selection=dataclasses.replace(gate.selection, shard=info)
    )


@pytest.mark.parametrize("name", sorted(GATES))
def test_results_from_record_rebuilds_what_the_reports_show(name: str) -> None:
    gate, shard = sharded(name)
    rebuilt = results_from_record(results_record(shard, GATE_VERSION))
    assert render_junit(rebuilt) == render_junit(gate)
    assert summary_of(render_summary(rebuilt)) == summary_of(render_summary(gate))
    assert render_results(rebuilt, GATE_VERSION) == render_results(gate, GATE_VERSION)


def test_merge_results_is_a_pure_function_of_the_data() -> None:
    gate, shard = sharded("mixed")
    data = parse_record(results_data(shard, GATE_VERSION))
    merged = merge_results([("one.json", data)], fail_on_empty=True)
    assert [c.status for c in merged.cases] == [c.status for c in gate.cases]
    assert (merged.verdict, merged.verdict_reason) == (gate.verdict, gate.verdict_reason)
    with pytest.raises(InputError, match="fail-on 'sometimes' is not one of"):
        merge_results([("one.json", data)], fail_on="sometimes")
