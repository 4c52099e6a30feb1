"""Whether a model id is pinned (a dated snapshot or an explicit version) or a floating alias."""

from __future__ import annotations

import re

# 2024-08-06, 20241022: a snapshot's date stamp (seed 002: "pin the model version with a date").
_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-?(?:0[1-9]|1[0-2])-?(?:0[1-9]|[12]\d|3[01])(?!\d)")
# gpt-4-0613, gemini-1.5-pro-002, text-bison@001, mistral-large-2407, ...-v1:0: a version suffix.
_VERSION = re.compile(r"[-@:_](?:v\d+(?:[.:]\d+)*|\d{3,4})$", re.IGNORECASE)
# Names that move by design, even with a version-looking part next to them.
_FLOATING = re.compile(r"(?:^|[-@:_./])(latest|current|stable|default)(?:$|[-@:_./])", re.I)


def floating_reason(model: str) -> str | None:
    """Why `model` is a floating alias (it may change under the same name), or None if pinned."""
    name = model.strip()
    moving = _FLOATING.search(name)
    if moving:
        return f"{moving.group(1)!r} names whatever the provider serves today"
    if _DATE.search(name) or _VERSION.search(name):
        return None
    return "it has no date stamp or version"


def pinned_hint(what: str, model: str) -> str:
    """The message for a floating model: which, why, and what to write instead."""
    why = floating_reason(model) or "pinned"
    return (
        f"{what} {model!r} is a floating alias ({why}): a provider update can change the "
        "behaviour under test without a diff; pin a dated snapshot, e.g. gpt-4o-2024-08-06"
    )
