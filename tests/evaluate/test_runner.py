"""The runner: early stop, bounded concurrency, and an abort leaves no case without a state."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

from gate.errors import HarnessError
from gate.evaluate.trial import evaluate_trial
from gate.models import Case, JudgedAssertion, LoadedCase
from gate.results import AssertionOutcome, HarnessRun, Status
from gate.runner import Runner, in_window, longest_first

GOOD = {
    "protocol": "voice-regress/v1",
    "status": "completed",
    "trace_complete": True,
    "events": [{"type": "message", "role": "agent", "turn": 0, "text": "ok"}],
    "outcome": {"task_completed": True},
}
BAD = {**GOOD, "outcome": {"task_completed": False}}


def loaded(cid: str, trials: int | None = None) -> LoadedCase:
    data: dict[str, Any] = {
        "version": 1,
        "suite": "s",
        "owner": "o",
        "trials": trials,
        "source": {
            "type": "synthetic",
            "source_call_id": "c",
            "failure_label": "intent_miss",
            "severity": "high",
            "sanitized": True,
        },
        "agent_ref": {},
        "fixture": {},
        "assertions": {"outcome": {"task_completed": True}},
        "promotion": {"level": "blocking", "run_on": ["prompt_change"]},
    }
    return LoadedCase(cid, f"{cid}.yaml", Case.model_validate(data))


@dataclass(frozen=True)
class Out:
    run: HarnessRun | None
    error: str | None = None
    calls: int = 1
    duration_s: float = 0.01


class ScriptedDispatcher:
    """Answers trial N of a case from a script; records calls and peak concurrency."""

    def __init__(self, script: dict[str, list[Any]]) -> None:
        self.script, self.calls = script, list[tuple[str, int]]()
        self.in_flight = self.peak = 0

    async def check_health(self) -> None:
        pass

    async def run(self, case: LoadedCase, trial: int) -> Out:
        self.calls.append((case.id, trial))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        answer = self.script[case.id][trial - 1]
        if isinstance(answer, Exception):
            raise answer
        if answer is None:
            return Out(None, "harness returned 503 after 4 attempts", calls=4)
        # A distinct run_id per trial, as a real harness sets: identical evidence without one
        # is a replay (tests of replays script their own run_id).
        return Out(HarnessRun.model_validate({"run_id": f"r_{case.id}_{trial}", **answer}))


def run(cases: list[LoadedCase], script: dict[str, list[Any]], **kw: Any) -> tuple[Any, ...]:
    dispatcher, runner = ScriptedDispatcher(script), Runner(**kw)
    results = asyncio.run(runner.run_all(cases, dispatcher))
    return results, dispatcher, runner


def test_two_passes_of_three_stop_early() -> None:
    results, dispatcher, _ = run([loaded("a", trials=3)], {"a": [GOOD, GOOD, BAD]})
    assert results[0].status is Status.PASS and len(dispatcher.calls) == 2
    assert results[0].reason.startswith("2/2 trials passed (need 2 of 3)")


def test_trials_flag_overrides_case() -> None:
    results, dispatcher, _ = run([loaded("a", trials=3)], {"a": [BAD, BAD]}, trials=1)
    assert results[0].status is Status.FAIL and dispatcher.calls == [("a", 1)]


def test_dispatch_failure_is_error_never_pass() -> None:
    results, _, _ = run([loaded("a")], {"a": [None]})
    assert results[0].status is Status.ERROR
    assert results[0].reason == "dispatch: harness returned 503 after 4 attempts"
    assert results[0].harness_calls == 4


def test_concurrency_is_bounded() -> None:
    cases = [loaded(f"c{i}") for i in range(10)]
    _, dispatcher, _ = run(cases, {c.id: [GOOD] for c in cases}, concurrency=3)
    assert dispatcher.peak == 3


def test_credentials_refused_aborts_and_every_case_still_has_a_state() -> None:
    cases = [loaded(f"c{i}") for i in range(5)]
    script: dict[str, list[Any]] = {c.id: [HarnessError("harness rejected (401)")] for c in cases}
    results, dispatcher, runner = run(cases, script, concurrency=1)
    assert runner.abort_reason == "harness rejected (401)"
    assert len(dispatcher.calls) == 1
    assert [r.status for r in results] == [Status.ERROR] * 5
    assert all("harness rejected (401)" in r.reason for r in results)


def test_agent_error_fails_and_timeout_errors() -> None:
    case = loaded("a")
    agent = HarnessRun.model_validate({**GOOD, "status": "agent_error", "error": "crash"})
    trial = asyncio.run(evaluate_trial(case, 1, agent, None, calls=1, duration_s=0, judge=None))
    assert trial.status is Status.FAIL and trial.reason == "run.status: the agent errored: crash"
    timeout = HarnessRun.model_validate({**GOOD, "status": "timeout", "events": []})
    timed_out = evaluate_trial(case, 1, timeout, None, calls=1, duration_s=0, judge=None)
    assert asyncio.run(timed_out).status is Status.ERROR


def test_with_history_the_longest_cases_start_first_and_results_keep_their_order() -> None:
    cases = [loaded(i) for i in ("short", "unknown", "long", "mid")]
    durations = {"short": 1.0, "long": 30.0, "mid": 5.0}  # unknown weighs the mean, 12
    results, dispatcher, _ = run(
        cases, {c.id: [GOOD] for c in cases}, concurrency=1, durations=durations
    )
    assert [cid for cid, _ in dispatcher.calls] == ["long", "unknown", "mid", "short"]
    assert [r.case.id for r in results] == ["short", "unknown", "long", "mid"]


def test_longest_first_without_history_keeps_the_order() -> None:
    cases = [loaded(i) for i in ("b", "a", "c")]
    assert longest_first(cases, {}) == cases


def test_fail_fast_starts_no_run_after_a_blocking_failure() -> None:
    cases = [loaded(i) for i in ("a", "b", "c")]
    results, dispatcher, runner = run(
        cases, {"a": [GOOD], "b": [BAD], "c": [GOOD]}, concurrency=1, fail_fast=True
    )
    assert dispatcher.calls == [("a", 1), ("b", 1)]
    assert [r.status for r in results] == [Status.PASS, Status.FAIL, Status.SKIPPED]
    assert results[2].reason == "not run: --fail-fast stopped the run after b failed"
    assert results[2].trials == () and runner.failed_fast == "b"


def test_without_fail_fast_every_case_runs() -> None:
    cases = [loaded(i) for i in ("a", "b", "c")]
    results, dispatcher, _ = run(cases, {"a": [BAD], "b": [BAD], "c": [GOOD]}, concurrency=1)
    assert len(dispatcher.calls) == 3 and results[2].status is Status.PASS


def test_fail_fast_is_not_set_off_by_a_skipped_case() -> None:
    judged_only = loaded("judged")
    spec = judged_only.case.model_copy(
        update={
            "assertions": judged_only.case.assertions.model_copy(
                update={"outcome": None, "judged": [JudgedAssertion(criterion="is polite")]}
            )
        }
    )
    cases = [dataclasses.replace(judged_only, case=spec), loaded("next")]
    results, dispatcher, _ = run(
        cases, {"judged": [GOOD], "next": [GOOD]}, concurrency=1, fail_fast=True
    )
    assert [r.status for r in results] == [Status.SKIPPED, Status.PASS]
    assert len(dispatcher.calls) == 2


class SlowJudge:
    """Scores every judged assertion as a pass after `seconds` on the runner's clock."""

    def __init__(self, clock: list[float], seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    async def judge_run(self, specs: Any, run: HarnessRun) -> list[AssertionOutcome]:
        self.clock[0] += self.seconds
        return [AssertionOutcome(f"judged[{i}]", Status.PASS, "ok") for i in range(len(specs))]


def test_a_trials_duration_includes_its_judge_time() -> None:
    case = loaded("judged")
    assertions = case.case.assertions.model_copy(
        update={"judged": [JudgedAssertion(criterion="is polite")]}
    )
    case = dataclasses.replace(case, case=case.case.model_copy(update={"assertions": assertions}))
    now = [100.0]
    results, _, _ = run([case], {"judged": [GOOD]}, judge=SlowJudge(now, 2.5), clock=lambda: now[0])
    trial = results[0].trials[0]
    assert results[0].status is Status.PASS
    assert trial.duration_s == 0.01 + 2.5  # the harness call (Out) plus the judge's votes


def test_in_window_starts_in_order_never_more_than_its_width_at_once() -> None:
    started: list[int] = []
    running = peak = 0

    async def work(item: int) -> None:
        nonlocal running, peak
        started.append(item)
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (item % 3))
        running -= 1

    asyncio.run(in_window(list(range(50)), 4, work))
    assert started == list(range(50)) and peak == 4


def test_in_window_raises_the_failure_itself_and_starts_nothing_after_it() -> None:
    started: list[int] = []

    async def work(item: int) -> None:
        started.append(item)
        await asyncio.sleep(0)
        if item == 3:
            raise ValueError("a bug in one case")
        await asyncio.sleep(1)

    try:
        asyncio.run(in_window(list(range(100)), 5, work))
    except ValueError as exc:  # not an ExceptionGroup: the CLI's catch point sees the bug
        assert str(exc) == "a bug in one case"
    else:
        raise AssertionError("the failure was swallowed")
    assert max(started) < 10


def test_thousands_of_cases_hold_only_a_window_of_tasks() -> None:
    """5,000 cases, concurrency 8: never more than 2 × 8 case tasks alive at once."""
    peak = 0

    class Counting(ScriptedDispatcher):
        async def run(self, case: LoadedCase, trial: int) -> Out:
            nonlocal peak
            peak = max(peak, len(asyncio.all_tasks()))
            return await super().run(case, trial)

    cases = [loaded(f"c{i}") for i in range(5000)]
    script = {c.id: [GOOD] for c in cases}
    results = asyncio.run(Runner(concurrency=8).run_all(cases, Counting(script)))
    assert len(results) == 5000 and all(r.status is Status.PASS for r in results)
    assert peak <= 2 * 8 + 1  # the window, and the task running run_all itself
