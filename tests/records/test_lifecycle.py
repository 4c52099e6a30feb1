"""`lifecycle`: retirement proposals from a synthetic history, and the in-place `--write`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import cli

from gate.errors import InputError
from gate.records.history import CaseHistory, HistoryRecord, by_case
from gate.records.level_edit import set_level
from gate.records.lifecycle import CaseRef, Thresholds, propose
from gate.results import Status

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "history"
HISTORY = DATA / "lifecycle.jsonl"
NOW = "2026-06-01"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def proposal_lines(out: str) -> list[str]:
    block = out.split("Proposals: ", 1)[1].split("\n\n", 1)[0]
    return [" ".join(line.split()) for line in block.splitlines()[1:]]


def test_proposals_match_the_synthetic_history() -> None:
    code, out, err = cli(
        "lifecycle", "--history", str(HISTORY), "--cases", "tests/data/history/cases", "--now", NOW
    )
    assert code == 0, err
    cases = "tests/data/history/cases"
    assert proposal_lines(out) == [
        "resurrect archived-failed manual → blocking: archived case failed again on 2026-05-25 "
        f"{cases}/archived-failed.yaml",
        "archive old-blocking blocking → manual: no failure in 242 days (last failure "
        f"2025-10-01; 25 pass(es) in the last 180 days) {cases}/old-blocking.yaml",
        "demote quiet-blocking blocking → scheduled: no failure in 136 days (last failure "
        f"2026-01-15; 13 pass(es) in the last 90 days) {cases}/quiet-blocking.yaml",
        "archive quiet-scheduled scheduled → manual: no failure in 211 days (last failure "
        f"2025-11-01; 25 pass(es) in the last 180 days) {cases}/quiet-scheduled.yaml",
    ]
    assert "errors-only: no failure in 150 days, but no pass in the last 90 either" in out
    assert "No data (never in the history, never proposed): 1\n  no-data\n" in out
    assert "Kept as they are: 4" in out  # scheduled-recent, recent-fail, archived-quiet, new-case
    assert "1 record(s) after that date ignored" in out  # quiet-blocking's 2026-06-10 failure
    assert "deleted-case" not in out


def test_thresholds_are_configurable() -> None:
    code, out, _ = cli(
        "lifecycle",
        "--history",
        str(HISTORY),
        "--cases",
        "tests/data/history/cases",
        "--now",
        NOW,
        "--demote-after-days",
        "30",
        "--archive-after-days",
        "365",
    )
    assert code == 0
    actions = {line.split()[1]: line.split()[0] for line in proposal_lines(out)}
    # Below a 365-day archive, 242 days demote a blocking case and leave a scheduled one; with
    # 30 days, the 61-day-old new-case is demoted too.
    assert actions == {
        "archived-failed": "resurrect",
        "old-blocking": "demote",
        "quiet-blocking": "demote",
        "new-case": "demote",
    }
    code, _, err = cli(
        "lifecycle",
        "--history",
        str(HISTORY),
        "--demote-after-days",
        "200",
        "--archive-after-days",
        "100",
    )
    assert code == 2 and "need 1 <= --demote-after-days (200) <= --archive-after-days" in err


def test_without_cases_the_history_alone_is_used() -> None:
    code, out, _ = cli("lifecycle", "--history", str(HISTORY), "--now", NOW)
    assert code == 0
    assert "archive deleted-case blocking → manual" in " ".join(out.split())
    assert "no-data" not in out  # not in the history, and no case files were given
    code, _, err = cli("lifecycle", "--history", str(HISTORY), "--now", NOW, "--write")
    assert code == 2 and "--write needs --cases" in err


def test_bad_history_and_dates_are_input_errors(tmp_path: Path) -> None:
    code, _, err = cli("lifecycle", "--history", str(tmp_path / "none.jsonl"))
    assert code == 2 and "no such history file" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(HISTORY.read_text("utf-8").splitlines()[0] + "\n{not json\n", "utf-8")
    code, _, err = cli("lifecycle", "--history", str(bad))
    assert code == 2 and f"{bad}:2: bad history line" in err
    code, _, err = cli("lifecycle", "--history", str(HISTORY), "--now", "yesterday")
    assert code == 2 and "expected an ISO-8601 date" in err


def test_write_changes_only_the_level_and_keeps_every_other_byte(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    shutil.copytree(DATA / "cases", cases)
    before = {p.name: p.read_bytes() for p in cases.iterdir()}
    code, out, err = cli(
        "lifecycle", "--history", str(HISTORY), "--cases", str(cases), "--now", NOW, "--write"
    )
    assert code == 0, err
    assert out.rstrip().endswith("wrote 4 level change(s)")
    after = {p.name: p.read_bytes() for p in cases.iterdir()}
    expected = dict(before)
    for name, old, new in (
        (
            "quiet-blocking.yaml",
            b"  level: blocking   # PR-blocking",
            b"  level: scheduled   # PR-blocking",
        ),
        ("old-blocking.yaml", b"promotion: {level: blocking,", b"promotion: {level: manual,"),
        ("quiet-scheduled.yaml", b'  level: "scheduled"   #', b'  level: "manual"   #'),
        (
            "archived-failed.yaml",
            b"  level: 'manual'   # archived 2026-01\r\n",
            b"  level: 'blocking'   # archived 2026-01\r\n",
        ),
    ):
        assert before[name].count(old) == 1
        expected[name] = before[name].replace(old, new)
    assert after == expected  # comments, quotes, CRLF, the BOM: all byte for byte
    assert after["archived-failed.yaml"].startswith(b"\xef\xbb\xbf")
    # The edited files are still valid, and a second pass proposes nothing more to write.
    code, out, _ = cli("lifecycle", "--history", str(HISTORY), "--cases", str(cases), "--now", NOW)
    assert code == 0 and "Proposals: 0" in out


SEED = (REPO / "examples/cases/scheduling/reschedule-wednesday.yaml").read_text("utf-8")


def test_set_level_keeps_everything_else() -> None:
    edited = set_level(SEED, "blocking", "scheduled", "seed.yaml")
    assert edited == SEED.replace("level: blocking", "level: scheduled", 1)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "version: 1\npromotion: &p {level: blocking, run_on: [x]}\nscenario: {state: *p}\n",
            "would change more than the level",
        ),
        (
            "version: 1\npromotion:\n  level: >-\n    blocking\n  run_on: [x]\n",
            "expected the level 'blocking' written as a plain or quoted word",
        ),
        ("version: 1\npromotion:\n  level: blocking\n  run_on: [x]\n", None),
        (
            "version: 1\npromotion:\n  level: scheduled\n  run_on: [x]\n",
            "expected the level 'blocking'",
        ),
        ("version: 1\npromotion: {run_on: [x]}\n", "no level to change"),
    ],
)
def test_set_level_refuses_what_it_cannot_change_in_place(text: str, problem: str | None) -> None:
    if problem is None:
        assert set_level(text, "blocking", "manual", "c.yaml").count("level: manual") == 1
        return
    with pytest.raises(InputError, match=problem):
        set_level(text, "blocking", "manual", "c.yaml")


def test_set_level_counts_lines_as_yaml_does() -> None:
    # U+2028 and NEL are YAML line breaks: the edit must land on the right line and column.
    text = 'version: 1\nsuite: "a \u2028 b \x85 c"\npromotion:\n  level: blocking\n  run_on: [x]\n'
    assert set_level(text, "blocking", "manual", "c.yaml") == text.replace("blocking", "manual")


def history(*outcomes: tuple[str, Status], case: str = "c") -> dict[str, CaseHistory]:
    records = [
        HistoryRecord(
            case, datetime.fromisoformat(at).replace(tzinfo=UTC), status, 1.0, "blocking", at
        )
        for at, status in outcomes
    ]
    return dict(by_case(records))


def test_errors_and_skips_are_not_failures_and_not_evidence() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    start = now - timedelta(days=100)
    outcomes = [((start + timedelta(days=d)).isoformat()[:19], Status.PASS) for d in (0, 20, 50)]
    outcomes += [((start + timedelta(days=60)).isoformat()[:19], Status.ERROR)]
    outcomes += [((start + timedelta(days=61)).isoformat()[:19], Status.SKIPPED)]
    report = propose([CaseRef("c", "blocking")], history(*outcomes), now, Thresholds())
    assert [p.action for p in report.proposals] == ["demote"]
    failed = outcomes + [((start + timedelta(days=70)).isoformat()[:19], Status.FAIL)]
    report = propose([CaseRef("c", "blocking")], history(*failed), now, Thresholds())
    assert report.proposals == () and report.kept == 1


def test_cases_get_the_ids_the_gate_config_gives_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `run` named the case `scheduling/quiet-blocking` (relative to the config's `cases:` root):
    # lifecycle must load it under the same id, or every case would be "no data".
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".voice-regress.yml").write_text("cases: [cases]\n", encoding="utf-8")
    (tmp_path / "cases" / "scheduling").mkdir(parents=True)
    shutil.copy(DATA / "cases" / "quiet-blocking.yaml", tmp_path / "cases" / "scheduling")
    lines = [
        line.replace('"case": "quiet-blocking"', '"case": "scheduling/quiet-blocking"')
        for line in HISTORY.read_text("utf-8").splitlines()
        if "quiet-blocking" in line
    ]
    (tmp_path / "history.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli(
        "lifecycle", "--history", "history.jsonl", "--cases", "cases/scheduling", "--now", NOW
    )
    assert code == 0, err
    assert proposal_lines(out) == [
        "demote scheduling/quiet-blocking blocking → scheduled: no failure in 136 days (last "
        "failure 2026-01-15; 13 pass(es) in the last 90 days) cases/scheduling/quiet-blocking.yaml"
    ]
