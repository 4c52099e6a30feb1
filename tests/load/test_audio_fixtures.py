"""Audio turns: the WAV is checked at validate time (inside the case's folder, capped, RIFF/WAVE)
and sent to the harness inline; the reference harness recognises it and refuses bad audio."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
from pathlib import Path

import pytest

from gate.cli import main
from gate.dispatch.protocol import build_request
from gate.load.audio import MAX_AUDIO_BYTES
from gate.load.loader import load_cases
from gate.reference import ReferenceHarness, run_agent

ROOT = Path(__file__).resolve().parents[2]
AUDIO_CASE = ROOT / "examples" / "cases" / "audio" / "dr-bayer-heard.yaml"
WAV = AUDIO_CASE.with_name("dr-bayer-reschedule.wav")


def _case_with(tmp_path: Path, audio: str, wav: bytes | None = None) -> list[str]:
    text = AUDIO_CASE.read_text("utf-8").replace(
        "audio: dr-bayer-reschedule.wav", f"audio: {audio}"
    )
    (tmp_path / "case.yaml").write_text(text, "utf-8")
    if wav is not None:
        (tmp_path / "voice.wav").write_bytes(wav)
    return [f"{d.json_path}: {d.message}" for d in load_cases([tmp_path / "case.yaml"]).errors]


@pytest.mark.parametrize(
    ("audio", "wav", "message"),
    [
        ("missing.wav", None, "audio 'missing.wav' cannot be read"),
        ("../voice.wav", None, "must be a path inside the case file's folder"),
        ("/etc/passwd", None, "must be a path inside the case file's folder"),
        ("voice.wav", b"ID3 not a wav at all", "is not a WAV file"),
        ("voice.wav", b"RIFF" + b"\0" * MAX_AUDIO_BYTES, "is larger than"),
    ],
)
def test_bad_audio_is_a_validation_error(
    tmp_path: Path, audio: str, wav: bytes | None, message: str
) -> None:
    [error] = _case_with(tmp_path, audio, wav)
    assert error.startswith("$.scenario.turns[0].audio: ") and message in error


def test_the_request_carries_the_audio_inline() -> None:
    [case] = load_cases([AUDIO_CASE]).cases
    [turn] = build_request(case, 1, 120)["scenario"]["turns"]
    raw = WAV.read_bytes()
    assert turn["audio"] == {
        "name": "dr-bayer-reschedule.wav",
        "content_type": "audio/wav",
        "base64": base64.b64encode(raw).decode(),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    assert turn["text"].startswith("I need to move my appointment with Dr. Bayer")
    caller = run_agent(build_request(case, 1, 120))["events"][0]
    assert caller["text_source"] == "asr" and "Bayer" in caller["text"]


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        ("nope", "must be an object"),
        ({"base64": "***"}, "not valid base64"),
        ({"base64": base64.b64encode(b"RIFF0000WAVEfmt ").decode()}, "no LIST/INFO ICMT"),
    ],
)
def test_the_reference_harness_refuses_unusable_audio(audio: object, message: str) -> None:
    [case] = load_cases([AUDIO_CASE]).cases
    body = build_request(case, 1, 120)
    body["scenario"]["turns"][0]["audio"] = audio
    status, _, payload = ReferenceHarness().handle("POST", "/runs", {}, json.dumps(body).encode())
    assert status == 422 and message in json.loads(payload)["error"]


def test_the_largest_fixture_runs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = WAV.read_bytes()
    padding = (
        b"JUNK"
        + struct.pack("<I", MAX_AUDIO_BYTES - len(raw) - 8)
        + b"\0" * (MAX_AUDIO_BYTES - len(raw) - 8)
    )
    big = bytearray(raw + padding)
    big[4:8] = struct.pack("<I", len(big) - 8)
    assert len(big) == MAX_AUDIO_BYTES
    assert _case_with(tmp_path, "voice.wav", bytes(big)) == []
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", "--harness-url", "builtin", "--cases", "case.yaml", "--tier", "all"]
    assert main(argv, {}, out, err) == 0, err.getvalue()
    assert main([*argv[:2], "builtin:mishear", *argv[3:]], {}, out, err) == 1
