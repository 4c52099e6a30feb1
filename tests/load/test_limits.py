"""Every count and duration is bounded, in the schemas, the config, the models and the flags alike:
`.nan`, `.inf`, `1e99999`, negatives and absurdly large values are errors that name the limit."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate import models as limits  # the MAX_* constants
from gate.cli import main
from gate.load.schemas import packaged_schema
from gate.settings import run_converters

VALID = Path(__file__).parents[1] / "data" / "cases" / "valid"
LIMITS = {getattr(limits, name) for name in dir(limits) if name.startswith("MAX_")}


def _numbers(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node that is an integer or a number, by where it sits."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number") and "const" not in node:
            yield path, node
        for key, child in node.items():
            yield from _numbers(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _numbers(child, f"{path}/{index}")


@pytest.mark.parametrize("name", ["case.schema.json", "config.schema.json"])
def test_every_number_in_the_schemas_has_a_documented_maximum(name: str) -> None:
    nodes = list(_numbers(packaged_schema(name)))
    assert len(nodes) >= (3 if name.startswith("config") else 9)
    for path, node in nodes:
        assert node.get("maximum") in LIMITS, path
        assert "minimum" in node or "exclusiveMinimum" in node, path


def test_config_defaults_and_the_flags_share_the_limits() -> None:
    defaults = packaged_schema("config.schema.json")["properties"]["defaults"]["properties"]
    converters = run_converters()
    for name, node in defaults.items():
        convert = converters[name]
        top = node["maximum"]
        assert convert(str(top)) == top
        with pytest.raises(argparse.ArgumentTypeError, match=f"{node['minimum']} to {top}"):
            convert(str(top + 2))


def _case(tmp_path: Path, extra: str, at: str = "assertions:\n") -> Path:
    text = (VALID / "minimal.yaml").read_text("utf-8").replace(at, at + extra, 1)
    path = tmp_path / "case.yaml"
    path.write_text(text, "utf-8")
    return path


HOSTILE_CASE = {
    "  latency: {max_turn_ms: .inf}\n": "$.assertions.latency.max_turn_ms: .inf is not a finite",
    "  latency: {p95_turn_ms: -.inf}\n": "$.assertions.latency.p95_turn_ms: -.inf is not a finite",
    "  latency: {max_turn_ms: .NaN}\n": "$.assertions.latency.max_turn_ms: .NaN is not a finite",
    "  latency: {max_turn_ms: 1e99999}\n": "max_turn_ms: 1e99999 is not a finite number",
    "  latency: {max_turn_ms: 600001}\n": "max_turn_ms: must be <= 600000 (the limit), got 600001",
    "  latency: {max_turn_ms: -5}\n": "max_turn_ms: must be > 0, got -5",
    "  tools: {max_calls: {book: 1001}}\n": "book: must be <= 1000 (the limit), got 1001",
    "  tools: {max_calls: {book: -1}}\n": "book: must be >= 0, got -1",
    "  side_effects: {cal: {max_writes: 10000000000}}\n": "must be <= 1000 (the limit)",
    "  judged: [{criterion: c, votes: 17}]\n": "votes: must be <= 15 (the limit), got 17",
    "  judged: [{criterion: c, votes: 1.5e300}]\n": "votes: must be <= 15 (the limit)",
    "  evidence: {retain_days: 401}\n": "retain_days: must be <= 400 (the limit), got 401",
}


@pytest.mark.parametrize(("extra", "fragment"), HOSTILE_CASE.items())
def test_hostile_numbers_in_a_case_are_errors_naming_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, fragment: str
) -> None:
    assert main(["validate", str(_case(tmp_path, extra))]) == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ("trials: 100000000000000000000\n", "$.trials: must be <= 100 (the limit)"),
        ("trials: 101\npass_threshold: 101\n", "$.pass_threshold: must be <= 100 (the limit)"),
        ("scenario: {max_turns: 1001}\n", "max_turns: must be <= 1000 (the limit), got 1001"),
        ("    within_turns: {hi: 99999999999999999999}\n", "hi: must be <= 1000 (the limit)"),
        ("scenario: {turns: [{text: hi, after_ms: .inf}]}\n", "after_ms: .inf is not a finite"),
        ("scenario: {turns: [{text: hi, after_ms: 600001}]}\n", "must be <= 600000 (the limit)"),
    ],
)
def test_hostile_counts_at_the_top_of_a_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, fragment: str
) -> None:
    at = "  transcript:\n" if extra.startswith(" ") else "owner: scheduling-eng\n"
    assert main(["validate", str(_case(tmp_path, extra, at=at))]) == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ("fast_tier: {max_minutes: .inf}", "$.fast_tier.max_minutes: .inf is not a finite"),
        ("fast_tier: {max_minutes: 1e99999}", "max_minutes: 1e99999 is not a finite number"),
        ("fast_tier: {max_minutes: 361}", "max_minutes: must be <= 360 (the limit), got 361"),
        ("fast_tier: {max_cases: 10001}", "max_cases: must be <= 10000 (the limit)"),
        ("defaults: {trials: 100000000000000000000}", "$.defaults.trials: must be <= 100"),
        ("defaults: {concurrency: 257}", "$.defaults.concurrency: must be <= 256 (the limit)"),
        ("defaults: {votes: 17}", "$.defaults.votes: must be <= 15 (the limit)"),
    ],
)
def test_hostile_numbers_in_the_config_are_errors_naming_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, fragment: str
) -> None:
    (tmp_path / "gate.yml").write_text(f"version: 1\n{config}\n", "utf-8")
    case = _case(tmp_path, "")
    assert main(["validate", "--config", str(tmp_path / "gate.yml"), str(case)]) == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "fragment"),
    [
        ("--trials", "100000000000000000000", "expected 1 to 100"),
        ("--concurrency", "100000", "expected 1 to 256"),
        ("--retries", "1000", "expected 0 to 20"),
        ("--timeout", "inf", "at most 3600 (the limit), got inf"),
        ("--timeout", "nan", "at most 3600 (the limit), got nan"),
        ("--timeout", "1e99999", "got 1e99999"),
        ("--votes", "17", "expected 1 to 15"),
    ],
)
def test_hostile_numbers_in_flags_are_usage_errors(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, fragment: str
) -> None:
    argv = ["run", "--harness-url", "http://127.0.0.1:9", "--cases", str(VALID), flag, value]
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_the_largest_allowed_values_still_validate(tmp_path: Path) -> None:
    extra = (
        "  latency: {max_turn_ms: 600000, p95_turn_ms: 0.5}\n"
        "  judged: [{criterion: c, votes: 15}]\n"
    )
    assert main(["validate", str(_case(tmp_path, extra))]) == 0


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["select", "--concurrency", "100000"], "expected 1 to 256"),
        (["lifecycle", "--history", "h", "--demote-after-days", "10" * 10], "expected 1 to 36500"),
        (["lifecycle", "--history", "h", "--archive-after-days", "36501"], "expected 1 to 36500"),
    ],
)
def test_other_commands_bound_their_counts_too(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err
