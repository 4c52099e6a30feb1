"""User regexes: RE2 only, refused cleanly at validate time, matched over the whole text in linear
time; a text too long to search ends the assertion `error`, never `pass`."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from gate.cli import main
from gate.evaluate.checks import evaluate_assertions
from gate.models import Assertions
from gate.patterns import MAX_MATCH_CHARS, TextTooLong, regex_problem, search
from gate.results import HarnessRun, Status

VALID = Path(__file__).parents[1] / "data" / "cases" / "valid"

# What Python's `re` backtracks on, accepts while RE2 refuses it, or crashes on.
REFUSED = {
    "(a)\\1": "invalid escape sequence: \\1 (RE2 syntax: no backreferences, lookaround",
    "(?P<x>a)(?P=x)": "invalid perl operator: (?P (RE2 syntax",
    "(?=a)b": "invalid perl operator: (?= (RE2 syntax: no backreferences, lookaround",
    "(?!a)b": "invalid perl operator: (?!",
    "(?<=a)b": "invalid perl operator: (?<=",
    "(?<!a)b": "invalid perl operator: (?<!",
    "(?>a+)b": "invalid perl operator: (?>",
    "(?x) a b": "invalid perl operator: (?x",
    "a\\Z": "invalid escape sequence: \\Z",
    "a{1001}": "invalid repetition size: {1001} (RE2 allows counted repeats up to {1000}",
    "a{4294967296}": "{4294967296} is not a repeat RE2 can read",
    "a{,3}": "{,3} is not a repeat RE2 can read (counts 0 to 1000, {0,n} not {,n})",
    "[^a]{,}": "{,} is not a repeat",
    "((a{100}){100}){100}": "invalid repetition size",
    "(" * 600 + "a" + ")" * 600: "longer than 1000 characters (1201)",
    "(?i)\\pL{50}": "more than the limit of 5000",
    ".{0,999}.{0,999}": "more than the limit of 5000",
    "(unclosed": "missing ): (unclosed",
    "[z-a]": "invalid character class range: z-a",
    "\ud800": "lone surrogate",
}


@pytest.mark.parametrize(("pattern", "fragment"), REFUSED.items())
def test_what_re2_cannot_do_is_refused_with_the_reason(pattern: str, fragment: str) -> None:
    problem = regex_problem(pattern)
    assert problem is not None and problem.startswith("invalid regex /")
    assert fragment in problem
    assert "\n" not in problem and len(problem) < 300


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("(?i)REFUND", "a Refund is due"),
        ("(?i)STRAßE", "Straße"),
        ("\\pL+ café", "très café"),
        ("[[:digit:]]{3}", "room 101"),
        ("(?s)a.b", "a\nb"),
        ("(?m)^b$", "a\nb\nc"),
        ("(?P<n>x)y", "xy"),
        ("moved to \\w+day", "moved to Wednesday"),
    ],
)
def test_common_syntax_still_works(pattern: str, text: str) -> None:
    assert regex_problem(pattern) is None
    assert search(pattern, text)


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "(a*)*b", "(x+x+)+y", "(.*a){20}"])
def test_catastrophic_backtracking_patterns_run_in_linear_time(pattern: str) -> None:
    text = "a" * (MAX_MATCH_CHARS - 1) + "!"
    started = time.monotonic()
    search(pattern, text)
    assert time.monotonic() - started < 2.0


def test_the_whole_text_is_searched_up_to_the_limit_and_past_it_nothing_passes() -> None:
    assert search("forbidden", "x" * 25_000 + " forbidden")
    assert search("forbidden", "x" * (MAX_MATCH_CHARS - 10) + "forbidden")
    with pytest.raises(TextTooLong, match="over the 100,000-character limit"):
        search("forbidden", "x" * MAX_MATCH_CHARS + "forbidden")


def test_a_lone_surrogate_in_harness_text_does_not_crash_the_match() -> None:
    assert search("b", "a\ud800b") and not search("c", "a\udfffb")


def _run(*texts: str, arguments: Any = None) -> HarnessRun:
    events: list[dict[str, Any]] = [
        {"type": "message", "role": "agent", "turn": n, "text": t} for n, t in enumerate(texts)
    ]
    if arguments is not None:
        events.append({"type": "tool_call", "turn": 0, "name": "send", "arguments": arguments})
    return HarnessRun.model_validate(
        {
            "protocol": "voice-regress/v1",
            "status": "completed",
            "trace_complete": True,
            "events": events,
        }
    )


def _statuses(spec: dict[str, Any], run: HarnessRun) -> list[Status]:
    return [o.status for o in evaluate_assertions(Assertions.model_validate(spec), run)]


@pytest.mark.parametrize("item", ["I created a new appointment", {"regex": "created a new"}])
def test_a_forbidden_phrase_at_char_25000_fails(item: Any) -> None:
    text = "filler " * 3_572 + "I created a new appointment"
    assert text.index("I created") > 25_000
    spec = {"transcript": {"must_not_include": [item], "must_include": [item]}}
    assert _statuses(spec, _run("hello", text)) == [Status.PASS, Status.FAIL]


def test_a_text_too_long_to_search_is_error_unless_another_proves_it() -> None:
    huge = "x" * (MAX_MATCH_CHARS + 1)
    regex = {"regex": "forbidden"}
    spec = {"transcript": {"must_not_include": [regex], "must_include": [regex]}}
    assert _statuses(spec, _run("fine", huge)) == [Status.ERROR, Status.ERROR]
    assert _statuses(spec, _run("forbidden", huge)) == [Status.PASS, Status.FAIL]
    within = {"transcript": {"within_turns": {"/forbidden/": 2}}}
    assert _statuses(within, _run(huge, "late")) == [Status.ERROR]
    assert _statuses(within, _run("a", "b", huge)) == [Status.FAIL]
    phrase = {"transcript": {"must_not_include": ["forbidden"]}}
    assert _statuses(phrase, _run(huge + "forbidden")) == [Status.FAIL]  # phrases: any length


def test_a_tool_argument_too_long_to_search_is_error_not_pass() -> None:
    spec = {"tools": {"arguments": {"send": {"body": {"regex": "^ok$"}, "to": "a"}}}}
    huge = "x" * (MAX_MATCH_CHARS + 1)
    assert _statuses(spec, _run("hi", arguments={"body": huge, "to": "a"})) == [Status.ERROR]
    assert _statuses(spec, _run("hi", arguments={"body": huge, "to": "b"})) == [Status.FAIL]
    assert _statuses(spec, _run("hi", arguments={"body": "ok", "to": "a"})) == [Status.PASS]


def test_a_handoff_summary_too_long_to_search_is_error() -> None:
    event = {"type": "handoff", "turn": 0, "to": "human", "summary": "y" * (MAX_MATCH_CHARS + 1)}
    run = HarnessRun.model_validate(
        {"protocol": "voice-regress/v1", "status": "completed", "events": [event]}
    )
    spec = {"handoff": {"expected_to": "human", "summary_must_include": [{"regex": "refund"}]}}
    assert _statuses(spec, run) == [Status.PASS, Status.ERROR]


def _case(tmp_path: Path, name: str, regex: str) -> None:
    text = (VALID / "minimal.yaml").read_text("utf-8")
    quoted = "'" + regex.replace("'", "''") + "'"
    text = text.replace("      - I cannot access your account", f"      - regex: {quoted}")
    (tmp_path / name).write_text(text, "utf-8")


def test_every_file_with_a_bad_regex_is_reported_none_hides_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for index, pattern in enumerate(REFUSED):
        if pattern != "\ud800":  # not UTF-8: cannot be written to a file
            _case(tmp_path, f"case_{index:02d}.yaml", pattern)
    _case(tmp_path, "zz_ok.yaml", "(?i)fine")
    started = time.monotonic()
    assert main(["validate", str(tmp_path)]) == 2
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if ".regex: invalid regex /" in line]
    assert len(lines) == len(REFUSED) - 1
    assert all(":17:9: $.assertions.transcript.must_not_include[0].regex:" in x for x in lines)
    assert "internal error" not in err


def test_a_catastrophic_allowlist_pattern_cannot_hang_the_lint(tmp_path: Path) -> None:
    config = tmp_path / "gate.yml"
    config.write_text("version: 1\npii_allowlist: ['(a+)+$', '(x+x+)+y']\n", "utf-8")
    text = (VALID / "minimal.yaml").read_text("utf-8")
    hostile = "a" * 50_000 + "!212-867-5309"  # a phone number whose token is a long run of a's
    (tmp_path / "case.yaml").write_text(text + f"paths: ['{hostile}']\n", "utf-8")
    started = time.monotonic()
    assert main(["validate", "--config", str(config), str(tmp_path / "case.yaml")]) == 2
    assert time.monotonic() - started < 5


def test_the_config_refuses_a_python_only_allowlist_pattern(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gate.yml"
    config.write_text("version: 1\npii_allowlist: ['^(?!real)acct_[0-9]+$']\n", "utf-8")
    (tmp_path / "case.yaml").write_text((VALID / "minimal.yaml").read_text("utf-8"), "utf-8")
    assert main(["validate", "--config", str(config), str(tmp_path / "case.yaml")]) == 2
    err = capsys.readouterr().err
    assert ":2:17: $.pii_allowlist[0]: invalid regex /^(?!real)acct_[0-9]+$/: " in err
    assert "invalid perl operator: (?!" in err


def test_an_argument_named_regex_is_still_compared_as_a_value() -> None:
    spec = {"tools": {"arguments": {"send": {"regex": "^ok$"}}}}
    assert _statuses(spec, _run("hi", arguments={"regex": "^ok$"})) == [Status.PASS]


def test_a_non_string_regex_is_checked_as_the_text_it_is_matched_as(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (VALID / "minimal.yaml").read_text("utf-8")
    text = text.replace(
        "assertions:\n",
        "assertions:\n  tools:\n    arguments:\n      t:\n        a: {regex: {'a{,3}': 1}}\n",
    )
    (tmp_path / "case.yaml").write_text(text, "utf-8")
    assert main(["validate", str(tmp_path / "case.yaml")]) == 2
    assert "$.assertions.tools.arguments.t.a.regex: invalid regex /{'a{,3}': 1}/: {,3} is" in (
        capsys.readouterr().err
    )


def test_a_huge_transcript_is_checked_in_bounded_time() -> None:
    # 10 utterances at the limit (1 M characters) against patterns chosen to be slow for RE2:
    # their DFA thrashes, so RE2 falls back to its NFA; still linear, still seconds at most
    noise = random.Random(9)
    said = ["".join(noise.choices("ab", k=MAX_MATCH_CHARS)) for _ in range(10)]
    items = [{"regex": "[ab]*a[ab]{200}c"}, {"regex": "(a|b)*(a+|b+)+$"}, "never said phrase"]
    spec = {"transcript": {"must_not_include": items, "within_turns": {"/(x+x+)+y/": 10}}}
    started = time.monotonic()
    outcomes = _statuses(spec, _run(*said))
    assert outcomes == [Status.PASS, Status.FAIL, Status.PASS, Status.FAIL]
    assert time.monotonic() - started < 10  # about 1 s
