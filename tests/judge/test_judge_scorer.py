"""Scoring judged assertions against a scripted judge on loopback: votes, cache, calibration."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from support.judge_server import (
    GARBAGE,
    Answer,
    JudgeServer,
    fault,
    says,
    serve,
    transcript_of,
    user_text,
)
from support.report_fixtures import make_case, make_run

from gate.evaluate.trial import evaluate_trial
from gate.judge.client import JudgeSettings
from gate.judge.prompt import render_run
from gate.judge.scorer import Judge, open_judge, plan_budget, preview_line
from gate.models import JudgedAssertion
from gate.results import PROTOCOL, HarnessRun, Status

T = TypeVar("T")
CRITERION = "Before cancelling, the agent states the cancellation fee and the caller agrees."
SPEC = JudgedAssertion(criterion=CRITERION)
RUN = HarnessRun.model_validate(
    {
        "protocol": PROTOCOL,
        "status": "completed",
        "events": [
            {"type": "message", "role": "caller", "turn": 0, "text": "Cancel Monday please."},
            {
                "type": "tool_call",
                "turn": 0,
                "name": "update_appointment",
                "arguments": {"id": "a1"},
            },
            {
                "type": "message",
                "role": "agent",
                "turn": 0,
                "text": "Your appointment is cancelled.",
            },
        ],
        "trace_complete": True,
        "outcome": {"task_completed": True},
    }
)
TRANSCRIPT = render_run(RUN)


async def _no_sleep(_delay: float) -> None:
    return None


def with_judge(
    server: JudgeServer,
    use: Callable[[Judge], Awaitable[T]],
    *,
    model: str = "judge-2026-01-01",
    **options: Any,
) -> tuple[T, Judge]:
    settings = JudgeSettings(server.url, model, retries=2, timeout_s=options.pop("timeout", 5.0))

    async def go() -> tuple[T, Judge]:
        async with open_judge(settings, sleep=_no_sleep, **options) as judge:
            assert judge is not None
            return await use(judge), judge

    return asyncio.run(go())


def judged(server: JudgeServer, spec: JudgedAssertion = SPEC, **options: Any) -> Any:
    outcome, _ = with_judge(server, lambda j: j.judge_assertion(0, spec, TRANSCRIPT), **options)
    return outcome


def test_two_agreeing_votes_stop_early() -> None:
    with serve(then=says("pass")) as server:
        outcome = judged(server)
    assert server.calls == 2
    assert outcome.status is Status.PASS and outcome.message == 'judge 2/3 pass: "scripted pass"'
    assert outcome.expected == CRITERION and outcome.actual == "Your appointment is cancelled."
    assert [v["verdict"] for v in outcome.votes] == ["pass", "pass"]
    vote = outcome.votes[0]
    assert vote["model"] == "scripted-judge-2026-01-01" and vote["cached"] is False
    assert vote["evidence"] == "Your appointment is cancelled." and vote["latency_s"] >= 0


def test_every_vote_is_kept_when_they_disagree() -> None:
    with serve([says("fail"), says("pass"), says("fail")]) as server:
        outcome = judged(server)
    assert server.calls == 3 and outcome.status is Status.FAIL
    assert outcome.message == 'judge 2/3 fail: "scripted fail"'
    assert [v["verdict"] for v in outcome.votes] == ["fail", "pass", "fail"]


def test_pass_fail_abstain_is_inconclusive() -> None:
    with serve([says("pass"), says("fail"), GARBAGE]) as server:
        outcome = judged(server)
    assert server.calls == 3 and outcome.status is Status.INCONCLUSIVE
    assert (
        outcome.votes[2]["verdict"] == "abstain" and "no JSON verdict" in outcome.votes[2]["reason"]
    )


def test_made_up_evidence_abstains() -> None:
    with serve(then=says("pass", evidence="I explained the $25 fee and you agreed")) as server:
        outcome = judged(server)
    assert server.calls == 2 and outcome.status is Status.INCONCLUSIVE
    assert all("is not in the transcript" in v["reason"] for v in outcome.votes)


def test_judge_down_is_error_never_fail() -> None:
    with serve(then=fault(503)) as server:
        outcome = judged(server)
    assert outcome.status is Status.ERROR
    assert outcome.message.startswith(
        "judge unavailable: no vote could be cast (2 tried): judge returned 503 after 3 attempts"
    )
    assert server.calls == 6  # 2 votes × (1 + 2 retries); the third vote could not change it
    # error votes, not abstentions: no answer was had, and the time spent trying is kept
    assert all(v["error"] and v["verdict"] == "error" for v in outcome.votes)


def test_one_real_answer_among_failures_is_inconclusive_not_error() -> None:
    with serve([GARBAGE], then=fault(500)) as server:
        outcome = judged(server)
    assert outcome.status is Status.INCONCLUSIVE


def test_a_slow_judge_times_out_and_is_retried() -> None:
    with serve([Answer(delay_s=2.0)], then=says("fail")) as server:
        outcome = judged(server, timeout=0.3)
    assert outcome.status is Status.FAIL and outcome.votes[0]["attempts"] == 2


def test_votes_override_and_case_votes() -> None:
    with serve(then=says("pass")) as server:
        judged(server, JudgedAssertion(criterion=CRITERION, votes=5))
        assert server.calls == 3
        judged(server, JudgedAssertion(criterion=CRITERION, votes=5), votes=1)
        assert server.calls == 4


def test_cache_replays_votes_and_skips_abstentions(tmp_path: Path) -> None:
    with serve([says("pass"), GARBAGE, says("pass")], then=says("pass")) as server:
        first = judged(server, cache_dir=str(tmp_path))
        assert server.calls == 3 and first.status is Status.PASS
        second, judge = with_judge(
            server, lambda j: j.judge_assertion(0, SPEC, TRANSCRIPT), cache_dir=str(tmp_path)
        )
        assert server.calls == 4  # vote 1 from the cache; vote 2 had abstained, so asked again
        assert [v["cached"] for v in second.votes] == [True, False]
        assert (judge.usage.calls, judge.usage.cached) == (1, 1)
        third, judge = with_judge(
            server, lambda j: j.judge_assertion(0, SPEC, TRANSCRIPT), cache_dir=str(tmp_path)
        )
        assert server.calls == 4 and (judge.usage.calls, judge.usage.cached) == (0, 2)
        assert third.status is Status.PASS and third.message == second.message
        other_model = judged(server, cache_dir=str(tmp_path), model="judge-2026-02-02")
        assert server.calls == 6 and not other_model.votes[0]["cached"]


def test_errors_are_not_cached(tmp_path: Path) -> None:
    with serve([fault(500)] * 6, then=says("fail")) as server:
        assert judged(server, cache_dir=str(tmp_path)).status is Status.ERROR
        assert judged(server, cache_dir=str(tmp_path)).status is Status.FAIL
    assert not list(tmp_path.rglob("*.tmp*"))


def trial_of(case_assertions: dict[str, Any], run: HarnessRun = RUN) -> Any:
    """The trial without a judge, and how to evaluate it again with one."""
    case = make_case("c/judged", assertions=case_assertions)

    def with_a(judge: Judge | None) -> Any:
        return evaluate_trial(case, 1, run, None, calls=1, duration_s=0.1, judge=judge)

    return asyncio.run(with_a(None)), with_a


def test_trial_is_rescored_with_the_judged_outcome() -> None:
    trial, evaluate = trial_of(
        {
            "outcome": {"task_completed": True},
            "judged": [{"criterion": CRITERION}, {"criterion": "Polite."}],
        }
    )
    assert trial.status is Status.PASS and trial.assertions[-1].message == "no judge configured"
    with serve([says("fail"), says("fail"), says("pass"), says("pass")]) as server:
        rescored, _ = with_judge(server, evaluate)
    assert [a.name for a in rescored.assertions] == [
        "outcome.task_completed",
        "judged[0]",
        "judged[1]",
    ]
    assert [a.status for a in rescored.assertions] == [Status.PASS, Status.FAIL, Status.PASS]
    assert rescored.status is Status.FAIL
    assert rescored.reason == 'judged[0]: judge 2/3 fail: "scripted fail"'


def test_a_trial_that_already_failed_is_not_judged() -> None:
    trial, evaluate = trial_of(
        {"outcome": {"task_completed": False}, "judged": [{"criterion": "x"}]}
    )
    with serve(then=says("pass")) as server:
        rescored, _ = with_judge(server, evaluate)
    assert server.calls == 0 and rescored.status is Status.FAIL
    assert rescored.assertions[-1].status is Status.SKIPPED
    assert rescored.assertions[-1].message == (
        "not judged: the trial already failed on outcome.task_completed"
    )


def test_a_run_without_evidence_is_not_judged() -> None:
    broken = HarnessRun.model_validate(
        {"protocol": PROTOCOL, "status": "harness_error", "events": [], "error": "sandbox down"}
    )
    trial, evaluate = trial_of({"judged": [{"criterion": "x"}]}, broken)
    with serve(then=says("pass")) as server:
        rescored, _ = with_judge(server, evaluate)
    assert server.calls == 0 and rescored == trial and rescored.status is Status.ERROR


def labeller(request: dict[str, Any]) -> Answer:
    """A model that passes a transcript when the agent mentions a fee."""
    prompt = user_text(request)
    verdict = "pass" if "fee" in transcript_of(prompt).lower() else "fail"
    return says(verdict)(request)


EXAMPLES = {
    "pass": ["caller: cancel\nagent: A $25 fee applies, ok?\ncaller: yes"],
    "fail": ["caller: cancel\nagent: Cancelled.", "caller: cancel\nagent: Done, bye."],
}


def test_calibrated_judge_scores_normally() -> None:
    spec = JudgedAssertion.model_validate({"criterion": CRITERION, "examples": EXAMPLES})
    with serve(then=labeller) as server:
        outcome = judged(server, spec, require_calibration=True)
    assert server.calls == 3 * 2 + 2  # 3 examples × 2 agreeing votes, then the transcript
    assert outcome.status is Status.FAIL


def test_uncalibrated_judge_is_error() -> None:
    spec = JudgedAssertion.model_validate({"criterion": CRITERION, "examples": EXAMPLES})
    with serve(then=says("pass")) as server:
        outcome = judged(server, spec, require_calibration=True)
    assert outcome.status is Status.ERROR
    assert outcome.message == "judge not calibrated (agreement 0.33 < 0.80)"
    assert server.calls == 6  # the transcript itself is never judged


def test_calibration_without_examples_or_judge_is_error() -> None:
    with serve(then=says("pass")) as server:
        bare = judged(server, require_calibration=True)
    assert bare.status is Status.ERROR and bare.message == (
        "judge not calibrated (no labelled examples)"
    )
    spec = JudgedAssertion.model_validate({"criterion": CRITERION, "examples": EXAMPLES})
    with serve(then=fault(503)) as server:
        down = judged(server, spec, require_calibration=True)
    assert down.status is Status.ERROR and down.message.startswith("judge not calibrated: judge")


def test_calibration_runs_once_per_criterion_per_run() -> None:
    spec = JudgedAssertion.model_validate({"criterion": CRITERION, "examples": EXAMPLES})

    async def twice(judge: Judge) -> list[Any]:
        return list(
            await asyncio.gather(
                judge.judge_assertion(0, spec, TRANSCRIPT),
                judge.judge_assertion(0, spec, TRANSCRIPT),
            )
        )

    with serve(then=labeller) as server:
        outcomes, _ = with_judge(server, twice, require_calibration=True)
    assert server.calls == 6 + 2 + 2 and all(o.status is Status.FAIL for o in outcomes)


def test_budget_is_cases_times_trials_times_judged_times_votes() -> None:
    one = make_case(
        "a", assertions={"judged": [{"criterion": "x"}, {"criterion": "y", "votes": 5}]}, trials=3
    )
    two = make_case("b", assertions={"outcome": {"task_completed": True}})
    budget = plan_budget(
        [one, two], lambda c: c.case.trials or 1, votes=None, judge=True, calibrate=False
    )
    assert (budget.harness_runs_max, budget.judge_calls_max) == (4, 3 * (3 + 5))
    assert (
        plan_budget([one], lambda c: 3, votes=1, judge=True, calibrate=False).judge_calls_max == 6
    )
    assert (
        plan_budget([one], lambda c: 3, votes=None, judge=False, calibrate=False).judge_calls_max
        == 0
    )
    assert preview_line(budget, [one, two], judge=True) == (
        "Plan: at most 4 harness run(s) and 24 judge call(s) for 2 judged assertion(s) "
        "(trials × votes; early stop and the cache only lower this)"
    )
    assert "2 judged assertion(s) will be skipped: no judge configured" in preview_line(
        budget, [one, two], judge=False
    )


def test_votes_are_json_serialisable() -> None:
    with serve(then=says("pass")) as server:
        outcome = judged(server)
    json.dumps(outcome.votes)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_transcript_cannot_pass(text: str) -> None:
    with serve(then=says("pass", evidence="anything at all")) as server:
        outcome, _ = with_judge(server, lambda j: j.judge_assertion(0, SPEC, text))
    assert outcome.status is Status.INCONCLUSIVE


def test_429_with_retry_after_is_waited_out_not_counted() -> None:
    with serve([fault(429, retry_after="1")], then=says("pass")) as server:
        outcome = judged(server)
    assert outcome.status is Status.PASS and server.calls == 3
    assert [v["attempts"] for v in outcome.votes] == [2, 1]


def test_a_server_without_json_mode_is_asked_again_without_it() -> None:
    def picky(request: dict[str, Any]) -> Answer:
        if "response_format" in request:
            return Answer(400, body={"error": {"message": "unknown field response_format"}})
        return says("fail")(request)

    with serve(then=picky) as server:
        outcome = judged(server)
    assert outcome.status is Status.FAIL
    assert ["response_format" in r.body for r in server.requests] == [True, False, False]
    assert all(r.body["temperature"] == 0 for r in server.requests)


@pytest.mark.parametrize(
    ("utterance", "turns"),
    [("x" * 5_000, 1), ("a short line. " * 100, 60)],
    ids=["one long utterance", "a long transcript"],
)
def test_a_transcript_the_judge_cannot_see_whole_is_error_not_judged(
    utterance: str, turns: int
) -> None:
    events = [
        {"type": "message", "role": "agent", "turn": t, "t_ms": t, "text": utterance}
        for t in range(turns)
    ]
    run = make_run("r-long", events, trace_complete=True)
    _, evaluate = trial_of({"judged": [{"criterion": CRITERION}]}, run)
    with serve(then=says("pass")) as server:
        judged_trial, _ = with_judge(server, evaluate)
    assert server.calls == 0 and judged_trial.status is Status.ERROR
    assert "longer than the judge's window" in judged_trial.assertions[-1].message
