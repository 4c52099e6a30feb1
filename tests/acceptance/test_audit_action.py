"""Audit: odd Action inputs (INPUT_*) through entrypoint.py and the real CLI never make an empty
run green unless fail-on-empty is really `false`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from gate.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import entrypoint  # noqa: E402  (repo root, not a package)


def _no_git(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(command, 0, "", "")


def _action(**inputs: str) -> tuple[int, str]:
    env = {"INPUT_" + name.upper(): value for name, value in inputs.items()}
    out, err = io.StringIO(), io.StringIO()
    code = entrypoint.main(
        env, out, err, run=_no_git, cli=lambda argv, environ: main(argv, environ, out, err)
    )
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"FAIL-ON-EMPTY": " "},  # blank: unset, the default (true) holds
        {"FAIL-ON-EMPTY": "\n"},
        {"FAIL_ON_EMPTY": "false"},  # not an input of this action (underscore): ignored
        {"FAIL-ON-EMPTY": "true "},
    ],
)
def test_an_empty_case_folder_fails_whatever_the_odd_inputs(
    tmp_path: Path, extra: dict[str, str]
) -> None:
    code, shown = _action(**{"CASES": f" {tmp_path} ", "HARNESS-URL": "builtin"}, **extra)
    assert code == 1 and "no case files found under" in shown


def test_fail_on_empty_with_a_trailing_space_is_still_false(tmp_path: Path) -> None:
    # The runner keeps whitespace in INPUT_*; the toolkit trims it, and so does the entrypoint.
    code, shown = _action(
        **{"CASES": str(tmp_path), "HARNESS-URL": "builtin", "FAIL-ON-EMPTY": "False "}
    )
    assert code == 0 and "allowed by --fail-on-empty false" in shown


@pytest.mark.parametrize("value", ["no", "0", "False\nFalse", "falsy"])
def test_anything_but_a_yaml_boolean_is_exit_2(tmp_path: Path, value: str) -> None:
    code, shown = _action(
        **{"CASES": str(tmp_path), "HARNESS-URL": "builtin", "FAIL-ON-EMPTY": value}
    )
    assert code == 2 and "input fail-on-empty" in shown
