"""docs/cli.md names every command and every flag argparse defines."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from gate.cli import build_parser

TABLE = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_and_flag_is_in_the_cli_reference(command: str) -> None:
    assert re.search(rf"^\| `{re.escape(command)}[ `]", TABLE, re.MULTILINE), command
    flags = {
        option
        for action in _commands()[command]._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    missing = sorted(f for f in flags if not re.search(rf"(?<![\w-]){f}(?![\w-])", TABLE))
    assert missing == [], f"{command}: {missing}"
