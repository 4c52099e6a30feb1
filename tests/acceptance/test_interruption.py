"""Cancelled runs: SIGTERM (a CI cancel) and Ctrl-C write valid reports of what finished, mark
the rest, and never leave an earlier run's reports behind; every report is written atomically."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import pytest
from support.json_handler import JsonHandler

from gate import redact
from gate.cli import main
from gate.commands.reports import clear_stale_reports, write_file
from gate.commands.run import _sigterm_cancels
from gate.errors import Terminated
from gate.reference.loopback import serving

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "cases"


class _Slow(JsonHandler):
    """The reference harness's answers are not needed: health, then runs that never finish."""

    def do_GET(self) -> None:
        self._send({"protocol": "voice-regress/v1"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(30)  # the run is cancelled long before this ends


@pytest.fixture
def slow_harness() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    with serving(server) as url:
        yield url


def test_sigterm_mid_run_writes_valid_partial_reports(tmp_path: Path, slow_harness: str) -> None:
    results, junit = tmp_path / "results.json", tmp_path / "junit.xml"
    results.write_text('{"stale": "a green report of an earlier run"}')
    argv = [sys.executable, "-m", "gate", "run", "--harness-url", slow_harness]
    argv += ["--cases", str(EXAMPLES), "--tier", "all", "--timeout", "60"]
    argv += ["--results", str(results), "--junit", str(junit)]
    gate = subprocess.Popen(
        argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert gate.stdout is not None
    first = gate.stdout.readline()  # the plan: dispatch is under way
    assert first.startswith("Plan:"), first
    time.sleep(0.5)
    gate.send_signal(signal.SIGTERM)
    out, err = gate.communicate(timeout=30)
    assert gate.returncode == 143, err
    assert "terminated (SIGTERM)" in err
    assert (
        "Traceback" not in err and "never retrieved" not in err
    )  # cancelled, not raised in a task
    data = json.loads(results.read_text("utf-8"))
    assert data["verdict"] == "fail" and data["cases"]
    assert {c["status"] for c in data["cases"]} == {"error"}
    assert all(c["reason"] == "terminated before it finished" for c in data["cases"])
    # The verdict says the run stopped; it once called it empty and suggested --fail-on-empty.
    assert data["abort_reason"] == "terminated before it finished"
    assert "GATE FAILED: terminated before it finished" in out and "fail-on-empty" not in out
    suite = ElementTree.parse(junit).getroot()
    assert int(suite.get("errors") or suite[0].get("errors") or 0) == len(data["cases"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_a_run_that_stops_on_bad_input_leaves_no_stale_report(tmp_path: Path) -> None:
    results, junit = tmp_path / "results.json", tmp_path / "junit.xml"
    for report in (results, junit):
        report.write_text("an earlier run's report")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    argv = ["run", "--harness-url", "builtin", "--cases", str(bad)]
    code = main([*argv, "--results", str(results), "--junit", str(junit)], {})
    assert code == 2
    assert not results.exists() and not junit.exists()


def test_reports_are_replaced_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "deep" / "report.xml"
    write_file(str(target), "first")
    mode = target.stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask() and target.read_text() == "first"

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(Exception, match="No space left"):
        write_file(str(target), "second")
    assert target.read_text() == "first"  # the old report stays whole, no temp file is left
    assert [p.name for p in target.parent.iterdir()] == ["report.xml"]


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_special_files_are_written_through_never_replaced(tmp_path: Path) -> None:
    # A report sent to a FIFO or through a symlink keeps the FIFO and the link: as root,
    # replacing /dev/null would replace the device for every process on the machine.
    fifo, link, real = tmp_path / "fifo", tmp_path / "link.json", tmp_path / "real.json"
    os.mkfifo(fifo)
    real.write_text("old")
    link.symlink_to(real)
    reader = threading.Thread(target=lambda: fifo.read_text())
    reader.start()
    write_file(str(fifo), "through the pipe")
    reader.join(timeout=5)
    write_file(str(link), "new")
    clear_stale_reports(str(fifo), str(link))
    assert fifo.exists() and not fifo.is_file() and link.is_symlink()
    assert real.read_text() == "new"


def test_resume_runs_only_what_a_partial_run_did_not_decide(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    argv = ["run", "--harness-url", "builtin", "--cases", str(EXAMPLES), "--tier", "all"]
    assert main([*argv, "--results", str(results)], {}, io.StringIO(), io.StringIO()) == 0
    data = json.loads(results.read_text("utf-8"))
    # As a cancel leaves it: the last two cases were never run.
    for case in data["cases"][-2:]:
        case.update(status="error", reason="terminated before it finished", trials=[])
    results.write_text(json.dumps(data))
    out = io.StringIO()
    resumed = [*argv, "--resume", str(results), "--results", str(results)]
    assert main(resumed, {}, out, io.StringIO()) == 0
    total = len(data["cases"])
    assert f"resume: {total - 2} finished case(s) kept" in out.getvalue()
    assert "[2/2]" in out.getvalue() and "[3/2]" not in out.getvalue()  # only two ran
    again = json.loads(results.read_text("utf-8"))
    assert [c["id"] for c in again["cases"]] == [c["id"] for c in data["cases"]]
    assert {c["status"] for c in again["cases"]} == {"pass"}


def test_resume_refuses_an_edited_results_file(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    argv = ["run", "--harness-url", "builtin:duplicate-booking", "--cases", str(EXAMPLES)]
    main([*argv, "--tier", "all", "--results", str(results)], {}, io.StringIO(), io.StringIO())
    data = json.loads(results.read_text("utf-8"))
    failing = next(c for c in data["cases"] if c["status"] == "fail")
    failing["status"] = "pass"  # a claim its trials do not back
    results.write_text(json.dumps(data))
    err = io.StringIO()
    assert main([*argv, "--resume", str(results)], {}, io.StringIO(), err) == 2
    assert "edited or corrupt results are not evidence" in err.getvalue()


def test_a_report_written_in_pieces_is_masked_in_each_and_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    write_file(str(target), "old report")
    secret = "sk-sentinel-0123456789"

    def pieces(fail_after: int | None = None) -> Iterator[str]:
        for index in range(5):
            if fail_after is not None and index == fail_after:
                raise RuntimeError("rendering failed half-way")
            yield f'{{"case": {index}, "quoted": "{secret if index == 4 else "x"}"}}\n'

    with redact.active(redact.Redactor.of([secret])):
        with pytest.raises(RuntimeError):
            write_file(str(target), pieces(fail_after=3))
        assert target.read_text() == "old report"  # no half report, no temp file left
        assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
        write_file(str(target), pieces())
    text = target.read_text()
    assert text.count('"case"') == 5 and secret not in text and redact.MASK in text


def test_a_report_behind_a_symlink_is_replaced_whole_and_the_link_kept(tmp_path: Path) -> None:
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text('{"complete": "earlier report"}')
    link.symlink_to(real)

    def pieces() -> Iterator[str]:
        yield '{"cases": ['
        yield '{"id": "a"}'
        raise KeyboardInterrupt  # stopped while the report was being rendered

    with pytest.raises(KeyboardInterrupt):
        write_file(str(link), pieces())
    assert link.is_symlink() and real.read_text() == '{"complete": "earlier report"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]
    write_file(str(link), iter(['{"cases": ', "[]}"]))
    assert link.is_symlink() and real.read_text() == '{"cases": []}'


def test_a_sigterm_during_dispatch_is_never_lost_even_if_the_cancel_is_swallowed() -> None:
    """SIGTERM cancels the dispatch; if something inside swallows that cancellation (or it came
    as the dispatch ended), the run still ends as terminated, not as if nothing happened."""

    async def dispatch() -> None:
        async with _sigterm_cancels():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                pass  # swallowed below the dispatch: it ends "normally"

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated):
        asyncio.run(dispatch())
    assert signal.getsignal(signal.SIGTERM) == before  # the CLI's handler is back
