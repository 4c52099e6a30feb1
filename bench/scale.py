"""The gate at scale against its floor (not a test): `python bench/scale.py --cases 5000 -c 64`.

Generates N one-assertion cases in a temporary folder, starts `bench/loopback.py` (a harness that
sleeps L per run) in its own process, runs the real CLI (`voice-regress-gate run`) in a
subprocess and prints its wall time against the floor ceil(N·trials/C)·L, its CPU per case and
peak RSS (from wait4), and the harness's own CPU. `--stages` also times, in-process: validating
the N files (the CLI, start included), selecting over them with 500 changed paths, and writing
JUnit, results file and PR comment for N cases. Read ratios, not seconds, on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from targets import print_targets

HERE = Path(__file__).resolve().parent
# Labels a transcript check fits, and a caller goal: a healthy suite, with no lint warning per case
# (10,000 warnings would be their own benchmark).
LABELS = ("intent_miss", "wrong_tool", "handoff", "safety_policy", "latency_interruption")
WORDS = [
    f"{a}{b}"
    for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti", "va", "ze")
    for b in ("bar", "cen", "dol", "fir", "gan", "hul", "jet", "kip", "lum", "mox")
]
CASE = """\
version: 1
suite: bench{suite:02d}
owner: bench
source:
  type: synthetic
  source_call_id: bench-call-{i}
  failure_label: {label}
  severity: high
  detected_by: bench
  sanitized: true
agent_ref:
  environment: staging
  agent_slug: bench-agent
  prompt_version: v1
fixture:
  caller_id: caller_fixture_{i}
caller:
  goal: have request {i} confirmed
scenario:
  turns:
    - "{phrase}"
assertions:
  transcript:
    must_include:
      - confirmed
promotion:
  level: blocking
  run_on:
    - prompt_change
paths:
  - prompts/area{area:03d}/**
"""


def write_cases(folder: Path, count: int, seed: int = 0) -> None:
    """`count` valid blocking cases, 20 suites, each with its own caller words and paths."""
    rng = random.Random(seed)
    for i in range(count):
        phrase = " ".join(rng.sample(WORDS, 8))
        target = folder / f"suite{i % 20:02d}" / f"case-{i:06d}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = CASE.format(
            i=i, suite=i % 20, phrase=phrase, area=i % 1000, label=LABELS[i % len(LABELS)]
        )
        target.write_text(text, "utf-8")


def gate_command() -> list[str]:
    """The installed CLI next to this interpreter, else `python -m gate`."""
    script = Path(sys.executable).with_name("voice-regress-gate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gate"]


def timed_child(argv: list[str], log: Path) -> dict[str, float]:
    """Run `argv`; its wall, CPU (user + system) and peak RSS (from wait4), and when its first
    and last progress lines (`[ i/N]`) came: before the first is start-up and loading, after
    the last the reports."""
    started = time.perf_counter()
    first = last = 0.0
    with log.open("wb") as out:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert child.stdout is not None
        for line in child.stdout:
            out.write(line)
            if line.startswith(b"["):
                last = time.perf_counter() - started
                first = first or last
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_mb": usage.ru_maxrss / 1024,
        "rc": child.returncode,
        "first": first,
        "tail": wall - last if last else 0.0,
    }


def start_harness(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    argv = [sys.executable, str(HERE / "loopback.py"), "--latency", str(args.latency)]
    argv += ["--jitter", str(args.jitter), "--slow-fraction", str(args.slow_fraction)]
    argv += ["--slow-factor", str(args.slow_factor)]
    harness = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert harness.stdout is not None
    port = harness.stdout.readline().strip()
    return harness, f"http://127.0.0.1:{port}"


def stop_harness(harness: subprocess.Popen[str]) -> dict[str, float]:
    harness.send_signal(signal.SIGTERM)
    out, _ = harness.communicate(timeout=30)
    counters: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return counters


def run_once(args: argparse.Namespace, folder: Path, work: Path) -> dict[str, float]:
    """One `voice-regress-gate run` over the folder against a fresh harness."""
    harness, url = start_harness(args)
    try:
        argv = gate_command() + ["run", "--harness-url", url, "--cases", str(folder)]
        argv += ["--tier", "all", "--concurrency", str(args.concurrency)]
        argv += ["--trials", str(args.trials), "--junit", str(work / "junit.xml")]
        argv += ["--results", str(work / "results.json"), *args.gate_args]
        figures = timed_child(argv, work / "gate.log")
    finally:
        counters = stop_harness(harness)
    if figures["rc"] not in (0, 1) or not figures["first"]:  # no case finished: no figure
        tail = (work / "gate.log").read_text("utf-8", "replace")[-2000:]
        sys.exit(f"gate exited {figures['rc']} without finishing a case; its output ends:\n{tail}")
    figures["harness_cpu"], figures["harness_runs"] = counters["cpu_s"], counters["runs"]
    figures["work_floor"] = counters["slept_s"] / args.concurrency
    return figures


def report_runs(args: argparse.Namespace, runs: list[dict[str, float]]) -> dict[str, float]:
    n, c, runs_total = args.cases, args.concurrency, args.cases * args.trials
    floor = math.ceil(runs_total / c) * args.latency
    print(
        f"N={n} C={c} L={args.latency}s trials={args.trials} jitter={args.jitter} "
        f"slow={args.slow_fraction}×{args.slow_factor}; floor ceil(N·trials/C)·L = {floor:.1f} s"
    )
    print(
        f"{'run':>4} {'wall s':>8} {'ratio':>6} {'CPU ms/case':>12} {'RSS MB':>8} "
        f"{'harness CPU s':>14} {'Σlatency/C s':>13} {'1st case s':>10} {'reports s':>9}"
    )
    for i, r in enumerate(runs, 1):
        _row(str(i), r, floor, n)
    middle = {k: median(r[k] for r in runs) for k in runs[0]}
    _row("med", middle, floor, n)
    return middle | {"ratio": middle["wall"] / floor if floor else math.inf}


def stages_in_child(folder: Path, count: int, work: Path) -> dict[str, float]:
    """`bench/stages.py` in its own process: its lines printed, its figures returned."""
    argv = [sys.executable, str(HERE / "stages.py"), str(folder), str(count), str(work)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # e.g. run outside the gate's environment: say why, no traceback
        sys.exit(f"bench/stages.py exited {done.returncode}:\n{done.stderr[-2000:]}")
    *lines, figures = done.stdout.strip().splitlines()
    print("\n".join(lines), flush=True)
    stages: dict[str, float] = json.loads(figures)
    return stages


def growth_kb(args: argparse.Namespace, peak_mb: float, work: Path) -> float:
    """Peak RSS per added case, in KB: this run's median against `--growth FROM` cases'."""
    smaller = work / "growth-cases"
    write_cases(smaller, args.growth)
    peaks = [run_once(args, smaller, work)["rss_mb"] for _ in range(args.repeat)]
    print(f"peak RSS at {args.growth} cases: {median(peaks):.1f} MB (median of {len(peaks)})")
    return (peak_mb - median(peaks)) * 1024 / (args.cases - args.growth)


def _row(label: str, r: dict[str, float], floor: float, n: int) -> None:
    ratio = r["wall"] / floor if floor else float("inf")
    print(
        f"{label:>4} {r['wall']:8.2f} {ratio:6.2f} {r['cpu'] / n * 1000:12.2f} "
        f"{r['rss_mb']:8.1f} {r['harness_cpu']:14.2f} {r['work_floor']:13.1f} "
        f"{r['first']:10.2f} {r['tail']:9.2f}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("-n", "--cases", type=int, default=5000, help="cases to generate (default 5000)")
    add("-c", "--concurrency", type=int, default=64, help="gate --concurrency (default 64)")
    add("-L", "--latency", type=float, default=0.2, help="harness seconds per run (default 0.2)")
    add("--jitter", type=float, default=0.0, help="± fraction of L per run (default 0)")
    add("--slow-fraction", type=float, default=0.0, help="share of cases that are slow")
    add("--slow-factor", type=float, default=5.0, help="how much slower those are (default 5)")
    add("--trials", type=int, default=1, help="gate --trials (default 1)")
    add("--repeat", type=int, default=3, help="runs; the median is printed too (default 3)")
    add("--stages", action="store_true", help="also time validate, select and reports")
    add("--no-run", action="store_true", help="skip the harness runs (with --stages)")
    add("--keep", metavar="DIR", help="generate into DIR and keep it (for profiling)")
    add("--shards", type=int, metavar="S", help="also check S shards merged == unsharded")
    add("--growth", type=int, metavar="FROM", help="also RSS growth per case from FROM cases")
    add("gate_args", nargs="*", help="extra `run` flags, after --")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "cases"
        if not folder.exists():
            write_cases(folder, args.cases)
        stages = run = None
        # The runs first, and the stages in a process of their own: a child's peak RSS (wait4)
        # starts at this process's own, so loading N cases here first would inflate it.
        if not args.no_run:
            runs = [run_once(args, folder, Path(tmp)) for _ in range(args.repeat)]
            run = report_runs(args, runs)
            if args.keep:
                shutil.copy(Path(tmp) / "gate.log", folder.parent / "gate.log")
            if args.growth:
                run["growth_kb"] = growth_kb(args, run["rss_mb"], Path(tmp))
        if args.stages:
            stages = stages_in_child(folder, args.cases, Path(tmp))
        if args.shards:
            from shards import check_shards  # noqa: PLC0415 - a sibling script, not a package

            check_shards(args, folder, Path(tmp))
        print_targets(args.cases, args.concurrency, run, stages, args.latency)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main(sys.argv[1:]))
