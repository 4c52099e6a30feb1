"""action.yml, entrypoint.py, the CLI's parser and docs/action.md agree on every input/output."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import entrypoint  # noqa: E402  (repo root, not a package)

# The Action's interface as /work/shared/specs/cli-and-action.md fixes it, plus `merge-results`
# (the aggregate job of a sharded run runs `merge` through the same image) and the two JUnit
# options, so a team's JUnit reporter can agree with the gate (issue 12, item 6).
SPEC_INPUTS = (
    "cases",
    "config",
    "harness-url",
    "tier",
    "base-ref",
    "head-ref",
    "concurrency",
    "timeout",
    "retries",
    "trials",
    "judge-url",
    "judge-model",
    "votes",
    "fail-on",
    "fail-on-empty",
    "junit-path",
    "junit-non-blocking",
    "junit-properties",
    "results-path",
    "evidence-dir",
    "baseline",
    "readiness",
    "comment-mode",
    "comment-key",
    "job-summary",
    "annotations-limit",
    "shard-index",
    "shard-total",
    "merge-results",
    "github-token",
)
SPEC_OUTPUTS = (
    "verdict",
    "selected",
    "passed",
    "failed",
    "errored",
    "inconclusive",
    "skipped",
    "deferred",
    "junit-path",
    "results-path",
    "comment-url",
    "retention-days",
)
# A value each input accepts, to prove the CLI takes the flag the entrypoint makes of it.
SAMPLE = {
    "cases": "examples/cases",
    "config": ".voice-regress.yml",
    "harness-url": "builtin",
    "tier": "fast",
    "base-ref": "0123abc",
    "head-ref": "4567def",
    "concurrency": "2",
    "timeout": "30",
    "retries": "1",
    "trials": "3",
    "judge-url": "http://127.0.0.1:9/v1",
    "judge-model": "judge-2026-01-01",
    "votes": "3",
    "fail-on": "any",
    "fail-on-empty": "false",
    "junit-path": "junit.xml",
    "junit-non-blocking": "skipped",
    "junit-properties": "true",
    "results-path": "results.json",
    "evidence-dir": "evidence",
    "baseline": "base-results.json",
    "readiness": "readiness.json",
    "comment-mode": "failures",
    "comment-key": "voice",
    "job-summary": "true",
    "annotations-limit": "5",
}


def action() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_action_is_a_dockerfile_action_with_branding() -> None:
    data = action()
    assert data["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert set(data["branding"]) == {"icon", "color"}


def test_inputs_and_outputs_are_the_specified_ones_each_described() -> None:
    data = action()
    assert tuple(data["inputs"]) == SPEC_INPUTS
    assert tuple(data["outputs"]) == SPEC_OUTPUTS
    for name, spec in data["inputs"].items():
        assert spec["description"].strip(), name
        assert isinstance(spec["default"], str), f"{name}: a default, as a string"
        assert spec["required"] is False, f"{name}: the runner does not enforce required"
    for name, spec in data["outputs"].items():
        assert spec["description"].strip(), name


def test_defaults_are_empty_except_tier_and_the_token() -> None:
    # An empty default leaves the setting to VOICE_REGRESS_* env, the config file, then the gate.
    defaults = {
        name: spec["default"] for name, spec in action()["inputs"].items() if spec["default"]
    }
    assert defaults == {**entrypoint.ACTION_DEFAULTS, "github-token": "${{ github.token }}"}


def test_every_input_is_mapped_and_nothing_else_is() -> None:
    special = {*entrypoint.SHARD_INPUTS, entrypoint.TOKEN_INPUT, entrypoint.MERGE_INPUT}
    assert set(entrypoint.FLAG_BY_INPUT) | special == set(action()["inputs"])
    assert not set(entrypoint.FLAG_BY_INPUT) & special
    assert set(SAMPLE) == set(entrypoint.FLAG_BY_INPUT)


def test_the_mapping_follows_the_agreed_naming_rule() -> None:
    renamed = {"junit-path": "--junit", "results-path": "--results"}
    for name, flag in entrypoint.FLAG_BY_INPUT.items():
        assert flag == renamed.get(name, "--" + name)


def _rejected(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str | None:
    """argparse's complaint about argv, or None when it parses."""
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return capsys.readouterr().err.strip().splitlines()[-1]
    return None


def test_the_cli_run_command_accepts_every_mapped_flag(capsys: pytest.CaptureFixture[str]) -> None:
    problems = {}
    for name in entrypoint.FLAG_BY_INPUT:
        argv = entrypoint.build_argv({"INPUT_" + name.upper(): SAMPLE[name]})
        problems[name] = _rejected(argv, capsys)
    shard = entrypoint.build_argv({"INPUT_SHARD-INDEX": "2", "INPUT_SHARD-TOTAL": "4"})
    problems["shard-index/shard-total"] = _rejected(shard, capsys)
    missing = {name: problem for name, problem in problems.items() if problem}
    assert not missing, f"Action inputs the CLI's `run` does not take: {missing}"


def test_the_cli_merge_command_accepts_the_merge_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    problems = {}
    for name in entrypoint.MERGE_FLAG_INPUTS:
        env = {"INPUT_MERGE-RESULTS": "r1.json\nr2.json", "INPUT_" + name.upper(): SAMPLE[name]}
        problems[name] = _rejected(entrypoint.build_argv(env), capsys)
    env = {"INPUT_MERGE-RESULTS": "r1.json\nr2.json", "INPUT_SHARD-TOTAL": "2"}
    problems["shard-total"] = _rejected(entrypoint.build_argv(env), capsys)
    missing = {name: problem for name, problem in problems.items() if problem}
    assert not missing, f"Action inputs the CLI's `merge` does not take: {missing}"


@pytest.mark.parametrize("name", sorted(entrypoint.BOOLEAN_INPUTS))
def test_boolean_inputs_are_boolean_flags(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    flag = entrypoint.FLAG_BY_INPUT[name]
    assert _rejected(["run", f"{flag}=true"], capsys) is None
    assert _rejected(["run", f"{flag}=maybe"], capsys), f"{flag} should accept only true/false"


def _readme_table(heading: str) -> dict[str, str]:
    """`| `name` | default | … |` rows of the table under `heading` in docs/action.md."""
    text = (ROOT / "docs" / "action.md").read_text(encoding="utf-8")
    start = text.index(heading)
    rows: dict[str, str] = {}
    for line in text[start:].splitlines()[1:]:
        if rows and not line.startswith("|"):
            break
        match = re.match(r"\| `([a-z-]+)` \| ([^|]*) \|", line)
        if match:
            rows[match[1]] = match[2].strip()
    return rows


def _readme_default(cell: str) -> str:
    """`` `auto` `` is auto; a cell starting with — is the empty default."""
    if cell.startswith("—"):
        return ""
    match = re.fullmatch(r"`([^`]*)`", cell)
    assert match, f"README default cell {cell!r}: `value` or — …"
    return match[1]


def test_readme_lists_every_input_with_its_default() -> None:
    rows = _readme_table("## Inputs")
    inputs = action()["inputs"]
    assert list(rows) == list(inputs)
    for name, cell in rows.items():
        assert _readme_default(cell) == inputs[name]["default"], name


def test_readme_lists_every_output() -> None:
    assert list(_readme_table("## Outputs")) == list(action()["outputs"])


def test_the_dockerfile_follows_githubs_rules_for_docker_actions() -> None:
    instructions = [
        line.split(None, 1)
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith((" ", "#"))
    ]
    names = [words[0] for words in instructions]
    assert "USER" not in names and "WORKDIR" not in names  # GitHub: root, -w /github/workspace
    assert instructions[0] == ["FROM", "python:3.12-slim"]
    entrypoint_line = [words[1] for words in instructions if words[0] == "ENTRYPOINT"]
    assert entrypoint_line == ['["python", "/action/entrypoint.py"]']  # exec form, absolute


WORKFLOW_FILES = [
    ROOT / ".github" / "workflows" / "voice-regress.yml",
    *sorted((ROOT / "examples" / "workflows").glob("*.yml")),
]
REUSABLE = "org/voice-regress-gate/.github/workflows/voice-regress.yml@"


def _jobs(path: Path) -> dict[str, Any]:
    jobs = yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]
    assert isinstance(jobs, dict)
    return jobs


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflows_pass_the_action_only_inputs_it_has(path: Path) -> None:
    inputs = set(action()["inputs"])
    for job in _jobs(path).values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("org/voice-regress-gate@"):
                assert set(step.get("with", {})) <= inputs, f"{path.name}: {step}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_callers_of_the_reusable_workflow_match_its_interface(path: Path) -> None:
    call = yaml.safe_load(WORKFLOW_FILES[0].read_text(encoding="utf-8"))[True]["workflow_call"]
    required = {name for name, spec in call["inputs"].items() if spec.get("required")}
    for job in _jobs(path).values():
        if str(job.get("uses", "")).startswith(REUSABLE):
            given = set(job.get("with", {}))
            assert required <= given <= set(call["inputs"]), path.name
            assert set(job.get("secrets", {})) <= set(call["secrets"]), path.name


def test_the_reusable_workflows_outputs_come_from_the_aggregate_jobs_action_outputs() -> None:
    call = yaml.safe_load(WORKFLOW_FILES[0].read_text(encoding="utf-8"))[True]["workflow_call"]
    gate = _jobs(WORKFLOW_FILES[0])["gate"]
    assert gate["if"] == "${{ always() }}"
    for name, spec in call["outputs"].items():
        assert spec["value"] == f"${{{{ jobs.gate.outputs.{name} }}}}"
        assert gate["outputs"][name] == f"${{{{ steps.merge.outputs.{name} }}}}"
        assert name in action()["outputs"]


def test_the_aggregate_merge_always_passes_fail_on_itself() -> None:
    # The shard files are data a shard job wrote: their recorded fail-on must never decide.
    merge = next(
        step
        for step in _jobs(WORKFLOW_FILES[0])["gate"]["steps"]
        if "merge-results" in step.get("with", {})
    )
    assert merge["with"]["fail-on"] == "${{ inputs.fail-on || 'blocking' }}"
    from gate.settings import RunSettings  # the fallback is the gate's own default

    assert RunSettings.__dataclass_fields__["fail_on"].default == "blocking"
