"""Retirement (seed 001): propose demote / archive / resurrect from the history; edit `level:`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from gate.errors import InputError
from gate.records.history import CaseHistory
from gate.records.level_edit import edit_level
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
                case, "resurrect", "blocking", f"archived case failed again on {day(last_failure)}"
            )
        return None
    quiet_since = last_failure or history.first_seen
    quiet = (now - quiet_since).days
    since = (
        f"last failure {day(last_failure)}"
        if last_failure
        else f"never failed; first seen {day(history.first_seen)}"
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


def day(moment: datetime) -> str:
    return moment.date().isoformat()


def render_report(
    report: LifecycleReport, now: datetime, limits: Thresholds, history_note: str
) -> str:
    """The lifecycle report as text (print-ready, no trailing newline)."""
    lines = [
        f"lifecycle as of {day(now)}: demote after {limits.demote_after_days} day(s) "
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
