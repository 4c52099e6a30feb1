"""The results file: golden JSON (UPDATE_GOLDEN=1 rewrites tests/golden/results), round trip.

Golden files are exact expected outputs of the fixtures in tests/report_fixtures.py (every volatile
value, timestamps, durations, version, is fixed there). After an intended output change, rewrite
them with `UPDATE_GOLDEN=1 /work/venv/bin/pytest tests/test_report_*.py` and review the git diff.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from report_fixtures import GATE_VERSION, GATES, assert_golden, fail_case

from gate.errors import InputError
from gate.records.results_file import (
    SCHEMA,
    load_results,
    render_results,
    results_chunks,
    results_dict,
)
from gate.results import AssertionOutcome, Status, TrialResult

CASE_KEYS = {
    "id",
    "file",
    "line",
    "suite",
    "owner",
    "severity",
    "failure_label",
    "source_call_id",
    "level",
    "status",
    "reason",
    "trials_planned",
    "trials",
}
TRIAL_KEYS = {
    "trial",
    "run_id",
    "trace_id",
    "status",
    "reason",
    "duration_s",
    "harness_calls",
    "assertions",
}


@pytest.mark.parametrize("name", sorted(GATES))
def test_results_golden(name: str) -> None:
    assert_golden(f"results/{name}.json", render_results(GATES[name](), GATE_VERSION))


@pytest.mark.parametrize("name", sorted(GATES))
@pytest.mark.parametrize("record_runs", [False, True])
def test_written_case_by_case_it_is_the_one_document(name: str, record_runs: bool) -> None:
    gate = GATES[name]()
    whole = results_dict(gate, GATE_VERSION, record_runs=record_runs)
    expected = json.dumps(whole, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "".join(results_chunks(gate, GATE_VERSION, record_runs=record_runs)) == expected


@pytest.mark.parametrize("name", sorted(GATES))
def test_round_trip(name: str) -> None:
    gate = GATES[name]()
    assert load_results(render_results(gate, GATE_VERSION)) == results_dict(gate, GATE_VERSION)


def test_shape() -> None:
    data = results_dict(GATES["mixed"](), GATE_VERSION)
    assert data["schema"] == SCHEMA
    assert data["counts"] == {
        "pass": 2,
        "fail": 2,
        "error": 1,
        "inconclusive": 1,
        "skipped": 1,
        "total": 7,
    }
    assert data["harness_calls"] == 11
    assert data["selection"]["deferred"] == [
        {"id": "billing/nightly-refund-audit", "why": "level scheduled: runs in tier nightly"}
    ]
    for case in data["cases"]:
        assert set(case) == CASE_KEYS
        for trial in case["trials"]:
            assert set(trial) == TRIAL_KEYS
    judged = data["cases"][3]["trials"][0]["assertions"][0]
    assert len(judged["votes"]) == 3
    assert "votes" not in data["cases"][1]["trials"][0]["assertions"][0]
    assert data["cases"][2]["trials"][0]["run_id"] is None


def test_hostile_text_is_cleaned() -> None:
    text = render_results(GATES["mixed"](), GATE_VERSION)
    for bad in ("\x00", "\x1b", "\x07", "\ud800"):
        assert bad not in text
    text.encode("utf-8")  # a lone surrogate would make writing the file fail
    assert "</failure><x a='1'>" in text  # content kept, only controls removed


def test_odd_values_become_json() -> None:
    odd = AssertionOutcome("x", Status.FAIL, "m", expected={2, 1}, actual=math.inf)
    case = fail_case()
    case = dataclasses.replace(case, trials=(TrialResult(1, Status.FAIL, "r", assertions=(odd,)),))
    gate = dataclasses.replace(GATES["passing"](), cases=(case,))
    data = json.loads(render_results(gate, GATE_VERSION))
    assertion = data["cases"][0]["trials"][0]["assertions"][0]
    assert (assertion["expected"], assertion["actual"]) == ([1, 2], "inf")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("not json", "not valid JSON"),
        ("[1]", "expected a JSON object"),
        ("{}", "no 'schema' tag"),
        ('{"schema": "voice-regress-results/v2"}', "unsupported schema"),
        ('{"schema": "junit"}', "not a voice-regress results file"),
        (json.dumps({"schema": SCHEMA, "verdict": "pass"}), "missing key"),
        (
            json.dumps({"schema": SCHEMA, "verdict": "pass", "selection": {}, "cases": {}}),
            "'cases' must be a list",
        ),
    ],
)
def test_load_results_rejects(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        load_results(text, source="shard-1.json")
    assert str(info.value).startswith("shard-1.json: ")
    assert info.value.exit_code == 2
