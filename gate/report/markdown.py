"""Markdown for GitHub (PR comment, job summary, issues): untrusted text made inert, pure.

Agent, caller and harness text reaches GitHub-flavoured markdown, which would render HTML,
links, images, math and tables from it, ping `@people`, and cross-reference `#123` issues. Every
such string goes through `md_text` (one line, for table cells and lists) or `md_code_block`.
"""

from __future__ import annotations

import html
import re
import urllib.parse

from gate.text import clean, one_line

# GFM backslash-escapes any ASCII punctuation; these are the ones that mean something inline
# (emphasis, code, links/images, tables, strikethrough, math). `<>&` become entities instead.
_ESCAPED = re.compile(r"([\\`*_\[\]|~$])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_HTML_CHARS = re.compile("[&<>]")
ZWSP = "\u200b"
# A zero-width space after `@` / `#` stops GitHub's mention and issue-reference filters (they
# run on the rendered text, so an entity like &#64; would not); after `:` it stops autolinks.
_PINGS = re.compile(r"([@#])(?=[\w-])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


def utf16_len(text: str) -> int:
    """Length as GitHub counts it for its limits; never less than `len(text)`."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def md_text(text: object, limit: int = 300) -> str:
    """Untrusted text as inert inline markdown on one line (safe in a table cell)."""
    value = _defuse(one_line(text, limit))
    value = _HTML_CHARS.sub(lambda m: _HTML[m.group(0)], value)
    return _ESCAPED.sub(r"\\\1", value)


def html_text(text: object, limit: int = 300) -> str:
    """Untrusted text inside gate-written HTML (`<summary>`): entities, no pings, no autolinks."""
    return html.escape(_defuse(one_line(text, limit)), quote=True)


def _defuse(value: str) -> str:
    # Before any escaping, so the zero-width spaces never land inside an entity.
    value = _PINGS.sub(lambda m: m.group(1) + ZWSP, value)
    return _AUTOLINK.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], value)


def md_code_block(text: object, limit: int = 4000, language: str = "text") -> str:
    """A fenced block longer than any backtick run inside it, so the text cannot close it."""
    body = clean(text, limit).replace("\r", "")
    runs = [len(run) for run in re.findall(r"`+", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def md_url(url: object) -> str | None:
    """An http(s) URL fit for a markdown link target, or None (other schemes, odd characters)."""
    if not isinstance(url, str) or _URL_UNSAFE.search(url) or len(url) > 2000:
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # Characters that would end the link target or the table cell are percent-encoded.
    return urllib.parse.quote(url, safe="/:?#[]@!$&'*+,;=%-._~")


def md_link(label: str, url: object) -> str:
    """`[label](url)` with a gate-written label, or the bare label when the URL is unusable."""
    target = md_url(url)
    return f"[{label}]({target})" if target else label
