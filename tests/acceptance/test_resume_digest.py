"""`--resume` keeps a result only for the case it was judged against: the case digest decides.

Each test starts from a run over a copy of the scheduling examples, then edits the cases or the
results file the way a partial run, a rebase or a hand-edit would, and resumes.
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gate.cli import main
from gate.commands.reports import SHOWN_IDS, shown_ids, unchanged_results
from gate.load.loader import load_cases
from gate.results import CaseResult, Status

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "cases" / "scheduling"
EDITED = "reschedule-wednesday"
NEVER_SAID = "    must_include:\n      - a phrase the agent never says\n"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), {}, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def partial(tmp_path: Path) -> dict[str, Any]:
    """A green run over a copy of the cases; its results file, as a resume would read it."""
    cases = tmp_path / "cases"
    shutil.copytree(EXAMPLES, cases)
    results = tmp_path / "results.json"
    argv = ["run", "--harness-url", "builtin", "--cases", str(cases), "--tier", "all"]
    code, _, err = cli(*argv, "--results", str(results))
    assert code == 0, err
    data = json.loads(results.read_text("utf-8"))
    return {"argv": argv, "cases": cases, "results": results, "data": data}


def _resume(run: dict[str, Any]) -> tuple[int, str, str, dict[str, Any]]:
    path = str(run["results"])
    code, out, err = cli(*run["argv"], "--resume", path, "--results", path)
    return code, out, err, json.loads(run["results"].read_text("utf-8"))


def _case(data: dict[str, Any], case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["cases"] if c["id"] == case_id)
    return found


def _edit(run: dict[str, Any], old: str, new: str) -> None:
    file = run["cases"] / f"{EDITED}.yaml"
    text = file.read_text("utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), "utf-8")


def test_every_case_records_its_digest(partial: dict[str, Any]) -> None:
    digests = [c["digest"] for c in partial["data"]["cases"]]
    assert all(d.startswith("sha256:") and len(d) == 71 for d in digests)
    assert len(set(digests)) == len(digests)


def test_an_edited_assertion_runs_again_and_is_not_kept_green(partial: dict[str, Any]) -> None:
    before = _case(partial["data"], EDITED)
    assert before["status"] == "pass"
    # The recorded transcript fails the new assertion: keeping the old pass would be a lie.
    _edit(partial, "  transcript:\n", "  transcript:\n" + NEVER_SAID)
    code, out, err, after = _resume(partial)
    assert code == 1, err
    total = len(partial["data"]["cases"])
    assert f"resume: {total - 1} finished case(s) kept" in out
    assert f"resume: 1 case(s) changed since {partial['results']}; running them again" in err
    assert EDITED in err
    assert "[1/1]" in out and "[2/1]" not in out  # only the edited case ran
    edited = _case(after, EDITED)
    assert edited["status"] == "fail"
    assert edited["digest"] != before["digest"]


def test_an_edited_scenario_or_threshold_runs_again(partial: dict[str, Any]) -> None:
    _edit(partial, "Wednesday afternoon.", "Wednesday afternoon, please.")
    code, out, err, after = _resume(partial)
    assert code == 0, err
    assert "resume: 1 case(s) changed" in err and "[1/1]" in out


def test_a_comment_only_edit_keeps_the_result(partial: dict[str, Any]) -> None:
    _edit(partial, "version: 1\n", "# reviewed after the incident\nversion: 1  # v1\n\n")
    code, out, err, after = _resume(partial)
    assert code == 0, err
    total = len(partial["data"]["cases"])
    assert f"resume: {total} finished case(s) kept" in out
    assert "changed since" not in err and "[1/" not in out  # nothing ran again
    kept = _case(after, EDITED)
    assert kept["digest"] == _case(partial["data"], EDITED)["digest"]
    assert kept["line"] == 2  # the case as loaded now: its file and lines are today's


def _rewrite_digest(run: dict[str, Any], digest: str | None) -> None:
    case = _case(run["data"], EDITED)
    if digest is None:
        del case["digest"]
    else:
        case["digest"] = digest
    run["results"].write_text(json.dumps(run["data"]), "utf-8")


def test_a_tampered_digest_runs_the_case_again(partial: dict[str, Any]) -> None:
    _rewrite_digest(partial, "sha256:" + "0" * 64)
    code, out, err, after = _resume(partial)
    assert code == 0, err
    assert "resume: 1 case(s) changed" in err and EDITED in err and "[1/1]" in out


def test_a_results_file_without_digests_keeps_nothing(partial: dict[str, Any]) -> None:
    # An older gate's file: nothing says which case its results were judged against.
    for case in partial["data"]["cases"]:
        del case["digest"]
    partial["results"].write_text(json.dumps(partial["data"]), "utf-8")
    code, out, err, after = _resume(partial)
    total = len(partial["data"]["cases"])
    assert code == 0, err
    assert "resume: 0 finished case(s) kept" in out
    assert f"resume: {total} case(s) have no digest in {partial['results']}" in err
    assert f"[{total}/{total}]" in out
    assert all(c["digest"].startswith("sha256:") for c in after["cases"])


def test_one_missing_digest_runs_that_case_again(partial: dict[str, Any]) -> None:
    _rewrite_digest(partial, None)
    code, out, err, _ = _resume(partial)
    assert code == 0, err
    assert "resume: 1 case(s) have no digest" in err and "[1/1]" in out


def test_a_malformed_digest_is_refused(partial: dict[str, Any]) -> None:
    _rewrite_digest(partial, "md5:not-a-digest")
    code, _, err, _ = _resume(partial)
    assert code == 2
    assert "digest" in err


def test_other_planned_trials_run_the_case_again(partial: dict[str, Any]) -> None:
    # Not the case's content, but what its verdict was counted over: --trials 3 is another run.
    path = str(partial["results"])
    code, out, err = cli(*partial["argv"], "--trials", "3", "--resume", path)
    total = len(partial["data"]["cases"])
    assert code == 0, err
    assert f"resume: {total} case(s) were planned for other trials" in err
    assert "resume: 0 finished case(s) kept" in out


def test_merge_refuses_one_case_id_with_two_digests(tmp_path: Path) -> None:
    shards = []
    for index in (1, 2):
        path = tmp_path / f"shard-{index}.json"
        argv = ["run", "--harness-url", "builtin", "--cases", str(EXAMPLES), "--tier", "all"]
        code, _, err = cli(*argv, "--shard", f"{index}/2", "--results", str(path))
        assert code == 0, err
        shards.append(json.loads(path.read_text("utf-8")))
    # Shard 2 claims shard 1's first case too, judged against another version of it.
    stolen = json.loads(json.dumps(shards[0]["cases"][0]))
    stolen["digest"] = "sha256:" + "1" * 64
    shards[1]["cases"].append(stolen)
    shards[1]["selection"]["selected"].append(stolen["id"])
    for index, data in enumerate(shards, 1):
        (tmp_path / f"shard-{index}.json").write_text(json.dumps(data), "utf-8")
    code, _, err = cli("merge", str(tmp_path / "shard-1.json"), str(tmp_path / "shard-2.json"))
    assert code == 2
    assert f"case {stolen['id']!r} is in two shards' results" in err
    assert "with different content (case digests differ)" in err


def test_rejudge_reports_a_changed_case_and_records_its_digest(partial: dict[str, Any]) -> None:
    path, out_path = str(partial["results"]), partial["results"].with_name("rejudged.json")
    _edit(partial, "  transcript:\n", "  transcript:\n" + NEVER_SAID)
    code, out, err = cli(
        "rejudge", path, "--cases", str(partial["cases"]), "--results", str(out_path)
    )
    assert code == 1, err  # the current assertions judge the recorded runs
    assert f"rejudge: 1 case(s) changed since {path}" in err and EDITED in err
    rejudged = json.loads(out_path.read_text("utf-8"))
    assert _case(rejudged, EDITED)["digest"] != _case(partial["data"], EDITED)["digest"]
    assert _case(rejudged, EDITED)["status"] == "fail"


def test_the_ids_said_are_capped_and_on_one_line() -> None:
    ids = [f"suite/case-{i}" for i in range(SHOWN_IDS + 2)]
    assert shown_ids(ids).endswith("suite/case-9 and 2 more")
    assert "suite/case-10" not in shown_ids(ids)
    said = shown_ids(["a\nresume: 0 case(s) changed\x1b[2J"])  # an id is text from a file
    assert "\n" not in said and "\x1b" not in said


def test_a_results_files_name_cannot_start_a_workflow_command(tmp_path: Path) -> None:
    """The resume lines name the file on one line: a path is text someone chose."""
    loaded = load_cases([EXAMPLES]).cases[0]
    carried = {loaded.id: CaseResult(replace(loaded, digest=None), Status.PASS, "ok", (), 1)}
    err = io.StringIO()
    kept = unchanged_results(carried, [loaded], lambda _c: 1, "r.json\n::error::forged", err)
    assert kept == {} and "\n::error" not in err.getvalue()
    assert "running them again" in err.getvalue()
