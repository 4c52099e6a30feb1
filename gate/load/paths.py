"""Case file paths as shown and as default ids: pathlib's answers, by string tests where exact."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the cwd when under it, else absolute."""
    absolute = os.path.abspath(path)
    try:
        below = relative_to(absolute, os.getcwd())
    except OSError:
        below = None
    if below is not None:
        return below
    return absolute if _plain(absolute) else Path(absolute).as_posix()


def default_case_id(file: Path, *roots: Path) -> str:
    """The file path relative to the first of `roots` holding it, without extension, '/'-joined."""
    absolute = os.path.abspath(file)
    for root in map(os.path.abspath, roots):
        below = relative_to(absolute, root)
        if below is not None:
            return _without_suffix(below)
    return Path(file.name).with_suffix("").as_posix()


def relative_to(absolute: str, top: str) -> str | None:
    """`Path(absolute).relative_to(top).as_posix()`, or None where that raises ValueError, for
    two paths as os.path.abspath returns them. A prefix test where pathlib reads them as they
    are written. Why: done for every case file, pathlib's objects cost as much as its lint."""
    if not _plain(absolute, top):
        try:
            return Path(absolute).relative_to(top).as_posix()
        except ValueError:
            return None
    if absolute == top:
        return "."
    prefix = top.rstrip("/") + "/"
    return absolute[len(prefix) :] if absolute.startswith(prefix) else None


def _plain(*paths: str) -> bool:
    """Whether pathlib reads these normalized paths as written: on POSIX, any but one under
    the implementation-defined `//` root (elsewhere, drives and case: pathlib decides)."""
    return os.sep == "/" and not any(path.startswith("//") for path in paths)


def _without_suffix(relative: str) -> str:
    """`Path(relative).with_suffix("").as_posix()` of a `relative_to` result."""
    name = relative[relative.rfind("/") + 1 :]
    if not _plain(relative) or name in ("", ".", ".."):
        return Path(relative).with_suffix("").as_posix()  # its rules, its ValueError for "."
    dot = name.rfind(".")
    return relative[: len(relative) - len(name) + dot] if 0 < dot < len(name) - 1 else relative
