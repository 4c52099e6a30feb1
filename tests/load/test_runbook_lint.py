"""The runbook's lint: pinned models (warning, or error when required), critical-but-manual,
caller goals, and failure labels that match the assertions; plus the judge model check."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import main
from gate.commands.wiring import check_judge_model
from gate.errors import InputError
from gate.load.config import GateConfig, load_config, load_with_config
from gate.load.pinning import floating_reason
from gate.settings import RunSettings

VALID = Path(__file__).parents[1] / "data" / "cases" / "valid"
MINIMAL: dict[str, Any] = yaml.safe_load((VALID / "minimal.yaml").read_text("utf-8"))


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o-2024-08-06",
        "claude-3-5-sonnet-20241022",
        "gemini-1.5-pro-002",
        "gpt-4-0613",
        "text-bison@001",
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "mistral-large-2407",
    ],
)
def test_dated_or_versioned_models_are_pinned(model: str) -> None:
    assert floating_reason(model) is None


@pytest.mark.parametrize(
    ("model", "why"),
    [
        ("gpt-4o", "no date stamp or version"),
        ("claude-3-5-sonnet", "no date stamp or version"),
        ("latest", "'latest'"),
        ("claude-3-5-sonnet-latest", "'latest'"),
        ("gemini-1.5-pro-latest-002", "'latest'"),
    ],
)
def test_floating_aliases(model: str, why: str) -> None:
    assert why in (floating_reason(model) or "")


def _diagnostics(tmp_path: Path, require: bool = False, **changes: Any) -> list[str]:
    data = {**MINIMAL, **changes}
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(data), "utf-8")
    loaded = load_with_config([str(tmp_path / "case.yaml")], None, require)
    return [f"{d.severity}: {d.json_path}: {d.message}" for d in loaded.diagnostics]


def test_a_clean_case_has_no_runbook_warning(tmp_path: Path) -> None:
    pinned = {"agent_slug": "a", "model": "gpt-4o-2024-08-06"}
    assert _diagnostics(tmp_path, agent_ref=pinned) == []


def test_a_floating_agent_model_warns_and_is_an_error_when_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = {"agent_slug": "a", "model": "gpt-4o"}
    [warning] = _diagnostics(tmp_path, agent_ref=ref)
    assert warning.startswith("warning: $.agent_ref.model: agent_ref.model 'gpt-4o' is a floating")
    [error] = _diagnostics(tmp_path, True, agent_ref=ref)
    assert error.startswith("error: $.agent_ref.model:")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".voice-regress.yml").write_text("require_pinned: true\n", "utf-8")
    config = load_config(tmp_path / ".voice-regress.yml")
    assert config.require_pinned
    assert load_with_config(["case.yaml"], config).errors  # the config key alone suffices


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        (
            {"source": {**MINIMAL["source"], "severity": "critical"},
             "promotion": {"level": "manual", "run_on": ["prompt_change"]}},
            "$.promotion.level",
            "a critical case kept manual",
        ),
        ({"caller": {"language": "en-US"}}, "$.caller", "no caller.goal"),
        (
            {"source": {**MINIMAL["source"], "failure_label": "side_effect"}},
            "$.source.failure_label",
            "no side_effects assertion",
        ),
        (
            {"source": {**MINIMAL["source"], "failure_label": "tool_ordering"}},
            "$.source.failure_label",
            "'tool_ordering' but no tools assertion",
        ),
    ],
)  # fmt: skip
def test_runbook_warnings(tmp_path: Path, changes: dict[str, Any], path: str, words: str) -> None:
    [warning] = _diagnostics(tmp_path, **changes)
    assert warning.startswith(f"warning: {path}:") and words in warning


def test_labels_with_their_family_do_not_warn(tmp_path: Path) -> None:
    source = {**MINIMAL["source"], "failure_label": "tool_ordering"}
    tools = {"tools": {"required_order": ["lookup_identity"]}}
    assert _diagnostics(tmp_path, source=source, assertions=tools) == []


def test_an_error_does_not_hide_the_same_files_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = {"agent_slug": "a", "model": "gpt-4o"}
    diagnostics = _diagnostics(tmp_path, caller={}, owner="", agent_ref=ref)
    assert "error: $.owner: must not be empty" in diagnostics
    assert "warning: $.caller: no caller.goal: the evidence packet needs what the caller " in (
        "".join(diagnostics)
    )
    assert any(
        d.startswith("warning: $.agent_ref.model: agent_ref.model 'gpt-4o'") for d in diagnostics
    )
    # and the CLI prints them: the warnings, then the error that stops it
    code = main(["validate", "--cases", str(tmp_path / "case.yaml")], {})
    err = capsys.readouterr().err
    assert code == 2
    assert "$.caller: warning: no caller.goal" in err and "$.agent_ref.model: warning:" in err
    assert err.index("warning: no caller.goal") < err.index("$.owner: must not be empty")


def _settings(model: str | None, require: bool = False, config: bool = False) -> RunSettings:
    return RunSettings(
        harness_url="",
        cases=[],
        judge_model=model,
        require_pinned=require,
        config=GateConfig(require_pinned=config),
    )


def test_the_judge_model_is_checked_too() -> None:
    err = io.StringIO()
    check_judge_model(_settings("gpt-4o-2024-08-06"), err)
    check_judge_model(_settings(None, require=True), err)
    assert err.getvalue() == ""
    check_judge_model(_settings("gpt-4o"), err)
    assert err.getvalue().startswith("warning: the judge model 'gpt-4o' is a floating alias")
    for settings in (_settings("gpt-4o", require=True), _settings("gpt-4o", config=True)):
        with pytest.raises(InputError, match="--require-pinned"):
            check_judge_model(settings, io.StringIO())


def test_validate_and_run_take_require_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _diagnostics(tmp_path, agent_ref={"agent_slug": "a", "model": "gpt-4o"})

    def cli(*argv: str, **environ: str) -> tuple[int, str]:
        err = io.StringIO()
        return main(list(argv), environ, io.StringIO(), err), err.getvalue()

    code, err = cli("validate", "case.yaml")
    assert code == 0 and "warning: agent_ref.model 'gpt-4o'" in err
    assert cli("validate", "case.yaml", "--require-pinned")[0] == 2
    assert cli("validate", "case.yaml", "--require-pinned", "false")[0] == 0
    assert cli("validate", "case.yaml", VOICE_REGRESS_REQUIRE_PINNED="true")[0] == 2
    code, err = cli("run", "--harness-url", "builtin", "--cases", "case.yaml", "--require-pinned")
    assert code == 2 and "agent_ref.model 'gpt-4o'" in err
