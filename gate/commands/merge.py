"""`merge`: join shard results files into one run and re-render its reports."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import TextIO

from gate.commands.gating import merged_readiness, warn_baseline
from gate.commands.reports import junit_options, write_file
from gate.evaluate.verdicts import FAIL_ON
from gate.github.environment import github_workspace
from gate.github.publish import Publisher
from gate.load.config import discover_config
from gate.records.history import append_records, records_from_results
from gate.records.merge import merge_results
from gate.records.record import ResultsRecord, read_record
from gate.records.results_file import results_chunks, results_record
from gate.report.console import render_summary
from gate.report.junit import NON_BLOCKING as JUNIT_NON_BLOCKING
from gate.report.junit import junit_chunks
from gate.settings import choice, flags_over_env, parse_bool, publish_options
from gate.text import log_line


def records_runs(files: Sequence[ResultsRecord]) -> bool:
    """Whether these results kept every trial's run (`--record-runs`), as merge should."""
    trials = [t for record in files for c in record.cases for t in c.trials]
    return bool(trials) and all(t.run is not None or t.run_omitted is not None for t in trials)


def merge_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`merge`: the sharded run's one verdict, summary, JUnit and results file."""
    # Its flags and environment, checked first.
    publisher = Publisher(publish_options(args, environ), environ, out)
    # Only its readiness thresholds change a merge; the rest is checked for errors.
    config = discover_config(args.config, environ) if args.config else None
    files = [(path, read_record(path)) for path in args.inputs]
    # Unset, fail-on is what the shards ran with; fail-on-empty defaults to true, as in `run`.
    converters = {
        "fail_on": choice(FAIL_ON),
        "fail_on_empty": parse_bool,
        "junit_non_blocking": choice(JUNIT_NON_BLOCKING),
        "junit_properties": parse_bool,
    }
    given = flags_over_env(args, environ, converters)
    gate = merge_results(
        files,
        shards=args.shards,
        fail_on=given.get("fail_on"),
        fail_on_empty=given.get("fail_on_empty", True),
    )
    gate = merged_readiness(gate, [data for _, data in files], config.readiness if config else None)
    warn_baseline(gate, err)
    version = files[0][1].gate_version
    if args.junit:
        options = junit_options(
            given.get("junit_non_blocking", "as-is"),
            given.get("junit_properties", False),
            github_workspace(environ),
        )
        write_file(args.junit, junit_chunks(gate, options))
    if args.results:
        record = records_runs([data for _, data in files])
        write_file(args.results, results_chunks(gate, version, record_runs=record))
    if args.history:
        append_records(args.history, records_from_results(results_record(gate, version)))
    print(log_line(f"merged {len(files)} shard(s): {', '.join(args.inputs)}"), file=out)
    with publisher.untrusted_output():
        print(render_summary(gate), file=out)
    publisher.publish(gate, junit=args.junit, results=args.results)
    return 0 if gate.verdict == "pass" else 1
