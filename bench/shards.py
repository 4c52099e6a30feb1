"""`bench/scale.py --shards S`: the S shards of a run, merged, against the same run unsharded."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from scale import gate_command, start_harness, stop_harness, timed_child


def _run(args: argparse.Namespace, folder: Path, results: Path, *extra: str) -> float:
    """One `run` into `results` against a fresh harness; its wall seconds."""
    harness, url = start_harness(args)
    try:
        argv = gate_command() + ["run", "--harness-url", url, "--cases", str(folder)]
        argv += ["--tier", "all", "--concurrency", str(args.concurrency), "--trials"]
        argv += [str(args.trials), "--results", str(results), *extra, *args.gate_args]
        figures = timed_child(argv, results.with_suffix(".log"))
    finally:
        stop_harness(harness)
    if figures["rc"] not in (0, 1):
        sys.exit(f"gate exited {figures['rc']}: see {results.with_suffix('.log')}")
    return figures["wall"]


def _comparable(path: Path) -> dict[str, Any]:
    """A results file without what differs between any two runs: times and run ids."""
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    data["started_at"] = data["finished_at"] = "-"
    for case in data["cases"]:
        for trial in case["trials"]:
            trial["duration_s"] = 0
            trial["run_id"] = None
            (trial.get("run") or {}).pop("run_id", None)
    return data


def check_shards(args: argparse.Namespace, folder: Path, work: Path) -> None:
    """Run unsharded, then each shard, merge the shards, and say whether the results agree."""
    whole = _run(args, folder, work / "whole.json")
    parts = [work / f"shard-{i}.json" for i in range(1, args.shards + 1)]
    walls = [_run(args, folder, p, "--shard", f"{i}/{args.shards}") for i, p in enumerate(parts, 1)]
    merge = gate_command() + ["merge", *map(str, parts), "--results", str(work / "merged.json")]
    subprocess.run(merge, stdout=subprocess.DEVNULL, check=False)
    same = _comparable(work / "merged.json") == _comparable(work / "whole.json")
    shown = ", ".join(f"{w:.1f}" for w in walls)
    print(
        f"{args.shards} shards of {args.cases} cases: walls {shown} s (unsharded {whole:.1f} s); "
        f"merged results == unsharded results: {same}"
    )
