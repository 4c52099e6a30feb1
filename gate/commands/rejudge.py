"""`rejudge` (re-evaluate recorded runs, no harness calls) and `judge-check` (calibration)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TextIO

from pydantic import ValidationError

from gate.commands.wiring import finish_run, load_checked, now_iso, write_reports
from gate.dispatch.retry import Sleep
from gate.errors import InputError
from gate.evaluate.trial import evaluate_trial
from gate.evaluate.verdicts import FAIL_ON, tally_trials
from gate.judge.calibration import THRESHOLD, labelled
from gate.judge.scorer import Judge, open_run_judge, plan_budget, spent
from gate.models import LoadedCase
from gate.records.results_reader import read_results
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
from gate.settings import RunSettings, int_in, odd_int, parse_bool, positive_int, resolve, seconds
from gate.text import one_line

NOT_RECORDED = "no recorded run to re-evaluate (write results with --record-runs true)"


def add_judge_options(parser: argparse.ArgumentParser, *, record: bool = True) -> None:
    """The judge's flags of `run`, `demo`, `rejudge` and `judge-check` (None: not given)."""
    add = parser.add_argument
    add(
        "--judge-url",
        metavar="URL",
        help="OpenAI-compatible base URL of the judge, e.g. https://api.openai.com/v1",
    )
    add("--judge-model", metavar="MODEL", help="pinned judge model id, e.g. a dated snapshot")
    add(
        "--votes",
        type=odd_int,
        help="judge votes per judged assertion and trial (odd; "
        "default: the assertion's votes, else 3)",
    )
    add("--cache-dir", metavar="DIR", help="verdict cache: an unchanged case costs no judge call")
    add(
        "--judge-concurrency",
        type=positive_int,
        metavar="N",
        help="judge requests in flight at once; 1 for a judge that serves one at a time "
        "(default: --concurrency)",
    )
    add(
        "--judge-timeout",
        type=seconds,
        metavar="S",
        help="seconds one judge request may take once sent; time queued behind "
        "--judge-concurrency does not count (default: 60)",
    )
    add(
        "--judge-retries",
        type=int_in(0),
        metavar="N",
        help="retries of a judge request that failed or timed out (default: 4)",
    )
    add(
        "--require-calibration",
        type=parse_bool,
        help="a judged assertion whose judge agrees "
        f"with its labelled examples less often than {THRESHOLD:.2f} is error (default: false)",
    )
    if record:
        add(
            "--record-runs",
            type=parse_bool,
            help="keep every trial's run in the results file, for rejudge (default: true)",
        )


def add_judge_commands(sub: Any) -> None:
    """The `rejudge` and `judge-check` subcommands."""
    rejudge = sub.add_parser(
        "rejudge",
        help="re-evaluate the runs recorded in a results file "
        "(changed assertions or judge); no harness calls",
    )
    rejudge.add_argument("results_file", metavar="RESULTS", help="results file of an earlier run")
    rejudge.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="the case files, as they are now (repeatable)",
    )
    rejudge.add_argument(
        "--calibrate",
        dest="require_calibration",
        action="store_const",
        const=True,
        help="same as --require-calibration true",
    )
    add_judge_options(rejudge)
    rejudge.add_argument("--fail-on", choices=FAIL_ON, help="which failing cases block")
    rejudge.add_argument("--fail-on-empty", type=parse_bool, help="fail when nothing ran")
    rejudge.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    rejudge.add_argument("--results", metavar="FILE", help="write the new results JSON here")
    rejudge.add_argument("--evidence-dir", metavar="DIR", help="write evidence here")
    check = sub.add_parser(
        "judge-check",
        help="run the judge on the labelled examples of judged assertions and report its agreement",
    )
    check.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (repeatable)",
    )
    add_judge_options(check, record=False)


# --- rejudge ------------------------------------------------------------------------------


def _number(value: Any, default: float = 0) -> float:
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else (default)
    )


async def _rejudge_trial(
    case: LoadedCase, record: Mapping[str, Any], judge: Judge | None
) -> TrialResult:
    number = int(_number(record.get("trial"), 1))
    calls, duration = int(_number(record.get("harness_calls"))), _number(record.get("duration_s"))
    raw, problem = record.get("run"), NOT_RECORDED
    if isinstance(raw, dict):
        try:
            run = HarnessRun.model_validate(raw)
        except ValidationError as exc:
            problem = f"the recorded run is not a valid RunResult ({exc.error_count()} problem(s))"
        else:
            trial = evaluate_trial(case, number, run, None, calls=calls, duration_s=duration)
            return await judge.complete(case, trial) if judge is not None else trial
    elif isinstance(record.get("run_omitted"), str):
        problem = f"the run was too large to record ({one_line(record['run_omitted'], 200)})"
    elif record.get("status") == Status.ERROR.value and record.get("reason"):
        problem += f"; it was: {one_line(record['reason'], 300)}"
    outcome = AssertionOutcome("rejudge", Status.ERROR, problem)
    return TrialResult(
        number, Status.ERROR, f"rejudge: {problem}", duration, (outcome,), None, calls
    )


async def _rejudge_case(
    case: LoadedCase, record: Mapping[str, Any], judge: Judge | None
) -> CaseResult:
    trials = [t for t in record.get("trials") or [] if isinstance(t, dict)]
    planned = max(int(_number(record.get("trials_planned"), 1)), 1)
    done = tuple([await _rejudge_trial(case, t, judge) for t in trials])
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
    recorded: Mapping[str, Any], cases: Sequence[LoadedCase], source: str
) -> tuple[list[tuple[LoadedCase, Mapping[str, Any]]], Selection]:
    by_id = {c.id: c for c in cases}
    entries = [e for e in recorded.get("cases", []) if isinstance(e, dict)]
    pairs: list[tuple[LoadedCase, Mapping[str, Any]]] = [
        (by_id[e["id"]], e) for e in entries if e.get("id") in by_id
    ]
    recorded_ids = {e.get("id") for e in entries}
    deferred = [
        (str(e.get("id")), "in the results file, but not in --cases")
        for e in entries
        if e.get("id") not in by_id
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
    recorded: Mapping[str, Any],
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
    counts = {c.id: len(e.get("trials") or []) for c, e in pairs}
    async with open_run_judge(settings, sleep=sleep) as judge:
        budget = plan_budget(
            [c for c, _ in pairs],
            lambda c: counts[c.id],
            votes=settings.votes,
            judge=judge is not None,
            calibrate=settings.require_calibration,
        )

        async def one(case: LoadedCase, entry: Mapping[str, Any]) -> CaseResult:
            result = await _rejudge_case(case, entry, judge)
            on_done(result)
            return result

        results = list(await asyncio.gather(*(one(c, e) for c, e in pairs)))
        used = spent(replace(budget, harness_runs_max=0), [], judge)
    return results, selection, used


def rejudge_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`rejudge RESULTS --cases PATH…`: new verdicts from recorded runs, same exit-code rules."""
    started = (now_iso(), time.monotonic())
    settings = resolve(args, environ, need_harness=False)
    loaded = load_checked(settings.cases, err, settings.config)  # the same ids as `run` gave
    recorded = read_results(args.results_file)
    known = {c.id for c in loaded.cases}
    total = sum(
        1 for e in recorded.get("cases", []) if isinstance(e, dict) and e.get("id") in known
    )
    if not total:
        # Re-evaluating nothing must not pass: the paths or the results file are wrong.
        raise InputError(
            f"rejudge: no case of {args.results_file} is in --cases {' '.join(settings.cases)}"
        )
    done: list[CaseResult] = []

    def progress(result: CaseResult) -> None:
        done.append(result)
        print(progress_line(len(done), total, result), file=out)

    results, selection, budget = asyncio.run(
        rejudge_cases(recorded, loaded.cases, settings, source=args.results_file, on_done=progress)
    )
    gate = finish_run(settings, loaded, selection, results, None, started)
    gate = replace(gate, budget=budget)
    write_reports(gate, settings)
    print(render_summary(gate), file=out)
    return 0 if gate.verdict == "pass" else 1


# --- judge-check --------------------------------------------------------------------------


async def check_calibration(cases: Sequence[LoadedCase], judge: Judge) -> tuple[list[str], int]:
    """Report lines and how many assertions are not calibrated (or could not be checked)."""
    lines, bad, checked = [], 0, 0
    for case in cases:
        for index, spec in enumerate(case.case.assertions.judged or []):
            label = f"{one_line(case.id)} judged[{index}]"
            if not labelled(spec):
                lines.append(f"  -               {label}: no labelled examples, not checked")
                continue
            checked += 1
            calibration = await judge.calibration(spec, judge.planned_votes(spec))
            ok = calibration.problem() is None
            bad += 0 if ok else 1
            state = "calibrated    " if ok else "NOT calibrated"
            lines.append(f"  {state}  {label}: {calibration.summary()}")
            lines.extend(
                f"      {e.label}[{e.index}]: labelled {e.label}, the judge said "
                f"{e.status.value}: {one_line(e.reason, 200)}"
                for e in calibration.examples
                if not e.agrees
            )
    if not checked:
        lines.append("no judged assertion has labelled examples: nothing was checked")
        bad += 1
    return lines, bad


def judge_check_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`judge-check --cases PATH…`: exit 0 when every checked assertion is calibrated."""
    settings = resolve(args, environ, need_harness=False)
    loaded = load_checked(settings.cases, err, settings.config)

    async def check() -> tuple[list[str], int]:
        async with open_run_judge(settings) as judge:
            if judge is None:
                raise InputError("judge-check needs a judge: pass --judge-url and --judge-model")
            lines, bad = await check_calibration(loaded.cases, judge)
            usage = judge.usage
            return [*lines, f"Judge calls: {usage.calls} ({usage.cached} from the cache)"], bad

    lines, bad = asyncio.run(check())
    for line in lines:
        print(line, file=out)
    print(
        "JUDGE CALIBRATED"
        if not bad
        else f"JUDGE NOT CALIBRATED: {bad} problem(s) "
        f"(agreement below {THRESHOLD:.2f}, judge unavailable, or nothing to check)",
        file=out,
    )
    return 0 if not bad else 1
