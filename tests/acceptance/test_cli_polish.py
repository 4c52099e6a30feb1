"""What a new user trips over first: typos caught before the plan, a busy port, the help."""

from __future__ import annotations

import io
import socket

from gate.cli import main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), {}, out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_misspelt_bug_is_refused_with_a_suggestion_before_the_plan() -> None:
    code, out, err = _run("run", "--harness-url", "builtin:slwo", "--cases", "examples/cases")
    assert code == 2 and "Plan:" not in out
    assert "unknown bug 'slwo'; did you mean 'slow'?" in err


def test_a_harness_url_that_is_no_url_is_refused_before_the_plan() -> None:
    code, out, err = _run("run", "--harness-url", "htp:/harness", "--cases", "examples/cases")
    assert code == 2 and "Plan:" not in out and "--harness-url: expected" in err


def test_a_busy_port_is_an_input_error_with_a_hint() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = _run("reference-harness", "--port", str(port))
    assert code == 2 and "is in use: pass --port N" in err and "bug in the gate" not in err


def test_the_top_level_help_names_the_environment_and_the_exit_codes() -> None:
    code, out, _ = _run("--help")
    assert code == 0 and "VOICE_REGRESS_HARNESS_TOKEN" in out and "143 terminated" in out
    assert "argparse tree" not in out  # no internal docstring


def test_a_stopped_run_says_once_why() -> None:
    code, out, _ = _run(
        "run", "--harness-url", "http://127.0.0.1:9", "--cases", "examples/cases", "--tier", "all"
    )
    assert code == 1
    summary = out[out.index("Not run:") :]
    assert summary.count("cannot reach harness") == 2  # the not-run block, and the verdict line
    assert "does not block" not in out and "[blocking" not in out


def test_validate_takes_cases_like_run() -> None:
    code, out, _ = _run("validate", "--cases", "examples/cases/judged")
    assert code == 0 and "case(s) in 2 file(s) are valid" in out


def test_an_unreachable_judge_url_is_shown_without_its_credentials() -> None:
    url = "http://u:SECRETPASSWORD1@127.0.0.1:9/v1?api_key=QKEY12345678"
    code, out, err = _run(
        "judge-check", "--cases", "examples/cases/judged", "--judge-url", url,
        "--judge-model", "m-2024-01-01",
    )  # fmt: skip
    assert code == 2 and "judge unreachable at http://***@127.0.0.1:9/v1?api_key=***" in err
    assert "SECRETPASSWORD1" not in out + err and "QKEY12345678" not in out + err
