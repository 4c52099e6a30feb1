"""Changed-path lists as text: one path a line or a JSON list, or `git diff --name-status -z`."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence

from gate.errors import InputError

_GIT_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_BOM = "\ufeff"
_WINDOWS_ROOT = re.compile(r"(?:[A-Za-z]:)?/")  # `/x`, `C:/x` (and `//host/x`) after `\` → `/`


def parse_path_list(text: str) -> list[str]:
    """Paths from a list: a JSON array (paths-filter's `json` output) or one path a line.

    Blank lines are skipped, `./` prefixes and a UTF-8 byte order mark dropped, git's C-quoted
    names (`"caf\\303\\251.md"`) unquoted, so `git diff --name-only` output can be piped in as
    it is. A bare `\\` is most likely a Windows separator (git quotes every name that holds
    one), but a list made by another tool may hold a POSIX name with one: such a path is listed
    in both readings, `a/b` and `a\\b`, so a trigger that matches either selects its cases.
    """
    stripped = text.lstrip(_BOM).strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except ValueError as exc:
            raise InputError(f"--changed-files: looks like JSON but is not ({exc})") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise InputError("--changed-files: a JSON list must hold only path strings")
        lines = items
    else:
        lines = text.replace("\0", "\n").splitlines()
    return [p for line in lines for p in _readings(line) if p]


def parse_name_status(output: str) -> list[str]:
    """Paths from `git diff --name-status -z`: a rename counts as both paths, a deletion counts.

    A copy (`C`) counts only its new path: the source file did not change.
    """
    fields = output.split("\0")
    paths: list[str] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status[0] in "RC":
            old, new = fields[i + 1], fields[i + 2]
            paths += [old, new] if status[0] == "R" else [new]
            i += 3
        else:
            paths.append(fields[i + 1])
            i += 2
    return paths


def _readings(line: str) -> list[str]:
    """The path a line names; with a bare `\\`, its Windows reading first, then the literal one."""
    path = line.lstrip(_BOM).strip()  # a BOM also starts each of several concatenated lists
    if _GIT_QUOTED.fullmatch(path):
        return [_drop_dot_slash(_unquote(path[1:-1]))]  # git quoted it: a backslash is literal
    windows = path.replace("\\", "/")
    return [_drop_dot_slash(p) for p in dict.fromkeys((windows, path))]


def _drop_dot_slash(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path


def repo_relative(paths: Sequence[str], roots: Sequence[str]) -> tuple[list[str], list[str]]:
    """Listed paths as repository-relative POSIX paths, and the ones that cannot be made so.

    An absolute path under one of `roots` (the repository root, as POSIX paths) becomes relative
    to it; `a//b` and `a/./b` are tidied. A path outside every root, or with a `..` segment, is
    returned as `"path (why)"` instead: it names no file of this repository that a trigger could
    match (and `..` may walk out of it or through a symlink), so it cannot narrow a selection.
    """
    kept: list[str] = []
    distrusted: list[str] = []
    for path in paths:
        if ".." in path.split("/"):
            distrusted.append(f"{path} (a `..` segment)")
            continue
        relative = _under(path, roots) if _WINDOWS_ROOT.match(path) else path
        if relative is None:
            distrusted.append(f"{path} (an absolute path outside the repository)")
        elif (tidy := posixpath.normpath(relative)) == ".":
            distrusted.append(f"{path} (the repository root itself, not a file)")
        else:
            kept.append(tidy)
    return kept, distrusted


def _under(path: str, roots: Sequence[str]) -> str | None:
    """`path` relative to the first root it is inside; None when it is inside none."""
    for root in roots:
        base = root.rstrip("/")
        if path == base or path.startswith(base + "/"):
            return path[len(base) :].lstrip("/") or "."
    return None


def _unquote(body: str) -> str:
    """git's C-style quoting: escapes, and octal bytes of UTF-8 names."""
    raw = body.encode("utf-8").decode("unicode_escape")
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw
