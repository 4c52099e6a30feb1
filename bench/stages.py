"""The stages of `bench/scale.py --stages`: validate, select and the reports, each timed alone."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

from gate.dispatch.protocol import parse_run
from gate.evaluate.trial import evaluate_trial
from gate.evaluate.verdicts import tally_trials
from gate.globs import compile_filter
from gate.load.loader import load_cases
from gate.models import LoadedCase
from gate.records.results_file import render_results
from gate.report.case_facts import ReportLinks
from gate.report.comment import render_comment
from gate.report.junit import render_junit
from gate.results import CaseResult, GateResult
from gate.select.changes import Changes
from gate.select.selection import Rules, select_cases

CHANGED = 500
PASSING = {"events": [{"type": "message", "role": "agent", "turn": 1, "text": "confirmed"}]}
FAILING = {"events": [{"type": "message", "role": "agent", "turn": 1, "text": "sorry"}]}


def best_of(work: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Median seconds of `repeat` runs of `work`, and its last value."""
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - started)
    return median(times), value


def changed_paths(count: int) -> tuple[str, ...]:
    """`count` changed paths: half hit a case's `paths`, half hit nothing."""
    hits = [f"prompts/area{i:03d}/prompt.md" for i in range(0, 2 * count, 4)]
    misses = [f"src/module{i:04d}/code.py" for i in range(count - len(hits))]
    return tuple(sorted(hits + misses))


def results_for(cases: list[LoadedCase]) -> list[CaseResult]:
    """One evaluated trial per case; every 20th fails its assertion."""
    runs = [
        parse_run(json.dumps({"protocol": "voice-regress/v1", "status": "completed", **b}).encode())
        for b in (PASSING, FAILING)
    ]
    results = []
    for i, case in enumerate(cases):
        run = runs[1] if i % 20 == 0 else runs[0]
        trial = asyncio.run(evaluate_trial(case, 1, run, None, calls=1, duration_s=0.2, judge=None))
        tally = tally_trials([trial], 1, None)
        results.append(CaseResult(case, tally.status, tally.reason, (trial,), 1))
    return results


def report_stages(folder: Path, count: int, gate: list[str], work: Path) -> dict[str, float]:
    """Print the median seconds of each stage over `count` cases in `folder`; return them."""
    from scale import timed_child  # noqa: PLC0415 - a sibling script, not a package

    validate = [
        timed_child([*gate, "validate", str(folder)], work / "validate.log") for _ in range(3)
    ]
    print(
        f"validate {count} files (CLI, start included): "
        f"{median(v['wall'] for v in validate):.2f} s wall, "
        f"{median(v['cpu'] for v in validate):.2f} s CPU"
    )
    loaded = load_cases([folder])
    changes = Changes(changed_paths(CHANGED), "bench")
    # A trigger no changed path hits: the cases' own `paths` decide, as in a big monorepo.
    triggers = {"prompt_change": compile_filter(["prompts/shared/**"], "github")}
    rules = Rules(triggers=triggers, max_cases=count, max_minutes=None)
    took, selection = best_of(lambda: select_cases(loaded.cases, "fast", changes, rules=rules))
    print(
        f"select over {count} cases, {CHANGED} changed paths: {took:.3f} s "
        f"({len(selection.selected)} selected)"
    )
    results = results_for(loaded.cases)
    whole = select_cases(loaded.cases, "all")
    gate_result = GateResult("fail", "bench", tuple(results), whole, "blocking", "t0", "t1")
    figures = {
        "JUnit": best_of(lambda: render_junit(gate_result))[0],
        "results (record_runs)": best_of(
            lambda: render_results(gate_result, "bench", record_runs=True)
        )[0],
        "PR comment": best_of(lambda: render_comment(gate_result, "bench", ReportLinks()))[0],
    }
    listed = ", ".join(f"{k} {v:.3f} s" for k, v in figures.items())
    print(f"reports for {count} cases: {sum(figures.values()):.2f} s ({listed})")
    return {
        "validate": median(v["wall"] for v in validate),
        "select": took,
        "reports": sum(figures.values()),
    }


if __name__ == "__main__":  # bench/scale.py --stages runs this in a process of its own
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scale import gate_command  # noqa: PLC0415 - a sibling script, not a package

    folder, count, work = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    figures = report_stages(folder, count, gate_command(), work)
    print(json.dumps(figures))  # the last line: what scale.py reads back
