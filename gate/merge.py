"""`merge`: rebuild a GateResult from results files and combine the shards of one run into it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, ValidationError

from gate.errors import InputError
from gate.models import Case, LoadedCase, Promotion, Source
from gate.results import (
    AssertionOutcome,
    CallBudget,
    CaseResult,
    GateResult,
    HarnessRun,
    Selection,
    ShardInfo,
    Status,
    TrialResult,
)
from gate.settings import parse_bool
from gate.verdicts import FAIL_ON, blocks, gate_verdict

# --- the results file, validated (it may have been edited, truncated or come from elsewhere) ---


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # newer v1 files may add keys


class _Assertion(_Record):
    name: str
    status: Status
    message: str
    expected: Any = None
    actual: Any = None
    turn: int | None = None
    warning: str | None = None
    votes: list[dict[str, Any]] | None = None


class _Trial(_Record):
    trial: int
    run_id: str | None = None
    trace_id: str | None = None
    status: Status
    reason: str
    duration_s: float = 0.0
    harness_calls: int = 0
    assertions: list[_Assertion] = []
    run: dict[str, Any] | None = None  # a shard's runs (the harness's RunResult, or part of it)
    run_omitted: str | None = None  # too large to record


class _Case(_Record):
    id: str
    file: str
    line: int
    suite: str
    owner: str
    severity: Literal["low", "medium", "high", "critical"]
    failure_label: str
    source_call_id: str
    level: Literal["blocking", "scheduled", "manual"]
    status: Status
    reason: str
    trials_planned: int = 1
    trials: list[_Trial] = []


class _Shard(_Record):
    index: int
    total: int
    run_selected: list[str]
    run_note: str = ""
    files_found: int
    sources: str = ""


class _Deferred(_Record):
    id: str
    why: str


class _Selection(_Record):
    tier: str
    reasons: dict[str, str] = {}
    selected: list[str]
    deferred: list[_Deferred] = []
    considered: int = 0
    changed_paths: list[str] | None = None
    note: str = ""
    shard: _Shard | None = None


class _Budget(_Record):
    harness_runs_max: int = 0
    judge_calls_max: int = 0
    harness_runs: int = 0
    judge_calls: int = 0
    judge_cached: int = 0


class ResultsRecord(_Record):
    """A `voice-regress-results/v1` file as typed data (see gate/report/results_file.py)."""

    gate_version: str = ""
    started_at: str
    finished_at: str
    verdict: Literal["pass", "fail"]
    verdict_reason: str = ""
    fail_on: str = "blocking"
    selection: _Selection
    cases: list[_Case]
    abort_reason: str | None = None
    budget: _Budget | None = None


def parse_record(data: Mapping[str, Any], source: str = "results file") -> ResultsRecord:
    """Validate a loaded results file; a problem is one `InputError` naming the JSON path."""
    try:
        return ResultsRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        raise InputError(f"{source}: {path}: {first['msg']} "
                         f"({exc.error_count()} problem(s) in this results file)") from None


# --- rebuilding the gate's objects, so the existing renderers draw the same reports ----------


def _loaded_case(case: _Case) -> LoadedCase:
    # model_construct, not validation: a results file holds only what reports show (no fixture,
    # agent_ref or assertions), and inventing the rest would be a lie. Unset fields stay unset,
    # so code that reads one fails loudly instead of reading a made-up value.
    source = Source.model_construct(source_call_id=case.source_call_id, sanitized=True,
                                    failure_label=case.failure_label, severity=case.severity)
    model = Case.model_construct(version=1, id=case.id, suite=case.suite, owner=case.owner,
                                 source=source, promotion=Promotion.model_construct(
                                     level=case.level))
    return LoadedCase(id=case.id, file=case.file, case=model, line=case.line)


def _harness_run(trial: _Trial, where: str) -> HarnessRun | None:
    if trial.run is not None:
        try:
            return HarnessRun.model_validate({"run_id": trial.run_id, "trace_id": trial.trace_id,
                                              **trial.run})
        except ValidationError as exc:
            raise InputError(f"{where}.run: not a harness run ({exc.error_count()} problem(s): "
                             f"{exc.errors(include_url=False)[0]['msg']})") from None
    if trial.run_id is None and trial.trace_id is None:
        return None
    # Only the ids are known (a passing trial of a shard): the reports show nothing else of it.
    return HarnessRun.model_construct(protocol="", status="completed", events=[],
                                      run_id=trial.run_id, trace_id=trial.trace_id)


def _trial(trial: _Trial, where: str) -> TrialResult:
    outcomes = tuple(
        AssertionOutcome(a.name, a.status, a.message, a.expected, a.actual, a.turn, a.warning,
                         None if a.votes is None else tuple(a.votes))
        for a in trial.assertions)
    return TrialResult(trial.trial, trial.status, trial.reason, trial.duration_s, outcomes,
                       _harness_run(trial, where), trial.harness_calls)


def case_results(record: ResultsRecord, source: str = "results file") -> list[CaseResult]:
    """The CaseResults of a results file, in its order."""
    return [CaseResult(_loaded_case(c), c.status, c.reason,
                       tuple(_trial(t, f"{source}: $.cases[{i}].trials[{n}]")
                             for n, t in enumerate(c.trials)), c.trials_planned)
            for i, c in enumerate(record.cases)]


def records_runs(files: Sequence[Mapping[str, Any]]) -> bool:
    """Whether these checked results kept every trial's run (`--record-runs`), as merge should."""
    trials = [t for data in files for c in data["cases"] for t in c["trials"]]
    return bool(trials) and all("run" in t or "run_omitted" in t for t in trials)


def _selection(sel: _Selection, selected: Sequence[str], note: str,
               reasons: Mapping[str, str]) -> Selection:
    return Selection(sel.tier, tuple(selected), {i: reasons[i] for i in selected if i in reasons},
                     tuple((d.id, d.why) for d in sel.deferred), sel.considered,
                     None if sel.changed_paths is None else tuple(sel.changed_paths), note)


def results_from_dict(data: Mapping[str, Any], source: str = "results file") -> GateResult:
    """A results file as the GateResult it was written from (what the reports need of it)."""
    record = parse_record(data, source)
    cases = tuple(case_results(record, source))
    blocking = tuple(c.case.id for c in cases if blocks(c, record.fail_on))
    return GateResult(record.verdict, record.verdict_reason, cases,
                      _selection(record.selection, record.selection.selected,
                                 record.selection.note, record.selection.reasons),
                      record.fail_on, record.started_at, record.finished_at,
                      _wall([record.started_at], [record.finished_at]), blocking,
                      record.abort_reason, _budget([record]))


def _budget(records: Sequence[ResultsRecord]) -> CallBudget | None:
    """The shards' budgets added up (each planned and spent its own part of the run)."""
    budgets = [r.budget for r in records if r.budget is not None]
    if not budgets:
        return None
    return CallBudget(*(sum(getattr(b, f) for b in budgets) for f in _Budget.model_fields))


def _wall(starts: Sequence[str], ends: Sequence[str]) -> float:
    try:
        first = min(datetime.fromisoformat(s) for s in starts)
        last = max(datetime.fromisoformat(e) for e in ends)
        return max((last - first).total_seconds(), 0.0)
    except (ValueError, TypeError):  # unparsable or naive/aware mix: the wall time is unknown
        return 0.0


# --- combining shards ---------------------------------------------------------------------

_Shards = list[tuple[str, ResultsRecord]]


def merge_results(files: Sequence[tuple[str, Mapping[str, Any]]], *, shards: int | None = None,
                  fail_on: str | None = None, fail_on_empty: bool = True) -> GateResult:
    """One GateResult for the whole run from its shards' results, as if it had run unsharded.

    `files` is (name for messages, loaded results data). Raises `InputError` when a shard is
    missing or given twice, a case is in two shards or in none, or the shards disagree on what
    was run (gate version, tier, selection, shard total): a lost shard is never a pass.
    """
    records: _Shards = [(src, parse_record(data, src)) for src, data in files]
    first = _check_shards(records, shards)
    for what, get in _AGREED:
        _same(records, what, get)
    if fail_on is None:
        fail_on = str(_same(records, "fail-on (pass --fail-on to choose)", lambda r: r.fail_on))
    if fail_on not in FAIL_ON:
        raise InputError(f"fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    shard = first.selection.shard
    assert shard is not None  # _check_shards made sure
    from gate.commands import _none_selected  # the run's own wording (pure)

    cases = _cases_in_order(records, shard.run_selected)
    reasons = {k: v for _, r in records for k, v in r.selection.reasons.items()}
    # The merged run is whole again: shard 1/1, so its results file can itself be merged.
    whole = ShardInfo(1, 1, tuple(shard.run_selected), shard.run_note, shard.files_found,
                      shard.sources)
    selection = replace(_selection(first.selection, shard.run_selected, shard.run_note, reasons),
                        shard=whole)
    abort = next((f"shard {r.selection.shard.index}/{shard.total}: {r.abort_reason}"
                  for _, r in records if r.abort_reason and r.selection.shard), None)
    verdict = gate_verdict(cases, fail_on=fail_on, fail_on_empty=fail_on_empty,
                           files_found=shard.files_found, sources=shard.sources,
                           abort_reason=abort, none_selected=_none_selected(selection))
    starts, ends = [r.started_at for _, r in records], [r.finished_at for _, r in records]
    return GateResult(verdict.verdict, verdict.reason, tuple(cases), selection, fail_on,
                      _pick(starts, min), _pick(ends, max), _wall(starts, ends),
                      verdict.blocking_failures, abort, _budget([r for _, r in records]))


def _check_shards(records: _Shards, expected: int | None) -> ResultsRecord:
    """Every shard 1..N present exactly once; returns shard 1's record."""
    by_index: dict[int, tuple[str, ResultsRecord]] = {}
    totals = set()
    for src, record in records:
        shard = record.selection.shard
        if shard is None:
            raise InputError(f"{src}: not the results of a shard (no selection.shard); merge "
                             "combines the results files of `run --shard I/N`")
        if not 1 <= shard.index <= shard.total:
            raise InputError(f"{src}: shard {shard.index}/{shard.total} is out of range")
        if shard.index in by_index:
            raise InputError(f"shard {shard.index}/{shard.total} given twice: "
                             f"{by_index[shard.index][0]} and {src}")
        by_index[shard.index] = (src, record)
        totals.add(shard.total)
    if len(totals) > 1:
        raise InputError(f"the shards disagree on the number of shards: {sorted(totals)}")
    total = totals.pop()
    if expected is not None and expected != total:
        raise InputError(f"--shards {expected}, but the results files come from a run cut into "
                         f"{total} shard(s)")
    missing = [f"{i}/{total}" for i in range(1, total + 1) if i not in by_index]
    if missing:
        have = ", ".join(f"{i}/{total}" for i in sorted(by_index))
        raise InputError(f"missing the results of shard {', '.join(missing)} (have {have}): a "
                         "lost shard is not a pass; check that every shard job wrote and uploaded "
                         "its --results file")
    return by_index[1][1]


def _same(records: _Shards, what: str, get: Callable[[ResultsRecord], object]) -> object:
    """The value every shard agrees on."""
    src0, expected = records[0][0], get(records[0][1])
    for src, record in records[1:]:
        if get(record) != expected:
            raise InputError(f"the shards disagree on the {what}: {src0} has "
                             f"{_show(expected)}, {src} has {_show(get(record))}; merge the "
                             "shards of one run (same commit, same settings)")
    return expected


_AGREED: tuple[tuple[str, Callable[[ResultsRecord], object]], ...] = (
    ("gate version", lambda r: r.gate_version),
    ("tier", lambda r: r.selection.tier),
    ("whole-run selection", lambda r: r.selection.shard and r.selection.shard.run_selected),
    ("deferred cases", lambda r: r.selection.deferred),
    ("number of cases considered", lambda r: r.selection.considered),
)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _cases_in_order(records: _Shards, order: Sequence[str]) -> list[CaseResult]:
    where: dict[str, str] = {}
    by_id: dict[str, CaseResult] = {}
    for src, record in records:
        cases = case_results(record, src)
        if [c.case.id for c in cases] != list(record.selection.selected):
            raise InputError(f"{src}: its cases are not the ones its selection lists")
        for result in cases:
            if result.case.id in where:
                raise InputError(f"case {result.case.id!r} is in two shards' results: "
                                 f"{where[result.case.id]} and {src}; every shard must cut "
                                 "the same selection with the same --history file")
            where[result.case.id] = src
            by_id[result.case.id] = result
    lost = [i for i in order if i not in by_id]
    extra = [i for i in by_id if i not in set(order)]
    if lost or extra:
        what = f"{len(lost)} selected case(s) in no shard's results: {', '.join(lost[:5])}" \
            if lost else f"case(s) the run did not select: {', '.join(extra[:5])}"
        raise InputError(f"the shards' results do not add up to the run: {what}")
    return [by_id[i] for i in order]


def _pick(stamps: Sequence[str], choose: Any) -> str:
    try:
        return str(choose(stamps, key=datetime.fromisoformat))
    except (ValueError, TypeError):
        return str(choose(stamps))


# --- the `merge` command ------------------------------------------------------------------


def add_merge_parser(sub: Any) -> None:
    """`merge RESULTS… [--junit F] [--results F] [--fail-on P] [--fail-on-empty B] [--shards N]`."""
    from gate.github.options import add_publish_options
    from gate.settings import positive_int

    merge = sub.add_parser("merge", help="combine the results of a sharded run into one verdict")
    merge.add_argument("inputs", nargs="+", metavar="RESULTS",
                       help="the results files of `run --shard I/N`, one per shard")
    merge.add_argument("--junit", metavar="FILE", help="write the merged JUnit XML here")
    merge.add_argument("--results", metavar="FILE", help="write the merged results JSON here")
    merge.add_argument("--fail-on", choices=FAIL_ON,
                       help="which failing cases block (default: as the shards ran)")
    merge.add_argument("--fail-on-empty", type=parse_bool,
                       help="fail when nothing ran (default: true)")
    merge.add_argument("--shards", type=positive_int, metavar="N",
                       help="how many shards to expect (default: as the shards recorded)")
    merge.add_argument("--history", metavar="FILE",
                       help="append the merged run's outcomes to this history file")
    merge.add_argument("--config", metavar="FILE",
                       help="gate config: checked, so the Action can pass it to every job; "
                            "nothing in it changes a merge")
    add_publish_options(merge)


def merge_command(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO,
                  err: TextIO) -> int:
    """`merge`: the sharded run's one verdict, summary, JUnit and results file."""
    from gate.commands import _write
    from gate.config import discover
    from gate.github.publish import publisher_for
    from gate.history import append_records, records_from_results
    from gate.report.console import render_summary
    from gate.report.junit import render_junit
    from gate.report.results_file import render_results, results_dict

    publisher = publisher_for(args, environ, out)  # its flags and environment, checked first
    if args.config:
        discover(args.config, environ)
    files = [(path, read_results(path)) for path in args.inputs]
    fail_on = args.fail_on or environ.get("VOICE_REGRESS_FAIL_ON", "").strip() or None
    fail_on_empty = args.fail_on_empty
    if fail_on_empty is None:
        raw = environ.get("VOICE_REGRESS_FAIL_ON_EMPTY", "").strip() or "true"
        try:
            fail_on_empty = parse_bool(raw)
        except argparse.ArgumentTypeError as exc:
            raise InputError(f"VOICE_REGRESS_FAIL_ON_EMPTY: {exc}") from None
    gate = merge_results(files, shards=args.shards, fail_on=fail_on, fail_on_empty=fail_on_empty)
    version = str(files[0][1].get("gate_version", ""))
    if args.junit:
        _write(args.junit, render_junit(gate))
    if args.results:
        record = records_runs([data for _, data in files])
        _write(args.results, render_results(gate, version, record_runs=record))
    if args.history:
        append_records(args.history, records_from_results(results_dict(gate, version)))
    print(f"merged {len(files)} shard(s): {', '.join(args.inputs)}", file=out)
    with publisher.untrusted_output():
        print(render_summary(gate), file=out)
    publisher.publish(gate, junit=args.junit, results=args.results)
    return 0 if gate.verdict == "pass" else 1


def read_results(path: str) -> dict[str, Any]:
    """Read and check a results file; `InputError` names `path` when it cannot be used."""
    from gate.report.results_file import load_results

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the results file ({exc})") from None
    return load_results(text, path)
