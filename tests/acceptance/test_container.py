"""The real Dockerfile, built with podman and run the way GitHub runs a Docker action.

Like the runner: every input as INPUT_<NAME> (empty ones too), the workspace, file commands,
event and home folders mounted under /github, GITHUB_* set, `--workdir /github/workspace`, and
the container's exit code as the step's result. The base image `python:3.12-slim` comes from
tests/container/podman-base.sh (debootstrap, no registry). Skips only where podman cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE_SCRIPT = ROOT / "tests" / "container" / "podman-base.sh"
IMAGE = "localhost/voice-regress-gate:test"
RUNNER_UID = 1001  # the GitHub-hosted runner's user; the container runs as root


def _why_not() -> str | None:
    if os.environ.get("VRG_CONTAINER_TEST") == "0":
        return "VRG_CONTAINER_TEST=0"
    if os.name != "posix" or os.geteuid() != 0:
        return "needs root for rootful podman (the recipe in tests/container/podman-base.sh)"
    missing = [t for t in ("podman", "runc", "debootstrap") if shutil.which(t) is None]
    if missing:
        return f"{', '.join(missing)} not installed (.ci/run installs them with apt-get)"
    return None


@dataclass(frozen=True)
class Podman:
    env: dict[str, str]
    base_s: float
    build_s: float

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def podman() -> Podman:
    reason = _why_not()
    if reason:
        pytest.skip(f"container test skipped: {reason}")
    started = time.monotonic()
    base = subprocess.run(
        ["bash", str(BASE_SCRIPT)], capture_output=True, text=True, check=False, timeout=1800
    )
    assert base.returncode == 0, f"base image: {base.stderr}"
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in base.stdout.split("\n")
        if line.startswith("export ")
    )
    tools = Podman({**os.environ, **exports}, time.monotonic() - started, 0.0)
    started = time.monotonic()
    build = tools.run("build", "-q", "--pull=never", "-t", IMAGE, str(ROOT), timeout=1200)
    assert build.returncode == 0, f"podman build:\n{build.stdout}{build.stderr}"
    tools.run("image", "prune", "-f")  # the previous build's layers, on a machine that keeps them
    return Podman(tools.env, tools.base_s, time.monotonic() - started)


@dataclass(frozen=True)
class Step:
    """One `uses:` of the action: its exit code, log, outputs and the folders it wrote to."""

    done: subprocess.CompletedProcess[str]
    workspace: Path
    outputs: dict[str, str]
    summary: str
    home: Path


def read_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` or `name<<DELIM` … `DELIM`."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            for more in lines:
                if more == delimiter:
                    break
                body.append(more)
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """A checkout of a repo with the example cases, owned by the runner's user as on GitHub."""
    ws = tmp_path / "workspace"
    shutil.copytree(ROOT / "examples" / "cases", ws / "tests" / "voice")
    git = ["git", "-C", str(ws), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "cases"], check=True)
    subprocess.run(["chown", "-R", f"{RUNNER_UID}:{RUNNER_UID}", str(ws)], check=True)
    yield ws


def action_inputs(**given: str) -> dict[str, str]:
    """Every input of action.yml with its default, as the runner passes them, then `given`."""
    spec = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    values = {
        name: ("" if "${{" in meta["default"] else meta["default"]) for name, meta in spec.items()
    }
    values.update({name.replace("_", "-"): value for name, value in given.items()})
    return values


def use_action(
    podman: Podman, ws: Path, inputs: Mapping[str, str], env: Mapping[str, str] | None = None
) -> Step:
    folders = {name: ws.parent / name for name in ("file_commands", "workflow", "home")}
    for folder in folders.values():
        folder.mkdir(exist_ok=True)
    (folders["file_commands"] / "output").write_text("")
    (folders["file_commands"] / "summary").write_text("")
    (folders["workflow"] / "event.json").write_text(json.dumps({"inputs": {}}))
    github = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "HOME": "/github/home",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_REPOSITORY": "org/agent",
        "GITHUB_OUTPUT": "/github/file_commands/output",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
        "GITHUB_RUN_ID": "7",
    }
    command = [
        "run",
        "--rm",
        "--network",
        "none",
        "--workdir",
        "/github/workspace",
        "-v",
        f"{ws}:/github/workspace",
        "-v",
        f"{folders['home']}:/github/home",
        "-v",
        f"{folders['file_commands']}:/github/file_commands",
        "-v",
        f"{folders['workflow']}:/github/workflow",
    ]
    for name, value in {**github, **(env or {})}.items():
        command += ["-e", f"{name}={value}"]
    for name, value in inputs.items():
        command += ["-e", f"INPUT_{name.upper()}={value}"]
    done = podman.run(*command, IMAGE)
    return Step(
        done,
        ws,
        read_output_file((folders["file_commands"] / "output").read_text()),
        (folders["file_commands"] / "summary").read_text(),
        folders["home"],
    )


def test_the_examples_pass_and_the_step_reports_like_an_action(
    podman: Podman, workspace: Path
) -> None:
    inputs = action_inputs(
        cases="tests/voice",
        harness_url="builtin",
        junit_path="reports/junit.xml",
        results_path="reports/results.json",
    )
    step = use_action(
        podman, workspace, inputs, env={"VOICE_REGRESS_HARNESS_TOKEN": "tok-for-the-harness-1234"}
    )
    log = step.done.stdout
    assert step.done.returncode == 0, log + step.done.stderr
    assert log.splitlines()[0] == "::add-mask::tok-for-the-harness-1234"
    assert "GATE PASSED" in log
    assert step.outputs["verdict"] == "pass"
    assert step.outputs["results-path"] == "reports/results.json"
    assert int(step.outputs["passed"]) == int(step.outputs["selected"]) > 0
    assert "voice-regress" in step.summary.lower()
    junit = workspace / "reports" / "junit.xml"
    assert "<testsuites" in junit.read_text()
    # Handed back to the runner's user, so a self-hosted runner can clean the workspace.
    assert {p.stat().st_uid for p in (junit, junit.parent)} == {RUNNER_UID}


def test_a_planted_regression_fails_the_step(podman: Podman, workspace: Path) -> None:
    inputs = action_inputs(
        cases="tests/voice", harness_url="builtin:duplicate-booking", junit_path="junit.xml"
    )
    step = use_action(podman, workspace, inputs)
    assert step.done.returncode == 1, step.done.stdout + step.done.stderr
    assert "GATE FAILED" in step.done.stdout
    assert step.outputs["verdict"] == "fail" and int(step.outputs["failed"]) > 0
    assert "scheduling/no-duplicate-booking" in (workspace / "junit.xml").read_text()


def test_a_bad_input_is_exit_2_naming_it(podman: Podman, workspace: Path) -> None:
    step = use_action(podman, workspace, action_inputs(harness_url="builtin", job_summary="yes"))
    assert step.done.returncode == 2
    assert "input job-summary: expected true or false" in step.done.stderr


def test_the_workspace_is_a_git_safe_directory(podman: Podman, workspace: Path) -> None:
    step = use_action(podman, workspace, action_inputs(harness_url="builtin", cases="tests/voice"))
    assert step.done.returncode == 0, step.done.stderr
    git = [
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "git",
        "-e",
        "HOME=/github/home",
        "-v",
        f"{workspace}:/github/workspace",
    ]
    fresh = step.home.parent / "fresh-home"
    fresh.mkdir()
    refused = podman.run(
        *git, "-v", f"{fresh}:/github/home", IMAGE, "-C", "/github/workspace", "rev-parse", "HEAD"
    )
    assert refused.returncode != 0 and "dubious ownership" in refused.stderr
    trusted = podman.run(
        *git,
        "-v",
        f"{step.home}:/github/home",
        IMAGE,
        "-C",
        "/github/workspace",
        "rev-parse",
        "HEAD",
    )
    assert trusted.returncode == 0, trusted.stderr


def test_the_image_is_what_github_expects(
    podman: Podman, capsys: pytest.CaptureFixture[str]
) -> None:
    inspect = podman.run("image", "inspect", IMAGE)
    config = json.loads(inspect.stdout)[0]["Config"]
    assert config["Entrypoint"] == ["python", "/action/entrypoint.py"]
    assert not config.get("User") and not config.get("WorkingDir")
    leftovers = podman.run(
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "sh",
        IMAGE,
        "-c",
        "ls /root/.cache/pip /var/lib/apt/lists/*.gz 2>/dev/null;"
        " command -v gcc cc make; voice-regress-gate --version",
    )
    assert leftovers.stdout.splitlines() == [f"voice-regress-gate {_version()}"], leftovers.stdout
    size = json.loads(inspect.stdout)[0]["Size"]
    with capsys.disabled():
        print(
            f"\n[container] base image ready in {podman.base_s:.1f}s, action image built in "
            f"{podman.build_s:.1f}s, {size / 1e6:.0f} MB"
        )


def _version() -> str:
    from gate import __version__

    return __version__
