"""The history file: appended from results files (once each), read per case, fed to sharding."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.cli import cli
from support.report_fixtures import GATE_VERSION, GATES, results_data

from gate.errors import InputError
from gate.records.history import (
    SCHEMA,
    append_records,
    by_case,
    history_durations,
    read_history,
    records_from_results,
)
from gate.records.record import parse_record
from gate.results import Status

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "history"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def mixed_results() -> dict[str, Any]:
    return results_data(GATES["mixed"](), GATE_VERSION)


def test_records_from_a_results_file() -> None:
    data = mixed_results()
    records = records_from_results(parse_record(data))
    assert [r.case for r in records] == [c["id"] for c in data["cases"]]
    assert [r.status.value for r in records] == [c["status"] for c in data["cases"]]
    first = records[0]
    assert first.at == datetime.fromisoformat(data["finished_at"])
    assert first.run == data["started_at"]
    assert first.duration_s == round(sum(t["duration_s"] for t in data["cases"][0]["trials"]), 3)
    assert (first.level, first.gate_version) == (data["cases"][0]["level"], GATE_VERSION)


def test_append_is_json_lines_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "history.jsonl"
    records = records_from_results(parse_record(mixed_results()))
    assert append_records(path, records) == (len(records), 0)
    assert append_records(path, records) == (0, len(records))  # a CI retry appends nothing
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == len(records)
    assert all(json.loads(line)["schema"] == SCHEMA for line in lines)
    assert read_history(path) == records


def test_by_case_orders_outcomes_and_averages_recent_durations() -> None:
    histories = by_case(read_history(DATA / "lifecycle.jsonl"))
    quiet = histories["quiet-blocking"]
    assert [at for at, _ in quiet.outcomes] == sorted(at for at, _ in quiet.outcomes)
    assert quiet.last_failure == datetime(2026, 6, 10, 3, tzinfo=UTC)
    assert quiet.first_seen == datetime(2026, 1, 1, 2, tzinfo=UTC)
    assert quiet.count(Status.FAIL) == 2
    assert quiet.mean_duration == pytest.approx((2.0 * 4 + 2.5) / 5)  # the last five runs
    assert histories["scheduled-recent"].last_failure == datetime(2026, 2, 20, 3, tzinfo=UTC)
    assert histories["archived-quiet"].last_failure is None


def test_bad_lines_name_the_file_and_line(tmp_path: Path) -> None:
    good = (DATA / "lifecycle.jsonl").read_text("utf-8").splitlines()[0]
    for bad, problem in (
        ("[1, 2]", "not a voice-regress-history/v1 record"),
        (json.dumps({**json.loads(good), "status": "green"}), "'green' is not a valid Status"),
        (json.dumps({**json.loads(good), "at": "last tuesday"}), "Invalid isoformat"),
        (json.dumps({**json.loads(good), "case": ""}), "'case' must be a non-empty string"),
    ):
        path = tmp_path / "h.jsonl"
        path.write_text(f"{good}\n\n{bad}\n", "utf-8")
        with pytest.raises(InputError, match=f"h.jsonl:3: bad history line .*{problem}"):
            read_history(path)
    assert read_history(tmp_path / "missing.jsonl", missing_ok=True) == []
    assert history_durations(None) is None
    assert history_durations(str(tmp_path / "missing.jsonl")) == {}


def test_run_with_history_appends_and_a_shard_only_reads(tmp_path: Path) -> None:
    history = tmp_path / "h.jsonl"
    code, _, _ = cli("demo", "--history", str(history), "--results", str(tmp_path / "r.json"))
    assert code == 0
    records = read_history(history)
    cases = json.loads((tmp_path / "r.json").read_text("utf-8"))["cases"]
    assert [r.case for r in records] == [c["id"] for c in cases]
    assert {r.status for r in records} == {Status.PASS}
    code, out, err = cli("demo", "--history", str(history), "--shard", "1/2")
    assert code == 0
    assert f"balanced by history durations ({len(cases)} known)" in out
    assert "was read to balance the shards, not appended to" in err
    assert len(read_history(history)) == len(cases)


def test_history_append_command(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    results.write_text(json.dumps(mixed_results()), "utf-8")
    history = tmp_path / "h.jsonl"
    code, out, _ = cli("history", "append", str(results), "--history", str(history))
    assert code == 0 and f"appended 7 record(s) from {results}" in out
    code, out, _ = cli("history", "append", str(results), "--history", str(history))
    assert code == 0 and "appended 0 record(s)" in out and "(7 already recorded)" in out
    code, _, err = cli("history", "append", str(tmp_path / "nope.json"), "--history", str(history))
    assert code == 2 and "no such results file" in err


def test_merge_appends_the_whole_run(tmp_path: Path) -> None:
    shards = []
    for index in (1, 2):
        shards.append(tmp_path / f"r{index}.json")
        cli("demo", "--shard", f"{index}/2", "--results", str(shards[-1]))
    history = tmp_path / "h.jsonl"
    code, _, _ = cli("merge", *map(str, shards), "--history", str(history))
    assert code == 0
    assert sorted(r.case for r in read_history(history)) == sorted(
        c["id"] for s in shards for c in json.loads(s.read_text("utf-8"))["cases"]
    )


def test_a_results_file_without_a_time_is_named(tmp_path: Path) -> None:
    data = mixed_results()
    data["finished_at"] = data["started_at"] = "sometime"
    results = tmp_path / "r.json"
    results.write_text(json.dumps(data), "utf-8")
    code, _, err = cli("history", "append", str(results), "--history", str(tmp_path / "h.jsonl"))
    assert code == 2 and f"{results}: no valid finished_at time" in err
