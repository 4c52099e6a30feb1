"""The gate config `.voice-regress.yml`: schema, located diagnostics, discovery, its place between
the environment and the defaults, and its checks against the cases."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from gate.cli import build_parser, main
from gate.commands.wiring import resolve
from gate.errors import InputError
from gate.load.config import (
    CONFIG_NAME,
    ConfigError,
    GateConfig,
    check_cases,
    find_config,
    load_config,
    load_with_config,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "data" / "selection"
MINIMAL_CASE = (REPO / "tests" / "data" / "cases" / "valid" / "minimal.yaml").read_text("utf-8")


def write(folder: Path, text: str, name: str = CONFIG_NAME) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def diagnostics(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(d) for d in info.value.diagnostics]


def test_the_fixture_repository_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    config = load_config(Path(CONFIG_NAME))
    assert config.path == CONFIG_NAME and config.pattern_syntax == "github"
    assert config.triggers["prompt_change"] == ("prompts/**", "!prompts/README.md")
    assert set(config.triggers) == {
        "prompt_change",
        "tool_schema_change",
        "workflow_change",
        "billing_rules_change",
    }
    assert config.always_full == ("harness/**", "fixtures/shared/**")
    assert (config.max_cases, config.max_minutes) == (20, 10.0)
    assert config.pii_allowlist == ("^acct_fixture_[0-9]+$",)
    assert config.defaults == {"concurrency": 4}
    assert config.case_roots() == ["cases"] and config.id_roots() == ["cases"]


def test_no_config_file_means_defaults() -> None:
    config = load_config(None)
    assert config == GateConfig() and config.max_cases == 100 and config.max_minutes == 10.0
    assert config.triggers == {} and config.path is None


def test_an_empty_config_file_means_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing yet\n"))
    assert config.triggers == {} and config.path is not None


def test_every_problem_is_reported_at_its_line_with_did_you_mean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(
        tmp_path,
        """
        version: 1
        cases: [cases]
        patern_syntax: github
        triggers:
          prompt_change: ['prompts/**', '?x']
          Bad-Name: [x]
          tool_schema_change: []
          workflow_change: ['!workflows/**']
        always_full: ['harness/[]']
        fast_tier: {max_cases: 0, max_minutes: "10"}
        pii_allowlist: ['(unclosed']
        defaults: {concurency: 3}
        """,
    )
    assert diagnostics(path) == [
        ".voice-regress.yml:3:1: $.patern_syntax: unknown key 'patern_syntax' "
        "(did you mean 'pattern_syntax'?)",
        ".voice-regress.yml:5:33: $.triggers.prompt_change[1]: invalid pattern '?x' at "
        "character 1: '?' must follow a character (it repeats the preceding one); write \\? "
        "for a literal ?",
        ".voice-regress.yml:6:3: $.triggers['Bad-Name']: trigger name 'Bad-Name' must be "
        "lower_snake_case (a-z, 0-9, _)",
        ".voice-regress.yml:7:3: $.triggers.tool_schema_change: must not be empty",
        ".voice-regress.yml:8:20: $.triggers.workflow_change: only negated patterns: a '!' "
        "pattern removes paths an earlier pattern included, so this list matches nothing",
        ".voice-regress.yml:9:15: $.always_full[0]: invalid pattern 'harness/[]' at character "
        "9: empty brackets '[]'",
        ".voice-regress.yml:10:24: $.fast_tier.max_cases: must be >= 1, got 0",
        ".voice-regress.yml:10:40: $.fast_tier.max_minutes: expected number, got string '10'",
        ".voice-regress.yml:11:17: $.pii_allowlist[0]: invalid regex /(unclosed/: "
        "missing ): (unclosed",
        ".voice-regress.yml:12:12: $.defaults.concurency: unknown key 'concurency' "
        "(did you mean 'concurrency'?)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("triggers:\n  a: [x]\n  a: [y]\n", "$.triggers.a: duplicate key 'a'"),
        ("- cases\n", "$: expected mapping, got list"),
        ("version: 2\n", "$.version: must be 1, got 2"),
        ("pattern_syntax: regex\n", "$.pattern_syntax: 'regex' is not one of github, gitignore"),
        ("cases: examples\n", "$.cases: expected list, got string 'examples'"),
        ("always_full: [3]\n", "$.always_full[0]: expected string, got integer 3"),
        (
            "pattern_syntax: gitignore\nalways_full: ['# comment']\n",
            "$.always_full[0]: invalid pattern '# comment': matches nothing in gitignore syntax",
        ),
    ],
)
def test_one_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    found = diagnostics(write(tmp_path, text))
    assert len(found) == 1 and expected in found[0], found
    assert found[0].startswith(".voice-regress.yml:")


def test_yes_stays_a_string_so_it_is_a_literal_pattern(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "always_full: ['yes']\n"))
    assert config.always_full == ("yes",)


def test_the_config_error_says_it_is_the_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^1 error\(s\) in the gate config$"):
        load_config(write(tmp_path, "unknown: 1\n"))


# --- discovery ------------------------------------------------------------------------------


def test_find_config_prefers_the_flag_then_the_environment(tmp_path: Path) -> None:
    flag, env = write(tmp_path, "{}\n", "a.yml"), write(tmp_path, "{}\n", "b.yml")
    assert find_config(str(flag), {"VOICE_REGRESS_CONFIG": str(env)}, None) == flag
    assert find_config(None, {"VOICE_REGRESS_CONFIG": str(env)}, None) == env


@pytest.mark.parametrize(
    ("flag", "environ", "message"),
    [
        ("missing.yml", {}, "--config: no such file: missing.yml"),
        (
            None,
            {"VOICE_REGRESS_CONFIG": "gone.yml"},
            "VOICE_REGRESS_CONFIG: no such file: gone.yml",
        ),
    ],
)
def test_a_named_config_must_exist(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flag: str | None,
    environ: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message):
        find_config(flag, environ, None)


def test_find_config_walks_up_to_the_repository_root_and_no_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = write(tmp_path, "{}\n")
    repo, deep = tmp_path / "repo", tmp_path / "repo" / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_config(None, {}, repo) is None  # the one above the repository is not used
    at_root = write(repo, "{}\n")
    assert find_config(None, {}, repo) == at_root
    nearer = write(repo / "a", "{}\n")
    assert find_config(None, {}, repo) == nearer
    monkeypatch.chdir(tmp_path)
    assert find_config(None, {}, None) == outside  # outside a repository: the working folder


# --- flags > environment > config > defaults -----------------------------------------------------


def settings_for(argv: list[str], environ: dict[str, str]):  # type: ignore[no-untyped-def]
    return resolve(build_parser().parse_args(["run", "--harness-url", "builtin", *argv]), environ)


def test_config_sits_between_the_environment_and_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "cases: [suite]\ndefaults: {concurrency: 3, trials: 2, votes: 5}\n")
    (tmp_path / "suite").mkdir()
    settings = settings_for([], {})
    assert (settings.concurrency, settings.trials, settings.votes) == (3, 2, 5)
    assert settings.cases == ["suite"] and settings.config is not None
    settings = settings_for([], {"VOICE_REGRESS_CONCURRENCY": "6"})
    assert settings.concurrency == 6 and settings.trials == 2
    settings = settings_for(
        ["--concurrency", "9", "--cases", "other"], {"VOICE_REGRESS_CONCURRENCY": "6"}
    )
    assert settings.concurrency == 9 and settings.cases == ["other"]
    monkeypatch.chdir(tmp_path / "suite")  # no config up to the (absent) repository: defaults
    assert settings_for(["--cases", "x"], {}).concurrency == 8


def test_a_default_its_flag_would_refuse_is_a_located_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "defaults:\n  votes: 4\n")
    with pytest.raises(ConfigError) as info:
        settings_for(["--cases", "x"], {})
    assert [str(d) for d in info.value.diagnostics] == [
        ".voice-regress.yml:2:3: $.defaults.votes: expected an odd number (a tie cannot be "
        "broken), got 4"
    ]


def test_selection_flags_resolve_with_their_action_input_aliases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = settings_for(["--cases", "x", "--base-ref", "abc", "--head-ref", "def"], {})
    assert (settings.base, settings.head) == ("abc", "def")
    settings = settings_for(
        ["--cases", "x"], {"VOICE_REGRESS_CHANGED_FILES": "list.txt", "VOICE_REGRESS_BASE": "b"}
    )
    assert (settings.changed_files, settings.base, settings.head) == ("list.txt", "b", None)


def test_the_event_becomes_the_settings_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert settings_for(["--cases", "x"], {}).context is None
    settings = settings_for(
        ["--cases", "x"], {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "schedule"}
    )
    assert settings.context is not None and settings.context.tier == "nightly"


# --- the config meets the cases ----------------------------------------------------------------


def case_file(folder: Path, name: str, run_on: str, paths: str = "") -> Path:
    text = MINIMAL_CASE.replace("run_on: [prompt_change]", f"run_on: {run_on}") + paths
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_trigger_is_an_error_with_did_you_mean_when_triggers_are_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    case_file(tmp_path, "typo", "[promt_change, billing_rules_change]")
    config = load_config(write(tmp_path, "triggers:\n  billing_rules_change: ['billing/**']\n"))
    loaded = load_with_config(["typo.yaml"], config)
    assert [str(d) for d in loaded.diagnostics] == [
        "typo.yaml:20:12: $.promotion.run_on[0]: unknown trigger 'promt_change' (did you mean "
        "'prompt_change'? known: prompt_change, tool_schema_change, workflow_change, "
        "release_candidate, billing_rules_change; define your own under triggers: in "
        ".voice-regress.yml)"
    ]
    assert loaded.errors


def test_without_configured_triggers_an_unknown_trigger_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    case_file(tmp_path, "custom", "[my_trigger]")
    loaded = load_with_config(["custom.yaml"], None)
    assert [d.severity for d in loaded.diagnostics] == ["warning"]
    assert "unknown trigger 'my_trigger'" in str(loaded.diagnostics[0])
    assert "under triggers: in a .voice-regress.yml" in str(loaded.diagnostics[0])


def test_a_bad_paths_glob_in_a_case_is_an_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    case_file(tmp_path, "globs", "[prompt_change]", "paths: ['voice/**', 'voice/[]']\n")
    loaded = load_with_config(["globs.yaml"], None)
    assert [str(d) for d in loaded.errors] == [
        "globs.yaml:23:21: $.paths[1]: invalid pattern 'voice/[]' at character 7: empty "
        "brackets '[]'"
    ]


def test_check_cases_is_quiet_on_the_fixture_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    config = load_config(Path(CONFIG_NAME))
    loaded = load_with_config(config.case_roots(), config)
    assert len(loaded.cases) == 50 and loaded.diagnostics == []
    assert check_cases(loaded.cases, config) == []


def test_the_pii_allowlist_reaches_the_safe_fixture_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = MINIMAL_CASE.replace("caller_id: caller_fixture_001", "account: acct 4155552671")
    (tmp_path / "phone.yaml").write_text(text, encoding="utf-8")
    assert load_with_config(["phone.yaml"], None).errors  # a phone number: refused
    config = load_config(write(tmp_path, "pii_allowlist: ['^4155552671$']\n"))
    assert load_with_config(["phone.yaml"], config).errors == []


def test_validate_checks_the_config_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "cases: [cases]\nfast_tier: {max_cases: -1}\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate"], {}, out, err) == 2
    assert err.getvalue().splitlines() == [
        ".voice-regress.yml:2:24: $.fast_tier.max_cases: must be >= 1, got -1",
        "voice-regress-gate: error: 1 error(s) in the gate config",
    ]


def test_validate_uses_the_configured_case_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate"], {}, out, err) == 0, err.getvalue()
    assert out.getvalue() == "50 case(s) in 50 file(s) are valid\n"


def test_a_builtin_trigger_cases_use_but_the_config_leaves_out_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    case_file(tmp_path, "one", "[workflow_change, release_candidate]")
    case_file(tmp_path, "two", "[workflow_change, prompt_change]")
    config = load_config(write(tmp_path, "cases: [.]\ntriggers:\n  prompt_change: ['p/**']\n"))
    loaded = load_with_config(["one.yaml", "two.yaml"], config)
    assert [str(d) for d in loaded.diagnostics] == [
        ".voice-regress.yml:2:1: $.triggers: warning: workflow_change is in the run_on of 2 "
        "case(s) but has no globs here: it never fires on a change"
    ]


@pytest.mark.parametrize(
    "passed",
    [
        "examples/cases",
        "examples/cases/judged",
        "examples/cases/judged/cancel-confirms-outcome.yaml",
        "./examples/cases/../cases/judged",
    ],
)
def test_case_ids_do_not_change_with_the_folder_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passed: str
) -> None:
    # Every configured root names ids, not only the first: here the judged cases sit under the
    # second one. History, rejudge and lifecycle match cases by these ids.
    judged = tmp_path / "examples" / "cases" / "judged"
    judged.mkdir(parents=True)
    (tmp_path / "other").mkdir()
    source = REPO / "examples" / "cases" / "judged" / "cancel-confirms-outcome.yaml"
    (judged / source.name).write_bytes(source.read_bytes())
    write(tmp_path, "cases: [other, examples/cases]\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path(CONFIG_NAME))
    assert config.id_roots() == ["other", "examples/cases"]
    loaded = load_with_config([passed], config)
    assert [c.id for c in loaded.cases] == ["judged/cancel-confirms-outcome"]
    out, err = io.StringIO(), io.StringIO()
    code = main(["select", "--cases", passed, "--tier", "all"], {}, out, err)
    assert code == 0 and "judged/cancel-confirms-outcome" in out.getvalue(), err.getvalue()
