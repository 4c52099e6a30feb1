"""`rejudge` (re-evaluate recorded runs, no harness calls) and `judge-check` (calibration)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TextIO

from pydantic import ValidationError

from gate.commands.gating import warn_baseline
from gate.commands.reports import shown_ids, write_reports
from gate.commands.wiring import finish_run, load_for, now_iso, open_run_judge, resolve
from gate.dispatch.consistency import inconsistency
from gate.errors import InputError
from gate.evaluate.pooled import pool_trials
from gate.evaluate.replays import ReplayLedger
from gate.evaluate.trial import evaluate_trial
from gate.evaluate.verdicts import tally_trials
from gate.judge.calibration import THRESHOLD, labelled
from gate.judge.probe import unreachable
from gate.judge.scorer import Judge, plan_budget, spent
from gate.models import LoadedCase
from gate.net import Sleep
from gate.records.record import CaseRecord, ResultsRecord, TrialRecord, read_record
from gate.report.console import progress_line, render_summary
from gate.results import (
    AssertionOutcome,
    CallBudget,
    CaseResult,
    HarnessRun,
    Selection,
    Status,
    TrialResult,
)
from gate.settings import RunSettings
from gate.text import log_line, one_line

NOT_RECORDED = "no recorded run to re-evaluate (write results with --record-runs true)"


# --- rejudge ------------------------------------------------------------------------------


def _admit(case: LoadedCase, number: int, run: HarnessRun, ledger: ReplayLedger) -> str | None:
    """Why a recorded run is no evidence of this trial (the runner's rules), or None."""
    scenario = case.case.scenario
    max_turns = scenario.max_turns if scenario else None
    return inconsistency(run, case.id, number, max_turns) or ledger.claim((case.id, number), run)


async def _rejudge_trial(
    case: LoadedCase, record: TrialRecord, judge: Judge | None, ledger: ReplayLedger
) -> TrialResult:
    problem = NOT_RECORDED
    if record.run is not None:
        try:
            run = HarnessRun.model_validate(record.run)
        except ValidationError as exc:
            problem = f"the recorded run is not a valid RunResult ({exc.error_count()} problem(s))"
        else:
            # A results file is input like any other: its runs pass the runner's checks again.
            refused = _admit(case, record.trial, run, ledger)
            if refused is None:
                return await evaluate_trial(
                    case,
                    record.trial,
                    run,
                    None,
                    calls=record.harness_calls,
                    duration_s=record.duration_s,
                    judge=judge,
                )
            problem = refused
    elif record.run_omitted is not None:
        problem = f"the run was too large to record ({one_line(record.run_omitted, 200)})"
    elif record.status is Status.ERROR and record.reason:
        problem += f"; it was: {one_line(record.reason, 300)}"
    outcome = AssertionOutcome("rejudge", Status.ERROR, problem)
    return TrialResult(
        record.trial,
        Status.ERROR,
        f"rejudge: {problem}",
        record.duration_s,
        (outcome,),
        None,
        record.harness_calls,
    )


async def _rejudge_case(
    case: LoadedCase, record: CaseRecord, judge: Judge | None, ledger: ReplayLedger
) -> CaseResult:
    planned = record.trials_planned
    rejudged = [await _rejudge_trial(case, t, judge, ledger) for t in record.trials]
    done = pool_trials(case, rejudged, planned)
    tally = tally_trials(done, planned, case.case.pass_threshold)
    if not done or not tally.decided:
        # e.g. 2 of 3 trials ran and passed before; now one fails and the third never ran.
        why = (
            f"rejudge: the {len(done)} recorded trial(s) of {planned} do not decide the case "
            "any more; run it again"
        )
        return CaseResult(case, Status.ERROR, why, done, planned)
    return CaseResult(case, tally.status, tally.reason, done, planned)


def _pair(
    recorded: ResultsRecord, cases: Sequence[LoadedCase], source: str
) -> tuple[list[tuple[LoadedCase, CaseRecord]], Selection]:
    by_id = {c.id: c for c in cases}
    entries = recorded.cases
    pairs = [(by_id[e.id], e) for e in entries if e.id in by_id]
    recorded_ids = {e.id for e in entries}
    deferred = [
        (e.id, "in the results file, but not in --cases") for e in entries if e.id not in by_id
    ]
    deferred += [(c.id, f"not in {source}") for c in cases if c.id not in recorded_ids]
    note = (
        f"rejudge of {source}: {len(pairs)} recorded case(s) re-evaluated from their "
        "recorded runs; no harness call was made"
    )
    selection = Selection(
        "rejudge",
        tuple(c.id for c, _ in pairs),
        {c.id: "recorded run" for c, _ in pairs},
        tuple(deferred),
        len(entries),
        None,
        note,
    )
    return pairs, selection


async def rejudge_cases(
    recorded: ResultsRecord,
    cases: Sequence[LoadedCase],
    settings: RunSettings,
    *,
    source: str,
    sleep: Sleep = asyncio.sleep,
    on_done: Callable[[CaseResult], None] = lambda _r: None,
) -> tuple[list[CaseResult], Selection, CallBudget]:
    """Every recorded case re-evaluated (deterministic and judged assertions) on its recorded
    runs; a trial without a recorded run is `error`, never a pass."""
    pairs, selection = _pair(recorded, cases, source)
    counts = {c.id: len(e.trials) for c, e in pairs}
    async with open_run_judge(settings, sleep=sleep) as judge:
        budget = plan_budget(
            [c for c, _ in pairs],
            lambda c: counts[c.id],
            votes=settings.votes,
            judge=judge is not None,
            calibrate=settings.require_calibration,
        )

        ledger = ReplayLedger()  # one run is evidence for one trial, recorded or not

        async def one(case: LoadedCase, entry: CaseRecord) -> CaseResult:
            result = await _rejudge_case(case, entry, judge, ledger)
            on_done(result)
            return result

        results = list(await asyncio.gather(*(one(c, e) for c, e in pairs)))
        used = spent(replace(budget, harness_runs_max=0), [], judge.usage if judge else None)
    return results, selection, used


def warn_changed(
    recorded: ResultsRecord, cases: Sequence[LoadedCase], source: str, err: TextIO
) -> None:
    """Say which recorded cases are not the loaded ones (by digest), once, and go on.

    Judging recorded runs with the cases as they are now is what rejudge is for (an assertion
    was edited); the new results record today's digest. But a recorded run of a case whose
    scenario or fixture changed was a run of the earlier case, so the change is said.
    """
    digests = {c.id: c.digest for c in cases}
    changed = [e.id for e in recorded.cases if e.id in digests and e.digest != digests[e.id]]
    if changed:
        print(
            f"rejudge: {len(changed)} case(s) changed since {log_line(source)} (or it records no "
            "digest): their recorded runs are of the earlier case, judged now with its current "
            f"assertions: {shown_ids(changed)}",
            file=err,
        )


def rejudge_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`rejudge RESULTS --cases PATH…`: new verdicts from recorded runs, same exit-code rules."""
    started = (now_iso(), time.monotonic())
    settings = resolve(args, environ, need_harness=False)
    loaded = load_for(settings, err)  # the same ids as `run` gave
    recorded = read_record(args.results_file)
    known = {c.id for c in loaded.cases}
    total = sum(1 for e in recorded.cases if e.id in known)
    if not total:
        # Re-evaluating nothing must not pass: the paths or the results file are wrong.
        raise InputError(
            f"rejudge: no case of {args.results_file} is in --cases {' '.join(settings.cases)}"
        )
    warn_changed(recorded, loaded.cases, args.results_file, err)
    done: list[CaseResult] = []

    def progress(result: CaseResult) -> None:
        done.append(result)
        print(progress_line(len(done), total, result), file=out)

    results, selection, budget = asyncio.run(
        rejudge_cases(recorded, loaded.cases, settings, source=args.results_file, on_done=progress)
    )
    gate = finish_run(settings, loaded, selection, results, None, started)
    gate = replace(gate, budget=budget)
    warn_baseline(gate, err)
    write_reports(gate, settings)
    print(render_summary(gate), file=out)
    return 0 if gate.verdict == "pass" else 1


# --- judge-check --------------------------------------------------------------------------


async def check_calibration(
    cases: Sequence[LoadedCase], judge: Judge, emit: Callable[[str], None]
) -> int:
    """`emit`s a progress line before each checked assertion and its report lines after it;
    returns how many assertions are not calibrated (or could not be checked)."""
    specs = [(c, i, s) for c in cases for i, s in enumerate(c.case.assertions.judged or [])]
    total = sum(1 for _c, _i, spec in specs if labelled(spec))
    bad, checked = 0, 0
    for case, index, spec in specs:
        label = f"{one_line(case.id)} judged[{index}]"
        if not labelled(spec):
            emit(f"  -               {label}: no labelled examples, not checked")
            continue
        checked += 1
        votes = judge.planned_votes(spec)
        count = len(labelled(spec))
        emit(f"[{checked}/{total}] checking {label}: {count} labelled example(s) x {votes} vote(s)")
        calibration = await judge.calibration(spec, votes)
        ok = calibration.problem() is None
        bad += 0 if ok else 1
        state = "calibrated    " if ok else "NOT calibrated"
        emit(f"  {state}  {label}: {calibration.summary()}")
        for e in calibration.examples:
            if not e.agrees:
                emit(
                    f"      {e.label}[{e.index}]: labelled {e.label}, the judge said "
                    f"{e.status.value}: {one_line(e.reason, 200)}"
                )
    if not checked:
        emit("no judged assertion has labelled examples: nothing was checked")
        bad += 1
    return bad


def judge_check_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`judge-check --cases PATH…`: exit 0 when every checked assertion is calibrated."""
    settings = resolve(args, environ, need_harness=False)
    loaded = load_for(settings, err)

    def emit(line: str) -> None:
        print(line, file=out, flush=True)

    async def check() -> int:
        async with open_run_judge(settings) as judge:
            if judge is None:
                raise InputError("judge-check needs a judge: pass --judge-url and --judge-model")
            problem = await unreachable(judge.client)
            if problem is not None:  # one message now, not retries for every vote
                raise InputError(problem)
            bad = await check_calibration(loaded.cases, judge, emit)
            usage = judge.usage
            emit(f"Judge calls: {usage.calls} ({usage.cached} from the cache)")
            return bad

    bad = asyncio.run(check())
    print(
        "JUDGE CALIBRATED"
        if not bad
        else f"JUDGE NOT CALIBRATED: {bad} problem(s) "
        f"(agreement below {THRESHOLD:.2f}, judge unavailable, or nothing to check)",
        file=out,
    )
    return 0 if not bad else 1
