"""File names and YAML keys are untrusted text: printed, they can never start a workflow command
(`::error …` at a line start) nor hold the runner's legacy `##[…]` form anywhere in a line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gate.cli import main

CASE = Path(__file__).parents[1] / "data" / "cases" / "valid" / "minimal.yaml"
NAMES = [
    "x\n::error file=a.py,line=1::forged.yaml",
    "x\r::add-mask::secret.yaml",
    "x\u2028::set-output name=verdict::pass.yaml",
    "##[error]legacy.yaml",
    "x\x1b[2K\r::warning::erase.yaml",
    "x\x85::error::nel.yaml",
]


def _assert_no_command(text: str) -> None:
    assert "##[" not in text
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), repr(line)


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_file_name_cannot_inject_a_workflow_command(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    text = CASE.read_text("utf-8").replace("level: scheduled", "level: nope")
    (folder / name).write_text(text, "utf-8")
    (folder / "empty\n::error::dir").mkdir()  # a warning: no case files there (not recursed)
    err = io.StringIO()
    assert main(["validate", str(folder)], environ={}, out=io.StringIO(), err=err) == 2
    shown = err.getvalue()
    _assert_no_command(shown)
    assert "$.promotion.level: 'nope' is not one of" in shown
    assert len(shown.splitlines()) == 2  # the diagnostic and the summary, one line each


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_path_argument_or_key_cannot_either(tmp_path: Path, name: str) -> None:
    escaped = name.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    (tmp_path / "case.yaml").write_text(CASE.read_text("utf-8") + f'"{escaped}": 1\n', "utf-8")
    err = io.StringIO()
    argv = ["validate", str(tmp_path / "case.yaml"), str(tmp_path / name)]
    assert main(argv, environ={}, out=io.StringIO(), err=err) == 2
    _assert_no_command(err.getvalue())
    assert "no such file or directory" in err.getvalue()
    assert ": unknown key " in err.getvalue()


def test_a_missing_config_named_with_a_newline_is_one_line(tmp_path: Path) -> None:
    err = io.StringIO()
    argv = ["validate", "--config", str(tmp_path / "a\n::error::b.yml"), str(CASE)]
    assert main(argv, environ={}, out=io.StringIO(), err=err) == 2
    _assert_no_command(err.getvalue())
    assert err.getvalue().count("\n") == 1
