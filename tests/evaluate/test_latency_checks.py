"""latency.max_first_word_ms per agent turn, and latency.trials_p95_turn_ms over every turn of
every trial: pass, fail naming the turn (and trial), and `error` without the evidence."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_runner import GOOD, ScriptedDispatcher, loaded

from gate.evaluate.checks import evaluate_assertions
from gate.evaluate.pooled import pool_trials
from gate.models import Assertions, LoadedCase
from gate.records.results_reader import _check_statuses
from gate.results import HarnessRun, Status
from gate.runner import Runner

FIRST_WORD = Assertions.model_validate({"latency": {"max_first_word_ms": 1000}})


def timed(*turns: dict[str, Any]) -> HarnessRun:
    return HarnessRun.model_validate({**GOOD, "turns": list(turns)})


def test_first_word_in_time_passes() -> None:
    run = timed({"turn": 0, "first_word_ms": 700}, {"turn": 1, "first_word_ms": 950})
    [outcome] = evaluate_assertions(FIRST_WORD, run)
    assert outcome.status is Status.PASS and outcome.actual == 950


def test_a_late_first_word_fails_naming_the_turn() -> None:
    run = timed({"turn": 0, "first_word_ms": 2100, "latency_ms": 700}, {"turn": 1})
    [outcome] = evaluate_assertions(FIRST_WORD, run)
    assert outcome.status is Status.FAIL and outcome.turn == 0
    assert outcome.message == "turn 0: first word after 2100 ms > 1000 ms"


@pytest.mark.parametrize(
    ("turns", "message"),
    [
        ([], "the run reports no per-turn timings"),
        ([{"turn": 0, "first_word_ms": 500}, {"turn": 1, "latency_ms": 700}], "for turn 1"),
    ],
)
def test_first_word_without_evidence_is_an_error(turns: list[Any], message: str) -> None:
    [outcome] = evaluate_assertions(FIRST_WORD, timed(*turns))
    assert outcome.status is Status.ERROR and message in outcome.message


# --- trials_p95_turn_ms -------------------------------------------------------------------


def pooled_case(trials: int = 3) -> LoadedCase:
    base = loaded("p", trials=trials)
    latency = {"latency": {"trials_p95_turn_ms": 1000}}
    case = base.case.model_copy(update={"assertions": Assertions.model_validate(latency)})
    return LoadedCase(base.id, base.file, case)


def answer(*latencies: float) -> dict[str, Any]:
    return {**GOOD, "turns": [{"turn": i, "latency_ms": ms} for i, ms in enumerate(latencies)]}


def run_case(case: LoadedCase, script: list[Any]) -> tuple[Any, ScriptedDispatcher]:
    dispatcher = ScriptedDispatcher({case.id: script})
    [result] = asyncio.run(Runner().run_all([case], dispatcher))
    return result, dispatcher


def test_pooled_p95_runs_every_trial_and_passes() -> None:
    result, dispatcher = run_case(pooled_case(), [answer(700, 800)] * 3)
    assert len(dispatcher.calls) == 3  # no early stop after two passes
    assert result.status is Status.PASS
    assert (
        result.trials[0].assertions[-1].message
        == "p95 over 6 turns of 3 trials is 800 ms ≤ 1000 ms"
    )


def test_one_slow_turn_in_one_trial_fails_every_trial() -> None:
    script = [answer(700, 800), answer(750, 800), answer(2400, 800)]
    result, _ = run_case(pooled_case(), script)
    assert result.status is Status.FAIL
    assert {t.status for t in result.trials} == {Status.FAIL}
    outcome = result.trials[0].assertions[-1]
    assert outcome.message == (
        "p95 over 6 turns of 3 trials is 2400 ms > 1000 ms (slowest: trial 3, turn 0, 2400 ms)"
    )
    _check_statuses(result, None, "results.json")  # a results file re-tallies it the same


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ([answer(700), {**GOOD}, answer(700)], "trial 2 reports no per-turn latency"),
        ([answer(700), None, answer(700)], "trial 2 reports no per-turn latency"),
    ],
)
def test_pooled_p95_without_every_trial_is_an_error(script: list[Any], message: str) -> None:
    result, _ = run_case(pooled_case(), script)
    assert result.status is Status.ERROR
    pooled = [o for t in result.trials for o in t.assertions if o.name.startswith("latency.")]
    assert pooled and all(o.status is Status.ERROR and message in o.message for o in pooled)


def test_fewer_trials_than_planned_is_an_error() -> None:
    case = pooled_case()
    first = asyncio.run(
        Runner().run_all([pooled_case(trials=1)], ScriptedDispatcher({"p": [answer(1)]}))
    )
    [trial] = pool_trials(case, first[0].trials, planned=3)
    assert trial.status is Status.ERROR
    assert "only 1 of 3 trials ran" in trial.reason
