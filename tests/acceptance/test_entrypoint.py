"""The Action's entrypoint: INPUT_* → argv, booleans, masks, safe.directory, one CLI code path."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import entrypoint  # noqa: E402  (repo root, not a package)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"


def inputs(**values: str) -> dict[str, str]:
    """Environment as the runner sets it: INPUT_<NAME> upper case with hyphens kept."""
    return {"INPUT_" + name.replace("_", "-").upper(): value for name, value in values.items()}


def no_glob(pattern: str) -> list[str]:
    raise AssertionError(f"unexpected glob {pattern!r}")


def test_every_input_becomes_its_flag_with_the_value_attached() -> None:
    env = inputs(
        harness_url="https://harness.test",
        tier="fast",
        concurrency="4",
        fail_on="any",
        junit_path="out/junit.xml",
        results_path="out/results.json",
        evidence_dir="out/evidence",
        comment_key="voice",
    )
    assert entrypoint.build_argv(env, no_glob) == [
        "run",
        "--harness-url=https://harness.test",
        "--tier=fast",
        "--concurrency=4",
        "--fail-on=any",
        "--junit=out/junit.xml",
        "--results=out/results.json",
        "--evidence-dir=out/evidence",
        "--comment-key=voice",
    ]


def test_hyphenated_names_are_read_as_the_runner_spells_them() -> None:
    env = {"INPUT_FAIL-ON": "never", "INPUT_FAIL_ON": "any", "INPUT_HARNESS-URL": "builtin"}
    argv = entrypoint.build_argv(env, no_glob)
    assert argv == ["run", "--harness-url=builtin", "--fail-on=never"]


@pytest.mark.parametrize("blank", ["", "   ", "\n"])
def test_an_empty_input_is_unset(blank: str) -> None:
    env = inputs(
        harness_url="builtin", tier=blank, trials=blank, shard_index=blank, shard_total=blank
    )
    assert entrypoint.build_argv(env, no_glob) == ["run", "--harness-url=builtin"]


@pytest.mark.parametrize(
    ("given", "passed"),
    [
        ("true", "true"),
        ("True", "true"),
        ("TRUE", "true"),
        ("false", "false"),
        ("False", "false"),
        ("FALSE", "false"),
    ],
)
def test_yaml_1_2_booleans_pass_as_true_or_false(given: str, passed: str) -> None:
    argv = entrypoint.build_argv(inputs(fail_on_empty=given, job_summary=given), no_glob)
    assert argv == ["run", f"--fail-on-empty={passed}", f"--job-summary={passed}"]


@pytest.mark.parametrize("bad", ["yes", "on", "1", "tRUE", "ture"])
def test_anything_else_is_an_error_naming_the_input(bad: str) -> None:
    with pytest.raises(entrypoint.InputProblem, match=rf"^input job-summary: .*got '{bad}'$"):
        entrypoint.build_argv(inputs(job_summary=bad), no_glob)


def test_an_invalid_boolean_exits_2_before_the_cli_runs() -> None:
    out, err = io.StringIO(), io.StringIO()
    calls: list[Sequence[str]] = []

    def cli(argv: Sequence[str], env: Mapping[str, str]) -> int:
        calls.append(argv)
        return 0

    code = entrypoint.main(
        inputs(harness_url="builtin", fail_on_empty="yes"), out, err, run=fail_run, cli=cli
    )
    assert (code, calls) == (2, [])
    assert err.getvalue() == (
        "voice-regress-gate: error: input fail-on-empty: expected true or "
        "false (or True, TRUE, False, FALSE), got 'yes'\n"
    )


def test_multiline_cases_become_one_flag_per_path_and_globs_expand() -> None:
    expanded = {"voice/**/*.yaml": ["voice/a/x.yaml", "voice/b.yaml"], "none/*.yml": []}
    env = inputs(cases="examples/cases\n\n  voice/**/*.yaml  \nnone/*.yml\n-odd name/\n")
    assert entrypoint.build_argv(env, expanded.__getitem__) == [
        "run",
        "--cases=examples/cases",
        "--cases=voice/a/x.yaml",
        "--cases=voice/b.yaml",
        "--cases=none/*.yml",
        "--cases=-odd name/",
    ]


def test_globs_expand_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a/one.yaml", "a/deep/two.yaml", "a/skip.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    monkeypatch.chdir(tmp_path)
    assert entrypoint.build_argv(inputs(cases="a/**/*.yaml")) == [
        "run",
        "--cases=a/deep/two.yaml",
        "--cases=a/one.yaml",
    ]


def test_shard_inputs_become_one_shard_flag() -> None:
    argv = entrypoint.build_argv(inputs(shard_index="2", shard_total="4"), no_glob)
    assert argv == ["run", "--shard=2/4"]


@pytest.mark.parametrize("given", [{"shard_index": "1"}, {"shard_total": "3"}])
def test_half_a_shard_is_an_input_error(given: dict[str, str]) -> None:
    with pytest.raises(entrypoint.InputProblem, match="shard-index and shard-total go together"):
        entrypoint.build_argv(inputs(**given), no_glob)


def test_the_token_goes_to_the_environment_and_never_to_argv() -> None:
    env = {**inputs(harness_url="builtin", github_token="ghs_secret"), "PATH": "/bin"}
    assert not any("ghs_secret" in arg for arg in entrypoint.build_argv(env, no_glob))
    assert entrypoint.cli_environment(env) == {"PATH": "/bin", "GITHUB_TOKEN": "ghs_secret"}


def test_an_empty_token_input_keeps_the_environments_token() -> None:
    env = {**inputs(github_token=""), "GITHUB_TOKEN": "from-env"}
    assert entrypoint.cli_environment(env) == {"GITHUB_TOKEN": "from-env"}


def test_merge_results_runs_merge_with_the_reporting_inputs_only() -> None:
    env = inputs(
        merge_results="shards/results-1.json\nshards/results-2.json",
        tier="auto",
        fail_on="any",
        junit_path="junit.xml",
        comment_mode="always",
        harness_url="builtin",
        shard_index="1",
        shard_total="2",
    )
    assert entrypoint.build_argv(env, no_glob) == [
        "merge",
        "shards/results-1.json",
        "shards/results-2.json",
        "--fail-on=any",
        "--junit=junit.xml",
        "--comment-mode=always",
        "--shards=2",
    ]
    assert entrypoint.ignored_in_merge(env) == ["harness-url", "shard-index"]


def test_runner_debug_adds_the_global_debug_flag() -> None:
    env = {**inputs(harness_url="builtin"), "RUNNER_DEBUG": "1"}
    assert entrypoint.build_argv(env, no_glob) == ["--debug", "run", "--harness-url=builtin"]


def test_secrets_are_masked_first_line_by_line_and_escaped() -> None:
    env = {
        **inputs(github_token="ghs_tok", harness_url="https://u:pa%ss@harness.test"),
        "VOICE_REGRESS_HARNESS_TOKEN": "line1\nline2",
        "VOICE_REGRESS_JUDGE_API_KEY": "sk-j",
        "GITHUB_TOKEN": "ghs_tok",
    }
    out = io.StringIO()
    code = entrypoint.main(env, out, io.StringIO(), run=fail_run, cli=lambda argv, e: 0)
    lines = out.getvalue().splitlines()
    assert code == 0
    assert lines[:5] == [
        "::add-mask::ghs_tok",
        "::add-mask::line1",
        "::add-mask::line2",
        "::add-mask::sk-j",
        "::add-mask::pa%25ss",
    ]
    assert lines[5].startswith("voice-regress-gate run ")


def test_no_secret_means_no_mask() -> None:
    out = io.StringIO()
    entrypoint.main(
        inputs(harness_url="builtin"), out, io.StringIO(), run=fail_run, cli=lambda argv, e: 0
    )
    assert "::add-mask::" not in out.getvalue()


def fail_run(command: list[str]) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"git must not run outside GitHub: {command}")


def test_the_workspace_is_marked_safe_for_git() -> None:
    seen: list[list[str]] = []

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        seen.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    env = {"GITHUB_WORKSPACE": "/github/workspace"}
    assert entrypoint.mark_safe_directory(env, run) is None
    assert seen == [["git", "config", "--global", "--add", "safe.directory", "/github/workspace"]]


def test_git_trouble_is_a_warning_not_a_crash() -> None:
    def missing(command: list[str]) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(2, "No such file or directory", "git")

    def refused(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 255, "", "error: could not lock config file\n")

    env = {"GITHUB_WORKSPACE": "/ws"}
    assert "No such file or directory" in (entrypoint.mark_safe_directory(env, missing) or "")
    assert entrypoint.mark_safe_directory(env, refused) == (
        "cannot mark /ws as a git safe.directory: error: could not lock config file"
    )


def test_main_marks_the_workspace_then_runs_the_cli_with_the_mapped_argv(tmp_path: Path) -> None:
    order: list[str] = []

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        order.append("git")
        return subprocess.CompletedProcess(command, 0, "", "")

    def cli(argv: Sequence[str], env: Mapping[str, str]) -> int:
        order.append("cli")
        assert list(argv) == ["run", "--harness-url=builtin", "--tier=auto"]
        assert not any(key.startswith("INPUT_") for key in env)
        assert env["GITHUB_TOKEN"] == "t"
        return 1

    env = {
        **inputs(harness_url="builtin", tier="auto", github_token="t"),
        "GITHUB_WORKSPACE": str(tmp_path),
    }
    out = io.StringIO()
    assert entrypoint.main(env, out, io.StringIO(), run=run, cli=cli) == 1
    assert order == ["git", "cli"]
    assert out.getvalue().splitlines() == [
        "::add-mask::t",
        "voice-regress-gate run --harness-url=builtin --tier=auto",
    ]


def test_the_real_cli_runs_in_process_and_its_exit_code_is_returned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    env = inputs(
        cases=str(EXAMPLES),
        harness_url="builtin:duplicate-booking",
        junit_path=str(junit),
        fail_on_empty="TRUE",
    )
    assert entrypoint.main(env, run=fail_run) == 1
    out = capsys.readouterr().out
    assert out.startswith("voice-regress-gate run --cases=")
    assert "GATE FAILED" in out
    assert 'name="scheduling/no-duplicate-booking"' in junit.read_text()
    assert entrypoint.main({**env, **inputs(harness_url="builtin")}, run=fail_run) == 0
    assert "GATE PASSED" in capsys.readouterr().out


def test_a_cli_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    env = inputs(cases=str(EXAMPLES), harness_url="builtin", concurrency="zero")
    assert entrypoint.main(env, io.StringIO(), io.StringIO(), run=fail_run) == 2
    assert "--concurrency" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_reports_are_handed_back_to_the_workspace_owner(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "out" / "evidence" / "case").mkdir(parents=True)
    (ws / "out" / "evidence" / "case" / "run.json").write_text("{}")
    (ws / "junit.xml").write_text("<x/>")
    (ws / "theirs.txt").write_text("not ours")
    os.chown(ws, 1001, 1002)
    changed: list[tuple[str, int, int]] = []
    env = {
        **inputs(junit_path="junit.xml", evidence_dir="out/evidence", results_path="../x.json"),
        "GITHUB_WORKSPACE": str(ws),
    }
    entrypoint.hand_back(env, lambda path, uid, gid: changed.append((path, uid, gid)))
    assert changed == [
        (str(ws / p), 1001, 1002)
        for p in (
            "junit.xml",
            "out",
            "out/evidence",
            "out/evidence/case",
            "out/evidence/case/run.json",
        )
    ]


def test_nothing_is_handed_back_outside_github_or_to_root(tmp_path: Path) -> None:
    def chown(path: str, uid: int, gid: int) -> None:
        raise AssertionError(path)

    (tmp_path / "junit.xml").write_text("<x/>")
    assert entrypoint.hand_back(inputs(junit_path="junit.xml"), chown) == []
    if os.geteuid() == 0:
        os.chown(tmp_path, 0, 0)
        env = {**inputs(junit_path="junit.xml"), "GITHUB_WORKSPACE": str(tmp_path)}
        assert entrypoint.hand_back(env, chown) == []


def test_the_reusable_workflows_shard_and_merge_steps_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What .github/workflows/voice-regress.yml does with the action: N shards, one merge."""

    def shard(index: int, harness: str) -> int:
        env = inputs(
            cases=str(EXAMPLES),
            harness_url=harness,
            shard_index=str(index),
            shard_total="2",
            results_path=str(tmp_path / f"results-{index}.json"),
        )
        return entrypoint.main(env, run=fail_run)

    def merge(pattern: str) -> int:
        return entrypoint.main(
            inputs(
                merge_results=str(tmp_path / pattern),
                shard_total="2",
                tier="auto",
                junit_path=str(tmp_path / "junit.xml"),
            ),
            run=fail_run,
        )

    assert [shard(1, "builtin"), shard(2, "builtin")] == [0, 0]
    assert merge("results-*.json") == 0
    assert re.search(r"GATE PASSED: (\d+)/\1 case", capsys.readouterr().out)
    assert merge("results-1.json") == 2  # a lost shard is never a pass
    assert "missing the results of shard 2/2" in capsys.readouterr().err
    codes = [shard(1, "builtin:duplicate-booking"), shard(2, "builtin:duplicate-booking")]
    assert sorted(codes) in ([0, 1], [1, 1])
    assert merge("results-*.json") == 1
    assert 'name="scheduling/no-duplicate-booking"' in (tmp_path / "junit.xml").read_text()
