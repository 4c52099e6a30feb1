"""Real caller data in text (pure): phones, e-mails, cards, SSNs, IBANs and street addresses.

The safe-fixture lint refuses what these find, and `new-case` replaces exactly the same values
with fixture tokens, so a drafted case passes the lint it will be checked by.
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

# What every detector needs (a superset, so a string without it cannot match any): an @, 7
# digits (the shortest phone or number counted has 8), an IBAN's country and check digits, or a
# house number before a capitalised word. Most strings (ids, words, short numbers) have none.
# (Written as one character class, then lookbehinds: re scans for a class fast, half the
# time of `@|\d…|[A-Z]{2}\d\d|\d…`, which it tries alternative by alternative at every place.)
_CANDIDATE = re.compile(
    r"[\d@A-Z](?:(?<=@)|(?<=\d)(?:\D*\d){6}|(?<=[A-Z])[A-Z]\d\d|(?<=\d)[A-Za-z]?,?\s+[A-Z])"
)
_CARD = re.compile(r"(?<![\w+-])\d(?:[ -]?\d){12,18}(?![\w-])")
_NANP = re.compile(
    r"(?<![\w+])(?:\+?1[ .-]?)?(?:\((\d{3})\)|(\d{3}))[ .-]?(\d{3})[ .-]?(\d{4})(?![\w])"
)
_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_E164 = re.compile(r"(?<![\w+])\+[2-9](?:[ .-]?\d){7,14}(?![\w])")
# starts only where a local part can start: no quadratic rescans of long words without an @
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")  # 123-45-6789, 123 45 6789


@dataclass(frozen=True)
class Finding:
    """One sensitive-looking value in a string; `message` masks it, never spells it out."""

    start: int
    end: int
    message: str
    safe: bool = False  # a known fixture value: reported nowhere, but still claims its span
    # whether a `fixture`/`test` marker in the surrounding token makes it safe: not for e-mail,
    # where `maria_test@gmail.com` or `jo@contest.com` is a real mailbox all the same
    markers_apply: bool = True
    kind: str = ""  # phone, email, card, ssn, iban or address: what a drafted case replaces


def suspect(text: str) -> bool:
    """Whether `text` may hold an unsafe value at all: False for most strings (see _CANDIDATE),
    and then `findings(text)` is empty."""
    return _CANDIDATE.search(text) is not None


def findings(text: str) -> list[Finding]:
    """Every unsafe value in `text` (known fixture values left out), each span reported once."""
    if not suspect(text):
        return []
    # an IBAN holds card-like digits, a card number looks like a phone number or SSN, a national
    # number holds a NANP-like tail: each span is reported once, by the first detector claiming it
    kept: list[Finding] = []
    for finding in [
        *ibans(text),
        *_cards(text),
        *_phones(text),
        *_emails(text),
        *_ssns(text),
        *national_phones(text),
        *street_addresses(text),
    ]:
        if not any(k.start < finding.end and finding.start < k.end for k in kept):
            kept.append(finding)
    return [f for f in kept if not f.safe]


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
                safe=digits in TEST_CARDS,
                kind="card",
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
        yield Finding(match.start(), match.end(), shown, safe, kind="phone")
    for match in _E164.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        shown = f"phone number +{digits[:2]}***{digits[-2:]}"
        yield Finding(match.start(), match.end(), shown, safe=uk_drama(digits), kind="phone")


def _emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        domain = match.group(1).lower()
        safe = domain.endswith(SAFE_EMAIL_SUFFIXES) or any(
            domain == d or domain.endswith("." + d) for d in SAFE_EMAIL_DOMAINS
        )
        shown = f"{match.group()[0]}***@{domain}"
        # only a reserved domain makes an address safe: `test` in a real one proves nothing
        yield Finding(match.start(), match.end(), f"e-mail address {shown}", safe, False, "email")


def _ssns(text: str) -> Iterator[Finding]:
    for match in _SSN.finditer(text):
        area, _, group, serial = match.groups()
        # never issued, so already a safe fixture value
        impossible = area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000"
        shown = f"SSN-like id ***-**-**{serial[-2:]}"
        yield Finding(match.start(), match.end(), shown, impossible, kind="ssn")


# Ofcom's numbers for drama (UK, national significant number prefixes): like NANP 555-01xx,
# fiction by definition. ofcom.org.uk, "Telephone numbers for drama purposes".
UK_DRAMA = (
    "2079460", "1134960", "1144960", "1154960", "1164960", "1174960", "1184960", "1214960",
    "1314960", "1414960", "1514960", "1614960", "1914980", "2896496", "2920180", "1632960",
    "7700900", "8081570", "9098790", "3069990",
)  # fmt: skip
# Published documentation examples (ECBS, bank integration guides): checksum-valid, no account.
EXAMPLE_IBANS = frozenset(
    {
        "GB82WEST12345698765432",
        "GB33BUKB20201555555555",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
        "CH9300762011623852957",
    }
)
# A trunk-prefix national number (UK 020 7123 4567, FR 01 23 45 67 89, DE 030 12345678) or one
# dialled with the 00 international prefix. Groups of 2+ digits (so `0.1.2.3` is no phone) are
# split only at a separator: a long run of digits can be cut one way only (no backtracking).
_NATIONAL = re.compile(r"(?<![\w+.:/-])0\d{1,16}(?:[ .-]\d{2,8}){0,5}(?![\w.:/-])")
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)
_STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    "Terrace|Close|Crescent|Parkway|Pkwy|Highway|Hwy|Square|Sq"
)
_ADDRESS = re.compile(
    rf"(?<![\w.-])\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\.?\s+){{1,3}}({_STREET_TYPES})\b\.?"
)
_ADDRESS_MARKERS = ("example", "fixture", "test", "sample", "fake")


def national_phones(text: str) -> Iterator[Finding]:
    """Phone numbers written nationally (`0…`, 10 or 11 digits) or with `00` + country code."""
    for match in _NATIONAL.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if digits.startswith("00") and 9 <= len(digits) <= 17 and digits[2] != "0":
            yield Finding(
                match.start(),
                match.end(),
                f"phone number +{digits[2:4]}***{digits[-2:]}",
                safe=digits[2:4] == "44" and digits[4:].startswith(UK_DRAMA),
                kind="phone",
            )
        elif len(digits) in (10, 11) and digits[1] != "0":
            yield Finding(
                match.start(),
                match.end(),
                f"phone number {digits[:3]}***{digits[-2:]}",
                safe=digits[1:].startswith(UK_DRAMA),
                kind="phone",
            )


def uk_drama(digits: str) -> bool:
    """Whether an international number (digits, no `+`) is one of Ofcom's drama numbers."""
    return digits.startswith("44") and digits[2:].startswith(UK_DRAMA)


def ibans(text: str) -> Iterator[Finding]:
    """IBANs whose mod-97 checksum holds (a random code rarely does)."""
    for match in _IBAN.finditer(text):
        iban = match.group().replace(" ", "")
        if 15 <= len(iban) <= 34 and _iban_checksum(iban):
            yield Finding(
                match.start(),
                match.end(),
                f"IBAN {iban[:2]}***{iban[-2:]}",
                safe=iban in EXAMPLE_IBANS,
                kind="iban",
            )


def _iban_checksum(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def street_addresses(text: str) -> Iterator[Finding]:
    """`221B Baker Street`, `42 Elm St.`: a house number, capitalised words, a street type."""
    for match in _ADDRESS.finditer(text):
        safe = any(marker in match.group().lower() for marker in _ADDRESS_MARKERS)
        shown = f"street address ** *** {match.group(1)}"
        yield Finding(match.start(), match.end(), shown, safe, kind="address")
