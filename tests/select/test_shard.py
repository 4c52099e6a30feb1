"""`--shard I/N`: a deterministic partition, every case in exactly one shard, balanced."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from gate.cli import main
from gate.results import Selection
from gate.select.shard import partition, shard_selection, stable_hash
from gate.settings import parse_shard


def ids(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [f"suite{rng.randrange(5)}/case-{i}-{rng.randrange(10**6)}" for i in range(count)]


@pytest.mark.parametrize(("text", "pair"), [("1/1", (1, 1)), ("2/4", (2, 4)), (" 4/4 ", (4, 4))])
def test_parse_shard(text: str, pair: tuple[int, int]) -> None:
    assert parse_shard(text) == pair


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0", "-1/3", "1/2/3", ""])
def test_parse_shard_rejects(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected I/N"):
        parse_shard(text)


def test_stable_hash_is_sha256_not_the_salted_builtin() -> None:
    digest = hashlib.sha256(b"scheduling/x").digest()
    assert stable_hash("scheduling/x") == int.from_bytes(digest[:8], "big")


@pytest.mark.parametrize("weighted", [False, True])
def test_every_case_is_in_exactly_one_shard(weighted: bool) -> None:
    rng = random.Random(42)
    for trial in range(60):
        cases = ids(rng.randrange(0, 50), seed=trial)
        durations = (
            {c: rng.uniform(0.1, 30) for c in cases if rng.random() < 0.8} if weighted else None
        )
        for total in range(1, 8):
            shards = partition(cases, total, durations)
            assert len(shards) == total
            flat = [c for shard in shards for c in shard]
            assert sorted(flat) == sorted(cases)  # each exactly once
            for shard in shards:  # each shard keeps the run's order
                assert shard == [c for c in cases if c in set(shard)]


def test_the_partition_does_not_depend_on_input_order() -> None:
    cases = ids(40)
    durations = {c: float(i % 7) for i, c in enumerate(cases)}
    for weights in (None, durations):
        expected = [set(s) for s in partition(cases, 4, weights)]
        for seed in range(10):
            shuffled = cases[:]
            random.Random(seed).shuffle(shuffled)
            assert [set(s) for s in partition(shuffled, 4, weights)] == expected


def test_without_history_sizes_differ_by_at_most_one() -> None:
    for count in range(0, 40):
        for total in range(1, 7):
            sizes = [len(s) for s in partition(ids(count), total)]
            assert max(sizes) - min(sizes) <= 1, (count, total, sizes)


def test_with_history_longest_first_greedy_balances_the_load() -> None:
    rng = random.Random(7)
    for trial in range(40):
        cases = ids(rng.randrange(1, 60), seed=trial)
        durations = {c: rng.choice([0.5, 2.0, 15.0, 120.0]) * rng.random() for c in cases}
        for total in range(1, 6):
            loads = [sum(durations[c] for c in s) for s in partition(cases, total, durations)]
            # Greedy LPT bound: no shard exceeds the mean load by more than the longest case.
            assert max(loads) <= sum(loads) / total + max(durations.values()) + 1e-9


def test_a_long_case_gets_a_shard_to_itself() -> None:
    cases = ["slow", *(f"quick-{i}" for i in range(9))]
    durations = {"slow": 100.0} | dict.fromkeys(cases[1:], 1.0)
    shards = partition(cases, 2, durations)
    assert ["slow"] in shards
    # Unknown cases weigh the mean known duration: "new" is as heavy as the average.
    shards = partition(["a", "b", "new"], 2, {"a": 10.0, "b": 10.0})
    assert sorted(map(len, shards)) == [1, 2]


def test_same_shards_whatever_pythonhashseed() -> None:
    code = (
        "import json, sys; from gate.select.shard import partition; "
        "print(json.dumps(partition([f'c{i}' for i in range(30)], 4)))"
    )
    outputs = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert sorted(c for s in json.loads(outputs.pop()) for c in s) == sorted(
        f"c{i}" for i in range(30)
    )


def test_shard_selection_keeps_the_whole_run_and_says_which_shard() -> None:
    selected = tuple(ids(11))
    selection = Selection(
        "all",
        selected,
        dict.fromkeys(selected, "tier all"),
        (("nightly/x", "level scheduled"),),
        12,
        None,
        "tier all: every case",
    )
    parts = [
        shard_selection(selection, (i, 4), None, files_found=12, sources="cases")
        for i in range(1, 5)
    ]
    assert sorted(c for p in parts for c in p.selected) == sorted(selected)
    for index, part in enumerate(parts, 1):
        assert part.shard is not None
        assert (part.shard.index, part.shard.total) == (index, 4)
        assert part.shard.run_selected == selected and part.shard.run_note == selection.note
        assert (part.shard.files_found, part.shard.sources) == (12, "cases")
        assert part.note.startswith("tier all: every case; shard ")
        assert f"shard {index}/4: {len(part.selected)} of 11 selected case(s)" in part.note
        assert "balanced by case id hash" in part.note
        assert set(part.reasons) == set(part.selected)
        assert part.deferred == selection.deferred and part.considered == 12
    weighted = shard_selection(
        selection, (1, 2), {selected[0]: 3.0}, files_found=12, sources="cases"
    )
    assert "balanced by history durations (1 known)" in weighted.note


def test_more_shards_than_cases_leaves_some_empty() -> None:
    shards = partition(["a", "b"], 4)
    assert sorted(map(len, shards)) == [0, 0, 1, 1]


def test_the_cli_takes_the_shard_from_the_flag_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    out, err = io.StringIO(), io.StringIO()
    assert main(["demo"], {"VOICE_REGRESS_SHARD": "2/3"}, out, err) == 0
    assert "shard 2/3: " in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["demo"], {"VOICE_REGRESS_SHARD": "4/3"}, out, err) == 2
    assert "VOICE_REGRESS_SHARD: expected I/N with 1 <= I <= N" in err.getvalue()
    err = io.StringIO()
    assert main(["demo", "--shard", "0/3"], {}, io.StringIO(), err) == 2
    assert "argument --shard: expected I/N" in err.getvalue()
