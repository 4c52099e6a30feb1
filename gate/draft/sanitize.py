"""Replace caller data with stable fixture tokens; the manifest says what was replaced where."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gate.models import json_path_join
from gate.pii import FIXTURE_MARKERS, findings

# Correlation ids link the case back to its evidence: they name the call, not the caller.
KEEP_KEYS = frozenset({"call_id", "source_call_id", "trace_id", "run_id", "span_id"})
_ID_KEY = re.compile(r"(?:^|_)ids?$", re.IGNORECASE)
_NAME_KEY = re.compile(r"(?:^|_)(?:name|first_name|last_name|full_name|surname)$", re.I)
_ADDRESS_KEY = re.compile(r"address|street|postal|zip", re.IGNORECASE)
_PHONE_KEY = re.compile(r"phone|mobile|\bcell\b|callback_number", re.IGNORECASE)
_EMAIL_KEY = re.compile(r"e_?mail", re.IGNORECASE)
_SELF_NAMED = re.compile(
    r"\b(?:my name is|this is|name's|speaking with|I'm|I am)\s+"
    r"((?:[A-Z][a-z'’-]+)(?:\s+[A-Z][a-z'’-]+)?)"
)
_NOT_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december the a an calling sorry here just "
    "looking trying still not so very".split()
)
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z][A-Za-z]+\s+){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl)"
    r"\b\.?(?:,?\s*(?:Apt|Suite|Unit)\.?\s*\w+)?"
)
_PERSON = re.compile(r"[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+)*\.?\Z")
MIN_FREE_TEXT = 4
_FORMATS = {
    "phone": "(555) 555-01{n:02d}",  # NANP numbers reserved for fiction
    "email": "caller{n}@example.com",  # RFC 2606: never a real mailbox
}


@dataclass(frozen=True)
class Redaction:
    """One replaced value: what kind, where in the packet (JSON path), and its token."""

    kind: str
    location: str
    token: str


@dataclass
class Sanitizer:
    """Tokens per original value (the same value → the same token across the whole draft)."""

    tokens: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # token → kind
    manifest: list[Redaction] = field(default_factory=list)

    def token(self, value: str, kind: str, prefix: str) -> str:
        """The token of `value`; a new one (`<prefix>_fixture_<n>`, or the kind's format)."""
        if value in self.tokens:
            return self.tokens[value]
        n = self.counts[prefix] = self.counts.get(prefix, 0) + 1
        pattern = _FORMATS.get(kind) if n < 100 else None
        made = pattern.format(n=n) if pattern else f"{prefix}_fixture_{n}"
        self.tokens[value], self.kinds[made] = made, kind
        return made

    def learn(self, value: Any, path: str) -> None:
        """First pass: remember every structured identifier, name, address, phone and e-mail."""
        for key, leaf, _where in _leaves(value, path):
            kind = _kind_of_key(key)
            if kind is None or not _is_sensitive(leaf):
                continue
            if kind == "name" and not _PERSON.match(str(leaf)):
                continue  # `name: update_appointment` names a tool, not a person
            text = str(leaf)
            self.token(text, kind, _prefix(key, kind))
            if kind == "name":  # "Maria" alone must not survive "Maria Lopez"
                for part in text.split():
                    if len(part) > 2 and part not in self.tokens:
                        self.tokens[part] = self.tokens[text]

    def learn_text(self, text: str) -> None:
        """Names a caller gives in free text ("this is Maria Lopez")."""
        for match in _SELF_NAMED.finditer(text):
            words = [w for w in match.group(1).split() if w.lower() not in _NOT_NAMES]
            if words and words[0] == match.group(1).split()[0]:
                self.learn({"name": " ".join(words)}, "$")

    def tree(self, value: Any, path: str, key: str = "") -> Any:
        """A sanitized copy of `value` (found at JSON path `path`, under mapping key `key`)."""
        if isinstance(value, dict):
            # keys too: the lint reads them, and a phone number can be a key
            return {
                self.text(str(k), path): self.tree(v, json_path_join(path, str(k)), str(k))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.tree(v, json_path_join(path, i), key) for i, v in enumerate(value)]
        if not isinstance(value, str | int) or isinstance(value, bool):
            return value
        whole = self.tokens.get(str(value))
        if whole is not None and key not in KEEP_KEYS and _kind_of_key(key) is not None:
            self.manifest.append(Redaction(self.kinds[whole], path, whole))
            return whole
        cleaned = self.text(str(value), path)
        # an unquoted phone or card number is an int: replaced, it becomes its token
        return value if isinstance(value, int) and cleaned == str(value) else cleaned

    def text(self, text: str, path: str) -> str:
        """`text` with every known value, phone, e-mail, card, SSN and street address replaced."""
        spans = sorted(self._spans(text), key=lambda s: (s[0], -s[1]))
        out, cursor = [], 0
        for start, end, kind, token in spans:
            if start < cursor:
                continue  # overlaps a longer replacement already made
            out += [text[cursor:start], token]
            cursor = end
            self.manifest.append(Redaction(kind, path, token))
        return "".join(out) + text[cursor:]

    def _spans(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        for value in sorted(self.tokens, key=len, reverse=True):
            token = self.tokens[value]
            if len(value) < MIN_FREE_TEXT and self.kinds[token] != "name":
                continue  # a short id ("42") would hit "3:42": replaced as a field value only
            for match in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text):
                yield match.start(), match.end(), self.kinds[token], token
        for finding in findings(text):
            value = text[finding.start : finding.end]
            token = self.token(value, finding.kind, finding.kind)
            yield finding.start, finding.end, finding.kind, token
        for match in _STREET.finditer(text):
            token = self.token(match.group(), "address", "address")
            yield match.start(), match.end(), "address", token


def _leaves(value: Any, path: str, key: str = "") -> Iterator[tuple[str, Any, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, json_path_join(path, str(k)), str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, json_path_join(path, i), key)
    else:
        yield key, value, path


def _kind_of_key(key: str) -> str | None:
    if key in KEEP_KEYS:
        return None
    for kind, pattern in (
        ("email", _EMAIL_KEY),
        ("phone", _PHONE_KEY),
        ("address", _ADDRESS_KEY),
        ("name", _NAME_KEY),
        ("id", _ID_KEY),
    ):
        if pattern.search(key):
            return kind
    return None


def _is_sensitive(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return False
    # Already a fixture value: keeping it keeps the case readable and is what the lint allows.
    return not any(marker in str(value).lower() for marker in FIXTURE_MARKERS)


def _prefix(key: str, kind: str) -> str:
    if kind != "id":
        return kind
    stem = re.sub(r"_?ids?$", "", key, flags=re.IGNORECASE).lower()
    return re.sub(r"[^a-z0-9]+", "_", stem).strip("_") or "id"
