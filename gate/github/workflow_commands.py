"""Workflow commands and file commands, escaped exactly as actions/toolkit does (pure).

A workflow command is one stdout line, `::name key=value,key=value::message`. The runner decodes
`%25 %0D %0A` in the message and additionally `%3A %2C` in property values, so an unescaped
newline in a case id or agent text would end the command early and the rest could be read as a
command of its own (actions/toolkit `command.ts`; actions/runner `ActionCommand.cs`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

# The runner also parses the legacy `##[name]data` form anywhere in a line, so output that
# carries untrusted text is fenced with stop-commands (see `stop_commands`).
OUTPUT_DELIMITER_PREFIX = "ghadelimiter_"


def escape_data(value: object) -> str:
    """A command's message: `%` first, so the escapes it adds are not escaped again."""
    return str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: object) -> str:
    """A property value: like `escape_data`, plus `:` and `,` (they separate properties)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: object = "", properties: Mapping[str, object] | None = None) -> str:
    """`::name k=v,…::message`; None or empty properties are left out, as the toolkit does."""
    props = ",".join(
        f"{key}={escape_property(value)}"
        for key, value in (properties or {}).items()
        if value is not None and value != ""
    )
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(message)}"


def annotation(
    kind: str,
    message: object,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> str:
    """`::error|warning|notice file=…,line=…,title=…::message`."""
    if kind not in ("error", "warning", "notice"):
        raise ValueError(f"unknown annotation kind {kind!r}")
    return command(kind, message, {"file": file, "line": line, "title": title})


def warning(message: object) -> str:
    """A plain `::warning::` (no file): shows on the run's summary page."""
    return command("warning", message)


def group(title: object) -> str:
    """Start a foldable section of the log."""
    return command("group", title)


def endgroup() -> str:
    """End the section `group` started."""
    return command("endgroup")


def add_mask(value: str) -> str:
    """Ask the runner to mask `value` in the rest of the log (the runner echoes `***`)."""
    return command("add-mask", value)


def new_token(factory: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """An unguessable token for stop-commands: text that knows it could resume commands."""
    return factory().hex


def stop_commands(token: str) -> str:
    """Stop processing workflow commands until `resume_commands(token)` is printed."""
    return command("stop-commands", token)


def resume_commands(token: str) -> str:
    """Resume processing: the line is the token itself used as a command name."""
    return f"::{token}::"


def new_delimiter(factory: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """`ghadelimiter_<uuid>`: a file command's heredoc delimiter (toolkit `file-command.ts`)."""
    return f"{OUTPUT_DELIMITER_PREFIX}{factory()}"


def file_command_entry(name: str, value: object, delimiter: str) -> str:
    """`name<<delimiter\\nvalue\\ndelimiter\\n` for GITHUB_OUTPUT (multi-line safe).

    Raises ValueError when the name or value contains the delimiter: the value would end the
    heredoc early and its tail would become outputs of its own.
    """
    text = str(value)
    if delimiter in name or delimiter in text:
        raise ValueError("the output name or value contains the heredoc delimiter")
    if not name or "\n" in name or "\r" in name or "<<" in name or "=" in name:
        raise ValueError(f"invalid output name {name!r}")
    return f"{name}<<{delimiter}\n{text}\n{delimiter}\n"
