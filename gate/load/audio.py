"""Audio fixtures of caller turns: read at load time, capped, WAV only, next to the case file."""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath

from gate.models import Case

MAX_AUDIO_BYTES = 512 * 1024  # ~16 s of 16 kHz 16-bit mono: one turn of speech, not a call

Parts = list[str | int]  # a JSON path as parts: ["$", "scenario", "turns", 0, "audio"]
Problem = tuple[Parts, str]


def _turn_paths(case: Case) -> list[tuple[int, Parts, str]]:
    """(caller turn index, where in the file, audio path) of every turn with audio."""
    scenario = case.scenario
    if scenario is None:
        return []
    first = 1 if scenario.starting_turn else 0  # starting_turn is text only and plays first
    return [
        (first + j, ["$", "scenario", "turns", j, "audio"], turn.audio)
        for j, turn in enumerate(scenario.turns or [])
        if not isinstance(turn, str) and turn.audio
    ]


def _read(folder: Path, name: str) -> bytes | str:
    """The fixture's bytes, or why it cannot be used."""
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts:
        return f"audio {name!r} must be a path inside the case file's folder (no '..')"
    path = folder / relative
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return f"audio {name!r} is not a regular file"
        with path.open("rb") as handle:
            data = handle.read(MAX_AUDIO_BYTES + 1)
    except OSError as exc:
        return f"audio {name!r} cannot be read: {exc.strerror or exc}"
    if len(data) > MAX_AUDIO_BYTES:
        return f"audio {name!r} is larger than {MAX_AUDIO_BYTES} bytes: trim the fixture"
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return f"audio {name!r} is not a WAV file (RIFF/WAVE)"
    return data


def read_audio(case: Case, case_file: Path) -> tuple[dict[int, bytes], list[Problem]]:
    """Each audio turn's bytes by caller turn index, and the problems of the others."""
    audio: dict[int, bytes] = {}
    problems: list[Problem] = []
    for index, json_path, name in _turn_paths(case):
        found = _read(case_file.parent, name)
        if isinstance(found, str):
            problems.append((json_path, found))
        else:
            audio[index] = found
    return audio, problems
