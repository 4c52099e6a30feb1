"""Workflow commands escaped like actions/toolkit, and the GITHUB_OUTPUT heredoc."""

from __future__ import annotations

import re
import uuid

import pytest

from gate.github import workflow_commands as wc


def _unescape_data(text: str) -> str:
    # The runner's decoding (ActionCommand.UnescapeData), to prove the round trip.
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def test_data_escaping_matches_the_toolkit() -> None:
    assert wc.escape_data("100%\r\nnext::x") == "100%25%0D%0Anext::x"
    assert wc.escape_data("%0A") == "%250A"  # an escape in the input is not decoded later


def test_property_escaping_also_covers_colon_and_comma() -> None:
    assert wc.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


@pytest.mark.parametrize(
    "hostile",
    [
        "line1\nline2",
        "::set-output name=verdict::pass",
        "50% done\r\n::error::x",
        "%0A%25",
    ],
)
def test_message_and_properties_survive_the_round_trip(hostile: str) -> None:
    line = wc.annotation("error", hostile, file=f"cases/{hostile}.yaml", line=3, title=hostile)
    assert "\n" not in line and "\r" not in line
    match = re.fullmatch(r"::error (.*?)::(.*)", line)
    assert match is not None
    props = dict(pair.split("=", 1) for pair in match.group(1).split(","))
    assert _unescape_property(props["file"]) == f"cases/{hostile}.yaml"
    assert _unescape_property(props["title"]) == hostile
    assert props["line"] == "3"
    assert _unescape_data(match.group(2)) == hostile


def test_empty_properties_are_left_out() -> None:
    assert wc.annotation("warning", "m") == "::warning::m"
    line = wc.command("notice", "m", {"file": "", "line": None, "title": "t"})
    assert line == "::notice title=t::m"
    with pytest.raises(ValueError, match="unknown annotation kind"):
        wc.annotation("debug", "m")


def test_group_mask_and_stop_commands() -> None:
    assert wc.group("Running 3 case(s)") == "::group::Running 3 case(s)"
    assert wc.endgroup() == "::endgroup::"
    assert wc.add_mask("s3cr%t\n") == "::add-mask::s3cr%25t%0A"
    fixed = uuid.UUID(int=0xABC)
    token = wc.new_token(lambda: fixed)
    assert token == fixed.hex
    assert wc.stop_commands(token) == f"::stop-commands::{token}"
    assert wc.resume_commands(token) == f"::{token}::"
    assert wc.new_token() != wc.new_token()  # random by default: untrusted text cannot guess it


def test_output_entry_is_a_heredoc_with_a_random_delimiter() -> None:
    delimiter = wc.new_delimiter(lambda: uuid.UUID(int=1))
    assert delimiter == "ghadelimiter_00000000-0000-0000-0000-000000000001"
    entry = wc.file_command_entry("comment-url", "line1\nline2", delimiter)
    assert entry == f"comment-url<<{delimiter}\nline1\nline2\n{delimiter}\n"
    assert wc.new_delimiter() != wc.new_delimiter()


def test_output_value_holding_the_delimiter_is_refused() -> None:
    delimiter = wc.new_delimiter()
    with pytest.raises(ValueError, match="delimiter"):
        wc.file_command_entry("verdict", f"pass\n{delimiter}\nverdict=fail", delimiter)
    for bad in ("", "a\nb", "a<<b", "a=b"):
        with pytest.raises(ValueError, match="invalid output name"):
            wc.file_command_entry(bad, "x", delimiter)
