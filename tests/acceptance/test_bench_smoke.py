"""The benchmark scripts still run against today's code (they are not timed here: figures are
read from `bench/`'s own output, three runs, on a quiet machine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_scale_prints_every_figure_and_the_shard_check() -> None:
    out = _bench("scale.py", "-n", "40", "-c", "8", "-L", "0.01", "--repeat", "1", "--stages")
    for figure in ("validate 40 files", "select over 40 cases", "reports for 40 cases"):
        assert figure in out
    assert "floor ceil(N·trials/C)·L" in out and "\n med " in out
    out = _bench("scale.py", "-n", "40", "-c", "8", "-L", "0.01", "--no-run", "--shards", "3")
    assert "merged results == unsharded results: True" in out


def test_judge_prints_calls_per_assertion() -> None:
    out = _bench("judge.py", "--assertions", "60")
    assert "calls per assertion" in out
