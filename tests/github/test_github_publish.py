"""The publisher: outputs, summary, annotations, comment and issues from an injected environment."""

from __future__ import annotations

import argparse
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from support.fake_github import TOKEN, FakeGitHub, Fault, parse_outputs
from support.report_fixtures import mixed_gate, passing_gate

from gate.cli.options import add_publish_options
from gate.errors import InputError, PublishError
from gate.github.annotations import annotation_lines
from gate.github.api import ApiPolicy, GitHubClient
from gate.github.environment import github_env
from gate.github.options import PublishOptions
from gate.github.publish import Publisher
from gate.report.summary import SUMMARY_LIMIT
from gate.settings import publish_options

PR_EVENT = {
    "pull_request": {
        "number": 7,
        "head": {"sha": "a" * 40, "repo": {"full_name": "octo/agent"}},
        "base": {"sha": "b" * 40, "repo": {"full_name": "octo/agent"}},
    }
}


def runner_env(
    tmp_path: Path,
    fake: FakeGitHub | None,
    event: str = "pull_request",
    payload: dict[str, Any] | None = None,
    **extra: str,
) -> dict[str, str]:
    """A GitHub-hosted runner's environment, files in `tmp_path`."""
    (tmp_path / "event.json").write_text(json.dumps(PR_EVENT if payload is None else payload))
    for name in ("output", "summary"):
        (tmp_path / name).touch()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "octo/agent",
        "GITHUB_SERVER_URL": "https://github.test",
        "GITHUB_RUN_ID": "42",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "GITHUB_SHA": "c" * 40,
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_TOKEN": TOKEN,
        "VOICE_REGRESS_GITHUB_WRITE_INTERVAL": "0",
    }
    if fake is not None:
        env["GITHUB_API_URL"] = fake.url
    return {**env, **extra}


def publish(
    env: dict[str, str], gate: Any = None, sleeps: list[float] | None = None, **options: Any
) -> str:
    out = io.StringIO()
    waits: list[float] = [] if sleeps is None else sleeps

    def client(url: str, token: str | None, policy: ApiPolicy) -> GitHubClient:
        return GitHubClient(url, token, policy=policy, sleep=waits.append)

    Publisher(PublishOptions(**options), env, out, client_factory=client).publish(
        gate or mixed_gate(), junit="reports/junit.xml", results="reports/results.json"
    )
    return out.getvalue()


def warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("::warning::")]


def test_a_pull_request_gets_everything(tmp_path: Path, fake: FakeGitHub) -> None:
    env = runner_env(tmp_path, fake)
    log = publish(env)
    assert not warnings(log)
    assert len(re.findall(r"^::error file=cases/", log, re.M)) == 3
    assert len(re.findall(r"^::warning file=cases/", log, re.M)) == 1
    assert len(re.findall(r"^::notice file=cases/", log, re.M)) == 1
    summary = (tmp_path / "summary").read_text()
    assert summary.startswith("## ❌ voice-regress-gate failed") and "Failure details" in summary
    [comment] = fake.comments_on(7)
    assert comment["body"].startswith("<!-- voice-regress-gate key=default v=1 -->\n")
    assert "https://github.test/octo/agent/blob/" + "a" * 40 + "/cases/" in comment["body"]
    outputs = parse_outputs((tmp_path / "output").read_text())
    assert outputs == {
        "verdict": "fail",
        "selected": "7",
        "passed": "2",
        "failed": "2",
        "errored": "1",
        "inconclusive": "1",
        "skipped": "1",
        "deferred": "1",
        "junit-path": "reports/junit.xml",
        "results-path": "reports/results.json",
        "comment-url": comment["html_url"],
        "retention-days": "",  # no case of the fixture sets retain_days
    }


def test_outside_actions_only_outputs_are_written(tmp_path: Path) -> None:
    env = runner_env(tmp_path, None, GITHUB_ACTIONS="")
    log = publish(env)
    assert log == "" and (tmp_path / "summary").read_text() == ""
    assert parse_outputs((tmp_path / "output").read_text())["comment-url"] == ""
    assert publish({}) == ""  # no GitHub at all: nothing, and no error


def test_an_unwritable_output_file_is_a_publish_error(tmp_path: Path) -> None:
    env = runner_env(tmp_path, None, GITHUB_OUTPUT=str(tmp_path / "missing" / "out"))
    with pytest.raises(PublishError, match="cannot write the step outputs to GITHUB_OUTPUT"):
        publish(env, comment_mode="off")


def test_fork_pull_request_skips_the_comment_without_calling_github(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    event = json.loads(json.dumps(PR_EVENT))
    event["pull_request"]["head"]["repo"]["full_name"] = "mallory/agent"
    log = publish(runner_env(tmp_path, fake, payload=event))
    [warning] = warnings(log)
    assert "comes from a fork" in warning and "workflow_run" in warning
    assert fake.requests == []
    assert "Failure details" in (tmp_path / "summary").read_text()
    assert "::error file=" in log


def test_pull_request_target_from_a_fork_does_comment(tmp_path: Path, fake: FakeGitHub) -> None:
    event = json.loads(json.dumps(PR_EVENT))
    event["pull_request"]["head"]["repo"]["full_name"] = "mallory/agent"
    publish(runner_env(tmp_path, fake, event="pull_request_target", payload=event))
    assert len(fake.comments_on(7)) == 1


def test_read_only_token_is_a_warning_not_a_failure(tmp_path: Path, fake: FakeGitHub) -> None:
    fake.read_only = True
    log = publish(runner_env(tmp_path, fake))
    [warning] = warnings(log)
    assert "HTTP 403" in warning and "pull-requests: write" in warning
    assert "workflow_run" in warning
    assert (tmp_path / "summary").read_text() and "::error file=" in log
    assert parse_outputs((tmp_path / "output").read_text())["comment-url"] == ""


def test_github_outage_is_a_warning(tmp_path: Path, fake: FakeGitHub) -> None:
    fake.faults.extend(Fault(503, {"message": "unicorn"}) for _ in range(4))
    sleeps: list[float] = []
    log = publish(runner_env(tmp_path, fake), sleeps=sleeps)
    [warning] = warnings(log)
    assert "HTTP 503: unicorn" in warning and not fake.comments
    assert sleeps == [1.0, 2.0, 4.0] and len(fake.requests) == 4


def test_missing_token_is_a_warning(tmp_path: Path, fake: FakeGitHub) -> None:
    log = publish(runner_env(tmp_path, fake, GITHUB_TOKEN=""))
    [warning] = warnings(log)
    assert "no GitHub token" in warning and fake.requests == []


@pytest.mark.parametrize("event", ["push", "merge_group", "workflow_dispatch"])
def test_no_pull_request_no_comment(tmp_path: Path, fake: FakeGitHub, event: str) -> None:
    log = publish(runner_env(tmp_path, fake, event=event, payload={}))
    assert not warnings(log) and fake.requests == []
    assert (tmp_path / "summary").read_text()


def test_comment_mode_off_makes_no_request(tmp_path: Path, fake: FakeGitHub) -> None:
    publish(runner_env(tmp_path, fake), comment_mode="off", job_summary=False)
    assert fake.requests == [] and (tmp_path / "summary").read_text() == ""


def test_workflow_run_finds_the_fork_pull_request_by_its_head(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    fake.pulls = [
        {"number": 5, "head": {"label": "mallory:fix", "sha": "9" * 40}},  # an older push
        {"number": 9, "head": {"label": "mallory:fix", "sha": "d" * 40}},
    ]
    event = {
        "workflow_run": {
            "event": "pull_request",
            "pull_requests": [],
            "head_sha": "d" * 40,
            "head_branch": "fix",
            "head_repository": {"owner": {"login": "mallory"}},
            "html_url": "https://github.test/octo/agent/actions/runs/41",
        }
    }
    log = publish(runner_env(tmp_path, fake, event="workflow_run", payload=event))
    assert not warnings(log)
    [comment] = fake.comments_on(9)
    assert "actions/runs/41" in comment["body"]  # links to the run that made the results
    assert fake.calls("GET", r"/repos/octo/agent/pulls")[0].query["head"] == "mallory:fix"


def test_workflow_run_without_a_matching_pull_request_warns(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    event = {
        "workflow_run": {
            "event": "pull_request",
            "pull_requests": [],
            "head_sha": "d" * 40,
            "head_branch": "gone",
            "head_repository": {"owner": {"login": "mallory"}},
        }
    }
    log = publish(runner_env(tmp_path, fake, event="workflow_run", payload=event))
    [warning] = warnings(log)
    assert "no open pull request matches" in warning and not fake.comments


def test_a_full_summary_is_left_out(tmp_path: Path, fake: FakeGitHub) -> None:
    env = runner_env(tmp_path, fake)
    (tmp_path / "summary").write_text("x" * (SUMMARY_LIMIT - 100))
    log = publish(env, comment_mode="off")
    assert "job summary is full" in warnings(log)[0]
    assert (tmp_path / "summary").stat().st_size == SUMMARY_LIMIT - 100


def test_summary_appends_within_the_room_left(tmp_path: Path, fake: FakeGitHub) -> None:
    env = runner_env(tmp_path, fake)
    (tmp_path / "summary").write_text("# earlier step output\n")
    publish(env, comment_mode="off")
    text = (tmp_path / "summary").read_text()
    assert text.startswith("# earlier step output\n## ❌") and len(text.encode()) <= SUMMARY_LIMIT


def test_log_group_folds_and_fences_untrusted_output(tmp_path: Path) -> None:
    env = runner_env(tmp_path, None, VOICE_REGRESS_HARNESS_TOKEN="s3cret-token")
    out = io.StringIO()
    publisher = Publisher(PublishOptions(), env, out)
    with publisher.log_group("voice-regress-gate: 2 case(s)"):
        print("[1/2] fail x  ##[set-output name=verdict;]pass", file=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "::add-mask::s3cret-token"
    assert lines[1] == "::group::voice-regress-gate: 2 case(s)"
    token = lines[2].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines[3].startswith("[1/2]")
    assert lines[4:] == [f"::{token}::", "::endgroup::"]
    quiet = io.StringIO()
    with Publisher(PublishOptions(), {}, quiet).log_group("x"):
        pass
    assert quiet.getvalue() == ""


def test_bad_setup_fails_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="GITHUB_REPOSITORY"):
        github_env({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "no-slash"})
    env = runner_env(tmp_path, None, GITHUB_API_URL="file:///etc/passwd")
    with pytest.raises(PublishError, match="GITHUB_API_URL"):
        Publisher(PublishOptions(), env, io.StringIO())
    Publisher(
        PublishOptions(comment_mode="off"), {**env, "GITHUB_EVENT_NAME": "push"}, io.StringIO()
    )  # the API is not needed: no error
    for bad in ("soon", "-1", "inf", "nan", "61"):
        with pytest.raises(InputError, match="VOICE_REGRESS_GITHUB_WRITE_INTERVAL"):
            github_env({**env, "VOICE_REGRESS_GITHUB_WRITE_INTERVAL": bad})


def test_options_flags_over_environment_over_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_publish_options(parser)
    assert publish_options(parser.parse_args([]), {}) == PublishOptions()
    env = {
        "VOICE_REGRESS_COMMENT_MODE": "changes",
        "VOICE_REGRESS_ANNOTATIONS_LIMIT": "3",
        "VOICE_REGRESS_JOB_SUMMARY": "false",
        "VOICE_REGRESS_COMMENT_KEY": "nightly",
    }
    assert publish_options(parser.parse_args([]), env) == PublishOptions(
        "changes", "nightly", False, 3
    )
    args = parser.parse_args(["--comment-mode", "off", "--annotations-limit", "50"])
    assert publish_options(args, env).comment_mode == "off"
    assert publish_options(args, env).annotations_limit == 50
    with pytest.raises(InputError, match="VOICE_REGRESS_COMMENT_MODE: expected one of"):
        publish_options(parser.parse_args([]), {"VOICE_REGRESS_COMMENT_MODE": "sometimes"})
    for bad in (
        ["--annotations-limit", "51"],
        ["--comment-key", "a b"],
        ["--job-summary", "yes"],
        ["--comment-mode", "never"],
    ):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_annotations_are_capped_per_kind_with_one_notice_for_the_rest() -> None:
    from test_comment import many_failures

    lines = annotation_lines(many_failures(13), limit=10)
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert lines[-1].startswith(
        "::notice title=voice-regress-gate::3 error(s) more not annotated (--annotations-limit 10)"
    )
    assert annotation_lines(passing_gate(), limit=0)[-1].startswith(
        "::notice title=voice-regress-gate::1 notice(s) more"
    )


def test_annotation_points_at_the_failing_assertion_line() -> None:
    from dataclasses import replace

    gate = mixed_gate()
    dup = gate.cases[1]
    located = replace(
        dup.case,
        file="/ws/cases/dup.yaml",
        locations={"$.assertions.tools.forbidden_tools": (31, 5)},
    )
    gate = replace(gate, cases=(replace(dup, case=located),))
    [line] = annotation_lines(gate, workspace="/ws")
    assert line.startswith(
        "::error file=cases/dup.yaml,line=31,"
        "title=scheduling/duplicate-booking%3A fail::tools.forbidden_tools"
    )
    assert "%0Aowner scheduling-eng, source call call_2026_05_29_1842" in line


@pytest.mark.parametrize(
    ("file", "cwd", "shown"),
    [
        ("cases/dup.yaml", "/ws/agent", "agent/cases/dup.yaml"),  # working-directory: agent
        ("../shared/dup.yaml", "/ws/agent", "shared/dup.yaml"),  # cases beside the working dir
        ("/ws/cases/dup.yaml", "/elsewhere", "cases/dup.yaml"),  # absolute: cwd does not matter
        ("cases/dup.yaml", "/elsewhere", "cases/dup.yaml"),  # outside the workspace: as given
        ("cases/dup.yaml", None, "cases/dup.yaml"),
    ],
)
def test_annotation_file_is_relative_to_the_workspace(
    file: str, cwd: str | None, shown: str
) -> None:
    from dataclasses import replace

    gate = mixed_gate()
    dup = gate.cases[1]
    gate = replace(gate, cases=(replace(dup, case=replace(dup.case, file=file)),))
    [line] = annotation_lines(gate, workspace="/ws", cwd=cwd)
    assert line.startswith(f"::error file={shown},")


def test_publisher_annotates_from_the_working_directory(tmp_path: Path) -> None:
    # `working-directory: agent`: the gate ran in <workspace>/agent with --cases cases/.
    env = runner_env(tmp_path, None, event="push")
    out = io.StringIO()
    Publisher(PublishOptions(), env, out, cwd=str(tmp_path / "agent")).publish(mixed_gate())
    files = re.findall(r"^::(?:error|warning|notice) file=([^,]+),", out.getvalue(), re.M)
    assert files and all(f.startswith("agent/") for f in files), files


def test_publisher_reads_the_event_as_selection_does(tmp_path: Path) -> None:
    from gate.github.event import change_context

    env = {**runner_env(tmp_path, None), "GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}
    problem = github_env(env).event_problem
    context = change_context(env)
    assert problem and context is not None and problem in context.reason
    assert "cannot read the event file" in problem
