"""`--suite` and `--level`: narrow the loaded cases before a tier selects among them (pure)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from gate.errors import InputError
from gate.models import LoadedCase

LEVELS = ("blocking", "scheduled", "manual")


def filter_cases(
    cases: Sequence[LoadedCase], suites: Sequence[str] = (), levels: Sequence[str] = ()
) -> tuple[list[LoadedCase], str]:
    """The cases in one of `suites` and at one of `levels` (an empty filter keeps all), with the
    note the selection shows; a suite no case belongs to is an InputError (a typo would
    otherwise run nothing, or the wrong thing, without a word)."""
    known = sorted({c.case.suite for c in cases})
    for suite in suites:
        if suite not in known:
            close = difflib.get_close_matches(suite, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InputError(
                f"--suite {suite!r}: no case has this suite ({hint}suites: {', '.join(known)})"
            )
    kept = [
        c
        for c in cases
        if (not suites or c.case.suite in suites)
        and (not levels or c.case.promotion.level in levels)
    ]
    flags = [f"--suite {s}" for s in suites] + [f"--level {level}" for level in levels]
    note = f"{' '.join(flags)}: {len(kept)} of {len(cases)} case(s)" if flags else ""
    return kept, note
