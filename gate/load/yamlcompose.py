"""YAML text to one bounded node graph: libyaml's fast parser when available, PyYAML's otherwise."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.error import Mark
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from gate.errors import InputError
from gate.models import Location

try:
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml: the reference does it all
    CParser = None  # type: ignore[assignment,misc]


# Billion-laughs protection: a handful of aliases is DRY, more is suspicious, and the expanded
# tree is bounded so a small file can never make us build (or lint, or validate) a huge one.
MAX_ALIASES = 100
MAX_NODES = 50_000
MAX_DEPTH = 64
TAG = "tag:yaml.org,2002:"
# Whether `compose` tries libyaml first; tests switch it off to run the reference path alone.
LIBYAML = CParser is not None
# A comment right after `|` or `>`: libyaml accepts it, PyYAML wants a space (see _lenient).
_HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")


class YamlError(InputError):
    """The text is not one YAML document of plain data; `line` and `col` are 1-based."""

    def __init__(self, message: str, line: int = 1, col: int = 1, json_path: str = "$") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.json_path = json_path  # the node at fault, when the document got that far


def position(mark: Any) -> Location:
    """1-based (line, column) of a PyYAML or libyaml mark; (1, 1) without one."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class CoreResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: no yes/no/on/off booleans, timestamps, sexagesimal or 0-octal ints."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The tag of a node: `BaseResolver.resolve` without the path resolvers and any-first-
        character resolvers this class never registers. Why: libyaml calls it for every node,
        and the base method's lookups for them were a sixth of composing a case file."""
        if kind is ScalarNode and implicit[0]:
            for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                if regexp.match(value):
                    return tag
        return _DEFAULT_TAGS[kind]


_DEFAULT_TAGS = {
    ScalarNode: CoreResolver.DEFAULT_SCALAR_TAG,
    SequenceNode: CoreResolver.DEFAULT_SEQUENCE_TAG,
    MappingNode: CoreResolver.DEFAULT_MAPPING_TAG,
}


for _name, _pattern, _first in (
    ("bool", r"[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]", list("tTfF")),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        list("-+.0123456789"),
    ),
    ("merge", r"<<", ["<"]),
):
    CoreResolver.add_implicit_resolver(TAG + _name, re.compile(rf"^(?:{_pattern})$"), _first)


def compose(text: str, *, libyaml: bool | None = None) -> Node:
    """The root node of the one YAML document in `text`, within the alias and depth bounds.

    `libyaml` picks the parser (None: libyaml when PyYAML has it). libyaml only ever decides
    success: whatever it objects to, the pure-Python reference parser reads the text again, so
    every error is worded and located exactly as that parser reports it.

    Raises:
        YamlError: an empty text, several documents, too many aliases or too deep a nesting.
        yaml.YAMLError: the text is not valid YAML.
    """
    if (LIBYAML if libyaml is None else libyaml) and CParser is not None:
        root = _compose_fast(text)
        if root is not None:
            return root
    return _compose_reference(text)


class _ReferenceComposer(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    CoreResolver,
):
    """PyYAML's own scanner, parser and composer, counting aliases and depth as it goes."""

    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        CoreResolver.__init__(self)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlError(
                    f"more than {MAX_ALIASES} YAML aliases (billion-laughs guard)",
                    *position(self.next_mark()),
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlError(
                    f"YAML nested deeper than {MAX_DEPTH} levels", *position(self.next_mark())
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def next_mark(self) -> Mark:
        """Where the next event starts (the stubs leave the parser's event API untyped)."""
        mark: Mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return mark


def _compose_reference(text: str) -> Node:
    composer = _ReferenceComposer(text)
    try:
        if not composer.check_node():  # drops StreamStartEvent; False when no document follows
            raise YamlError("empty file: a case file holds one YAML mapping")
        root = composer.compose_document()
        if not composer.check_event(yaml.StreamEndEvent):
            raise YamlError(
                "more than one YAML document: a case file holds one case",
                *position(composer.next_mark()),
            )
    finally:
        composer.dispose()
    if root is None:  # pragma: no cover - compose_document always returns a node
        raise YamlError("empty file: a case file holds one YAML mapping")
    return root


class _TooDeep(Exception):
    """libyaml's composer went past MAX_DEPTH (the reference composer then locates it)."""


if CParser is not None:

    class _FastComposer(CParser, CoreResolver):
        """libyaml's scanner, parser and composer; our resolver still tags every plain scalar
        (libyaml's composer calls `resolve` on `self`, as it does for yaml.CSafeLoader)."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            CoreResolver.__init__(self)
            self._depth = 0

        # libyaml's composer is recursive C: it calls these around every node it builds (not
        # around aliases), so the depth bound holds before a deep file can exhaust the C stack.
        # (The base methods only serve path resolvers, which CoreResolver never registers.)
        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _TooDeep

        def ascend_resolver(self) -> None:
            self._depth -= 1


def _compose_fast(text: str) -> Node | None:
    """The root node, or None for anything but one plain document within every bound."""
    if _lenient(text):
        return None
    try:
        root = _FastComposer(text).get_single_node()
    except (yaml.YAMLError, _TooDeep, UnicodeError):
        return None  # an invalid text: the reference parser words the error
    if root is None or (_may_differ(text) and not _SameAsReference().check(root, 1, flow=False)):
        return None
    return root


def _may_differ(text: str) -> bool:
    """Whether the graph can hold what `_SameAsReference` looks for. Without an anchor (`&`)
    there is no alias, and without `[` or `{` no flow collection; the depth bound then held
    as libyaml built it (`descend_resolver` counts the same nodes). Most case files have none:
    the walk over every node was a tenth of parsing."""
    return "&" in text or "[" in text or "{" in text


def _lenient(text: str) -> bool:
    """Whether libyaml may read `text` differently (found by differential fuzzing): it takes a
    tab as a separator and a comment right after a block scalar indicator, counts a byte order
    mark in columns, and ends an unterminated last line itself (moving empty values there)."""
    return (
        "\t" in text
        or "\ufeff" in text
        or not text.endswith("\n")
        or _HEADER_COMMENT.search(text) is not None
    )


class _SameAsReference:
    """Whether libyaml's node graph is the one the reference composer builds, bounds included.

    Aliases: an alias is the anchored node itself, and an anchor precedes its aliases, so a walk
    in document order meets every node first where it is written; a later edge to a node already
    seen is an alias, one level below its parent (the reference counts both). Leniency: libyaml
    follows YAML 1.2 where PyYAML does not, so in flow collections it reads `[a?]` as a scalar
    (PyYAML: an error) and places an empty value after its `:` differently; such text goes to the
    reference parser.
    """

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.aliases = 0

    def check(self, node: Node, depth: int, *, flow: bool) -> bool:
        if depth > MAX_DEPTH:
            return False
        if id(node) in self.seen:
            self.aliases += 1
            return self.aliases <= MAX_ALIASES
        self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            return not (flow and node.style == "" and (node.value == "" or "?" in node.value))
        if isinstance(node, CollectionNode):
            flow = flow or bool(node.flow_style)
        children: list[Node] = node.value
        if isinstance(node, MappingNode):
            children = [child for pair in node.value for child in pair]
        for child in children:
            if not self.check(child, depth + 1, flow=flow):
                return False
        return True
