"""Hostile input corpus: every file ends `validate` with exit 2, a `path:line:col:` diagnostic
holding the expected words, in bounded time; one file never hides another's diagnostics.

The static files and their expected fragments are in tests/data/hostile (expected.yaml); the
generated ones put every hostile number at every count and duration, and every refused regex at
every place a regex goes, case file and config alike.
"""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gate.cli import main

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
EXPECTED: dict[str, str] = yaml.safe_load((HOSTILE / "expected.yaml").read_text("utf-8"))
BASE = (Path(__file__).parents[1] / "data" / "cases" / "valid" / "minimal.yaml").read_text("utf-8")
ITEM = "      - I cannot access your account\n"
SECONDS = 5.0  # per file: validating one is milliseconds; anything near this is a hang

# hostile value → what its diagnostic says
NUMBERS = {
    ".nan": "is not a finite number",
    ".inf": "is not a finite number",
    "-.inf": "is not a finite number",
    "1e99999": "is not a finite number",
    "100000000000000000000": "(the limit), got 100000000000000000000",
    "-1": "must be >",
}
CASE_NUMBERS = {  # where a count or duration sits in a case: (anchor, text inserted after it)
    "trials": ("owner: scheduling-eng\n", "trials: {v}\n"),
    "pass_threshold": ("owner: scheduling-eng\n", "pass_threshold: {v}\n"),
    "max_turns": ("owner: scheduling-eng\n", "scenario: {{max_turns: {v}}}\n"),
    "after_ms": ("owner: scheduling-eng\n", "scenario: {{turns: [{{text: hi, after_ms: {v}}}]}}\n"),
    "max_calls": ("assertions:\n", "  tools: {{max_calls: {{lookup: {v}}}}}\n"),
    "max_writes": ("assertions:\n", "  side_effects: {{crm: {{max_writes: {v}}}}}\n"),
    "within_turns": (ITEM, "    within_turns: {{hello: {v}}}\n"),
    "p95_turn_ms": ("assertions:\n", "  latency: {{p95_turn_ms: {v}}}\n"),
    "max_turn_ms": ("assertions:\n", "  latency: {{max_turn_ms: {v}}}\n"),
    "votes": ("assertions:\n", "  judged: [{{criterion: polite, votes: {v}}}]\n"),
    "retain_days": ("assertions:\n", "  evidence: {{retain_days: {v}}}\n"),
}
CONFIG_NUMBERS = {
    "max_cases": "fast_tier: {{max_cases: {v}}}",
    "max_minutes": "fast_tier: {{max_minutes: {v}}}",
    "concurrency": "defaults: {{concurrency: {v}}}",
    "trials": "defaults: {{trials: {v}}}",
    "votes": "defaults: {{votes: {v}}}",
}
REGEXES = {
    r"(a)\1": r"invalid escape sequence: \1",
    "(?=x)": "invalid perl operator: (?=",
    "a{1001}": "invalid repetition size: {1001}",
    "a{,3}": "{,3} is not a repeat RE2 can read",
    r"(?i)\pL{50}": "more than the limit of 5000",
    "x" * 1001: "longer than 1000 characters",
}
REGEX_PLACES = {  # (anchor, replacement with {p}) in the base case
    "must_not_include": (ITEM, "      - regex: '{p}'\n"),
    "must_include": (ITEM, ITEM + "    must_include:\n      - regex: '{p}'\n"),
    "within_turns_key": (ITEM, ITEM + "    within_turns: {{'/{p}/': 2}}\n"),
    "tool_arguments": (
        "assertions:\n",
        "assertions:\n  tools:\n    arguments:\n      t:\n        a:\n          regex: '{p}'\n",
    ),
    "handoff_summary": (
        "assertions:\n",
        "assertions:\n  handoff:\n    summary_must_include:\n      - regex: '{p}'\n",
    ),
}


def _generated() -> dict[str, tuple[str, str, str]]:
    """name → (case text or "", config text or "", fragment)."""
    out: dict[str, tuple[str, str, str]] = {}
    for (place, (anchor, text)), (value, fragment) in itertools.product(
        CASE_NUMBERS.items(), NUMBERS.items()
    ):
        insert = text.format(v=value)
        case = BASE.replace(anchor, anchor + insert, 1)
        out[f"case_{place}_{value}"] = (case, "", fragment)
    for (key, text), (value, fragment) in itertools.product(
        CONFIG_NUMBERS.items(), NUMBERS.items()
    ):
        out[f"config_{key}_{value}"] = (BASE, f"version: 1\n{text.format(v=value)}\n", fragment)
    for (place, (anchor, text)), (pattern, fragment) in itertools.product(
        REGEX_PLACES.items(), REGEXES.items()
    ):
        out[f"regex_{place}_{pattern[:12]}"] = (
            BASE.replace(anchor, text.format(p=pattern), 1),
            "",
            fragment,
        )
    for pattern, fragment in REGEXES.items():
        config = f"version: 1\npii_allowlist: ['{pattern}']\n"
        out[f"regex_pii_allowlist_{pattern[:12]}"] = (BASE, config, fragment)
    out["bytes_too_large"] = ("a: '" + "x" * 1_000_001 + "'\n", "", "larger than 1000000 bytes")
    return out


GENERATED = _generated()


def _validate(argv: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    started = time.monotonic()
    code = main(["validate", *argv], environ={}, out=io.StringIO(), err=err)
    assert time.monotonic() - started < SECONDS
    assert "internal error" not in err.getvalue() and "Traceback" not in err.getvalue()
    return code, err.getvalue().splitlines()


def _assert_located(lines: list[str], shown: str, fragment: str) -> None:
    prefix = re.compile(rf"{re.escape(shown)}:\d+:\d+: \$")
    assert any(prefix.match(line) and fragment in line for line in lines), (fragment, lines)


def test_the_corpus_is_large_and_every_file_has_an_expectation() -> None:
    files = {p.name for p in HOSTILE.iterdir()} - {"expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) + len(GENERATED) >= 80 and len(files) >= 80


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_static_hostile_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HOSTILE)
    code, lines = _validate([name])
    assert code == 2
    _assert_located(lines, name, EXPECTED[name])


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_each_generated_hostile_file(name: str, tmp_path: Path) -> None:
    case, config, fragment = GENERATED[name]
    case_file = tmp_path / "case.yaml"
    case_file.write_text(case, "utf-8")
    argv = [str(case_file)]
    if config:
        (tmp_path / "gate.yml").write_text(config, "utf-8")
        argv = ["--config", str(tmp_path / "gate.yml"), *argv]
    code, lines = _validate(argv)
    assert code == 2
    _assert_located(lines, str(tmp_path / ("gate.yml" if config else "case.yaml")), fragment)


def test_the_whole_corpus_at_once_in_a_process_with_a_deadline() -> None:
    """One run over every file: none hangs the process, none hides another's diagnostics."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from gate.cli import main; sys.exit(main())"]
        + ["validate", "."],
        cwd=HOSTILE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert time.monotonic() - started < 60
    lines = done.stderr.splitlines()
    for name, fragment in EXPECTED.items():
        _assert_located(lines, name, fragment)


def test_run_refuses_every_static_file_as_validate_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HOSTILE)
    for name, fragment in EXPECTED.items():
        err = io.StringIO()
        argv = ["run", "--cases", name, "--harness-url", "http://127.0.0.1:9"]  # never reached
        assert main(argv, environ={}, out=io.StringIO(), err=err) == 2, name
        _assert_located(err.getvalue().splitlines(), name, fragment)
