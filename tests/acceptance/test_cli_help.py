"""Every `--help` text exists, and the same kind of value has the same metavar everywhere:
`--cases PATH`, `--results FILE`, `--config FILE`, `--timeout S`, booleans `BOOL`, counts `N`."""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Iterator

from gate.cli import build_parser
from gate.settings import parse_bool, seconds

# What a value is, by its metavar; argparse's own fallback (the dest in upper case) is none of them.
VOCABULARY = {
    "PATH": "case files or directories",
    "FILE": "a file the command reads or writes",
    "DIR": "a folder",
    "RESULTS": "a results file (--results) read back",
    "URL": "an http(s) URL",
    "N": "a count",
    "S": "seconds",
    "BOOL": "true or false",
    "SHA": "a git revision",
    "I/N": "a shard",
    "ID": "a case id",
    "NAME": "a suite name",
    "KEY": "a comment key",
    "MODE": "a comment mode",
    "MODEL": "a model id",
    "DATE": "an ISO date",
    "HOST": "an address",
    "PORT": "a port",
    "PACKET": "an evidence packet",
    "COMMAND": "a subcommand",
    "ACTION": "a subcommand",
}
BY_TYPE = {parse_bool: "BOOL", seconds: "S"}


def _parsers(
    parser: argparse.ArgumentParser, name: str = "voice-regress-gate", help_text: str | None = "-"
) -> Iterator[tuple[str, argparse.ArgumentParser, str | None]]:
    """(command path, parser, its help line) for the top level and every (nested) subcommand."""
    yield name, parser, help_text
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for command, child in action.choices.items():
                yield from _parsers(child, f"{name} {command}", helps.get(command))


def _options() -> Iterator[tuple[str, argparse.Action]]:
    for command, parser, _ in _parsers(build_parser()):
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                yield command, action


def _metavar(action: argparse.Action) -> str | None:
    if action.nargs == 0:
        return None  # a switch: no value
    if action.metavar is None and action.choices is not None:
        return "{choices}"
    return str(action.metavar) if action.metavar is not None else action.dest.upper()


def test_every_command_has_a_help_line() -> None:
    missing = [name for name, _, help_text in _parsers(build_parser()) if not help_text]
    assert missing == []


def test_every_option_and_argument_has_a_help_text() -> None:
    missing = [f"{c} {a.option_strings or a.dest}" for c, a in _options() if not a.help]
    assert missing == []


def test_metavars_come_from_one_vocabulary() -> None:
    odd = [
        f"{c} {a.option_strings or a.dest}: {m}"
        for c, a in _options()
        if (m := _metavar(a)) not in (*VOCABULARY, "{choices}", None)
    ]
    assert odd == []


def test_an_option_has_the_same_metavar_in_every_command() -> None:
    seen: dict[str, set[str | None]] = defaultdict(set)
    for _, action in _options():
        for option in action.option_strings:
            seen[option].add(_metavar(action))
    assert {option: m for option, m in seen.items() if len(m) > 1} == {}
    assert seen["--cases"] == {"PATH"} and seen["--config"] == {"FILE"}
    assert seen["--results"] == {"FILE"}


def test_the_same_kind_of_value_has_the_same_metavar() -> None:
    wrong = [
        f"{c} {a.option_strings}: {a.metavar}, expected {BY_TYPE[a.type]}"
        for c, a in _options()
        if a.type in BY_TYPE and a.metavar != BY_TYPE[a.type]
    ]
    assert wrong == []
