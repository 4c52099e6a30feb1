"""Stage glue shared by the commands: load with diagnostics, finish a run, write its reports."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from gate import __version__
from gate.errors import CaseFileError, PublishError
from gate.evaluate.verdicts import empty_selection_reason, gate_verdict, none_selected_reason
from gate.load.config import GateConfig, load_with_config
from gate.load.loader import LoadResult
from gate.load.parallel import map_in_workers
from gate.load.similarity import near_duplicates
from gate.records.results_file import results_chunks
from gate.report.evidence import evidence_files
from gate.report.junit import junit_chunks
from gate.results import CaseResult, GateResult, Selection
from gate.settings import RunSettings

PARALLEL_CASES = 2000  # below, comparing near-duplicates takes well under a worker's start-up


def load_checked(paths: Sequence[str], err: TextIO, config: GateConfig | None = None) -> LoadResult:
    """Load and validate; warnings are printed, any error stops the run with exit 2."""
    loaded = load_with_config(paths, config)
    for diagnostic in loaded.diagnostics:
        if diagnostic.severity != "error":
            print(diagnostic, file=err)
    # Thousands of cases: their label buckets are compared on every core.
    parallel = len(loaded.cases) >= PARALLEL_CASES
    mapper = functools.partial(map_in_workers, parallel=parallel)
    for diagnostic in near_duplicates(loaded.cases, mapper=mapper):  # warnings: a human decides
        print(diagnostic, file=err)
    if loaded.errors:
        raise CaseFileError(loaded.errors)
    return loaded


def write_file(path: str, text: str | Iterable[str]) -> None:
    """Write a report file (text, or its pieces in order), creating its folder; failure is a
    PublishError (exit 1)."""
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as out:
            out.writelines([text] if isinstance(text, str) else text)
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_reports(gate: GateResult, settings: RunSettings) -> None:
    """JUnit, results file and evidence, wherever the settings say."""
    if settings.junit:
        write_file(settings.junit, junit_chunks(gate))
    if settings.results:
        chunks = results_chunks(gate, __version__, record_runs=settings.record_runs)
        write_file(settings.results, chunks)
    if settings.evidence_dir:
        # Every case: a passing case may still have a failing trial worth keeping.
        for result in gate.cases:
            for relative, text in evidence_files(result).items():
                write_file(str(Path(settings.evidence_dir) / relative), text)


def now_iso() -> str:
    """The current time, UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def finish_run(
    settings: RunSettings,
    loaded: LoadResult,
    selection: Selection,
    results: list[CaseResult],
    abort: str | None,
    started: tuple[str, float],
) -> GateResult:
    """The GateResult of a run: its verdict under the settings' fail-on rules."""
    verdict = gate_verdict(
        results,
        fail_on=settings.fail_on,
        fail_on_empty=settings.fail_on_empty,
        files_found=len(loaded.files),
        sources=" ".join(settings.cases),
        abort_reason=abort,
        none_selected=none_selected_reason(selection),
        empty_selection=empty_selection_reason(selection),
    )
    return GateResult(
        verdict.verdict,
        verdict.reason,
        tuple(results),
        selection,
        settings.fail_on,
        started[0],
        now_iso(),
        round(time.monotonic() - started[1], 3),
        verdict.blocking_failures,
        abort,
    )
