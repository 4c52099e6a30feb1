"""Change a case file's `promotion.level` in place, every other byte as it was (`--write`)."""

from __future__ import annotations

import codecs
import copy
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gate.errors import InputError, PublishError
from gate.load.yamlsafe import YamlError, parse_yaml

LEVEL_PATH = "$.promotion.level"
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a line break
_PLAIN_LEVEL = re.compile(r"[A-Za-z_]+")


def set_level(text: str, current: str, new: str, path: str) -> str:
    """`text` with the scalar of `promotion.level` replaced by `new` and nothing else changed.

    Quotes are kept. Raises `InputError` (with `path:line:col`) when the value is not the plain or
    quoted `current` level, or when the change would touch anything else (an anchor or merge key
    shared with other keys): such a file is better edited by hand.
    """
    try:
        doc = parse_yaml(text, path)
    except YamlError as exc:
        raise InputError(f"{path}:{exc.line}:{exc.col}: {exc.message}") from None
    if LEVEL_PATH not in doc.values:
        raise InputError(f"{path}: {LEVEL_PATH}: no level to change")
    line, col = doc.values[LEVEL_PATH]
    start = _offset(text, line) + col - 1
    quote = text[start] if text[start : start + 1] in ("'", '"') else ""
    match = _PLAIN_LEVEL.match(text, start + len(quote))
    end = match.end() + len(quote) if match else start
    where = f"{path}:{line}:{col}: {LEVEL_PATH}"
    if match is None or match.group() != current or text[end - len(quote) : end] != quote:
        raise InputError(
            f"{where}: expected the level {current!r} written as a plain or quoted "
            "word; change it by hand"
        )
    edited = f"{text[:start]}{quote}{new}{quote}{text[end:]}"
    _check_only_level_changed(doc.data, edited, new, where, path)
    return edited


def _offset(text: str, line: int) -> int:
    """Where 1-based `line` starts in `text`, counting line breaks as YAML does."""
    offset = 0
    for _ in range(line - 1):
        found = _LINE_BREAK.search(text, offset)
        if found is None:
            break
        offset = found.end()
    return offset


def _check_only_level_changed(before: Any, edited: str, new: str, where: str, path: str) -> None:
    expected = copy.deepcopy(before)
    expected["promotion"]["level"] = new
    try:
        after = parse_yaml(edited, path).data
    except YamlError:
        after = None
    if after != expected:
        raise InputError(
            f"{where}: changing the level in place would change more than the "
            "level (anchor or merge key?); change it by hand"
        )


def _encode_like(raw: bytes, text: str) -> bytes:
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    return bom + text.encode("utf-8")


def edit_level(file: str, current: str, new: str) -> bytes:
    """The bytes of case file `file` with its level `current` changed to `new` (BOM kept)."""
    path = Path(file)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the case file ({exc})") from None
    return _encode_like(raw, set_level(text, current, new, file))


def write_files(edits: Sequence[tuple[Path, bytes]]) -> None:
    """Replace each file atomically (a crash never leaves half a case file), keeping its mode."""
    for path, content in edits:
        temporary = path.with_name(f".{path.name}.lifecycle-tmp")
        try:
            temporary.write_bytes(content)
            shutil.copymode(path, temporary)
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from None
