"""What a run writes: atomic report files, stale ones cleared first, a partial run resumed."""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from gate import __version__
from gate.errors import PublishError
from gate.evaluate.verdicts import (
    tally_trials,
)
from gate.git import repo_root, run_git
from gate.models import LoadedCase
from gate.records.early import EarlyCases
from gate.records.record import read_record
from gate.records.results_file import readiness_json, results_chunks
from gate.records.results_reader import case_results
from gate.redact import mask
from gate.report.evidence import evidence_files
from gate.report.junit import JunitOptions, junit_chunks
from gate.results import (
    CaseResult,
    GateResult,
)
from gate.settings import RunSettings
from gate.text import listed, log_line, one_line


def write_file(path: str, text: str | Iterable[str]) -> None:
    """Write a report file, creating its folder; failure is a PublishError (exit 1).

    `text` may come in pieces (a case at a time): each is masked and written as it comes, so a
    report of thousands of cases never exists whole in memory (its copies were the run's peak).
    A piece is a whole JSON value or XML element, so no secret spans two pieces.
    A new or regular file is replaced atomically: a reader (or a cancelled job) sees the old
    report or the new one, never half of one; through a symlink, so is the file it names (the
    link stays). A device or a FIFO (/dev/null) is written through, in place: replacing it
    would replace the device.
    """
    pieces = [text] if isinstance(text, str) else text
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Through a symlink, the file it names is the report: replaced atomically too (the link
        # stays), so a run stopped half-way never leaves half a report behind the link.
        real = Path(os.path.realpath(target)) if target.is_symlink() else target
        if _is_regular_or_absent(real):
            _replace_atomically(real, pieces)
        else:  # a device or a FIFO: only ever streamed into
            with target.open("w", encoding="utf-8") as file:
                file.writelines(mask(piece) for piece in pieces)
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from None


def _is_regular_or_absent(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except FileNotFoundError:
        return True


def _replace_atomically(target: Path, pieces: Iterable[str]) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # what a plain write would give, not 0600
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.writelines(mask(piece) for piece in pieces)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    # Read once (setting it is the only way to read it): later steps read these reports.
    mask_bits = os.umask(0o022)
    os.umask(mask_bits)
    return mask_bits


def clear_stale_reports(*paths: str | None) -> None:
    """Remove the report files a run is about to write: a run that stops early (bad input, a
    crash, a cancel) must not leave an earlier run's green report looking like its own."""
    for path in filter(None, paths):
        # Only a regular file is a report: never a device (/dev/null), a FIFO or a link.
        if not _is_regular_or_absent(Path(path)):
            continue
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:
            raise PublishError(f"cannot remove the old {path}: {exc.strerror or exc}") from None


def junit_options(non_blocking: str, properties: bool, workspace: str | None) -> JunitOptions:
    """JUnit options with `file` made relative to the repository root: the Actions workspace,
    else the git work tree around the working directory (as the annotations place files)."""
    root = workspace or repo_root(run_git("."))
    return JunitOptions(non_blocking, properties, str(root) if root else None, os.getcwd())


def write_reports(gate: GateResult, settings: RunSettings, early: EarlyCases | None = None) -> None:
    """JUnit, results file and evidence, wherever the settings say (`early`: the results
    file's entries rendered while the run went on)."""
    if settings.junit:
        options = junit_options(
            settings.junit_non_blocking, settings.junit_properties, settings.workspace
        )
        write_file(settings.junit, junit_chunks(gate, options))
    if settings.results:
        write_file(
            settings.results,
            results_chunks(gate, __version__, record_runs=settings.record_runs, early=early),
        )
    if settings.readiness and gate.readiness:
        write_file(settings.readiness, readiness_json(gate.readiness))
    if settings.evidence_dir:
        # Every case: a passing case may still have a failing trial worth keeping.
        for result in gate.cases:
            for relative, text in evidence_files(result).items():
                write_file(str(Path(settings.evidence_dir) / relative), text)


def finished_cases(path: str) -> dict[str, CaseResult]:
    """`--resume RESULTS`: the cases a partial results file already decided, by id. A case
    its trials do not decide (interrupted, not run, stopped by an abort) runs again; each kept
    one has passed the same status checks as `merge` (an edited file is refused). Whether it
    is still the same case is `unchanged_results`'s question, asked once the cases are loaded."""
    record = read_record(path)
    kept = {}
    for result in case_results(record, path):
        tally = tally_trials(result.trials, result.trials_planned, result.case.case.pass_threshold)
        if tally.decided:
            kept[result.case.id] = result
    return kept


# Why a kept result no longer belongs to the case as now loaded: it runs again (said on stderr).
_NO_DIGEST = "have no digest in {source} (an older gate's file: nothing says which case"
_NO_DIGEST += " they were judged against)"
_CHANGED = "changed since {source}"
_OTHER_TRIALS = "were planned for other trials than in {source}"
SHOWN_IDS = 10  # ids named per line; the rest are counted


def unchanged_results(
    carried: Mapping[str, CaseResult],
    cases: Sequence[LoadedCase],
    planned: Callable[[LoadedCase], int],
    source: str,
    err: TextIO,
) -> dict[str, CaseResult]:
    """Of `finished_cases`, those still judged against `cases` as loaded now: the recorded
    digest is the case's (gate.load.digest), and as many trials were planned as `planned`
    plans now (--trials may differ). The rest run again, said once per reason on `err`; no
    digest never matches. A kept result takes the loaded case: today's file, lines, policy."""
    kept: dict[str, CaseResult] = {}
    stale: dict[str, list[str]] = {_NO_DIGEST: [], _CHANGED: [], _OTHER_TRIALS: []}
    for case in cases:
        result = carried.get(case.id)
        if result is None:
            continue
        if result.case.digest is None:
            stale[_NO_DIGEST].append(case.id)
        elif result.case.digest != case.digest:
            stale[_CHANGED].append(case.id)
        elif result.trials_planned != planned(case):
            stale[_OTHER_TRIALS].append(case.id)
        else:
            kept[case.id] = replace(result, case=case)
    for why, ids in stale.items():
        if ids:
            print(
                f"resume: {len(ids)} case(s) {why.format(source=log_line(source))}; running them "
                "again: "
                f"{shown_ids(ids)}",
                file=err,
            )
    return kept


def shown_ids(ids: Sequence[str]) -> str:
    """The first SHOWN_IDS ids, each on one clean line, and how many more there are."""
    return listed([one_line(i, 200) for i in ids[:SHOWN_IDS]] + list(ids[SHOWN_IDS:]), SHOWN_IDS)


def in_order(ids: Sequence[str], results: Sequence[CaseResult]) -> list[CaseResult]:
    """`results` in the order of `ids` (the selection's), each id once."""
    by_id = {r.case.id: r for r in results}
    return [by_id[i] for i in ids if i in by_id]
