"""Audit: `merge` of a sharded run's results files must not go green on edited or partial
shards. Real shards of the bundled examples against a planted regression, then tampered."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.audit_support import gate, run_against, run_result, write_case
from support.report_fixtures import FINISHED, GATE_VERSION, STARTED, make_case, make_run, selection

from gate.errors import HarnessError
from gate.models import LoadedCase
from gate.records.merge import merge_results
from gate.records.results_file import results_record
from gate.results import GateResult, HarnessRun, ShardInfo, Status
from gate.runner import Runner, unfinished

REPO = Path(__file__).resolve().parents[2]
FORBID = "tools: {forbidden_tools: [create_new_appointment]}"
Shard = dict[str, Any]


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> list[Shard]:
    """Both shards' results of a run that must fail (duplicate-booking), as written."""
    found = []
    for index in (1, 2):
        folder = tmp_path_factory.mktemp(f"shard{index}")
        result = gate(
            folder,
            "run",
            "--harness-url",
            "builtin:duplicate-booking",
            "--cases",
            str(REPO / "examples" / "cases"),
            "--shard",
            f"{index}/2",
        )
        assert result.code == 1 and result.results is not None
        found.append(result.results)
    return found


def _merge(tmp_path: Path, shards: list[Shard], edit: Callable[[Shard], None]) -> tuple[int, str]:
    paths = []
    for index, shard in enumerate(shards, 1):
        tampered = copy.deepcopy(shard)
        edit(tampered)
        path = tmp_path / f"shard-{index}.json"
        path.write_text(json.dumps(tampered), encoding="utf-8")
        paths.append(str(path))
    result = gate(tmp_path, "merge", *paths)
    return result.code, result.out + result.err


def _verdict_pass(shard: Shard) -> None:
    shard["verdict"], shard["verdict_reason"] = "pass", "all good"
    shard["counts"] = dict.fromkeys(shard.get("counts", {}), 0)


def test_a_verdict_edited_to_pass_is_recomputed_from_the_cases(
    tmp_path: Path, shards: list[Shard]
) -> None:
    code, shown = _merge(tmp_path, shards, _verdict_pass)
    assert code == 1 and "GATE FAILED" in shown


def test_a_shard_that_dropped_its_cases_is_not_a_pass(tmp_path: Path, shards: list[Shard]) -> None:
    def drop(shard: Shard) -> None:
        if shard["selection"]["shard"]["index"] == 2:
            shard["cases"], shard["selection"]["selected"] = [], []

    code, shown = _merge(tmp_path, shards, drop)
    assert code == 2 and "in no shard's results" in shown


def test_a_case_status_edited_to_pass_while_its_trials_failed_is_refused(
    tmp_path: Path, shards: list[Shard]
) -> None:
    def whitewash(shard: Shard) -> None:
        _verdict_pass(shard)
        for case in shard["cases"]:
            case["status"], case["reason"] = "pass", "1/1 assertions passed"

    code, shown = _merge(tmp_path, shards, whitewash)
    assert code == 2 and "GATE PASSED" not in shown


def test_a_whitewashed_case_is_refused_naming_the_case_and_the_file(
    tmp_path: Path, shards: list[Shard]
) -> None:
    index, failing = next(
        (n, c["id"]) for n, s in enumerate(shards, 1) for c in s["cases"] if c["status"] != "pass"
    )

    def whitewash_one(shard: Shard) -> None:
        for case in shard["cases"]:
            if case["id"] == failing:
                case["status"] = "pass"

    code, shown = _merge(tmp_path, shards, whitewash_one)
    assert code == 2 and f"shard-{index}.json: $.cases[" in shown and repr(failing) in shown
    assert "is recorded as pass, but its trials make it" in shown


def test_a_trial_edited_to_pass_while_its_assertions_failed_is_refused(
    tmp_path: Path, shards: list[Shard]
) -> None:
    def whitewash_trials(shard: Shard) -> None:
        _verdict_pass(shard)
        for case in shard["cases"]:
            case["status"] = "pass"
            for trial in case["trials"]:
                trial["status"] = "pass"

    code, shown = _merge(tmp_path, shards, whitewash_trials)
    assert code == 2 and "].trials[0]: case " in shown
    assert "is recorded as pass, but its assertions make it fail" in shown


def test_a_dropped_pass_threshold_is_refused(tmp_path: Path) -> None:
    # 1 pass of 3 planned decides the case only under its own pass_threshold 1.
    write_case(tmp_path / "cases", FORBID, extra="trials: 3\npass_threshold: 1\n")
    ran = gate(tmp_path, "run", "--harness-url", "builtin", "--cases", str(tmp_path / "cases"))
    assert ran.code == 0 and ran.results is not None
    assert ran.case()["pass_threshold"] == 1 and len(ran.case()["trials"]) == 1
    del ran.results["cases"][0]["pass_threshold"]
    code, shown = _merge(tmp_path, [ran.results], lambda shard: None)
    assert code == 2 and "is recorded as pass, but its trials make it error" in shown


# --- legitimate results still merge: the check re-derives what the run derived -------------

TOOL = {
    "type": "tool_call",
    "turn": 0,
    "call_id": "c1",
    "name": "create_new_appointment",
    "arguments": {},
}
RESULT = {"type": "tool_result", "turn": 0, "call_id": "c1", "status": "ok", "output": {}}
# One distinct run per request (GET /health takes the first): identical ones would be replays.
FAILED_RUNS = [run_result(TOOL, RESULT, trace_complete=True, run_id=f"r{i}") for i in range(4)]
SAID = {"type": "message", "role": "agent", "turn": 0, "text": "Done."}


@pytest.mark.parametrize(
    ("assertions", "extra", "reply", "flags", "state"),
    [
        (FORBID, "trials: 3\npass_threshold: 3\n", None, (), "pass"),
        (FORBID, "trials: 3\n", None, (), "pass"),  # stopped early: 2 passes of 3
        (FORBID, "trials: 3\npass_threshold: 1\n", None, ("--trials", "5"), "pass"),
        ("judged: [{criterion: stays polite}]", "", None, ("--fail-on-empty", "false"), "skipped"),
        (FORBID, "trials: 3\n", {"body": FAILED_RUNS}, (), "fail"),
        (FORBID, "", {"body": run_result(SAID, status="timeout")}, (), "error"),
        (FORBID, "", {"body": run_result(SAID, status="agent_error")}, (), "fail"),
        (FORBID, "trials: 3\n", {"body": {"error": "no"}, "status": 401}, (), "error"),  # 0 trials
        (FORBID, "", {"body": b"down", "status": 503}, (), "error"),
    ],
    ids=[
        "threshold",
        "early-stop",
        "trials-flag",
        "skipped",
        "failed-trials",
        "timeout",
        "agent-error",
        "aborted",
        "harness-down",
    ],
)
def test_real_results_merge_as_they_ran(
    tmp_path: Path,
    assertions: str,
    extra: str,
    reply: dict[str, Any] | None,
    flags: tuple[str, ...],
    state: str,
) -> None:
    write_case(tmp_path / "cases", assertions, extra=extra)
    if reply is None:
        ran = gate(
            tmp_path, "run", "--harness-url", "builtin", "--cases", str(tmp_path / "cases"), *flags
        )
    else:
        ran = run_against(tmp_path, reply.pop("body"), *flags, **reply)
    assert ran.results is not None and ran.case()["status"] == state
    (tmp_path / "merged").mkdir()
    allow_empty = ("--fail-on-empty", "false") if state == "skipped" else ()
    merged = gate(tmp_path / "merged", "merge", str(tmp_path / "results.json"), *allow_empty)
    assert merged.code == ran.code, merged.out + merged.err
    assert merged.results is not None
    assert [c["status"] for c in merged.results["cases"]] == [state]
    assert merged.results["cases"][0].get("pass_threshold") == ran.case().get("pass_threshold")


@dataclasses.dataclass
class _Out:
    run: HarnessRun | None
    error: str | None = None
    calls: int = 1
    duration_s: float = 0.1


class _PassesThenRefuses:
    """Passing runs, then (from call `refuse_at`) refused credentials: the run aborts."""

    def __init__(self, refuse_at: int) -> None:
        self.calls, self.refuse_at = 0, refuse_at

    async def check_health(self) -> None:
        pass

    async def run(self, case: LoadedCase, trial: int) -> _Out:
        self.calls += 1
        if self.calls >= self.refuse_at:
            raise HarnessError("the harness refused the credentials (401)")
        return _Out(make_run(f"r{self.calls}", [SAID], trace_complete=True))


def test_interrupted_and_aborted_cases_merge_as_error() -> None:
    done, cut, never = (make_case("done"), make_case("cut", trials=3), make_case("never"))
    runner = Runner(concurrency=1)
    asyncio.run(runner.run_all([done, cut], _PassesThenRefuses(refuse_at=3)))
    cases = tuple(unfinished([done, cut, never], runner.finished, None, "interrupted"))
    assert [(c.status, len(c.trials)) for c in cases] == [
        (Status.PASS, 1),
        (Status.ERROR, 1),
        (Status.ERROR, 0),
    ]  # `cut`: 1 pass of 3, stopped
    whole = ShardInfo(1, 1, tuple(c.case.id for c in cases), "", 3, "cases")
    gate_result = GateResult(
        "fail",
        "interrupted",
        cases,
        dataclasses.replace(selection(cases), shard=whole),
        "blocking",
        STARTED,
        FINISHED,
        abort_reason=runner.abort_reason,
    )
    merged = merge_results([("interrupted.json", results_record(gate_result, GATE_VERSION))])
    assert [c.status for c in merged.cases] == [c.status for c in cases]
    assert merged.verdict == "fail"


def test_one_run_replayed_in_two_shards_is_evidence_for_one_trial_only(tmp_path: Path) -> None:
    # Hole found: each shard is its own gate invocation, so a caching proxy answering both
    # shards with one recorded run made both cases pass, and merge combined the two passes.
    for name in ("a", "b"):
        write_case(
            tmp_path / "cases", "tools: {forbidden_tools: [create_new_appointment]}", name=name
        )
    run = run_result(SAID, trace_complete=True, run_id="r_cached")
    files = []
    for index in (1, 2):
        folder = tmp_path / f"shard{index}"
        folder.mkdir()
        ran = run_against(folder, run, "--shard", f"{index}/2", cases=tmp_path / "cases")
        assert ran.code == 0 and ran.results is not None and len(ran.results["cases"]) == 1
        files.append(str(folder / "results.json"))
    (tmp_path / "merged").mkdir()
    merged = gate(tmp_path / "merged", "merge", *files)
    assert merged.code == 1 and merged.results is not None, merged.out + merged.err
    states = {c["id"]: c["status"] for c in merged.results["cases"]}
    assert sorted(states.values()) == ["error", "pass"], states
    errored = next(c for c in merged.results["cases"] if c["status"] == "error")
    assert "run_id 'r_cached' again" in errored["reason"]
