"""The results file: golden JSON (`--update-golden` rewrites tests/golden/results), round trip.

Golden files are exact expected outputs of the fixtures in tests/report_fixtures.py (every volatile
value, timestamps, durations, version, is fixed there). After an intended output change, rewrite
them with `pytest tests/report tests/records --update-golden` and review the git diff.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import jsonschema
import pytest
from support.golden import assert_golden_file
from support.report_fixtures import GATE_VERSION, GATES, assert_golden, fail_case, results_data

import gate
from gate.errors import InputError
from gate.records.record import SCHEMA, load_record, record_json, results_json_schema
from gate.records.results_file import (
    render_results,
    results_chunks,
    results_record,
)
from gate.records.results_reader import results_from_record
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
    "agent_ref",  # optional, set when the case has one (every valid case does)
    "digest",  # optional, set for every case the loader read (unknown: rebuilt from an old file)
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
    expected = record_json(results_record(gate, GATE_VERSION, record_runs=record_runs))
    assert "".join(results_chunks(gate, GATE_VERSION, record_runs=record_runs)) == expected


@pytest.mark.parametrize("name", sorted(GATES))
def test_round_trip(name: str) -> None:
    gate = GATES[name]()
    text = render_results(gate, GATE_VERSION)
    assert load_record(text) == results_record(gate, GATE_VERSION)
    assert render_results(results_from_record(load_record(text)), GATE_VERSION) == text


def test_shape() -> None:
    data = results_data(GATES["mixed"](), GATE_VERSION)
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
        load_record(text, source="shard-1.json")
    assert str(info.value).startswith("shard-1.json: ")
    assert info.value.exit_code == 2


SHIPPED_SCHEMA = Path(gate.__file__).parent / "schemas" / "results.schema.json"


def test_the_shipped_results_schema_is_the_generated_one() -> None:
    generated = json.dumps(results_json_schema(), indent=2, sort_keys=True) + "\n"
    assert_golden_file(SHIPPED_SCHEMA, generated)  # `--update-golden` regenerates it


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_results_file_validates_against_the_shipped_schema(name: str) -> None:
    schema = json.loads(SHIPPED_SCHEMA.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(render_results(GATES[name](), GATE_VERSION, record_runs=True))
    jsonschema.Draft202012Validator(schema).validate(data)
    data["verdict"] = "passed"  # negative control: the schema can refuse
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)
