"""Retirement (seed 001): propose demote / archive / resurrect from the history; edit `level:`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TextIO

from gate.errors import InputError
from gate.records.history import CaseHistory, HistoryRecord, by_case, parse_time, read_history
from gate.records.level_edit import edit_level, write_files
from gate.results import Status

# Archive = `manual`: the case format has no archive level, and a manual case is kept in the repo
# (for audit) but runs only when asked for (tier all), which is what the seed means by archive.
ARCHIVE_LEVEL = "manual"


@dataclass(frozen=True)
class Thresholds:
    """Days without a failure before a case is proposed for the slow tier, then for archive."""

    demote_after_days: int = 90
    archive_after_days: int = 180

    def __post_init__(self) -> None:
        if not 1 <= self.demote_after_days <= self.archive_after_days:
            raise InputError(
                f"need 1 <= --demote-after-days ({self.demote_after_days}) <= "
                f"--archive-after-days ({self.archive_after_days})"
            )


@dataclass(frozen=True)
class CaseRef:
    """What lifecycle needs of a case: its id, its level now, and its file (None: history only)."""

    id: str
    level: str
    file: str | None = None


@dataclass(frozen=True)
class Proposal:
    """One level change: `current` → `proposed`, and why."""

    case: CaseRef
    action: Literal["demote", "archive", "resurrect"]
    proposed: str
    reason: str


@dataclass(frozen=True)
class LifecycleReport:
    """Proposals, cases the history never saw, and cases with no evidence either way."""

    proposals: tuple[Proposal, ...]
    no_data: tuple[str, ...]
    held: tuple[tuple[str, str], ...] = ()  # (case id, why nothing is proposed despite the age)
    kept: int = 0  # cases with data that stay as they are


def propose(
    cases: Sequence[CaseRef],
    histories: Mapping[str, CaseHistory],
    now: datetime,
    thresholds: Thresholds,
) -> LifecycleReport:
    """The seed's retirement table, as proposals; a case never seen in the history is no data.

    A *failure* is a `fail` or `inconclusive` outcome (the agent may have done the wrong thing);
    `error` and `skipped` carry no evidence either way. A blocking case with no failure for
    `demote_after_days` (and observed at least that long, with a pass in that window) is proposed
    for `scheduled`; any non-manual case quiet for `archive_after_days` for archive (`manual`);
    a manual (archived) case that failed within the last `demote_after_days` for `blocking`.
    """
    proposals: list[Proposal] = []
    no_data: list[str] = []
    held: list[tuple[str, str]] = []
    for case in cases:
        history = histories.get(case.id)
        if history is None:
            no_data.append(case.id)
            continue
        outcome = _propose_one(case, history, now, thresholds)
        if isinstance(outcome, Proposal):
            proposals.append(outcome)
        elif outcome:
            held.append((case.id, outcome))
    kept = len(cases) - len(proposals) - len(no_data) - len(held)
    return LifecycleReport(tuple(proposals), tuple(no_data), tuple(held), kept)


def _propose_one(
    case: CaseRef, history: CaseHistory, now: datetime, limits: Thresholds
) -> Proposal | str | None:
    """A proposal, a reason for holding back (str), or None when the case stays as it is."""
    last_failure = history.last_failure
    if case.level == ARCHIVE_LEVEL:
        if last_failure and last_failure >= now - timedelta(days=limits.demote_after_days):
            return Proposal(
                case, "resurrect", "blocking", f"archived case failed again on {_day(last_failure)}"
            )
        return None
    quiet_since = last_failure or history.first_seen
    quiet = (now - quiet_since).days
    since = (
        f"last failure {_day(last_failure)}"
        if last_failure
        else f"never failed; first seen {_day(history.first_seen)}"
    )
    steps: tuple[tuple[int, Literal["archive", "demote"], str], ...] = (
        (limits.archive_after_days, "archive", ARCHIVE_LEVEL),
        (limits.demote_after_days, "demote", "scheduled"),
    )
    for days, action, level in steps:
        if quiet < days or (action == "demote" and case.level != "blocking"):
            continue
        passes = history.count(Status.PASS, since=now - timedelta(days=days))
        if not passes:
            return f"no failure in {quiet} days, but no pass in the last {days} either"
        return Proposal(
            case,
            action,
            level,
            f"no failure in {quiet} days ({since}; {passes} pass(es) in the last {days} days)",
        )
    return None


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def render_report(
    report: LifecycleReport, now: datetime, limits: Thresholds, history_note: str
) -> str:
    """The lifecycle report as text (print-ready, no trailing newline)."""
    lines = [
        f"lifecycle as of {_day(now)}: demote after {limits.demote_after_days} day(s) "
        f"without a failure, archive (level {ARCHIVE_LEVEL}) after "
        f"{limits.archive_after_days}",
        history_note,
        "",
    ]
    lines.append(f"Proposals: {len(report.proposals)}")
    width = max((len(p.case.id) for p in report.proposals), default=0)
    for p in report.proposals:
        where = f"  {p.case.file}" if p.case.file else ""
        lines.append(
            f"  {p.action:<9}  {p.case.id:<{width}}  {p.case.level} → {p.proposed}: "
            f"{p.reason}{where}"
        )
    if report.held:
        lines += ["", f"Not proposed, no evidence: {len(report.held)}"]
        lines += [f"  {case_id}: {why}" for case_id, why in report.held]
    if report.no_data:
        lines += [
            "",
            f"No data (never in the history, never proposed): {len(report.no_data)}",
            "  " + ", ".join(report.no_data),
        ]
    lines += ["", f"Kept as they are: {report.kept}"]
    return "\n".join(lines)


# --- `--write`: change only the level value (gate/level_edit.py) --------------------------


def planned_edits(proposals: Sequence[Proposal]) -> list[tuple[Path, bytes]]:
    """(file, new content) for every proposal; all are checked before any file is written."""
    edits = []
    for proposal in proposals:
        if proposal.case.file is None:
            raise InputError(f"{proposal.case.id}: no case file to edit (pass --cases)")
        edits.append(
            (
                Path(proposal.case.file),
                edit_level(proposal.case.file, proposal.case.level, proposal.proposed),
            )
        )
    return edits


# --- the `lifecycle` command --------------------------------------------------------------


def _date(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 date, got {text!r}") from None


def add_lifecycle_parser(sub: Any) -> None:
    """`lifecycle --history FILE [--cases PATH…] [--demote-after-days N] … [--write]`."""
    from gate.limits import MAX_DAYS
    from gate.settings import int_in

    days = int_in(1, MAX_DAYS)  # beyond it a date overflows

    parser = sub.add_parser(
        "lifecycle", help="propose demoting, archiving or resurrecting cases from the history"
    )
    add = parser.add_argument
    add("--history", required=True, metavar="FILE", help="the history file (JSON lines)")
    add(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (default: $VOICE_REGRESS_CASES, else the history alone)",
    )
    add(
        "--demote-after-days",
        type=days,
        default=90,
        metavar="N",
        help="propose blocking → scheduled after N days without a failure (default: 90)",
    )
    add(
        "--archive-after-days",
        type=days,
        default=180,
        metavar="N",
        help="propose archiving (level manual) after N days without a failure (default: 180)",
    )
    add("--write", action="store_true", help="apply the proposals to the case files")
    add("--now", type=_date, metavar="DATE", help="evaluate as of this date (default: now)")


def lifecycle_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`lifecycle`: print the proposals; with `--write`, change the levels in the case files."""
    from gate.commands.wiring import load_checked
    from gate.load.config import discover

    now: datetime = args.now or datetime.now(UTC)
    limits = Thresholds(args.demote_after_days, args.archive_after_days)
    records = read_history(args.history)
    histories = by_case(r for r in records if r.at <= now)
    paths = args.cases or environ.get("VOICE_REGRESS_CASES", "").split()
    if paths:
        # The gate config's case root and allowlist: the ids `run` recorded in the history.
        cases = load_checked(paths, err, discover(None, environ)).cases
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
        return f"history {path}: no record up to {_day(now)}"
    later = len(records) - len(used)
    tail = f"; {later} record(s) after that date ignored" if later else ""
    first, last = min(r.at for r in used), max(r.at for r in used)
    cases = len({r.case for r in used})
    return (
        f"history {path}: {len(used)} record(s) of {cases} case(s), "
        f"{_day(first)} … {_day(last)}{tail}"
    )
