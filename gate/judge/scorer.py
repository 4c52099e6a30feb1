"""Score a trial's judged assertions: prompt, cache, votes with early stop, calibration, cost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from gate.judge.cache import CacheKey, VerdictCache
from gate.judge.calibration import Calibration, calibrate, labelled
from gate.judge.client import (
    JudgeClient,
    JudgeSettings,
    JudgeUnavailable,
    make_http_client,
)
from gate.judge.prompt import (
    MAX_LINE_CHARS,
    MAX_TRANSCRIPT_CHARS,
    JudgePrompt,
    UnusableAnswer,
    build_prompt,
    parse_verdict,
    render_run,
    transcript_cut,
)
from gate.judge.votes import (
    DEFAULT_VOTES,
    Vote,
    VoteTally,
    collect_votes,
    tally_votes,
    vote_message,
)
from gate.models import JudgedAssertion, LoadedCase
from gate.net import Sleep
from gate.results import AssertionOutcome, CallBudget, CaseResult, HarnessRun, Status


@dataclass
class JudgeUsage:
    """What the judge cost in this run."""

    calls: int = 0  # votes asked of the judge (retries of one vote count once)
    cached: int = 0  # votes answered from the cache


class Judge:
    """Scores judged assertions; shared by every case of a run."""

    def __init__(
        self,
        client: JudgeClient,
        *,
        cache: VerdictCache | None = None,
        votes: int | None = None,
        require_calibration: bool = False,
    ) -> None:
        self.client, self.cache = client, cache
        self.votes, self.require_calibration = votes, require_calibration
        self.usage = JudgeUsage()
        self._calibrations: dict[str, asyncio.Future[Calibration]] = {}

    def planned_votes(self, spec: JudgedAssertion) -> int:
        """`--votes`, else the assertion's own `votes`, else 3."""
        return planned_votes(spec, self.votes)

    async def score(
        self, criterion: str, transcript: str, planned: int
    ) -> tuple[VoteTally, list[Vote]]:
        """Majority of `planned` votes on `criterion` over a rendered transcript."""
        prompt = build_prompt(criterion, transcript)
        votes = await collect_votes(planned, lambda index: self._vote(prompt, index))
        return tally_votes(votes, planned), votes

    async def _vote(self, prompt: JudgePrompt, index: int) -> Vote:
        key = CacheKey(
            self.client.settings.identity, prompt.criterion, prompt.transcript_hash, index
        )
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None:
            self.usage.cached += 1
            return cached
        model = self.client.settings.model
        try:
            reply = await self.client.complete(prompt.messages)
        except JudgeUnavailable as exc:
            self.usage.calls += 1 if exc.attempts else 0
            # An error vote, not an abstention: the judge gave no answer (an abstention is an
            # answer that cannot count), and the time it took is kept.
            return Vote(
                "error",
                f"judge unavailable: {exc}",
                model=model,
                latency_s=exc.latency_s,
                error=str(exc),
                attempts=exc.attempts,
            )
        self.usage.calls += 1
        try:
            parsed = parse_verdict(reply.text, prompt)
        except UnusableAnswer as exc:
            return Vote(
                "abstain",
                f"unusable answer: {exc}",
                model=reply.model,
                latency_s=reply.latency_s,
                attempts=reply.attempts,
            )
        vote = Vote(
            parsed.verdict,
            parsed.reason,
            parsed.evidence,
            reply.model,
            reply.latency_s,
            attempts=reply.attempts,
        )
        if self.cache is not None:
            self.cache.put(key, vote)
        return vote

    async def calibration(self, spec: JudgedAssertion, planned: int) -> Calibration:
        """The assertion's calibration, computed once per run however many cases share it."""
        examples = spec.examples.model_dump(by_alias=True) if spec.examples else None
        key = json.dumps([spec.criterion, examples, planned], ensure_ascii=False)
        future = self._calibrations.get(key)
        if future is None:
            future = asyncio.ensure_future(calibrate(spec, planned, self.score))
            self._calibrations[key] = future
        return await future

    async def judge_assertion(
        self, index: int, spec: JudgedAssertion, transcript: str
    ) -> AssertionOutcome:
        """`judged[index]` over a rendered transcript: pass, fail, inconclusive or error."""
        name, planned = f"judged[{index}]", self.planned_votes(spec)
        if self.require_calibration:
            problem = (await self.calibration(spec, planned)).problem()
            if problem is not None:
                return AssertionOutcome(name, Status.ERROR, problem, expected=spec.criterion)
        tally, votes = await self.score(spec.criterion, transcript, planned)
        status = tally.status or Status.ERROR  # collect_votes only returns decided tallies
        evidence = next((v.evidence for v in votes if v.verdict == status.value), None)
        return AssertionOutcome(
            name,
            status,
            vote_message(tally, votes),
            expected=spec.criterion,
            actual=evidence,
            votes=tuple(v.as_dict() for v in votes),
        )

    async def judge_run(
        self, specs: Sequence[JudgedAssertion], run: HarnessRun
    ) -> list[AssertionOutcome]:
        """Every judged assertion of a trial, over its run's rendered transcript (all of it, or
        `error`: the judge never rules on part of the evidence)."""
        cut = transcript_cut(run)
        if cut is not None:
            window = f"{MAX_TRANSCRIPT_CHARS:,} characters, {MAX_LINE_CHARS:,} a line"
            why = f"not judged: {cut} ({window})"
            return [
                AssertionOutcome(f"judged[{i}]", Status.ERROR, why, expected=spec.criterion)
                for i, spec in enumerate(specs)
            ]
        transcript = render_run(run)
        return [await self.judge_assertion(i, spec, transcript) for i, spec in enumerate(specs)]


def planned_votes(spec: JudgedAssertion, override: int | None) -> int:
    """Votes asked per trial: `--votes` (`override`), else the assertion's `votes`, else 3."""
    return override or spec.votes or DEFAULT_VOTES


@asynccontextmanager
async def open_judge(
    settings: JudgeSettings | None,
    *,
    cache_dir: str | None = None,
    votes: int | None = None,
    require_calibration: bool = False,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[Judge | None]:
    """A Judge for the run (None when no judge is configured), its HTTP client closed after."""
    if settings is None:
        yield None
        return
    cache = VerdictCache(cache_dir) if cache_dir else None
    async with make_http_client(settings) as http:
        client = JudgeClient(settings, http, sleep=sleep)
        yield Judge(client, cache=cache, votes=votes, require_calibration=require_calibration)


def plan_budget(
    cases: Sequence[LoadedCase],
    trials: Callable[[LoadedCase], int],
    *,
    votes: int | None,
    judge: bool,
    calibrate: bool,
) -> CallBudget:
    """Upper bounds before dispatch: harness runs = cases × trials; judge calls = trials ×
    judged assertions × votes (+ labelled examples × votes when calibration is required)."""
    runs = sum(trials(c) for c in cases)
    judge_max = 0
    for case in cases if judge else ():
        for spec in case.case.assertions.judged or []:
            planned = planned_votes(spec, votes)
            judge_max += trials(case) * planned
            judge_max += len(labelled(spec)) * planned if calibrate else 0
    return CallBudget(harness_runs_max=runs, judge_calls_max=judge_max)


def preview_line(budget: CallBudget, cases: Sequence[LoadedCase], judge: bool) -> str:
    """The cost preview printed before anything is dispatched."""
    judged = sum(len(c.case.assertions.judged or []) for c in cases)
    line = f"Plan: at most {budget.harness_runs_max} harness run(s)"
    if judge and judged:
        return (
            f"{line} and {budget.judge_calls_max} judge call(s) for {judged} judged "
            "assertion(s) (trials × votes; early stop and the cache only lower this)"
        )
    if judged:
        return (
            f"{line}; {judged} judged assertion(s) will be skipped: no judge configured "
            "(--judge-url, --judge-model)"
        )
    return line


def spent(
    budget: CallBudget, results: Sequence[CaseResult], usage: JudgeUsage | None
) -> CallBudget:
    """The plan with what the run actually spent filled in (`usage`: the run's judge's, if any)."""
    usage = usage or JudgeUsage()
    return replace(
        budget,
        harness_runs=sum(len(r.trials) for r in results),
        judge_calls=usage.calls,
        judge_cached=usage.cached,
    )
