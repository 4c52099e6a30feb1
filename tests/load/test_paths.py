"""Property: shown paths and default ids are exactly what the pathlib originals gave."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.load.paths import default_case_id, display_path

HERE = Path(__file__).resolve().parent
PARTS = st.sampled_from(["a", "load", "case.yaml", "c.v1.yml", ".yaml", "x.", "..", ".", "", "é"])
PREFIXES = st.sampled_from(["", "/", "//", "///", f"{HERE}/", f"{HERE.parent}/"])
Written = tuple[str, list[str]]
PATHS = st.tuples(PREFIXES, st.lists(PARTS, max_size=5))


def shown_by_pathlib(path: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):
        return absolute.as_posix()


def id_by_pathlib(file: Path, *roots: Path) -> str:
    absolute = Path(os.path.abspath(file))
    for root in map(os.path.abspath, roots):
        if absolute.is_relative_to(root):
            return absolute.relative_to(root).with_suffix("").as_posix()
    return Path(file.name).with_suffix("").as_posix()


def outcome(func: Callable[..., str], *args: Path) -> str:
    try:
        return func(*args)
    except ValueError as exc:  # a file that is its own root: pathlib's error, kept
        return f"ValueError: {exc}"


def joined(written: Written) -> Path:
    return Path(written[0] + "/".join(written[1]) or ".")


@pytest.mark.parametrize("cwd", ["/", str(HERE.parent), str(HERE)])
@settings(max_examples=400, deadline=None)
@given(file=PATHS, roots=st.lists(PATHS, max_size=2))
def test_the_same_as_pathlib(cwd: str, file: Written, roots: list[Written]) -> None:
    before = os.getcwd()
    os.chdir(cwd)
    try:
        path, tops = joined(file), [joined(root) for root in roots]
        assert display_path(path) == shown_by_pathlib(path)
        assert outcome(default_case_id, path, *tops) == outcome(id_by_pathlib, path, *tops)
    finally:
        os.chdir(before)
