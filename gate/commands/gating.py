"""A run's end: labels against `--baseline`, release readiness, what they do to the verdict."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from gate.errors import InputError
from gate.evaluate.readiness import Thresholds, readiness
from gate.records.baseline import baseline_report
from gate.records.record import ResultsRecord
from gate.results import BaselineReport, CaseResult, GateResult, Readiness, Selection

if TYPE_CHECKING:  # annotations only: the thresholds come in through the config object
    from gate.load.config import GateConfig

FALLBACK = "--fail-on new falls back to --fail-on blocking"


def check_baseline_path(baseline: str | None, results: str | None) -> None:
    """A run deletes its old results file first: given as the baseline, it would be lost.

    Raises:
        InputError: `--baseline` and `--results` name the same file.
    """
    if baseline and results and os.path.abspath(baseline) == os.path.abspath(results):
        raise InputError(
            f"--baseline and --results are the same file ({baseline}): the run would replace "
            "its own baseline; copy the base branch's results elsewhere first"
        )


def run_baseline(
    path: str | None, fail_on: str, results: Sequence[CaseResult]
) -> tuple[BaselineReport | None, str]:
    """The baseline labels and the fail-on they allow: `new` needs a usable baseline."""
    report = baseline_report(path, results, fail_on)
    if fail_on != "new" or (report is not None and report.warning is None):
        return report, fail_on
    assert report is not None  # baseline_report answers `new` without a baseline with a warning
    return replace(report, warning=f"{report.warning}; {FALLBACK}"), "blocking"


def run_readiness(
    path: str | None,
    config: GateConfig | None,
    selection: Selection,
    cases: Sequence[CaseResult],
) -> Readiness | None:
    """Readiness of the release tier, or of any run asked for it (`--readiness FILE`), with the
    config's thresholds."""
    if selection.tier != "release" and not path:
        return None
    return readiness(cases, Thresholds(**(config.readiness if config else {})))


def release_verdict(gate: GateResult) -> GateResult:
    """The release tier fails on a no-go, naming the rows that failed; a shard of several only
    reports its part (`merge` decides on the whole run)."""
    shard = gate.selection.shard
    if shard is not None and shard.total > 1:
        return gate
    if gate.selection.tier != "release" or gate.readiness is None or gate.readiness.go:
        return gate
    rows = ", ".join(gate.readiness.failed)
    nogo = f"release readiness is no-go ({rows})"
    reason = nogo if gate.verdict == "pass" else f"{gate.verdict_reason}; {nogo}"
    return replace(gate, verdict="fail", verdict_reason=reason)


def merged_readiness(
    gate: GateResult, records: Sequence[ResultsRecord], config: Mapping[str, float] | None
) -> GateResult:
    """`merge`: readiness over the whole run when its shards checked theirs, with the thresholds
    of `--config` if it sets them, else those the shards recorded; then the release verdict."""
    recorded = [r.readiness for r in records if r.readiness is not None]
    if not recorded:
        return gate
    thresholds = config or {row.name: row.threshold for row in recorded[0].rows}
    whole = readiness(gate.cases, Thresholds(**thresholds))
    return release_verdict(replace(gate, readiness=whole))


def warn_baseline(gate: GateResult, err: TextIO) -> None:
    """A baseline that could not be used is said on stderr, never skipped silently."""
    if gate.baseline is not None and gate.baseline.warning:
        print(f"warning: {gate.baseline.warning}", file=err)
    elif gate.baseline is None and gate.fail_on == "new":  # a merge of unlabelled shards
        print(
            "warning: --fail-on new without baseline labels: every blocking case blocks", file=err
        )
