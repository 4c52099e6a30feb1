"""Audit: a careless user (case files, flags, tiers, change lists, report paths) must not get a
green gate that checked nothing. Every test drives the real CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.audit_support import gate, run_against, run_result, write_case

FORBID = "tools: {forbidden_tools: [create_new_appointment]}"


@pytest.mark.parametrize(
    ("assertions", "where"),
    [
        ("tools: {forbidden_tools: []}", "$.assertions.tools.forbidden_tools"),
        ("tools: {required_order: []}", "$.assertions.tools.required_order"),
        ("tools: {arguments: {}}", "$.assertions.tools.arguments"),
        ("tools: {max_calls: {}}", "$.assertions.tools.max_calls"),
        ("transcript: {must_not_include: []}", "$.assertions.transcript.must_not_include"),
        ("transcript: {must_include: []}", "$.assertions.transcript.must_include"),
        ("transcript: {within_turns: {}}", "$.assertions.transcript.within_turns"),
        ("handoff: {summary_must_include: []}", "$.assertions.handoff.summary_must_include"),
        (
            "side_effects: {calendar: {forbidden_ops: []}}",
            "$.assertions.side_effects.calendar.forbidden_ops",
        ),
    ],
)
def test_an_empty_check_list_is_an_input_error_not_a_silent_no_op(
    tmp_path: Path, assertions: str, where: str
) -> None:
    # Hole found: an empty list produced no outcome at all. Next to another assertion the case
    # passed with the check silently gone; alone, the case ended `skipped` (never blocking).
    write_case(tmp_path / "cases", f"outcome: {{task_completed: true}}\n{assertions}")
    result = gate(tmp_path, "run", "--harness-url", "builtin", "--cases", str(tmp_path / "cases"))
    assert result.code == 2 and result.out == "" and result.results is None
    assert f"{where}: must not be empty" in result.err


def test_an_empty_allowed_to_still_means_no_handoff_is_allowed(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "handoff: {allowed_to: []}")
    handoff = {"type": "handoff", "turn": 1, "to": "human_scheduler", "summary": "wants a human"}
    result = run_against(tmp_path, run_result(handoff, trace_complete=True))
    assert result.code == 1 and result.case()["status"] == "fail"


@pytest.mark.parametrize("extra", ["pass_threshold: 2\n", "trials: 3\npass_threshold: 4\n"])
def test_a_pass_threshold_above_trials_is_an_input_error(tmp_path: Path, extra: str) -> None:
    # Hole found: the threshold was silently clamped to the trials, so `pass_threshold: 2` on
    # the default single trial passed on one run.
    write_case(tmp_path / "cases", FORBID, extra=extra)
    result = gate(tmp_path, "run", "--harness-url", "builtin", "--cases", str(tmp_path / "cases"))
    assert result.code == 2 and result.results is None
    assert "$.pass_threshold: pass_threshold" in result.err and "is more than trials" in result.err


def test_trials_flag_below_the_pass_threshold_does_not_pass_on_fewer_runs(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", FORBID, extra="trials: 3\npass_threshold: 3\n")
    result = gate(
        tmp_path,
        "run",
        "--harness-url",
        "builtin",
        "--cases",
        str(tmp_path / "cases"),
        "--trials",
        "1",
    )
    if result.code != 2:  # an input error would do; else the case must really pass 3 runs
        assert sum(t["status"] == "pass" for t in result.case()["trials"]) >= 3


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--tier", "release"], {}),
        (
            [],
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "release",
                "GITHUB_REF": "refs/tags/v1.0.0-rc1",
            },
        ),
    ],
)
def test_a_tier_that_selects_zero_cases_is_an_empty_run(
    tmp_path: Path, argv: list[str], environ: dict[str, str]
) -> None:
    write_case(tmp_path / "cases", FORBID, level="scheduled", run_on="release-candidate")
    result = gate(
        tmp_path,
        "run",
        "--harness-url",
        "builtin",
        "--cases",
        str(tmp_path / "cases"),
        "--comment-mode",
        "off",
        "--job-summary",
        "false",
        *argv,
        environ=environ,
    )
    assert result.results is not None and result.results["selection"]["selected"] == []
    assert result.code == 1


def _repo_with_trigger(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".voice-regress.yml").write_text(
        "version: 1\ntriggers:\n  prompt_change: ['prompts/**']\n", encoding="utf-8"
    )
    write_case(root / "cases", FORBID)


def test_a_changed_prompt_selects_its_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo_with_trigger(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "changed.txt").write_text("./prompts/scheduler.md\r\n", encoding="utf-8")
    result = gate(
        tmp_path,
        "run",
        "--harness-url",
        "builtin",
        "--cases",
        "cases",
        "--changed-files",
        "changed.txt",
    )
    assert result.code == 0 and result.results is not None
    assert result.results["selection"]["selected"] == ["c"]


@pytest.mark.parametrize(
    ("listed", "why"),
    [
        # normalized: the trigger fires on the path the list meant
        ("{root}/prompts/scheduler.md", "prompt_change via prompts/scheduler.md"),
        ("prompts\\scheduler.md", "prompt_change via prompts/scheduler.md"),
        ("\ufeffprompts/scheduler.md", "prompt_change via prompts/scheduler.md"),
        # untrustworthy: the whole fast tier runs and says why
        ("docs/../prompts/scheduler.md", "whole fast tier: 1 path(s) in the changed-file list"),
        ("/elsewhere/prompts/scheduler.md", "an absolute path outside the repository"),
    ],
)
def test_an_odd_changed_path_never_selects_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: str, why: str
) -> None:
    _repo_with_trigger(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "changed.txt").write_text(listed.format(root=tmp_path) + "\n", encoding="utf-8")
    result = gate(
        tmp_path,
        "run",
        "--harness-url",
        "builtin",
        "--cases",
        "cases",
        "--changed-files",
        "changed.txt",
    )
    assert result.results is not None
    assert result.results["selection"]["selected"] == ["c"]
    assert why in result.results["selection"]["reasons"]["c"]


@pytest.mark.parametrize("target", ["/proc/no/such/dir/r.json", "/dev/full"])
def test_a_report_that_cannot_be_written_fails_the_gate(tmp_path: Path, target: str) -> None:
    write_case(tmp_path / "cases", FORBID)
    result = gate(
        tmp_path,
        "run",
        "--harness-url",
        "builtin",
        "--cases",
        str(tmp_path / "cases"),
        "--junit",
        target,
    )
    assert result.code == 1 and f"cannot write {target}" in result.err
    assert "GATE PASSED" not in result.out
