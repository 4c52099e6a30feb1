"""Property: the PII prefilter only skips strings that no detector would flag."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate import pii

# Pieces of phones, cards, SSNs, IBANs, e-mails and street addresses, and what separates them.
PIECES = [
    *"0123456789",
    *" -.+()@,/:#\n",
    "00",
    "415",
    "555",
    "0100",
    "2671",
    "4242",
    "4111",
    "378282246310005",
    "123-45-6789",
    "GB",
    "DE",
    "82",
    "WEST",
    "1234",
    "5698",
    "7654",
    "221B",
    "Baker",
    "Main",
    "Street",
    "St",
    "Ave",
    "jo",
    "x.co",
    "gmail.com",
    "fixture",
    "a",
    "Z",
]
TEXTS = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=14).map("".join),
    st.text(alphabet="0123456789 -+@.AZaz\n", max_size=40),
)


def unfiltered(text: str) -> list[pii.Finding]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pii, "_CANDIDATE", re.compile(""))  # every string goes to the detectors
        return pii.findings(text)


@settings(max_examples=3000, deadline=None)
@given(TEXTS)
def test_the_prefilter_never_hides_a_finding(text: str) -> None:
    assert pii.findings(text) == unfiltered(text)


@pytest.mark.parametrize(
    "text",
    [
        "call +1 (415) 867-5309",
        "+49 30 12345678",
        "020 7123 4567",
        "0049 30 1234567",
        "card 4539 1488 0343 6467",
        "ssn 219-09-9999",
        "GB29 NWBK 6016 1331 9268 19",
        "maria@gmail.com",
        "221B Baker Street",
        "7 Elm St.",
    ],
)
def test_real_looking_values_pass_the_prefilter(text: str) -> None:
    assert pii.findings(text) == unfiltered(text) != []
