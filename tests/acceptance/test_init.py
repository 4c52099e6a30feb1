"""`init` in a fresh repository: three files that validate and pass against the reference harness;
never an overwrite without --force, and a refusal leaves everything as it was."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from support.cli import cli

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "gate" / "templates" / "init"
WRITTEN = {
    ".voice-regress.yml": "config.yml",
    "voice-tests/example-reschedule.yaml": "first-case.yaml",
    ".github/workflows/voice-regress.yml": "workflow.yml",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")  # init finds the repository root from a subfolder
    return tmp_path


def test_init_then_validate_then_run_on_the_reference_harness_passes(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli("init")
    assert code == 0, err
    for relative, name in WRITTEN.items():
        assert f"wrote {relative}" in out
        assert (repo / relative).read_bytes() == (TEMPLATES / name).read_bytes()
    steps = out[out.index("Next steps:") :]
    assert [line[:5] for line in steps.splitlines() if line[2:4] in ("1.", "2.", "3.")] == [
        "  1. ",
        "  2. ",
        "  3. ",
    ]
    monkeypatch.chdir(repo)
    code, out, err = cli("validate")
    assert (code, err) == (0, ""), err  # no warning either
    assert "1 case(s) in 1 file(s) are valid" in out
    code, out, err = cli("run", "--harness-url", "builtin", "--results", str(repo / "r.json"))
    assert code == 0, out + err
    assert json.loads((repo / "r.json").read_text())["counts"]["pass"] == 1


@pytest.mark.parametrize("bug", ["duplicate-booking", "wrong-slot", "skip-identity"])
def test_the_first_case_blocks_a_planted_regression(
    repo: Path, monkeypatch: pytest.MonkeyPatch, bug: str
) -> None:
    assert cli("init")[0] == 0
    monkeypatch.chdir(repo)
    code, out, _ = cli("run", "--harness-url", f"builtin:{bug}")
    assert code == 1 and "GATE FAILED" in out


def test_the_config_is_valid_against_the_shipped_schema() -> None:
    schema = json.loads((REPO / "gate" / "schemas" / "config.schema.json").read_text())
    jsonschema.validate(yaml.safe_load((TEMPLATES / "config.yml").read_text()), schema)


def test_init_refuses_to_overwrite_and_writes_nothing(repo: Path) -> None:
    workflow = repo / ".github" / "workflows" / "voice-regress.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("mine\n")
    code, out, err = cli("init")
    assert code == 2 and out == ""
    assert ".github/workflows/voice-regress.yml" in err and "--force" in err
    assert workflow.read_text() == "mine\n"
    assert not (repo / ".voice-regress.yml").exists()
    assert not (repo / "voice-tests").exists()


def test_init_force_replaces_existing_files(repo: Path) -> None:
    (repo / ".voice-regress.yml").write_text("version: 1\n")
    code, out, _ = cli("init", "--force")
    assert code == 0
    assert "replaced .voice-regress.yml" in out and "wrote voice-tests/" in out
    assert (repo / ".voice-regress.yml").read_text() == (TEMPLATES / "config.yml").read_text()


def test_force_never_writes_through_a_symlink(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "precious.yml"
    outside.write_text("keep\n")
    (repo / ".voice-regress.yml").symlink_to(outside)
    code, _, err = cli("init", "--force")
    assert code == 2 and "not a regular file" in err
    assert outside.read_text() == "keep\n"


def test_init_outside_a_repository_needs_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, _, err = cli("init")
    assert code == 2 and "--dir" in err
    code, out, _ = cli("init", "--dir", str(tmp_path))
    assert code == 0 and (tmp_path / ".voice-regress.yml").is_file()
    assert cli("init", "--dir", str(tmp_path / "missing"))[0] == 2
