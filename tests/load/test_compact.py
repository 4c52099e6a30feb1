"""Loaded cases share what they repeat (fields-sets, short strings), and stay correct."""

from __future__ import annotations

import pickle
from pathlib import Path

from gate.load.loader import load_cases
from gate.load.locations import Locations
from gate.models import Case, compact

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"


def test_equal_fields_sets_are_one_object_and_survive_a_pickle_as_one() -> None:
    cases = [c.case for c in load_cases([EXAMPLES]).cases]
    sources = [c.source for c in cases]
    assert len({id(s.__pydantic_fields_set__) for s in sources}) < len(sources)
    # what a worker sends back: one pickle of many cases writes a shared object once
    back = pickle.loads(pickle.dumps(cases))
    ids = {id(c.source.__pydantic_fields_set__) for c in back}
    assert len(ids) < len(back)
    assert back == cases  # and every case is equal to the one validated


def test_a_compacted_case_dumps_and_copies_as_before_and_shares_no_mutation() -> None:
    loaded = load_cases([EXAMPLES]).cases[0].case
    fresh = Case.model_validate(loaded.model_dump(mode="json", exclude_unset=True, by_alias=True))
    assert loaded.model_dump(exclude_unset=True) == fresh.model_dump(exclude_unset=True)
    shared = loaded.source.__pydantic_fields_set__
    before = set(shared)
    copy = loaded.source.model_copy(update={"severity": "low"})
    assert copy.severity == "low" and set(shared) == before  # the copy has its own set
    compact(fresh)
    assert fresh == Case.model_validate(fresh.model_dump(by_alias=True))


def test_locations_read_like_the_dict_they_were_made_from_and_share_their_index() -> None:
    located = {"$": (1, 1), "$.assertions": (20, 1), "$.paths[0]": (70_000, 65_535)}
    first, second = Locations(located), Locations(dict(located))
    assert first == located and dict(first) == located and len(first) == 3
    assert first["$.paths[0]"] == (70_000, 65_535) and first.get("$.nope") is None
    assert "$.assertions" in first and "$.nope" not in first
    assert first._index is second._index  # noqa: SLF001 - the shared part is the point
    back = pickle.loads(pickle.dumps([first, second]))
    assert back == [located, located] and back[0]._index is first._index  # noqa: SLF001


def test_a_loaded_case_finds_its_assertion_lines_through_compact_locations() -> None:
    case = next(c for c in load_cases([EXAMPLES]).cases if c.case.assertions.tools is not None)
    assert isinstance(case.locations, Locations)
    assert case.line_of("$.assertions.tools.forbidden_tools[0]") > case.line
    assert case.line_of("$.assertions.nothing_here") == case.line_of("$.assertions")
