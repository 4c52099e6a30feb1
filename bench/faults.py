"""The fault-injection table (not a test): `python bench/faults.py [--cases N …]`.

Runs N cases through the real gate against a loopback harness that breaks per case in every way
the suite knows (transient: 5xx, 429 + Retry-After, resets, slow answers, 202 + polling;
persistent: outages, stalls, endless 202s, truncated bodies, inconsistent, silent and replayed
results) and prints, per fault: cases, retries, polls, outcomes, false passes, wrong states and
lost cases. The harness and the tally are gate/reference/fault_suite.py, which the test suite
(tests/test_fault_suite.py) runs too. Exits 1 when any case is a false pass, wrong or lost.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from gate.cli import main as main_cli
from gate.reference.fault_suite import render_table, run_suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="cases to run (default 500)")
    parser.add_argument("--concurrency", type=int, default=64, help="parallel trials (64)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per run (5)")
    parser.add_argument("--retries", type=int, default=2, help="retries per fault (2)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vrg-faults-") as folder:
        report = run_suite(
            main_cli,
            Path(folder),
            args.cases,
            concurrency=args.concurrency,
            timeout_s=args.timeout,
            retries=args.retries,
        )
    print(render_table(report))
    bad = report.total("false_passes") + report.total("wrong") + report.total("lost")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
