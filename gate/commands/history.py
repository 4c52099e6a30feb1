"""`history`: append a results file's runs to the history file."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TextIO

from gate.records.history import append_records, records_from_results
from gate.records.record import read_record
from gate.text import log_line


def history_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`history append`: record each results file once (re-appending one is a no-op)."""

    loaded = [(path, records_from_results(read_record(path), path)) for path in args.inputs]
    for path, records in loaded:
        added, known = append_records(args.history, records)
        tail = f" ({known} already recorded)" if known else ""
        print(log_line(f"{args.history}: appended {added} record(s) from {path}{tail}"), file=out)
    return 0
