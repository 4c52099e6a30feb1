"""`validate --config FILE` refuses what `run --config FILE` refuses, in the same words."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from gate.cli import main

CASE = Path(__file__).parents[1] / "data" / "cases" / "valid" / "minimal.yaml"
VALUES = ["0", "-1", "2", "4", "16", "257", "1e99999", ".nan", "1.5", "x", "true", "[]", "null"]
CONFIGS = [
    *(
        f"defaults: {{{key}: {value}}}"
        for key, value in itertools.product(("concurrency", "trials", "votes"), VALUES)
    ),
    *(
        f"fast_tier: {{{key}: {value}}}"
        for key, value in itertools.product(("max_cases", "max_minutes"), VALUES)
    ),
    "pii_allowlist: ['(a)\\1']",
    "pii_allowlist: ['x{,3}']",
    "triggers: {prompt_change: ['!only/negated/**']}",
    "always_full: ['a/[]']",
    "defaults: {timeout: 5}",
    "pattern_syntax: regex",
]


def _exit_and_err(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    code = main(argv, environ={}, out=io.StringIO(), err=err)
    return code, err.getvalue()


@pytest.mark.parametrize("config", CONFIGS)
def test_validate_refuses_what_run_refuses(tmp_path: Path, config: str) -> None:
    path = tmp_path / "gate.yml"
    path.write_text(f"version: 1\n{config}\n", "utf-8")
    validated = _exit_and_err(["validate", "--config", str(path), str(CASE)])
    # an unroutable harness: a config `run` accepted would end 1 (harness down), not 2
    run = _exit_and_err(
        ["run", "--config", str(path), "--cases", str(CASE), "--harness-url", "http://127.0.0.1:9"]
    )
    assert (validated[0] == 2) == (run[0] == 2), (validated, run)
    if run[0] == 2:
        assert validated[1] == run[1]
        assert f"{path}:2:" in validated[1]
    else:
        assert validated[0] == 0 and run[0] == 1


def test_an_even_votes_default_is_refused_by_validate(tmp_path: Path) -> None:
    path = tmp_path / "gate.yml"
    path.write_text("version: 1\ndefaults: {votes: 4}\n", "utf-8")
    code, err = _exit_and_err(["validate", "--config", str(path), str(CASE)])
    assert code == 2
    assert f"{path}:2:12: $.defaults.votes: expected an odd number" in err
