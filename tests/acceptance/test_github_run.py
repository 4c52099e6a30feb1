"""A simulated GitHub Actions run: the real CLI (and the Action's entrypoint) against the reference
harness and the loopback fake GitHub API, with a runner's environment and files.

Each scenario checks what GitHub would see (requests, comments, issues), what the runner would
read (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, workflow commands in the log), and that publishing
never changes the exit code a run without GitHub would have.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.fake_github import BOT, TOKEN, FakeGitHub, Fault, parse_outputs, serve_fake_github

from gate.cli import main
from gate.report.markdown import utf16_len

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "cases"
PR = 7
SAME_REPO = {"full_name": "octo/agent"}


def pr_event(head_repo: str = "octo/agent") -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "head": {"sha": "a" * 40, "ref": "fix", "repo": {"full_name": head_repo}},
            "base": {"sha": "b" * 40, "ref": "main", "repo": SAME_REPO},
        },
    }


class Runner:
    """A workspace with cases and the runner's files; `env` is what the step would see."""

    def __init__(self, root: Path, fake: FakeGitHub) -> None:
        self.root, self.fake = root, fake
        self.ws = root / "workspace"
        shutil.copytree(EXAMPLES, self.ws / "cases")
        nightly = (EXAMPLES / "scheduling" / "no-duplicate-booking.yaml").read_text()
        (self.ws / "cases" / "nightly").mkdir()
        (self.ws / "cases" / "nightly" / "no-duplicate-booking.yaml").write_text(
            nightly.replace("level: blocking", "level: scheduled")
        )
        self.files = root / "runner"
        self.files.mkdir()

    def env(self, event: str, payload: dict[str, Any], **extra: str) -> dict[str, str]:
        """A fresh step: new GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files."""
        for name in ("output", "summary"):
            (self.files / name).write_text("")
        (self.files / "event.json").write_text(json.dumps(payload))
        env = {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_REPOSITORY": "octo/agent",
            "GITHUB_SERVER_URL": "https://github.test",
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_SHA": "c" * 40,
            "GITHUB_REF": "refs/pull/7/merge",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(self.files / "event.json"),
            "GITHUB_OUTPUT": str(self.files / "output"),
            "GITHUB_STEP_SUMMARY": str(self.files / "summary"),
            "GITHUB_WORKSPACE": str(self.ws),
            "GITHUB_TOKEN": TOKEN,
            "VOICE_REGRESS_GITHUB_WRITE_INTERVAL": "0",
        }
        return {**env, **extra}

    def argv(self, harness: str, *more: str) -> list[str]:
        return [
            "run",
            "--harness-url",
            harness,
            "--cases",
            str(self.ws / "cases"),
            "--junit",
            str(self.ws / "out" / "junit.xml"),
            "--results",
            str(self.ws / "out" / "results.json"),
            *more,
        ]

    def run(self, harness: str, env: dict[str, str], *more: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(self.argv(harness, *more), env, out, err)
        return code, out.getvalue(), err.getvalue()

    def outputs(self) -> dict[str, str]:
        return parse_outputs((self.files / "output").read_text())

    def summary(self) -> str:
        return (self.files / "summary").read_text()

    def plain_exit(self, harness: str, *more: str) -> int:
        """The exit code of the same run with no GitHub around it."""
        return main(self.argv(harness, *more), {}, io.StringIO(), io.StringIO())


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    with serve_fake_github() as fake:
        yield Runner(tmp_path, fake)


def warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("::warning::")]


def ours(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake.comments_on(PR) if c["user"]["login"] == BOT]


def test_pull_request_comment_is_created_once_then_edited(runner: Runner) -> None:
    fake = runner.fake
    fake.add_comment(PR, "LGTM once the gate is green", login="reviewer")
    env = runner.env("pull_request", pr_event())
    code, log, err = runner.run("builtin:duplicate-booking", env, "--tier", "all")
    assert code == 1 == runner.plain_exit("builtin:duplicate-booking", "--tier", "all")
    assert not warnings(log), err
    [first] = ours(fake)
    assert first["body"].startswith("<!-- voice-regress-gate key=default v=1 -->\n")
    assert "## ❌ voice-regress-gate failed" in first["body"]
    # case links point at the PR head, relative to the workspace
    assert "https://github.test/octo/agent/blob/" + "a" * 40 + "/cases/scheduling/" in first["body"]
    outputs = runner.outputs()
    assert outputs["verdict"] == "fail" and outputs["comment-url"] == first["html_url"]
    assert outputs["junit-path"].endswith("junit.xml") and int(outputs["failed"]) >= 1
    assert "### Failure details" in runner.summary()
    assert re.search(r"^::error file=cases/scheduling/[\w-]+\.yaml,line=\d+,title=", log, re.M)
    group = log.index("::group::voice-regress-gate:")
    token = re.search(r"^::stop-commands::(\w+)$", log, re.M)
    first_line = re.search(r"^\[\s*1/\d+\] ", log, re.M)
    assert token and first_line
    assert group < token.start() < first_line.start() < log.index(f"::{token[1]}::")
    assert log.index(f"::{token[1]}::") < log.index("::endgroup::")

    env = runner.env("pull_request", pr_event())
    code, log, _ = runner.run("builtin", env, "--tier", "all")
    assert code == 0 and not warnings(log)
    [second] = ours(fake)
    assert second["id"] == first["id"]
    assert "## ✅ voice-regress-gate passed" in second["body"]
    assert len(fake.calls("POST", rf"/repos/octo/agent/issues/{PR}/comments")) == 1
    assert len(fake.calls("PATCH", r"/repos/octo/agent/issues/comments/\d+")) == 1
    assert runner.outputs()["verdict"] == "pass"
    assert runner.outputs()["comment-url"] == first["html_url"]
    assert len(fake.comments_on(PR)) == 2  # the reviewer's comment is untouched


def test_a_huge_run_still_fits_in_one_comment(runner: Runner) -> None:
    template = (EXAMPLES / "scheduling" / "no-duplicate-booking.yaml").read_text()
    bulk = runner.ws / "cases" / "bulk"
    bulk.mkdir()
    for i in range(150):
        (bulk / f"case-{i:03d}.yaml").write_text(
            template.replace(
                "owner: scheduling-eng", f"owner: scheduling-team-with-a-long-name-{i}"
            ).replace("synthetic-demo-no-duplicate-booking", f"synthetic-call-{i}-" + "r" * 60)
        )
    env = runner.env("pull_request", pr_event())
    code, log, _ = runner.run("builtin:duplicate-booking", env, "--tier", "all")
    assert code == 1 and not warnings(log)
    [comment] = ours(runner.fake)
    body = comment["body"]
    assert utf16_len(body) <= 65_536
    assert body.startswith("<!-- voice-regress-gate key=default v=1 -->\n")
    assert re.search(r"\d+ more not-passing case\(s\) are not listed here", body)
    assert "https://github.test/octo/agent/actions/runs/4242" in body
    # annotations stop at the limit and say how many more there are
    assert len(re.findall(r"^::error file=", log, re.M)) == 10
    assert re.search(r"^::notice title=voice-regress-gate::\d+ error\(s\) more", log, re.M)


def test_fork_pull_request_publishes_what_it_can_and_explains(runner: Runner) -> None:
    env = runner.env("pull_request", pr_event(head_repo="mallory/agent"))
    code, log, _ = runner.run("builtin:duplicate-booking", env, "--tier", "all")
    assert code == 1 == runner.plain_exit("builtin:duplicate-booking", "--tier", "all")
    [warning] = warnings(log)
    assert "fork" in warning and "workflow_run" in warning
    assert runner.fake.requests == []  # a read-only token: not even a try
    assert "::error file=" in log and "### Failure details" in runner.summary()
    assert runner.outputs()["verdict"] == "fail" and runner.outputs()["comment-url"] == ""


def test_read_only_token_403_changes_nothing_but_a_warning(runner: Runner) -> None:
    runner.fake.read_only = True  # e.g. a Dependabot PR, or permissions without pull-requests
    env = runner.env("pull_request", pr_event())
    code, log, _ = runner.run("builtin", env, "--tier", "all")
    assert code == 0  # the gate passed; a 403 on the comment must not fail it
    [warning] = warnings(log)
    assert "HTTP 403" in warning and "Resource not accessible by integration" in warning
    assert "pull-requests: write" in warning and "workflow_run" in warning
    assert runner.fake.writes() and not runner.fake.comments
    assert "::group::" in log and runner.summary().startswith("## ✅ voice-regress-gate passed")
    assert runner.outputs()["verdict"] == "pass"


def test_secondary_rate_limit_is_waited_out(runner: Runner) -> None:
    runner.fake.faults.append(
        Fault(
            403,
            {"message": "You have exceeded a secondary rate limit"},
            {"Retry-After": "0"},
            method="POST",
        )
    )
    env = runner.env("pull_request", pr_event())
    code, log, _ = runner.run("builtin", env, "--tier", "all")
    assert code == 0 and not warnings(log)
    assert len(ours(runner.fake)) == 1
    assert len(runner.fake.calls("POST", rf"/repos/octo/agent/issues/{PR}/comments")) == 2


def test_fork_pattern_untrusted_run_then_workflow_run_merge_comments(runner: Runner) -> None:
    fake = runner.fake
    # Part 1, on: pull_request from a fork: gate, no comment, upload the results (`merge`
    # reads only the results of sharded runs, so this one is shard 1 of 1).
    env = runner.env("pull_request", pr_event(head_repo="mallory/agent"))
    code, log, _ = runner.run(
        "builtin:duplicate-booking", env, "--tier", "all", "--comment-mode", "off", "--shard", "1/1"
    )
    assert code == 1 and not warnings(log) and fake.requests == []
    results = runner.ws / "out" / "results.json"
    # Part 2, on: workflow_run (trusted): the PR comes from the event and the API.
    fake.pulls = [{"number": PR, "head": {"label": "mallory:fix", "sha": "a" * 40}}]
    event = {
        "workflow_run": {
            "id": 4241,
            "event": "pull_request",
            "conclusion": "failure",
            "pull_requests": [],
            "head_sha": "a" * 40,
            "head_branch": "fix",
            "head_repository": {"full_name": "mallory/agent", "owner": {"login": "mallory"}},
            "html_url": "https://github.test/octo/agent/actions/runs/4241",
        }
    }
    env = runner.env("workflow_run", event, GITHUB_REF="refs/heads/main")
    out, err = io.StringIO(), io.StringIO()
    code = main(["merge", str(results), "--comment-mode", "always"], env, out, err)
    assert code == 1, err.getvalue()
    assert not warnings(out.getvalue())
    [comment] = ours(fake)
    assert "## ❌ voice-regress-gate failed" in comment["body"]
    assert "actions/runs/4241" in comment["body"]  # the run with the logs and artifacts
    assert fake.calls("GET", r"/repos/octo/agent/pulls")[0].query["head"] == "mallory:fix"
    assert runner.outputs()["comment-url"] == comment["html_url"]


def test_push_writes_summary_and_outputs_but_no_comment(runner: Runner) -> None:
    env = runner.env("push", {"before": "b" * 40, "after": "c" * 40}, GITHUB_REF="refs/heads/main")
    code, log, _ = runner.run("builtin", env, "--tier", "all")
    assert code == 0 and not warnings(log) and runner.fake.requests == []
    assert runner.outputs()["comment-url"] == "" and runner.summary()


def test_nightly_issues_open_update_and_close(runner: Runner) -> None:
    fake = runner.fake
    schedule = {"schedule": "0 3 * * *"}
    env = runner.env("schedule", schedule, GITHUB_REF="refs/heads/main")
    code, log, _ = runner.run("builtin:duplicate-booking", env, "--tier", "nightly")
    assert code == 1 == runner.plain_exit("builtin:duplicate-booking", "--tier", "nightly")
    assert not warnings(log)
    failing = {i["title"] for i in fake.issues.values()}
    assert "voice-regress-gate: nightly/no-duplicate-booking is fail" in failing
    assert len(failing) == int(runner.outputs()["failed"])
    scheduled = next(i for i in fake.issues.values() if "nightly/" in i["title"])
    assert {x["name"] for x in scheduled["labels"]} == {
        "voice-regress-gate",
        "owner:scheduling-eng",
        "failure:side_effect",
    }
    assert not fake.comments  # no PR: no sticky comment

    env = runner.env("schedule", schedule, GITHUB_REF="refs/heads/main")
    runner.run("builtin:duplicate-booking", env, "--tier", "nightly")
    assert {i["title"] for i in fake.issues.values()} == failing  # updated, none added
    assert len(fake.calls("POST", r"/repos/octo/agent/issues")) == len(failing)

    env = runner.env("schedule", schedule, GITHUB_REF="refs/heads/main")
    code, log, _ = runner.run("builtin", env, "--tier", "nightly")
    assert code == 0 and not warnings(log)
    assert all(i["state"] == "closed" for i in fake.issues.values())
    notes = [c["body"] for c in fake.comments.values()]
    assert len(notes) == len(failing) and all("passes again" in n for n in notes)


def test_unwritable_outputs_fail_a_passing_gate_with_a_message(runner: Runner) -> None:
    env = runner.env("push", {}, GITHUB_OUTPUT=str(runner.files / "gone" / "output"))
    code, log, err = runner.run("builtin", env, "--tier", "all")
    assert code == 1 and "GATE PASSED" in log
    assert "error: cannot write the step outputs to GITHUB_OUTPUT=" in err


def test_bad_publishing_flags_are_input_errors(runner: Runner) -> None:
    env = runner.env("push", {})
    code, _, err = runner.run("builtin", env, "--comment-mode", "sometimes")
    assert code == 2 and "argument --comment-mode: expected one of" in err
    code, _, err = runner.run("builtin", {**env, "VOICE_REGRESS_COMMENT_KEY": "a b"})
    assert code == 2 and "VOICE_REGRESS_COMMENT_KEY" in err
    assert runner.fake.requests == []


def _action_env(runner: Runner, harness: str) -> dict[str, str]:
    env = runner.env("pull_request", pr_event())
    env.pop("GITHUB_TOKEN")  # the Action passes it as an input
    return {
        **env,
        "INPUT_CASES": "cases",
        "INPUT_HARNESS-URL": harness,
        "INPUT_TIER": "all",
        "INPUT_COMMENT-MODE": "always",
        "INPUT_COMMENT-KEY": "voice",
        "INPUT_JOB-SUMMARY": "true",
        "INPUT_ANNOTATIONS-LIMIT": "5",
        "INPUT_RESULTS-PATH": "out/results.json",
        "INPUT_GITHUB-TOKEN": TOKEN,
    }


def test_through_the_action_entrypoint_in_process(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    entrypoint = pytest.importorskip("entrypoint", reason="engineer (A)'s entrypoint.py")
    monkeypatch.chdir(runner.ws)  # the container's working directory is the workspace
    out, err = io.StringIO(), io.StringIO()

    def git(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 0, "", "")

    def cli(argv: Any, environ: Any) -> int:
        return main(argv, environ, out, err)

    code = entrypoint.main(
        _action_env(runner, "builtin:duplicate-booking"), out, err, run=git, cli=cli
    )
    assert code == 1, err.getvalue()
    [comment] = ours(runner.fake)
    assert comment["body"].startswith("<!-- voice-regress-gate key=voice v=1 -->")
    assert len(re.findall(r"^::error file=cases/", out.getvalue(), re.M)) == 5
    assert runner.outputs()["results-path"] == "out/results.json"
    assert f"::add-mask::{TOKEN}" in out.getvalue()


@pytest.mark.skipif(not (ROOT / "entrypoint.py").exists(), reason="no entrypoint.py yet")
def test_through_the_action_entrypoint_as_a_process(runner: Runner) -> None:
    env = {
        **_action_env(runner, "builtin"),
        "HOME": str(runner.root),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        cwd=runner.ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [comment] = ours(runner.fake)
    assert "## ✅ voice-regress-gate passed" in comment["body"]
    assert runner.outputs()["verdict"] == "pass"
    assert runner.outputs()["comment-url"] == comment["html_url"]
    assert "::group::voice-regress-gate:" in done.stdout


def test_working_directory_below_the_workspace(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A step with `working-directory: cases` and a relative --cases: GitHub still wants paths
    # from the workspace root in annotations and links.
    monkeypatch.chdir(runner.ws / "cases")
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "run",
        "--harness-url",
        "builtin:duplicate-booking",
        "--cases",
        "scheduling",
        "--tier",
        "all",
    ]
    code = main(argv, runner.env("pull_request", pr_event()), out, err)
    assert code == 1, err.getvalue()
    log = out.getvalue()
    files = re.findall(r"^::(?:error|warning|notice) file=([^,]+),", log, re.M)
    assert files and all(f.startswith("cases/scheduling/") for f in files), files
    [comment] = ours(runner.fake)
    assert "/blob/" + "a" * 40 + "/cases/scheduling/" in comment["body"]
