"""Results-file entries rendered as cases finish: the same file, only for the same result."""

from __future__ import annotations

import dataclasses
import tempfile

import pytest
from support.report_fixtures import GATE_VERSION, GATES

from gate.records.early import EarlyCases
from gate.records.results_file import render_results
from gate.results import BaselineReport, GateResult


@pytest.mark.parametrize("name", sorted(GATES))
@pytest.mark.parametrize("record_runs", [False, True])
def test_entries_rendered_as_cases_finish_make_the_same_file(name: str, record_runs: bool) -> None:
    gate = GATES[name]()
    expected = render_results(gate, GATE_VERSION, record_runs=record_runs)
    with EarlyCases(shard=gate.selection.shard is not None, record_runs=record_runs) as early:
        for result in gate.cases:
            early.add(result)
        assert render_results(gate, GATE_VERSION, record_runs=record_runs, early=early) == expected


def _early_with_planted_entries(gate: GateResult, record_runs: bool) -> EarlyCases:
    """Early entries that say `planted` in every reason: visible wherever one is used."""
    early = EarlyCases(shard=gate.selection.shard is not None, record_runs=record_runs)
    for result in gate.cases:
        early.add(dataclasses.replace(result, reason="planted"))
    # the planted objects are not the gate's: re-plant them under the gate's own results
    early._entries = {  # noqa: SLF001 - the test plants what a stale entry would hold
        r.case.id: (r, *early._entries[r.case.id][1:])  # noqa: SLF001
        for r in gate.cases
    }
    return early


def test_an_early_entry_is_used_only_for_the_very_result_it_was_rendered_from() -> None:
    gate = GATES["mixed"]()
    # each result changed after it finished (as retention scrubbing does: a new object)
    changed = dataclasses.replace(
        gate, cases=tuple(dataclasses.replace(r, reason="changed later") for r in gate.cases)
    )
    with EarlyCases(shard=gate.selection.shard is not None, record_runs=False) as early:
        for result in gate.cases:
            early.add(result)
        text = render_results(changed, GATE_VERSION, early=early)
    assert text == render_results(changed, GATE_VERSION)
    assert text.count("changed later") == len(gate.cases)


@pytest.mark.parametrize("flip", ["shard", "record_runs", "baseline"])
def test_other_flags_or_baseline_labels_render_the_case_again(flip: str) -> None:
    gate = GATES["mixed"]()
    record_runs = flip == "record_runs"
    with _early_with_planted_entries(gate, record_runs=False) as early:
        assert "planted" in render_results(gate, GATE_VERSION, early=early)  # the plant shows
        if flip == "shard":
            early.shard = not early.shard
        if flip == "baseline":
            labels = {r.case.id: "new" for r in gate.cases}
            gate = dataclasses.replace(gate, baseline=BaselineReport("base.json", labels, {}))
        text = render_results(gate, GATE_VERSION, record_runs=record_runs, early=early)
    assert "planted" not in text
    assert text == render_results(gate, GATE_VERSION, record_runs=record_runs)


def test_without_a_writable_temporary_folder_the_entries_stay_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def read_only(*_args: object, **_kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    gate = GATES["mixed"]()
    expected = render_results(gate, GATE_VERSION)
    with EarlyCases(shard=gate.selection.shard is not None, record_runs=False) as early:
        for result in gate.cases:
            early.add(result)
        assert render_results(gate, GATE_VERSION, early=early) == expected
