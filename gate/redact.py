"""One redaction point: the run's secrets are masked in every text before it leaves the process.

The CLI makes the Redactor of a command from its environment and URLs and makes it `active`;
every writer (the console streams, report files, history, the judge cache, the step summary,
GITHUB_OUTPUT, bodies sent to the GitHub API) passes its text through `mask`, and `truncate`
masks before it cuts, so a cut can never leave the first half of a secret behind.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TextIO

MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words (and tell what the secret is not)
_ADD_MASK = re.compile(r"::add-mask::[^\r\n]*\n?")
_CREDENTIAL_KEY = re.compile(r"token|key|secret|pass|auth|sig|cred|session|code", re.IGNORECASE)


@dataclass(frozen=True)
class Redactor:
    """Masks each secret, and the forms it takes on the wire (URL-encoded, JSON-escaped)."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Iterable[str | None]) -> Redactor:
        forms: set[str] = set()
        for value in values:
            value = (value or "").strip()
            if len(value) >= MIN_SECRET:
                forms |= {value, urllib.parse.quote(value, safe=""), json.dumps(value)[1:-1]}
        # Longest first: a secret that contains another is masked whole.
        return cls(tuple(sorted(forms, key=lambda s: (-len(s), s))))

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


_ACTIVE: ContextVar[Redactor] = ContextVar("redactor", default=Redactor())  # noqa: B039 (frozen)


def mask(text: str) -> str:
    """`text` with every secret of the active Redactor masked."""
    return _ACTIVE.get().mask(text)


@contextmanager
def active(redactor: Redactor) -> Iterator[Redactor]:
    """Make `redactor` the one `mask` uses for the block (the CLI does, for each command)."""
    token = _ACTIVE.set(redactor)
    try:
        yield redactor
    finally:
        _ACTIVE.reset(token)


def url_secrets(url: str | None) -> list[str]:
    """The credentials a URL carries: its password (and the Basic-auth header made of it), and
    query values that look like credentials (a credential-like key, or 8+ characters).

    A user name or a short query value (`?mode=fast`) is no secret: masking every `fast` in the
    output would garble it. Shown URLs hide all of them anyway (`redact_url`).
    """
    if not url:
        return []
    try:
        parts = urllib.parse.urlsplit(url.strip())
        user, password = parts.username or "", parts.password or ""
        query = urllib.parse.parse_qsl(parts.query)
    except ValueError:  # not a URL at all: nothing to take apart
        return []
    values = [v for k, v in query if _CREDENTIAL_KEY.search(k) or len(v) >= 8]
    if password:
        pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}".encode()
        values.append(base64.b64encode(pair).decode())  # what a server may echo from the header
        values += [password, urllib.parse.unquote(password)]
    return [v for v in values if v]


def redact_url(url: str) -> str:
    """The URL to show: userinfo and query values replaced by `***`, the rest as it was."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return mask(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{'[' + host + ']' if ':' in host else host}{port}"
    query = urllib.parse.urlencode(
        [(k, MASK) for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)],
        safe="*",
    )
    return mask(urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, "")))


class MaskedStream:
    """A text stream that masks secrets in everything written to it (the console's channels)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        # `::add-mask::SECRET` is how the gate asks the Actions runner to hide a secret in the
        # log (the runner consumes the line): masked, it would hide nothing.
        self._stream.write(text if _ADD_MASK.fullmatch(text) else mask(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8") or "utf-8"
