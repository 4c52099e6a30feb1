"""Loader: data-driven valid/invalid case folders (`--update-golden` rewrites *.expected.txt)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support.golden import assert_golden_file

from gate.errors import CaseFileError, InputError
from gate.load import loader, parallel, yamlcompose
from gate.load.loader import case_files, load_cases
from gate.load.yamlsafe import YamlError, load_yaml, parse_yaml

CASES = Path(__file__).parents[1] / "data" / "cases"
VALID = CASES / "valid"
INVALID = CASES / "invalid"
INVALID_NAMES = sorted(p.name for p in INVALID.iterdir() if not p.name.endswith(".txt"))
SEED_LINES = (118, 192)  # the seed's YAML example, lines 118-192 of the seed text
# shared/ sits beside the checkout (in CI too); the absolute path is this workplace's copy.
_SEED_NAME = "shared/seeds/000_2e829c1f87c720be.txt"
_BESIDE = Path(__file__).resolve().parents[3] / _SEED_NAME
SEED = _BESIDE if _BESIDE.exists() else Path("/work") / _SEED_NAME


def _expected_file(name: str) -> Path:
    return INVALID / f"{name.removesuffix('.yaml')}.expected.txt"


@pytest.fixture(
    params=[
        pytest.param(
            True,
            id="libyaml",
            marks=pytest.mark.skipif(
                not yamlcompose.LIBYAML, reason="PyYAML is built without libyaml"
            ),
        ),
        pytest.param(False, id="pure-python"),
    ]
)
def composer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Runs a test once with each YAML composer: the fast path may not weaken any guarantee."""
    monkeypatch.setattr(yamlcompose, "LIBYAML", request.param)
    return bool(request.param)


@pytest.mark.usefixtures("composer")
def test_valid_cases_load_without_diagnostics() -> None:
    result = load_cases([VALID])
    assert [str(d) for d in result.diagnostics] == []
    assert sorted(c.id for c in result.cases) == [
        "billing/refund-duplicate-charge",
        "minimal",
        "seed_example",
    ]
    assert len(result.files) == 3


@pytest.mark.skipif(not SEED.exists(), reason="seed text not available")
def test_seed_example_is_the_seed_byte_for_byte() -> None:
    lines = SEED.read_text("utf-8").splitlines(keepends=True)
    first, last = SEED_LINES
    assert "".join(lines[first - 1 : last]) == (VALID / "seed_example.yaml").read_text("utf-8")


@pytest.mark.usefixtures("composer")
def test_seed_timestamps_stay_strings_and_survive_json() -> None:
    (case,) = load_cases([VALID / "seed_example.yaml"]).cases
    tools = case.case.assertions.tools
    assert tools is not None and tools.arguments is not None
    arguments = tools.arguments
    assert arguments["update_appointment"]["new_start_time"] == "2026-06-03T15:00:00-05:00"
    slots = case.case.fixture["existing_state"]["available_slots"]
    assert json.loads(json.dumps(case.case.fixture))["existing_state"]["available_slots"] == slots
    assert case.line_of("$.assertions.tools.forbidden_tools") == 53


@pytest.mark.usefixtures("composer")
@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid_case(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)  # diagnostics then show paths relative to the invalid folder
    result = load_cases([name])
    actual = "".join(f"{d}\n" for d in result.diagnostics)
    assert result.errors, "an invalid case must produce at least one error"
    assert_golden_file(_expected_file(name), actual)


def test_every_expectation_has_its_case() -> None:
    expected = {p.name for p in INVALID.glob("*.expected.txt")}
    assert expected == {_expected_file(n).name for n in INVALID_NAMES}
    assert len(INVALID_NAMES) >= 15


@pytest.mark.usefixtures("composer")
def test_all_files_are_checked_in_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = load_cases(["."])
    entries_with_errors = {d.path.split("/")[0] for d in result.errors}
    # from one level up, the folder case's ids differ ("duplicate_ids/scheduling/...")
    assert entries_with_errors == set(INVALID_NAMES) - {"duplicate_ids"}


def test_worker_processes_find_what_one_process_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    serial = load_cases(["."])
    monkeypatch.setattr(loader, "PARALLEL_FILES", 2)  # every folder of test cases goes parallel
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    shared = load_cases(["."])
    assert shared.diagnostics == serial.diagnostics and shared.errors
    assert [(c.id, c.file, c.case) for c in shared.cases] == [
        (c.id, c.file, c.case) for c in serial.cases
    ]


def test_duplicate_ids_keep_the_first_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = load_cases(["duplicate_ids"])
    assert [(c.id, c.file) for c in result.cases] == [
        ("scheduling/reschedule", "duplicate_ids/legacy_reschedule.yaml"),
        ("scheduling/cancel", "duplicate_ids/scheduling/cancel.yaml"),
    ]


def test_missing_path_is_a_diagnostic_and_other_paths_still_load(tmp_path: Path) -> None:
    result = load_cases([tmp_path / "nope", VALID / "minimal.yaml"])
    assert [d.message for d in result.errors] == ["no such file or directory"]
    assert [c.id for c in result.cases] == ["minimal"]
    with pytest.raises(CaseFileError):
        case_files([tmp_path / "nope"])


def test_discovery_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    minimal = (VALID / "minimal.yaml").read_text("utf-8")
    for relative in [
        "b.yaml",
        "a/z.yml",
        "a/b.yaml",
        ".hidden/x.yaml",
        "a/.swap.yaml",
        "notes.txt",
    ]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(minimal, "utf-8")
    (tmp_path / "dir.yaml").mkdir()  # a directory with a case-like name is not a case
    found = case_files([tmp_path, tmp_path / "b.yaml"])
    assert [f.relative_to(tmp_path).as_posix() for f, _ in found] == [
        "a/b.yaml",
        "a/z.yml",
        "b.yaml",
    ]
    assert [c.id for c in load_cases([tmp_path]).cases] == ["a/b", "a/z", "b"]


def test_case_ids_default_to_root_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "scheduling").mkdir()
    target = tmp_path / "scheduling" / "reschedule.yaml"
    target.write_text((VALID / "minimal.yaml").read_text("utf-8"), "utf-8")
    assert [c.id for c in load_cases([target]).cases] == ["reschedule"]
    assert [c.id for c in load_cases([target], root=tmp_path).cases] == ["scheduling/reschedule"]


def test_paths_outside_cwd_are_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    target = tmp_path / "case.yaml"
    target.write_text("- a list\n", "utf-8")
    (diagnostic,) = load_cases([target]).diagnostics
    assert diagnostic.path == target.as_posix()


def test_empty_directory_is_a_warning(tmp_path: Path) -> None:
    result = load_cases([tmp_path])
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        ("warning", "no *.yaml or *.yml case files found here")
    ]
    assert result.errors == []


def test_failure_label_outside_taxonomy_is_a_warning(tmp_path: Path) -> None:
    text = (VALID / "minimal.yaml").read_text("utf-8").replace("intent_miss", "intent_mis")
    (tmp_path / "case.yaml").write_text(text, "utf-8")
    result = load_cases([tmp_path / "case.yaml"])
    assert [d.severity for d in result.diagnostics] == ["warning"]
    assert "did you mean 'intent_miss'?" in str(result.diagnostics[0])
    assert len(result.cases) == 1  # a warning does not drop the case


def test_allowlist_from_config(tmp_path: Path) -> None:
    text = (
        (VALID / "minimal.yaml")
        .read_text("utf-8")
        .replace("caller_id: caller_fixture_001", "support_line: 1-800-275-2273")
    )
    (tmp_path / "case.yaml").write_text(text, "utf-8")
    assert load_cases([tmp_path]).errors
    assert not load_cases([tmp_path], allowlist=[r"^1-800-275-2273$"]).errors
    with pytest.raises(InputError, match=r"pii_allowlist: invalid regex /\(/"):
        load_cases([tmp_path], allowlist=["("])


@pytest.mark.usefixtures("composer")
def test_unreadable_inputs_never_raise(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"owner: \xe9quipe\n")
    (tmp_path / "nul.yaml").write_bytes(b"owner: a\x00b\n")
    (tmp_path / "scalar.yaml").write_text("just a string\n", "utf-8")
    (tmp_path / "huge.yaml").write_text("a: " + "x" * 1_000_001 + "\n", "utf-8")
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + (VALID / "minimal.yaml").read_bytes())
    result = load_cases([tmp_path])
    assert sorted(d.path.rsplit("/", 1)[-1] for d in result.errors) == [
        "huge.yaml",
        "latin1.yaml",
        "nul.yaml",
        "scalar.yaml",
    ]
    assert [c.id for c in result.cases] == ["bom"]


@pytest.mark.usefixtures("composer")
def test_yaml_12_scalars() -> None:
    data, locations = load_yaml(
        "a: yes\nb: off\nc: TRUE\nd: 012\ne: 0o17\nf: 12:30\ng: 2026-06-03\nh: ~\n"
        "i: 1e3\nj: 0x1F\n'odd key': [1, {x: 2}]\n",
        "t.yaml",
    )
    assert data == {
        "a": "yes",
        "b": "off",
        "c": True,
        "d": 12,
        "e": 15,
        "f": "12:30",
        "g": "2026-06-03",
        "h": None,
        "i": 1000.0,
        "j": 31,
        "odd key": [1, {"x": 2}],
    }
    assert locations["$['odd key'][1].x"] == (11, 17)
    assert locations["$.h"] == (8, 1)


@pytest.mark.usefixtures("composer")
def test_positions_of_keys_and_values() -> None:
    document = parse_yaml("source:\n  severity:   urgent\nlist:\n  - a\n")
    assert document.locations["$.source"] == (1, 1)
    assert document.values["$.source"] == (2, 3)
    assert document.locations["$.source.severity"] == (2, 3)
    assert document.values["$.source.severity"] == (2, 15)
    assert document.locations["$.list[0]"] == (4, 5)


@pytest.mark.usefixtures("composer")
def test_merge_keys_written_out_keys_win() -> None:
    data, _ = load_yaml("base: &b {x: 1, y: 2}\nc:\n  y: 3\n  <<: *b\n")
    assert data["c"] == {"x": 1, "y": 3}


@pytest.mark.usefixtures("composer")
@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(101)),
            "more than 100 YAML aliases",
            102,
        ),
        ("a: &a [*a]\n", "recursive YAML alias", 1),
        ("a: " + "[" * 100 + "]" * 100 + "\n", "nested deeper than 64 levels", 1),
        ("1: one\n", "mapping key 1 is not a string", 1),
        ("a: !!binary aGk=\n", "unsupported YAML tag !!binary", 1),
        ("a: !!timestamp 2026-06-03\n", "unsupported YAML tag !!timestamp", 1),
        ("a: !!python/object:os.system x\n", "unsupported YAML tag", 1),
        ("a: 1\n---\n", "more than one YAML document", 2),
        ("", "empty file", 1),
        ("a: 'open\n", "while scanning a quoted scalar", 1),
        ("a:\n\tb: 1\n", "use spaces, not tabs, to indent", 2),
        ("a: .inf\n", r"\.inf is not a finite number", 1),
        ("a: [1, -.Inf]\n", r"-\.Inf is not a finite number", 1),
        ("a:\n  b: 1e400\n", "1e400 is not a finite number", 2),
    ],
)
def test_yaml_errors(text: str, message: str, line: int) -> None:
    with pytest.raises(YamlError, match=message) as caught:
        parse_yaml(text)
    assert caught.value.line == line


@pytest.mark.usefixtures("composer")
def test_billion_laughs_fails_fast() -> None:
    levels = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    with pytest.raises(YamlError, match="billion-laughs"):
        parse_yaml("\n".join(levels))


def test_special_files_are_refused_not_read(tmp_path: Path) -> None:
    # A FIFO would block forever and /dev/zero never ends: both must be quick, clear errors.
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    result = load_cases([tmp_path])
    messages = sorted(d.message for d in result.errors)
    assert messages == ["not a regular file", "not a regular file"]


def test_a_checker_that_crashes_on_one_file_hides_no_other_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gate.load import loader

    minimal = (VALID / "minimal.yaml").read_text("utf-8")
    (tmp_path / "a_crash.yaml").write_text(minimal.replace("scheduling-eng", "crash-me"), "utf-8")
    (tmp_path / "b_bad.yaml").write_text(minimal.replace("level: scheduled", "level: x"), "utf-8")
    (tmp_path / "c_ok.yaml").write_text(minimal, "utf-8")
    real = loader.lint_case

    def crashing(data: Any, *args: Any) -> Any:
        if data.get("owner") == "crash-me":
            raise RecursionError("maximum recursion depth exceeded")
        return real(data, *args)

    monkeypatch.setattr(loader, "lint_case", crashing)
    result = load_cases([tmp_path])
    shown = [str(d) for d in result.errors]
    assert shown[0].endswith(
        "a_crash.yaml:1:1: $: the gate could not check this file (RecursionError): this is a "
        "bug in the gate, please report it; the file is refused until then"
    )
    assert "b_bad.yaml:19:10: $.promotion.level: 'x' is not one of" in shown[1]
    assert len(shown) == 2 and [c.file.rsplit("/")[-1] for c in result.cases] == ["c_ok.yaml"]


def test_a_case_file_linked_out_of_the_cases_folder_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token: SENTINEL-LINKED-SECRET\n")
    cases = tmp_path / "cases"
    (cases / "inner").mkdir(parents=True)
    (cases / "stolen.yaml").symlink_to(secret)
    (cases / "elsewhere").symlink_to(tmp_path, target_is_directory=True)  # a folder link too
    inside = cases / "inner" / "real.yaml"
    inside.write_text("version: 1\n")
    (cases / "alias.yaml").symlink_to(inside)  # a link that stays inside is a case file
    result = load_cases([cases])
    text = "\n".join(map(str, result.diagnostics))
    assert "SENTINEL-LINKED-SECRET" not in text
    assert "stolen.yaml:1:1: $: a symlink that leads out of the cases folder" in text
    assert text.count("missing required key 'owner'") == 1  # the inner file, loaded once
