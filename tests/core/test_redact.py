"""The one redaction point: secrets masked in every form, URLs shown without credentials."""

from __future__ import annotations

import base64
import io
import json
import urllib.parse

import pytest

from gate.redact import MASK, MaskedStream, Redactor, active, mask, redact_url, url_secrets
from gate.text import clean, one_line, truncate

SECRET = "sk-SENTINEL/with+odd=chars"


def test_every_wire_form_of_a_secret_is_masked() -> None:
    redactor = Redactor.of([SECRET, None, "", "abc"])  # blanks and too-short values are ignored
    forms = [SECRET, urllib.parse.quote(SECRET, safe=""), json.dumps(SECRET)[1:-1]]
    for form in forms:
        assert redactor.mask(f"echo: {form}!") == f"echo: {MASK}!"
    assert redactor.mask("abc is a word") == "abc is a word"


def test_a_secret_inside_another_is_masked_whole() -> None:
    redactor = Redactor.of(["token", "token-long-version"])
    assert redactor.mask("token-long-version") == MASK


def test_truncation_masks_before_it_cuts() -> None:
    text = "x" * 95 + SECRET
    with active(Redactor.of([SECRET])):
        for cut in (truncate(text, 100), one_line(text, 100), clean(text, 100)):
            assert SECRET[:5] not in cut.replace("x" * 95, "")
    assert SECRET[:5] in truncate(text, 100)  # control: no redactor, no masking


def test_url_credentials_are_secrets_and_are_not_shown() -> None:
    url = "https://bob:p%40ss-WORD@harness.test:8443/v1?token=QUERY-SECRET&mode=fast"
    secrets = url_secrets(url)
    assert {"p%40ss-WORD", "p@ss-WORD", "QUERY-SECRET"} <= set(secrets)
    assert "fast" not in secrets and "bob" not in secrets  # not credentials: output stays legible
    assert url_secrets("http://h.test/?api_key=abc12") == ["abc12"]  # a credential-like key
    assert base64.b64encode(b"bob:p@ss-WORD").decode() in secrets  # a reflected Basic header
    shown = redact_url(url)
    assert shown == "https://***@harness.test:8443/v1?token=***&mode=***"
    assert redact_url("http://harness.test/x") == "http://harness.test/x"


@pytest.mark.parametrize("junk", ["http://[::1", "not a url", ""])
def test_a_broken_url_is_shown_masked_not_raised(junk: str) -> None:
    with active(Redactor.of(["not a url"])):
        assert "not a url" not in redact_url(junk)


def test_streams_mask_and_keep_their_terminal_nature() -> None:
    buffer = io.StringIO()
    with active(Redactor.of([SECRET])):
        stream = MaskedStream(buffer)
        print(f"key={SECRET}", file=stream)  # type: ignore[arg-type]
        assert mask(SECRET) == MASK
    assert buffer.getvalue() == f"key={MASK}\n" and stream.isatty() is False
    assert mask(SECRET) == SECRET  # the redactor is active only inside its block
