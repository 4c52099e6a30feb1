"""The fast schema yes/no (jsonschema-rs) never accepts what jsonschema, which reports, rejects."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.load.schemas import packaged_validator, schema_accepts
from gate.load.yamlsafe import YamlError, parse_yaml

ROOT = Path(__file__).resolve().parents[2]
CASE = "case.schema.json"


def _documents() -> list[tuple[str, Any]]:
    """Every YAML mapping the repo holds (valid cases, invalid fixtures, hostile files)."""
    found = []
    for path in sorted([*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/**/*.yaml")]):
        try:
            data = parse_yaml(path.read_text("utf-8"), str(path)).data
        except (YamlError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(data, dict):
            found.append((str(path.relative_to(ROOT)), data))
    return found


DOCUMENTS = _documents()


def _python_valid(data: Any) -> bool:
    return not any(True for _ in packaged_validator(CASE).iter_errors(data))


def test_the_corpus_holds_both_kinds() -> None:
    verdicts = {_python_valid(data) for _, data in DOCUMENTS}
    assert len(DOCUMENTS) > 150 and verdicts == {True, False}


@pytest.mark.parametrize(("name", "data"), DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_both_validators_agree_on_every_file(name: str, data: Any) -> None:
    assert schema_accepts(CASE, data) == _python_valid(data), name


VALID = [data for _, data in DOCUMENTS if _python_valid(data)]
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node below `node`."""
    children: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    found = []
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_mutated_valid_case_is_never_accepted_by_the_fast_path_alone(data: st.DataObject) -> None:
    """Swap a node's value, drop a key or add one: whatever jsonschema rejects, rs rejects too."""
    case = copy.deepcopy(data.draw(st.sampled_from(VALID)))
    path = data.draw(st.sampled_from(_paths(case)))
    parent = case
    for step in path[:-1]:
        parent = parent[step]
    action = data.draw(st.sampled_from(["replace", "drop", "add"]))
    if action == "replace":
        parent[path[-1]] = data.draw(ODD_VALUES)
    elif action == "drop" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=8))] = data.draw(ODD_VALUES)
    if schema_accepts(CASE, case):
        assert _python_valid(case), (path, action)
