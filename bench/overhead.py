"""The gate's own overhead per case (not a test): `python bench/overhead.py [N …]`.

Generates N synthetic cases (variations of the bundled examples, each with its own caller words)
in a temporary folder and times each stage of the gate on them, without any harness network:
load + validate, near-duplicate check, select, shard, evaluate (parse + check a RunResult the
reference agent produced in-process; the agent's own time is excluded), verdict, JUnit, results
file, summary, and rebuilding the results for `merge`. A second pass under tracemalloc reports
the peak memory of the whole pipeline (tracemalloc slows Python down, so it is not timed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gate.dispatch.protocol import build_request, parse_run
from gate.evaluate.trial import evaluate_trial
from gate.evaluate.verdicts import gate_verdict, tally_trials
from gate.load.loader import load_cases
from gate.load.similarity import near_duplicates
from gate.models import LoadedCase
from gate.records.record import load_record
from gate.records.results_file import render_results
from gate.records.results_reader import results_from_record
from gate.reference.agent import run_agent
from gate.report.console import render_summary
from gate.report.junit import render_junit
from gate.results import CaseResult, GateResult
from gate.select.selection import select_cases
from gate.select.shard import partition

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"
WORDS = [
    f"{a}{b}"
    for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti")
    for b in ("bar", "cen", "dol", "fir", "gan", "hul", "jet", "kip", "lum", "mox")
]


def write_cases(folder: Path, count: int, seed: int = 0) -> None:
    """`count` valid cases: examples with a new id, fixture ids and a distinct caller phrase."""
    rng = random.Random(seed)
    templates = [p for p in sorted(EXAMPLES.rglob("*.yaml")) if "judged" not in p.parts]
    for i in range(count):
        template = templates[i % len(templates)]
        text = template.read_text("utf-8").replace("_fixture_", f"_fixture_{i}_")
        phrase = " ".join(rng.sample(WORDS, 6))
        # Every case gets its own words in its first turn, so most are no near-duplicates.
        text = text.replace('  turns:\n    - "', f'  turns:\n    - "{phrase}. ', 1)
        target = folder / f"suite{i % 20:02d}" / f"{template.stem}-{i:05d}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")


def _evaluate(cases: list[LoadedCase]) -> tuple[list[CaseResult], float]:
    """Evaluate one trial per case; returns the results and the agent's own time (excluded)."""
    return asyncio.run(_evaluate_all(cases))


async def _evaluate_all(cases: list[LoadedCase]) -> tuple[list[CaseResult], float]:
    results, agent_s = [], 0.0
    for case in cases:
        started = time.perf_counter()
        body = json.dumps(run_agent(build_request(case, 1, 120.0))).encode()
        agent_s += time.perf_counter() - started
        run = parse_run(body)
        trial = await evaluate_trial(case, 1, run, None, calls=1, duration_s=0.1, judge=None)
        tally = tally_trials([trial], 1, None)
        results.append(CaseResult(case, tally.status, tally.reason, (trial,), 1))
    return results, agent_s


def pipeline(folder: Path, timings: dict[str, float]) -> None:
    """Every stage once, each timed into `timings` (seconds)."""

    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = work()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        return value

    loaded = timed("load + validate", lambda: load_cases([folder]))
    assert not loaded.errors, loaded.errors[:3]
    timed("near-duplicates", lambda: near_duplicates(loaded.cases))
    selection = timed("select", lambda: select_cases(loaded.cases, "all"))
    timed("shard (4)", lambda: partition(selection.selected, 4))
    results, agent_s = timed("evaluate", lambda: _evaluate(loaded.cases))
    timings["evaluate"] -= agent_s
    verdict = timed(
        "verdict",
        lambda: gate_verdict(
            results,
            fail_on="blocking",
            fail_on_empty=True,
            files_found=len(loaded.files),
            sources=str(folder),
        ),
    )
    gate = GateResult(
        verdict.verdict,
        verdict.reason,
        tuple(results),
        selection,
        "blocking",
        "2026-06-01T00:00:00+00:00",
        "2026-06-01T00:01:00+00:00",
    )
    timed("render JUnit", lambda: render_junit(gate))
    text = timed("render results", lambda: render_results(gate, "bench"))
    timed("render summary", lambda: render_summary(gate))
    timed("merge: rebuild", lambda: results_from_record(load_record(text)))
    timings["(results file bytes)"] = len(text.encode())


def measure(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_cases(folder, count)
        timings: dict[str, float] = {}
        pipeline(folder, timings)
        tracemalloc.start()
        pipeline(folder, {})
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    size = timings.pop("(results file bytes)")

    total = sum(timings.values())
    print(
        f"\n{count} cases: gate overhead {total:.2f} s = {total / count * 1000:.2f} ms/case; "
        f"peak memory {peak / 2**20:.1f} MiB; results file {size / 2**20:.1f} MiB"
    )
    for name, seconds in timings.items():
        print(f"  {name:<16} {seconds:8.3f} s  {seconds / count * 1e6:9.0f} µs/case")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "counts",
        nargs="*",
        type=int,
        metavar="N",
        help="case counts to measure (default: 500 2000)",
    )
    for count in parser.parse_args(argv).counts or [500, 2000]:
        measure(count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
