"""The reference harness's stand-in for speech recognition: deterministic, no model.

A bundled audio fixture carries its transcript in the WAV's `LIST`/`INFO` chunk (`ICMT`); the
"recogniser" reads it back. The planted bug `mishear` swaps words the way a real ASR model
confuses them ("Bayer" heard as "buyer"), so the gate's `transcript.heard` has a regression to
catch without any audio model in the loop.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Mapping
from typing import Any

# Proper nouns a general-purpose ASR model tends to hear as common words.
CONFUSIONS = {"Bayer": "buyer", "Novak": "novice", "Lyle": "lisle"}


class AudioRejected(ValueError):
    """The audio of a turn cannot be used; the message says why."""


def wav_comment(data: bytes) -> str:
    """The `ICMT` text of a WAV's `LIST`/`INFO` chunk."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioRejected("not a WAV file (RIFF/WAVE)")
    at = 12
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        body = data[at + 8 : at + 8 + size]
        if kind == b"LIST" and body[:4] == b"INFO":
            found = _info(body[4:], b"ICMT")
            if found is not None:
                return found
        at += 8 + size + (size & 1)  # chunks are padded to even sizes
    raise AudioRejected("the WAV has no LIST/INFO ICMT transcript for the reference recogniser")


def _info(body: bytes, wanted: bytes) -> str | None:
    at = 0
    while at + 8 <= len(body):
        kind, size = body[at : at + 4], struct.unpack("<I", body[at + 4 : at + 8])[0]
        if kind == wanted:
            return body[at + 8 : at + 8 + size].rstrip(b"\0").decode("utf-8", "replace")
        at += 8 + size + (size & 1)
    return None


def decode(audio: Mapping[str, Any]) -> bytes:
    """The bytes of a protocol `audio` object (`base64`)."""
    try:
        return base64.b64decode(str(audio.get("base64", "")), validate=True)
    except (binascii.Error, ValueError):
        raise AudioRejected("audio.base64 is not valid base64") from None


def recognise(audio: Mapping[str, Any], bugs: frozenset[str]) -> str:
    """What the reference "ASR" hears in a turn's audio."""
    text = wav_comment(decode(audio))
    if "mishear" in bugs:
        for word, heard in CONFUSIONS.items():
            text = re.sub(rf"\b{word}\b", heard, text)
    return text
