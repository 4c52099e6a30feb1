"""The CLI end to end: one test per exit code, the bundled examples against every planted bug, and
the ways a run could go green without evidence."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support.cli import cli
from support.fault_server import Reply, closed_port_url, serve

import gate.runner
from gate.cli import main
from gate.reference.server import running_harness

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "cases"
SEED = EXAMPLES / "scheduling" / "reschedule-wednesday.yaml"


def results_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_demo_passes_on_the_bundled_examples(tmp_path: Path) -> None:
    code, out, _ = cli("demo", "--results", str(tmp_path / "r.json"))
    assert code == 0, out
    assert out.rstrip().splitlines()[-1].startswith("GATE PASSED")
    data = results_of(tmp_path / "r.json")
    assert data["verdict"] == "pass" and data["counts"]["fail"] == 0
    assert data["counts"]["pass"] >= 7 and data["harness_calls"] >= data["counts"]["pass"]


def test_duplicate_booking_exits_1_and_names_the_forbidden_tool_and_duplicate_write() -> None:
    code, out, _ = cli(
        "run", "--harness-url", "builtin:duplicate-booking", "--cases", "examples/cases"
    )
    assert code == 1
    assert "GATE FAILED" in out
    assert "create_new_appointment was called" in out  # the forbidden tool, with its turn
    assert "duplicate" in out  # the duplicate calendar write


# Each planted bug must make at least one blocking case fail in the right assertion family.
BUG_FAMILY = {
    "duplicate-booking": ("scheduling/no-duplicate-booking", "side_effects.calendar"),
    "skip-identity": ("scheduling/cancel-verifies-identity-first", "tools.required_order"),
    "wrong-slot": ("scheduling/reschedule-arguments-friday", "tools.arguments"),
    "policy-leak": ("safety/no-account-readback", "transcript.must_not_include"),
    "slow": ("latency/turn-latency-budget", "latency.p95_turn_ms"),
    "unplanned-handoff": ("scheduling/reschedule-wednesday", "outcome.no_unplanned_handoff"),
    "bad-handoff-summary": ("handoff/human-request-keeps-context", "handoff.summary_must_include"),
}


@pytest.mark.parametrize("bug", sorted(BUG_FAMILY))
def test_each_planted_bug_fails_a_blocking_case_in_its_family(bug: str, tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    code, _, _ = cli(
        "run",
        "--harness-url",
        f"builtin:{bug}",
        "--cases",
        "examples/cases",
        "--results",
        str(results),
    )
    assert code == 1
    case_id, family = BUG_FAMILY[bug]
    case = next(c for c in results_of(results)["cases"] if c["id"] == case_id)
    assert case["status"] == "fail" and case["level"] == "blocking"
    failing = [a["name"] for t in case["trials"] for a in t["assertions"] if a["status"] == "fail"]
    assert any(name.startswith(family) for name in failing), failing


def test_flaky_harness_passes_through_retries_with_two_calls_per_case(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    code, _, _ = cli("demo", "--bug", "flaky", "--results", str(results))
    assert code == 0
    data = results_of(results)
    assert all(c["trials"][0]["harness_calls"] == 2 for c in data["cases"])


def test_typo_in_an_assertion_key_exits_2_with_path_line_and_suggestion(tmp_path: Path) -> None:
    case = tmp_path / "typo.yaml"
    case.write_text(SEED.read_text().replace("    forbidden_tools:", "    forbiden_tools:"))
    code, out, err = cli("run", "--harness-url", "builtin", "--cases", str(case))
    assert code == 2 and out == ""
    line = next(i for i, text in enumerate(case.read_text().splitlines(), 1) if "forbiden" in text)
    assert (
        f"typo.yaml:{line}:5: $.assertions.tools.forbiden_tools: unknown key 'forbiden_tools'"
        " (did you mean 'forbidden_tools'?)" in err
    )
    assert "Traceback" not in err
    assert cli("validate", str(case))[0] == 2


def test_validate_exits_0_on_valid_files() -> None:
    code, out, _ = cli("validate", "examples/cases")
    assert code == 0 and "are valid" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--harness-url", "builtin", "--cases", "examples/cases", "--concurrency", "0"],
        ["run", "--harness-url", "builtin", "--cases", "examples/cases", "--fail-on-empty", "yes"],
        ["run", "--harness-url", "builtin", "--cases", "examples/cases", "--retries", "-1"],
        ["run", "--harness-url", "builtin:no-such-bug", "--cases", "examples/cases"],
        ["run", "--cases", "examples/cases"],
        ["run", "--harness-url", "builtin"],
        ["run", "--harness-url", "builtin", "--cases", "does/not/exist"],
        ["no-such-command"],
    ],
)
def test_bad_flags_exit_2_without_dispatching(argv: list[str]) -> None:
    code, out, err = cli(*argv)
    assert code == 2, (out, err)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("variable", "value"), [("VOICE_REGRESS_CONCURRENCY", "many"), ("VOICE_REGRESS_RETRIES", "-1")]
)
def test_bad_environment_value_exits_2_naming_the_variable(variable: str, value: str) -> None:
    code, _, err = cli(
        "run", "--harness-url", "builtin", "--cases", "examples/cases", environ={variable: value}
    )
    assert code == 2 and f"voice-regress-gate: error: {variable}: expected" in err


def test_environment_supplies_settings() -> None:
    env = {"VOICE_REGRESS_HARNESS_URL": "builtin:slow", "VOICE_REGRESS_CASES": "examples/cases"}
    assert cli("run", environ=env)[0] == 1


def test_no_case_files_fails_unless_allowed(tmp_path: Path) -> None:
    code, out, _ = cli("run", "--harness-url", "builtin", "--cases", str(tmp_path))
    assert code == 1 and "no case files found under" in out
    allowed = cli(
        "run", "--harness-url", "builtin", "--cases", str(tmp_path), "--fail-on-empty", "false"
    )
    assert allowed[0] == 0


def test_refused_credentials_fail_the_run_and_never_print_the_token(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    with running_harness(token="s3cret-token") as url:
        code, out, err = cli(
            "run",
            "--harness-url",
            url,
            "--cases",
            "examples/cases",
            "--results",
            str(results),
            environ={"VOICE_REGRESS_HARNESS_TOKEN": "wrong-token"},
        )
        ok = cli(
            "run",
            "--harness-url",
            url,
            "--cases",
            "examples/cases",
            environ={"VOICE_REGRESS_HARNESS_TOKEN": "s3cret-token"},
        )
    assert code == 1 and "VOICE_REGRESS_HARNESS_TOKEN" in out
    assert "wrong-token" not in out + err
    data = results_of(results)
    assert data["verdict"] == "fail" and data["harness_calls"] == 0
    assert {c["status"] for c in data["cases"]} == {"error"}
    assert ok[0] == 0


def test_unreachable_harness_fails() -> None:
    code, out, _ = cli("run", "--harness-url", closed_port_url(), "--cases", "examples/cases")
    assert code == 1 and "cannot reach harness" in out


def test_a_harness_that_hangs_or_lies_is_error_never_pass(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    lies = {"protocol": "voice-regress/v1", "status": "completed", "events": []}
    script = [Reply(404), Reply(200, json.dumps(lies).encode()), Reply(200, b"{not json")]
    with serve(*script, then=Reply(200, b"{}", delay_s=2.0)) as server:
        code, out, _ = cli(
            "run",
            "--harness-url",
            server.url,
            "--cases",
            "examples/cases",
            "--concurrency",
            "1",
            "--timeout",
            "0.3",
            "--retries",
            "0",
            "--results",
            str(results),
        )
    assert code == 1
    statuses = {c["status"] for c in results_of(results)["cases"]}
    assert statuses == {"error"}, statuses


def test_internal_error_exits_3_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(gate.runner.Runner, "run_all", boom)
    code, _, err = cli("demo")
    assert code == 3
    assert "internal error (RuntimeError: kaboom)" in err and "Traceback" not in err
    # outside an Action: the package's own Issues URL (pyproject's [project.urls])
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert f"please report it at {project['urls']['Issues']} " in err
    # as an Action: the issues of the repository the Action was taken from (a fork is its own)
    action = {
        "GITHUB_ACTION_REPOSITORY": "acme/voice-gate",
        "GITHUB_SERVER_URL": "https://ghe.test",
    }
    code, _, err = cli("demo", environ=action)
    assert code == 3 and "please report it at https://ghe.test/acme/voice-gate/issues " in err
    code, _, err = cli("demo", environ={"GITHUB_ACTION_REPOSITORY": "not a repo/../x"})
    assert code == 3 and f"please report it at {project['urls']['Issues']} " in err


def test_interrupt_exits_130_and_still_writes_results(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async def interrupted(*_args: Any, **_kw: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(gate.runner.Runner, "run_all", interrupted)
    results = tmp_path / "r.json"
    code, _, err = cli("demo", "--results", str(results))
    assert code == 130 and "interrupted" in err
    data = results_of(results)
    assert data["verdict"] == "fail"
    assert {c["reason"] for c in data["cases"]} == {"interrupted before it finished"}


def test_junit_and_evidence_are_written(tmp_path: Path) -> None:
    junit, evidence = tmp_path / "junit.xml", tmp_path / "evidence"
    code, _, _ = cli(
        "run",
        "--harness-url",
        "builtin:duplicate-booking",
        "--cases",
        "examples/cases",
        "--junit",
        str(junit),
        "--evidence-dir",
        str(evidence),
    )
    assert code == 1
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    failures = root.findall(".//testcase/failure")
    assert failures and all(f.get("message") for f in failures)
    seed = root.find(".//testcase[@name='scheduling/reschedule-wednesday']")
    assert seed is not None and seed.get("file", "").endswith("reschedule-wednesday.yaml")
    transcripts = list(evidence.rglob("transcript.txt"))
    assert transcripts and any("create" in t.read_text() for t in evidence.rglob("*.json"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_bar_on_a_terminal_only() -> None:
    terminal = _Terminal()
    assert main(["demo"], {}, terminal, io.StringIO()) == 0
    shown = terminal.getvalue()
    assert "cases done" in shown and "\x1b[K" in shown
    code, plain, _ = cli("demo")  # a CI log: plain lines, no escape sequences
    assert code == 0 and "cases done" not in plain and "\x1b" not in plain


def test_fail_fast_reports_the_cases_it_did_not_start(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    argv = ["demo", "--bug", "policy-leak", "--concurrency", "1", "--results", str(results)]
    code, _, _ = cli(*argv, "--fail-fast")
    assert code == 1
    cases = json.loads(results.read_text("utf-8"))["cases"]
    not_run = [c for c in cases if c["reason"].startswith("not run: --fail-fast")]
    assert not_run and all(c["status"] == "skipped" and c["trials"] == [] for c in not_run)
    assert any(c["status"] == "fail" and c["level"] == "blocking" for c in cases)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VOICE_REGRESS_HARNESS_TOKEN", "t\u00f6ken-s3cret"),
        ("VOICE_REGRESS_HARNESS_TOKEN", "tok\x7fen-s3cret"),
        ("VOICE_REGRESS_JUDGE_API_KEY", "k\u00e9y-s3cret"),
        ("OPENAI_API_KEY", "sk-\u2028s3cret"),
    ],
)
def test_a_secret_no_http_header_can_carry_is_exit_2_naming_the_variable(
    variable: str, value: str
) -> None:
    # It once reached httpx as a header and crashed the first request (exit 3).
    argv = ["run", "--harness-url", "builtin", "--cases", "examples/cases"]
    code, out, err = cli(*argv, environ={variable: value})
    assert code == 2, (out, err)
    assert variable in err and "printable ASCII" in err
    assert "s3cret" not in out + err


def test_a_deleted_current_directory_is_exit_2_not_an_internal_error(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    case = REPO / "examples" / "cases"
    script = "from gate.cli import script; raise SystemExit(script())"
    shell = f'cd "{gone}" && rmdir "{gone}" && exec "$0" -c "$1" validate "$2"'
    done = subprocess.run(
        ["sh", "-c", shell, sys.executable, script, str(case)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "the current directory no longer exists" in done.stderr
    assert "internal error" not in done.stderr


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["run", "--harness-url", "builtin", "--concurency", "4"], "did you mean --concurrency?"),
        (["run", "--harness-url=builtin", "--retires=2"], "did you mean --retries?"),
        (["validate", "--confg", "x.yml"], "did you mean --config?"),
    ],
)
def test_a_misspelt_flag_is_exit_2_with_a_did_you_mean(argv: list[str], hint: str) -> None:
    code, _, err = cli(*argv)
    assert code == 2 and hint in err


def test_an_unknown_flag_with_nothing_close_is_argparses_own_error() -> None:
    code, _, err = cli("validate", "examples/cases", "--zzzzzz")
    assert code == 2 and "unrecognized arguments: --zzzzzz" in err and "did you mean" not in err
