"""End to end through the CLI: builtin reference harness + scripted judge on loopback."""

from __future__ import annotations

import io
import json
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from support.judge_server import (
    GARBAGE,
    Answer,
    JudgeServer,
    fault,
    says,
    serve,
    transcript_of,
    user_text,
)

from gate.cli import build_parser, main
from gate.commands.wiring import resolve, run_judge_settings
from gate.load.loader import load_cases

ROOT = Path(__file__).resolve().parents[2]
JUDGED = ROOT / "examples" / "cases" / "judged"
ONE = JUDGED / "cancel-confirms-outcome.yaml"  # one judged assertion
JUDGED_COUNT = sum(len(c.case.assertions.judged or []) for c in load_cases([JUDGED]).cases)
MODEL = "judge-model-2026-01-01"


def gate(*argv: str, environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), environ or {}, out, err)
    return code, out.getvalue(), err.getvalue()


def run(judge: JudgeServer, cases: Path, *extra: str, **kw: Any) -> tuple[int, str, str]:
    return gate(
        "run",
        "--harness-url",
        "builtin",
        "--cases",
        str(cases),
        "--judge-url",
        judge.url,
        "--judge-model",
        MODEL,
        *extra,
        **kw,
    )


def one_case(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(ONE, folder / ONE.name)
    return folder


def results(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text("utf-8")))


def judged_outcomes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a
        for c in data["cases"]
        for t in c["trials"]
        for a in t["assertions"]
        if a["name"].startswith("judged[")
    ]


# --- the four "done when" runs --------------------------------------------------------------


def test_pass_pass_makes_exactly_two_calls_per_judged_assertion(tmp_path: Path) -> None:
    assert JUDGED_COUNT == 3
    with serve(then=says("pass")) as judge:
        code, out, err = run(
            judge, JUDGED, "--results", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml")
        )
    assert code == 0, out + err
    assert judge.calls == 2 * JUDGED_COUNT
    assert out.splitlines()[0] == (
        "Plan: at most 2 harness run(s) and 9 judge call(s) for 3 judged assertion(s) "
        "(trials × votes; early stop and the cache only lower this)"
    )
    assert "Judge calls: 6 of at most 9 (0 answered from the cache, 3 saved by early stop)" in out
    data = results(tmp_path / "r.json")
    assert data["budget"] == {
        "harness_runs_max": 2,
        "harness_runs": 2,
        "judge_calls_max": 9,
        "judge_calls": 6,
        "judge_cached": 0,
    }
    outcomes = judged_outcomes(data)
    assert [o["status"] for o in outcomes] == ["pass"] * 3
    assert all(o["message"] == 'judge 2/3 pass: "scripted pass"' for o in outcomes)
    assert all(len(o["votes"]) == 2 and o["votes"][0]["model"] for o in outcomes)
    assert {r.body["model"] for r in judge.requests} == {MODEL}
    prompts = "".join(r.body["messages"][1]["content"] for r in judge.requests)
    assert "The agent tells the caller, in plain words" in prompts  # the criteria went out


def test_pass_fail_abstain_is_inconclusive_and_blocks(tmp_path: Path) -> None:
    with serve([says("pass"), says("fail"), GARBAGE]) as judge:
        code, out, _ = run(judge, one_case(tmp_path), "--junit", str(tmp_path / "j.xml"))
    assert code == 1 and judge.calls == 3
    assert "inconclusive  cancel-confirms-outcome" in out
    assert "judge 1/3 pass, 1/3 fail, 1 abstained: no majority" in out
    assert "GATE FAILED: 1 blocking case(s) did not pass" in out
    junit = (tmp_path / "j.xml").read_text("utf-8")
    assert 'type="inconclusive"' in junit and "judge 1/3 pass, 1/3 fail" in junit
    assert "vote 3:" in junit and "abstain" in junit


def test_judge_down_is_error_not_fail(tmp_path: Path) -> None:
    with serve(then=fault(503)) as judge:
        code, out, _ = run(judge, one_case(tmp_path), "--results", str(tmp_path / "r.json"))
    assert code == 1
    assert "pass 0 | fail 0 | error 1 | inconclusive 0" in out
    [outcome] = judged_outcomes(results(tmp_path / "r.json"))
    assert outcome["status"] == "error"
    assert outcome["message"].startswith("judge unavailable: no vote could be cast")
    assert all(v["error"] for v in outcome["votes"])


def test_second_identical_run_makes_no_judge_call_with_the_cache(tmp_path: Path) -> None:
    cache = str(tmp_path / "judge-cache")
    with serve(then=says("pass")) as judge:
        first = run(judge, JUDGED, "--cache-dir", cache)
        assert first[0] == 0 and judge.calls == 2 * JUDGED_COUNT
        second = run(judge, JUDGED, "--cache-dir", cache, "--results", str(tmp_path / "r.json"))
        assert second[0] == 0, second[1]
        assert judge.calls == 2 * JUDGED_COUNT  # nothing new
    assert "Judge calls: 0 of at most 9 (6 answered from the cache" in second[1]
    data = results(tmp_path / "r.json")
    assert data["budget"]["judge_calls"] == 0 and data["budget"]["judge_cached"] == 6
    assert all(v["cached"] for o in judged_outcomes(data) for v in o["votes"])


# --- settings -------------------------------------------------------------------------------


def test_without_a_judge_the_judged_examples_are_skipped_and_the_demo_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = gate("demo")
    assert code == 0 and "judged assertion(s) will be skipped: no judge configured" in out
    code, out, _ = gate(
        "run", "--harness-url", "builtin", "--cases", str(JUDGED), "--results", "/dev/null"
    )
    assert code == 0


def test_settings_from_the_environment_and_the_key_is_never_printed(tmp_path: Path) -> None:
    def refuse(request: dict[str, Any]) -> Answer:
        return Answer(401, body={"error": {"message": "invalid key sk-very-secret"}})

    environ = {
        "VOICE_REGRESS_JUDGE_URL": "",
        "VOICE_REGRESS_JUDGE_MODEL": MODEL,
        "VOICE_REGRESS_VOTES": "1",
        "OPENAI_API_KEY": "sk-very-secret",
    }
    with serve(then=refuse) as judge:
        environ["VOICE_REGRESS_JUDGE_URL"] = judge.url
        code, out, err = gate(
            "run",
            "--harness-url",
            "builtin",
            "--cases",
            str(one_case(tmp_path)),
            "--results",
            str(tmp_path / "r.json"),
            environ=environ,
        )
    assert code == 1 and judge.calls == 1  # votes=1; a refused key is not retried
    assert judge.requests[0].headers["authorization"] == "Bearer sk-very-secret"
    assert "judge refused the credentials (401)" in out
    assert "sk-very-secret" not in out + err + (tmp_path / "r.json").read_text("utf-8")


def test_judge_key_prefers_the_gate_variable(tmp_path: Path) -> None:
    environ = {"VOICE_REGRESS_JUDGE_API_KEY": "k-gate", "OPENAI_API_KEY": "k-openai"}
    with serve(then=says("pass")) as judge:
        run(judge, one_case(tmp_path), environ=environ)
    assert {r.headers["authorization"] for r in judge.requests} == {"Bearer k-gate"}


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--votes", "2"], {}, "argument --votes: expected an odd number"),
        ([], {"VOICE_REGRESS_VOTES": "4"}, "VOICE_REGRESS_VOTES: expected an odd number"),
        (["--judge-url", "http://127.0.0.1:9/v1"], {}, "--judge-url needs --judge-model"),
        (["--judge-model", "m"], {}, "--judge-model needs --judge-url"),
        (["--require-calibration", "true"], {}, "--require-calibration needs a judge"),
        (["--judge-concurrency", "0"], {}, "argument --judge-concurrency: expected a number"),
        (["--judge-timeout", "0"], {}, "argument --judge-timeout: expected seconds > 0"),
        ([], {"VOICE_REGRESS_JUDGE_RETRIES": "-1"}, "VOICE_REGRESS_JUDGE_RETRIES: expected"),
    ],
)
def test_bad_judge_settings_are_input_errors(
    argv: list[str], environ: dict[str, str], message: str
) -> None:
    code, out, err = gate(
        "run", "--harness-url", "builtin", "--cases", str(JUDGED), *argv, environ=environ
    )
    assert code == 2 and message in err and "Harness calls" not in out


def test_even_votes_in_a_case_file_is_located(tmp_path: Path) -> None:
    folder = one_case(tmp_path)
    path = folder / ONE.name
    path.write_text(path.read_text("utf-8").replace("votes: 3", "votes: 2"), encoding="utf-8")
    code, _, err = gate("validate", str(folder))
    assert code == 2
    assert "$.assertions.judged[0].votes: votes must be odd (a tie cannot be broken), got 2" in err
    line = next(
        n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1) if "votes: 2" in text
    )
    assert f"{ONE.name}:{line}:" in err


# --- rejudge and judge-check ----------------------------------------------------------------


def test_rejudge_reevaluates_recorded_runs_without_the_harness(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    with serve(then=says("pass")) as judge:
        assert run(judge, JUDGED, "--results", str(first))[0] == 0
    recorded = results(first)
    assert all("run" in t for c in recorded["cases"] for t in c["trials"])
    with serve(then=says("fail")) as judge:
        code, out, _ = gate(
            "rejudge",
            str(first),
            "--cases",
            str(JUDGED),
            "--judge-url",
            judge.url,
            "--judge-model",
            MODEL,
            "--results",
            str(tmp_path / "second.json"),
            "--junit",
            str(tmp_path / "j.xml"),
        )
    assert code == 1 and judge.calls == 2 * JUDGED_COUNT
    assert "rejudge of" in out and "no harness call was made" in out
    second = results(tmp_path / "second.json")
    assert [c["status"] for c in second["cases"]] == ["fail", "fail"]
    assert second["budget"]["harness_runs"] == 0 and second["budget"]["judge_calls"] == 6
    assert all("run" in t for c in second["cases"] for t in c["trials"])  # rejudge again later
    assert "judge 2/3 fail" in (tmp_path / "j.xml").read_text("utf-8")


def test_rejudge_picks_up_changed_deterministic_assertions(tmp_path: Path) -> None:
    folder = one_case(tmp_path)
    first = tmp_path / "first.json"
    assert (
        gate("run", "--harness-url", "builtin", "--cases", str(folder), "--results", str(first))[0]
        == 0
    )
    path = folder / ONE.name
    path.write_text(
        path.read_text("utf-8").replace(
            "required_order: [lookup_identity, update_appointment]",
            "required_order: [update_appointment, lookup_identity]",
        ),
        encoding="utf-8",
    )
    code, out, _ = gate("rejudge", str(first), "--cases", str(folder))
    assert code == 1 and "tools.required_order" in out and "Harness runs: 0" in out


def test_rejudge_without_recorded_runs_is_error_never_pass(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    assert (
        gate(
            "run",
            "--harness-url",
            "builtin",
            "--cases",
            str(JUDGED),
            "--results",
            str(first),
            "--record-runs",
            "false",
        )[0]
        == 0
    )
    code, out, _ = gate("rejudge", str(first), "--cases", str(JUDGED))
    assert code == 1 and "pass 0 | fail 0 | error 2" in out
    assert "no recorded run to re-evaluate" in out


def test_rejudge_calibrate_blocks_an_uncalibrated_judge(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    assert (
        gate(
            "run",
            "--harness-url",
            "builtin",
            "--cases",
            str(one_case(tmp_path)),
            "--results",
            str(first),
        )[0]
        == 0
    )
    with serve(then=says("pass")) as judge:
        code, out, _ = gate(
            "rejudge",
            str(first),
            "--cases",
            str(tmp_path / "cases"),
            "--calibrate",
            "--judge-url",
            judge.url,
            "--judge-model",
            MODEL,
        )
    assert code == 1 and "judge not calibrated (agreement 0.33 < 0.80)" in out


def labeller(request: dict[str, Any]) -> Answer:
    """Passes an example when the agent says it is cancelled and a confirmation was sent, or
    when it moves (not creates) the appointment, or reads no id: what a careful judge does."""
    text = transcript_of(user_text(request)).lower()
    good = ("cancelled" in text and "confirmation" in text) or "now on thursday" in text
    return says("pass" if good else "fail")(request)


def test_judge_check_reports_agreement(tmp_path: Path) -> None:
    with serve(then=labeller) as judge:
        code, out, _ = gate(
            "judge-check", "--cases", str(JUDGED), "--judge-url", judge.url, "--judge-model", MODEL
        )
    assert code == 0, out
    assert "calibrated      cancel-confirms-outcome judged[0]: agreement 3/3 = 1.00" in out
    assert "reschedule-no-false-claims judged[1]: no labelled examples, not checked" in out
    assert out.rstrip().endswith("JUDGE CALIBRATED")
    with serve(then=says("fail")) as judge:
        code, out, _ = gate(
            "judge-check", "--cases", str(JUDGED), "--judge-url", judge.url, "--judge-model", MODEL
        )
    assert code == 1 and "NOT calibrated  cancel-confirms-outcome judged[0]" in out
    assert "pass[0]: labelled pass, the judge said fail" in out
    assert "JUDGE NOT CALIBRATED" in out


def test_judge_check_shows_progress_per_checked_assertion() -> None:
    with serve(then=labeller) as judge:
        code, out, _ = gate(
            "judge-check", "--cases", str(JUDGED), "--judge-url", judge.url, "--judge-model", MODEL
        )
    assert code == 0, out
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert progress == [
        "[1/2] checking cancel-confirms-outcome judged[0]: 3 labelled example(s) x 3 vote(s)",
        "[2/2] checking reschedule-no-false-claims judged[0]: 2 labelled example(s) x 3 vote(s)",
    ]
    assert out.index(progress[0]) < out.index("calibrated      cancel-confirms-outcome")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


@pytest.mark.parametrize(
    "url", [f"http://127.0.0.1:{_closed_port()}/v1", "http://judge.invalid/v1"]
)
def test_judge_check_fails_fast_on_an_unreachable_judge(url: str) -> None:
    started = time.monotonic()
    code, out, err = gate(
        "judge-check", "--cases", str(JUDGED), "--judge-url", url, "--judge-model", MODEL
    )
    assert code == 2 and out == "", out
    assert err.count("judge unreachable at") == 1 and "check --judge-url" in err, err
    assert "ConnectError" in err and len(err.strip().splitlines()) == 1, err
    assert time.monotonic() - started < 10  # no retries, no backoff


def test_judge_check_needs_a_judge() -> None:
    code, _, err = gate("judge-check", "--cases", str(JUDGED))
    assert code == 2 and "judge-check needs a judge" in err


def test_rejudge_of_nothing_is_an_input_error(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    assert (
        gate("run", "--harness-url", "builtin", "--cases", str(JUDGED), "--results", str(first))[0]
        == 0
    )
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(ROOT / "examples" / "cases" / "safety" / "no-account-readback.yaml", other)
    code, _, err = gate("rejudge", str(first), "--cases", str(other))
    assert code == 2 and "rejudge: no case of" in err
    code, _, err = gate("rejudge", str(tmp_path / "missing.json"), "--cases", str(JUDGED))
    assert code == 2 and "no such results file" in err


@pytest.mark.parametrize("command", ["run", "demo", "rejudge", "judge-check"])
def test_help_renders(command: str) -> None:
    code, out, _ = gate(command, "--help")
    assert code == 0 and "--judge-url" in out


def test_rejudge_loads_cases_as_run_does_with_the_gate_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The config's `cases:` root names the case ids; rejudge must find the same ids run recorded.
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".voice-regress.yml").write_text("cases: [cases]\n", encoding="utf-8")
    (tmp_path / "cases" / "judged").mkdir(parents=True)
    shutil.copy(ONE, tmp_path / "cases" / "judged" / ONE.name)
    first = tmp_path / "first.json"
    assert (
        gate("run", "--harness-url", "builtin", "--cases", "cases/judged", "--results", str(first))[
            0
        ]
        == 0
    )
    assert results(first)["cases"][0]["id"] == "judged/cancel-confirms-outcome"
    code, out, err = gate("rejudge", str(first), "--cases", "cases/judged")
    assert code == 0, out + err
    assert "1 recorded case(s) re-evaluated" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--concurrency", "16"], (16, 60.0, 4)),  # sized to the run by default
        (
            ["--judge-concurrency", "1", "--judge-timeout", "300", "--judge-retries", "0"],
            (1, 300.0, 0),
        ),
    ],
)
def test_judge_flags_size_the_judge(argv: list[str], expected: tuple[int, float, int]) -> None:
    args = build_parser().parse_args(
        ["run", "--harness-url", "builtin", "--cases", str(JUDGED), "--judge-url", "http://j/v1"]
        + ["--judge-model", MODEL, *argv]
    )
    judge = run_judge_settings(resolve(args, {}))
    assert judge is not None
    assert (judge.concurrency, judge.timeout_s, judge.retries) == expected
