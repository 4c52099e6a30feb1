"""The history file: one JSON line per case per run, appended from results files, read per case."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from gate.errors import InputError, PublishError
from gate.results import Status
from gate.text import log_line

SCHEMA = "voice-regress-history/v1"
FAILURE_STATES = (Status.FAIL, Status.INCONCLUSIVE)  # the agent (may have) done the wrong thing
RECENT_DURATIONS = 5  # runs whose mean duration weighs a case when sharding


@dataclass(frozen=True)
class HistoryRecord:
    """One case's outcome in one run.

    Line shape: `{"schema": "voice-regress-history/v1", "run": str, "at": ISO-8601, "case": id,
    "status": state, "duration_s": float, "level": str, "failure_label": str, "file": str,
    "gate_version": str}`; `run` identifies the run (its start time, and its shard) so appending
    the same results file twice records it once.
    """

    case: str
    at: datetime
    status: Status
    duration_s: float
    level: str
    run: str
    failure_label: str = ""
    file: str = ""
    gate_version: str = ""

    def to_json(self) -> str:
        data = {
            "schema": SCHEMA,
            "run": self.run,
            "at": self.at.isoformat(),
            "case": self.case,
            "status": self.status.value,
            "duration_s": self.duration_s,
            "level": self.level,
            "failure_label": self.failure_label,
            "file": self.file,
            "gate_version": self.gate_version,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)


@dataclass(frozen=True)
class CaseHistory:
    """Everything the history says about one case, oldest outcome first."""

    case: str
    outcomes: tuple[tuple[datetime, Status], ...]
    durations: tuple[float, ...]
    level: str  # as of its latest record

    @property
    def first_seen(self) -> datetime:
        return self.outcomes[0][0]

    @property
    def last_seen(self) -> datetime:
        return self.outcomes[-1][0]

    @property
    def last_failure(self) -> datetime | None:
        return next((at for at, s in reversed(self.outcomes) if s in FAILURE_STATES), None)

    def count(self, status: Status, since: datetime | None = None) -> int:
        """Outcomes in `status`, optionally only those at or after `since`."""
        return sum(1 for at, s in self.outcomes if s is status and (since is None or at >= since))

    @property
    def mean_duration(self) -> float | None:
        """Mean duration of the latest runs (seconds), the weight of the case when sharding."""
        recent = self.durations[-RECENT_DURATIONS:]
        return sum(recent) / len(recent) if recent else None


def parse_time(text: str) -> datetime:
    """An ISO-8601 date or date-time; naive values are UTC. Raises ValueError."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def records_from_results(
    results: Mapping[str, Any], source: str = "results file"
) -> list[HistoryRecord]:
    """The history lines of one results file (already checked by `load_results`)."""
    try:
        at = parse_time(str(results.get("finished_at") or results.get("started_at")))
    except ValueError:
        raise InputError(f"{source}: no valid finished_at time to date its outcomes") from None
    shard = results["selection"].get("shard") or {}
    run = str(results.get("started_at", ""))
    if shard:
        run += f" shard {shard.get('index')}/{shard.get('total')}"
    try:
        return [
            _from_case(case, at, run, str(results.get("gate_version", "")))
            for case in results["cases"]
        ]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"{source}: a case is not a results record ({exc!r})") from None


def _from_case(case: Mapping[str, Any], at: datetime, run: str, version: str) -> HistoryRecord:
    seconds = [float(t.get("duration_s") or 0.0) for t in case.get("trials", [])]
    return HistoryRecord(
        case=str(case["id"]),
        at=at,
        status=Status(case["status"]),
        duration_s=round(sum(d for d in seconds if math.isfinite(d)), 3),
        level=str(case.get("level", "")),
        run=run,
        failure_label=str(case.get("failure_label", "")),
        file=str(case.get("file", "")),
        gate_version=version,
    )


def read_history(path: str | Path, *, missing_ok: bool = False) -> list[HistoryRecord]:
    """Every record of the history file; a bad line is an `InputError` naming `path:line`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return []
        raise InputError(f"{path}: no such history file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the history file ({exc})") from None
    return [
        _parse_line(line, f"{path}:{number}")
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip()
    ]


def _parse_line(line: str, where: str) -> HistoryRecord:
    try:
        data = json.loads(line)
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} record")
        duration = float(data.get("duration_s") or 0.0)
        return HistoryRecord(
            case=_text(data, "case"),
            at=parse_time(_text(data, "at")),
            status=Status(_text(data, "status")),
            run=_text(data, "run"),
            duration_s=duration if math.isfinite(duration) and duration >= 0 else 0.0,
            level=str(data.get("level", "")),
            failure_label=str(data.get("failure_label", "")),
            file=str(data.get("file", "")),
            gate_version=str(data.get("gate_version", "")),
        )
    except (ValueError, TypeError) as exc:
        raise InputError(f"{where}: bad history line ({exc})") from None


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def append_records(path: str | Path, records: Sequence[HistoryRecord]) -> tuple[int, int]:
    """Append the records not already in the file; returns (appended, already recorded)."""
    seen = {(r.run, r.case) for r in read_history(path, missing_ok=True)}
    new = [r for r in records if (r.run, r.case) not in seen]
    if new:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                # one write: concurrent appenders interleave whole batches, not half lines
                handle.write("".join(r.to_json() + "\n" for r in new))
        except OSError as exc:
            raise PublishError(f"cannot append to {path}: {exc.strerror or exc}") from None
    return len(new), len(records) - len(new)


def by_case(records: Iterable[HistoryRecord]) -> dict[str, CaseHistory]:
    """Aggregate the records per case, outcomes in time order (file order breaks ties)."""
    grouped: dict[str, list[HistoryRecord]] = {}
    for record in records:
        grouped.setdefault(record.case, []).append(record)
    histories = {}
    for case, items in grouped.items():
        items.sort(key=lambda r: r.at)  # stable: equal times keep the file's order
        histories[case] = CaseHistory(
            case,
            tuple((r.at, r.status) for r in items),
            tuple(r.duration_s for r in items if r.status is not Status.SKIPPED),
            items[-1].level,
        )
    return histories


def history_durations(path: str | None) -> dict[str, float] | None:
    """Mean recent duration per case from the history file at `path` (None: no history given)."""
    if not path:
        return None
    histories = by_case(read_history(path, missing_ok=True))
    return {case: d for case, h in histories.items() if (d := h.mean_duration) is not None}


def append_run_history(path: str, results: Mapping[str, Any], err: TextIO) -> None:
    """After `run --history FILE`: append the run, unless it is one shard of a sharded run.

    Shards only read the history: they must all cut the selection from the same durations, and a
    shard appending before another starts would change the other's cut. `merge --history FILE`
    appends the whole run instead.
    """
    shard = results["selection"].get("shard") or {}
    if shard.get("total", 1) > 1:
        print(
            f"history: {path} was read to balance the shards, not appended to; "
            "`merge --history FILE` appends the whole run",
            file=err,
        )
        return
    append_records(path, records_from_results(results))


# --- the `history` command ----------------------------------------------------------------


def add_history_parser(sub: Any) -> None:
    """`history append RESULTS… --history FILE`."""
    history = sub.add_parser("history", help="keep the per-case history file (JSON lines)")
    actions = history.add_subparsers(dest="history_action", required=True, metavar="ACTION")
    append = actions.add_parser("append", help="append the outcomes of results files")
    append.add_argument("inputs", nargs="+", metavar="RESULTS", help="results files (--results)")
    append.add_argument("--history", required=True, metavar="FILE", help="the history file")


def history_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """`history append`: record each results file once (re-appending one is a no-op)."""
    from gate.records.results_reader import read_results

    loaded = [(path, records_from_results(read_results(path), path)) for path in args.inputs]
    for path, records in loaded:
        added, known = append_records(args.history, records)
        tail = f" ({known} already recorded)" if known else ""
        print(log_line(f"{args.history}: appended {added} record(s) from {path}{tail}"), file=out)
    return 0
