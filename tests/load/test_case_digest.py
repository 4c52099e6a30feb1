"""The case digest: every change to what a case checks changes it; layout and comments do not."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gate.load.digest import case_digest
from gate.load.loader import check_case_text, load_cases
from gate.load.yamlsafe import parse_yaml
from gate.models import Case

REPO = Path(__file__).resolve().parents[2]
CASE_FILE = REPO / "examples" / "cases" / "scheduling" / "reschedule-wednesday.yaml"
AUDIO_CASE = REPO / "examples" / "cases" / "audio" / "dr-bayer-heard.yaml"
BASE: dict[str, Any] = parse_yaml(CASE_FILE.read_text("utf-8")).data  # as the loader reads it
DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z")


def _digest(data: dict[str, Any]) -> str:
    return case_digest(Case.model_validate(data))


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[key] = value

    return change


# One valid change per top-level key of a case. `version` has one allowed value (v1): a case of
# another version is another model, and the key is part of the hashed content all the same.
TOP_LEVEL: dict[str, Callable[[dict[str, Any]], None]] = {
    "id": _set("id", "scheduling/other"),
    "suite": _set("suite", "other_suite"),
    "owner": _set("owner", "other-team"),
    "source": lambda d: d["source"].update(severity="critical"),
    "agent_ref": lambda d: d["agent_ref"].update(prompt_version="pr-492"),
    "fixture": lambda d: d["fixture"].update(appointment_id="appt_fixture_772"),
    "caller": lambda d: d["caller"].update(language="de-DE"),
    "scenario": lambda d: d["scenario"].update(starting_turn="Move it to Thursday."),
    "assertions": lambda d: d["assertions"]["transcript"]["must_not_include"].pop(),
    "promotion": lambda d: d["promotion"].update(level="scheduled"),
    "paths": _set("paths", ["agents/scheduling/**"]),
    "trials": _set("trials", 3),
    "pass_threshold": lambda d: d.update(trials=3, pass_threshold=3),
}


def test_every_top_level_key_has_a_change() -> None:
    # A key added to the case model must be added here: the class of change stays closed.
    assert set(TOP_LEVEL) | {"version"} == set(Case.model_fields)


@pytest.mark.parametrize("key", sorted(TOP_LEVEL))
def test_changing_any_top_level_key_changes_the_digest(key: str) -> None:
    changed = copy.deepcopy(BASE)
    TOP_LEVEL[key](changed)
    assert changed != BASE
    assert _digest(changed) != _digest(BASE)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _other(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return f"{value}-changed"


def _changed_at(path: tuple[Any, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(BASE)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = _other(node[path[-1]])
    return changed


def _valid(data: dict[str, Any]) -> bool:
    try:
        Case.model_validate(data)
    except ValidationError:
        return False
    return True


# Every scalar of the case changed in place, where the change is still a valid case (an enum
# such as `source.type` has no "-changed" value; TOP_LEVEL changes those keys another way).
CHANGED_LEAVES = [p for p in _leaves(BASE) if _valid(_changed_at(p))]


def test_nearly_every_value_has_a_valid_change() -> None:
    assert len(CHANGED_LEAVES) >= len(list(_leaves(BASE))) - 5


@pytest.mark.parametrize("path", CHANGED_LEAVES, ids=lambda p: ".".join(map(str, p)))
def test_changing_any_value_anywhere_changes_the_digest(path: tuple[Any, ...]) -> None:
    assert _digest(_changed_at(path)) != _digest(BASE)


def test_the_digest_names_its_algorithm_and_is_stable() -> None:
    digest = _digest(BASE)
    assert DIGEST.match(digest)
    assert _digest(copy.deepcopy(BASE)) == digest
    assert case_digest(Case.model_validate(BASE), {}) == digest


def _loaded_digest(text: str) -> str:
    loaded, problems = check_case_text(text, CASE_FILE, "scheduling/reschedule-wednesday")
    assert loaded is not None, problems
    assert loaded.digest is not None
    return loaded.digest


def test_comments_layout_and_key_order_do_not_change_the_digest() -> None:
    text = CASE_FILE.read_text("utf-8")
    digest = _loaded_digest(text)
    assert digest == _digest(BASE)
    commented = "# a note for reviewers\n" + text.replace("\n\n", "\n\n# why\n\n")
    reordered = json.dumps(dict(reversed(list(BASE.items()))))  # JSON is YAML: other layout
    assert _loaded_digest(commented) == digest
    assert _loaded_digest(reordered) == digest
    # a quoted scalar is the same string as a plain one
    quoted = text.replace("owner: scheduling-eng", "owner: 'scheduling-eng'")
    assert quoted != text and _loaded_digest(quoted) == digest
    assert _loaded_digest(text.replace("task_completed: true", "task_completed: false")) != digest


def test_an_audio_fixture_is_part_of_the_case(tmp_path: Path) -> None:
    # The WAV is sent to the harness: other bytes under the same name are another case.
    (case_file := tmp_path / AUDIO_CASE.name).write_text(AUDIO_CASE.read_text("utf-8"))
    wav = tmp_path / "dr-bayer-reschedule.wav"
    wav.write_bytes((AUDIO_CASE.parent / wav.name).read_bytes())
    first = load_cases([case_file]).cases[0]
    wav.write_bytes(wav.read_bytes()[:-2] + b"\x01\x01")
    second = load_cases([case_file]).cases[0]
    assert first.case == second.case
    assert first.digest != second.digest
    assert second.digest == case_digest(second.case, second.audio)
