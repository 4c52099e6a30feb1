"""`lifecycle`: propose demotions, archives and resurrections from the history."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TextIO

from gate.commands.wiring import load_checked
from gate.errors import InputError
from gate.load.config import discover_config
from gate.records.history import HistoryRecord, by_case, read_history
from gate.records.level_edit import write_files
from gate.records.lifecycle import CaseRef, Thresholds, day, planned_edits, propose, render_report


def lifecycle_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`lifecycle`: print the proposals; with `--write`, change the levels in the case files."""

    now: datetime = args.now or datetime.now(UTC)
    limits = Thresholds(args.demote_after_days, args.archive_after_days)
    records = read_history(args.history)
    histories = by_case(r for r in records if r.at <= now)
    paths = args.cases or environ.get("VOICE_REGRESS_CASES", "").split()
    if paths:
        # The gate config's case root and allowlist: the ids `run` recorded in the history.
        cases = load_checked(paths, err, discover_config(None, environ)).cases
        refs = [CaseRef(c.id, c.case.promotion.level, c.file) for c in cases]
    elif args.write:
        raise InputError("--write needs --cases PATH… (the case files to edit)")
    else:
        refs = [CaseRef(h.case, h.level) for h in sorted(histories.values(), key=lambda h: h.case)]
    report = propose(refs, histories, now, limits)
    print(render_report(report, now, limits, _history_note(args.history, records, now)), file=out)
    if args.write and report.proposals:
        write_files(planned_edits(report.proposals))
        print(f"\nwrote {len(report.proposals)} level change(s)", file=out)
    return 0


def _history_note(path: str, records: Sequence[HistoryRecord], now: datetime) -> str:
    used = [r for r in records if r.at <= now]
    if not used:
        return f"history {path}: no record up to {day(now)}"
    later = len(records) - len(used)
    tail = f"; {later} record(s) after that date ignored" if later else ""
    first, last = min(r.at for r in used), max(r.at for r in used)
    cases = len({r.case for r in used})
    return (
        f"history {path}: {len(used)} record(s) of {cases} case(s), "
        f"{day(first)} … {day(last)}{tail}"
    )
