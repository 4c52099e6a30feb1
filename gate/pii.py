"""Caller data in free text (phone numbers, e-mails, payment cards, SSN-like ids); pure.

The safe-fixture lint refuses these in case files and `new-case` replaces them with fixture
tokens: one detector, so what the drafting stage removes is exactly what the lint would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Reserved for documentation and testing (RFC 2606 / RFC 6761): never a real mailbox.
SAFE_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "localhost")
SAFE_EMAIL_SUFFIXES = (".test", ".example", ".invalid", ".localhost")
FIXTURE_MARKERS = ("fixture", "test")
# Published processor test cards: Luhn-valid, but no money moves.
TEST_CARDS = frozenset(
    {
        "4242424242424242",
        "4111111111111111",
        "4000056655665556",
        "5555555555554444",
        "5105105105105100",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "6011000990139424",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
    }
)

_CARD = re.compile(r"(?<![\w+-])\d(?:[ -]?\d){12,18}(?![\w-])")
_NANP = re.compile(
    r"(?<![\w+])(?:\+?1[ .-]?)?(?:\((\d{3})\)|(\d{3}))[ .-]?(\d{3})[ .-]?(\d{4})(?![\w])"
)
_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_E164 = re.compile(r"(?<![\w+])\+[2-9](?:[ .-]?\d){7,14}(?![\w])")
# starts only where a local part can start: no quadratic rescans of long words without an @
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_SSN = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])")


@dataclass(frozen=True)
class Finding:
    """One sensitive-looking value in a string; `message` masks it, never spells it out."""

    start: int
    end: int
    message: str
    safe: bool = False  # a known fixture value: reported nowhere, but still claims its span
    kind: str = ""  # phone, email, card or ssn


def findings(text: str) -> list[Finding]:
    """Every unsafe value in `text` (known fixture values left out), cards before the rest."""
    cards = list(_cards(text))
    # a card number also looks like a phone number or SSN; report it once, as a card
    others = [
        f
        for f in [*_phones(text), *_emails(text), *_ssns(text)]
        if not any(c.start < f.end and f.start < c.end for c in cards)
    ]
    return [f for f in [*cards, *others] if not f.safe]


def _cards(text: str) -> Iterator[Finding]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        # issuer prefixes cut false positives (epoch millis start with 1, compact dates with 20)
        issuer = digits[0] in "3456" or 2221 <= int(digits[:4]) <= 2720
        if issuer and _luhn(digits):
            yield Finding(
                match.start(),
                match.end(),
                f"payment card number ****{digits[-4:]}",
                kind="card",
                safe=digits in TEST_CARDS,
            )


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _phones(text: str) -> Iterator[Finding]:
    for match in _NANP.finditer(text):
        area = match.group(1) or match.group(2)
        exchange, line = match.group(3), match.group(4)
        if area[0] in "01" or exchange[0] in "01":
            continue  # not a dialable NANP number
        if match.group().isdigit() and _COMPACT_DATE.match(match.group()):
            continue  # 2026060315 is a compact timestamp, not DC
        # 555-0100..0199 is reserved for fiction; area code 555 is not assigned
        safe = (exchange == "555" and line.startswith("01")) or area == "555"
        shown = f"phone number {area}-***-**{line[-2:]}"
        yield Finding(match.start(), match.end(), shown, safe, "phone")
    for match in _E164.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        shown = f"phone number +{digits[:2]}***{digits[-2:]}"
        yield Finding(match.start(), match.end(), shown, kind="phone")


def _emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        domain = match.group(1).lower()
        safe = domain.endswith(SAFE_EMAIL_SUFFIXES) or any(
            domain == d or domain.endswith("." + d) for d in SAFE_EMAIL_DOMAINS
        )
        shown = f"{match.group()[0]}***@{domain}"
        yield Finding(match.start(), match.end(), f"e-mail address {shown}", safe, "email")


def _ssns(text: str) -> Iterator[Finding]:
    for match in _SSN.finditer(text):
        area, group, serial = match.groups()
        # never issued, so already a safe fixture value
        impossible = area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000"
        shown = f"SSN-like id ***-**-**{serial[-2:]}"
        yield Finding(match.start(), match.end(), shown, impossible, "ssn")
