"""verdicts.md as tests: case states, trials with early stop, --fail-on, and the empty-run rule."""

from __future__ import annotations

from typing import Any

import pytest

from gate.evaluate.verdicts import gate_verdict, tally_trials, trial_state
from gate.models import Case, LoadedCase
from gate.results import AssertionOutcome, CaseResult, Status, TrialResult

P, F, E, INC, S = Status.PASS, Status.FAIL, Status.ERROR, Status.INCONCLUSIVE, Status.SKIPPED


def outcome(status: Status) -> AssertionOutcome:
    return AssertionOutcome("x", status, status.value)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([P, P], P),
        ([P, F, E], F),
        ([P, E, INC], E),
        ([P, INC], INC),
        ([S, P], P),
        ([S], S),
        ([], S),
    ],
)
def test_case_state_precedence(states: list[Status], expected: Status) -> None:
    assert trial_state([outcome(s) for s in states]) is expected


def trials(*states: Status) -> list[TrialResult]:
    return [TrialResult(i + 1, s, f"reason {i + 1}") for i, s in enumerate(states)]


@pytest.mark.parametrize(
    ("states", "planned", "status", "decided"),
    [
        ([P, P], 3, P, True),  # 2 of 3 passed: the third is not run
        ([P], 3, E, False),  # undecided: keep going
        ([P, F], 3, E, False),
        ([F, F], 3, F, True),  # a pass is impossible now
        ([P, F, F], 3, F, True),
        ([F, E, E], 3, E, True),  # too many errors to decide: error, not fail
        ([E, E], 3, E, True),
        ([INC, INC], 3, INC, True),
        ([S], 3, S, True),  # deterministic skip: no more trials
        ([F], 1, F, True),
        ([E], 1, E, True),
    ],
)
def test_tally_trials(states: list[Status], planned: int, status: Status, decided: bool) -> None:
    tally = tally_trials(trials(*states), planned, None)
    assert (tally.status, tally.decided) == (status, decided)


def test_tally_reason_shows_split_and_first_bad_trial() -> None:
    tally = tally_trials(trials(F, P, F), 3, None)
    assert tally.reason == "1/3 trials passed (need 2 of 3); trial 1: reason 1"


def test_pass_threshold_from_case() -> None:
    assert tally_trials(trials(P), 3, 1).status is P
    assert tally_trials(trials(P, P), 3, 3).decided is False


def loaded(cid: str, level: str = "blocking") -> LoadedCase:
    data: dict[str, Any] = {
        "version": 1,
        "suite": "s",
        "owner": "o",
        "source": {
            "type": "synthetic",
            "source_call_id": "c",
            "failure_label": "side_effect",
            "severity": "high",
            "sanitized": True,
        },
        "agent_ref": {},
        "fixture": {},
        "assertions": {"outcome": {"task_completed": True}},
        "promotion": {"level": level, "run_on": ["prompt_change"]},
    }
    return LoadedCase(cid, f"{cid}.yaml", Case.model_validate(data))


def result(cid: str, status: Status, level: str = "blocking", calls: int = 1) -> CaseResult:
    trial = TrialResult(1, status, "r", harness_calls=calls)
    return CaseResult(loaded(cid, level), status, "r", (trial,))


def verdict(cases: list[CaseResult], **kw: Any) -> tuple[str, str]:
    args: dict[str, Any] = {
        "fail_on": "blocking",
        "fail_on_empty": True,
        "files_found": 3,
        "sources": "cases",
    }
    args.update(kw)
    v = gate_verdict(cases, **args)
    return v.verdict, v.reason


@pytest.mark.parametrize("bad", [F, E, INC])
def test_blocking_case_that_does_not_pass_blocks(bad: Status) -> None:
    assert verdict([result("a", P), result("b", bad)])[0] == "fail"


def test_scheduled_failure_reports_but_does_not_block_unless_fail_on_any() -> None:
    cases = [result("a", P), result("b", F, "scheduled")]
    assert verdict(cases) == (
        "pass",
        "1/2 case(s) passed; 1 case(s) did not pass without blocking (--fail-on blocking)",
    )
    assert verdict(cases, fail_on="any")[0] == "fail"
    assert verdict([result("b", F)], fail_on="never")[0] == "pass"


def test_no_case_files_is_empty_and_fails() -> None:
    v, reason = verdict([], files_found=0, sources="caes/")
    assert v == "fail" and reason.startswith("no case files found under caes/")
    assert verdict([], files_found=0, fail_on_empty=False)[0] == "pass"


def test_selected_but_zero_harness_calls_fails_even_if_states_say_pass() -> None:
    v, reason = verdict([result("a", P, calls=0)])
    assert v == "fail" and "zero harness calls" in reason


def test_all_skipped_is_empty_not_green() -> None:
    v, reason = verdict([result("a", S)])
    assert v == "fail" and "were skipped" in reason


def test_no_case_affected_is_not_empty() -> None:
    assert verdict([]) == ("pass", "no case is affected by this change")


def test_abort_fails_even_with_fail_on_never() -> None:
    assert verdict([result("a", E)], fail_on="never", abort_reason="401")[0] == "fail"
