"""Real-caller-data detectors beyond NANP and cards (pure): national phones, IBANs, addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


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
            )
        elif len(digits) in (10, 11) and digits[1] != "0":
            yield Finding(
                match.start(),
                match.end(),
                f"phone number {digits[:3]}***{digits[-2:]}",
                safe=digits[1:].startswith(UK_DRAMA),
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
            )


def _iban_checksum(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def street_addresses(text: str) -> Iterator[Finding]:
    """`221B Baker Street`, `42 Elm St.`: a house number, capitalised words, a street type."""
    for match in _ADDRESS.finditer(text):
        safe = any(marker in match.group().lower() for marker in _ADDRESS_MARKERS)
        yield Finding(match.start(), match.end(), f"street address ** *** {match.group(1)}", safe)
