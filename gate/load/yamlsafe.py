"""Safe YAML for case files: YAML 1.2 scalars, plain JSON data, and a position for every node."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gate.load.yamlcompose import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_NODES,
    TAG,
    YamlError,
    compose,
    position,
)
from gate.models import Location, json_path_join, nearest_location

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Location",
    "YamlDocument",
    "YamlError",
    "json_path_join",
    "load_yaml",
    "nearest_location",
    "parse_yaml",
]


_STR, _SEQ, _MAP, _MERGE = TAG + "str", TAG + "seq", TAG + "map", TAG + "merge"
_KEY_TAGS = (_STR, _MERGE)


@dataclass(frozen=True)
class YamlDocument:
    """Parsed data plus where each node is, keyed by JSON path (`$.a.b[0]`, `$['odd key']`)."""

    data: Any
    # where the entry is written: the key of a mapping entry, the `- ` item, the root node
    locations: dict[str, Location]
    # where the value node itself starts (differs from `locations` for `key: value`)
    values: dict[str, Location]


def _syntax_error(exc: yaml.MarkedYAMLError) -> YamlError:
    # PyYAML names a key token '?', which reads like a typo in the user's file
    problem = (exc.problem or exc.context or "invalid YAML").replace("'?'", "a mapping key")
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # an unclosed quote or bracket: point at where it opened
    context = exc.context if exc.problem else None
    if context and exc.context_mark is not None and exc.context_mark is not mark:
        context = f"{context} on line {exc.context_mark.line + 1}"
    suffix = f" ({context})" if context else ""
    if "'\\t'" in problem:  # PyYAML's repr of a tab: editors insert them unseen
        suffix += "; use spaces, not tabs, to indent and separate YAML"
    return YamlError(f"invalid YAML: {problem}{suffix}", *position(mark))


def _reader_error(exc: yaml.reader.ReaderError, text: str) -> YamlError:
    offset = min(max(int(exc.position), 0), len(text))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return YamlError(
        f"invalid YAML: character #x{int(exc.character):04x} is not allowed "
        "(is this a binary file?)",
        line,
        col,
    )


def parse_yaml(text: str, path: str = "<string>", *, libyaml: bool | None = None) -> YamlDocument:
    """Parse one YAML document of plain data (mappings with string keys, lists, scalars).

    `libyaml` picks the parser (see `gate.yamlcompose.compose`); both give the same result.

    Raises:
        YamlError: syntax errors, duplicate keys, several documents, an empty file, unsupported
            tags, or aliases beyond the billion-laughs bound; located in `path`.
    """
    try:
        root = compose(text, libyaml=libyaml)
        builder = _Builder()
        data = builder.build(root, "$", position(root.start_mark))
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML in {path}: {exc}") from None
    except RecursionError:
        raise YamlError(f"YAML nested deeper than {MAX_DEPTH} levels") from None
    return YamlDocument(data, builder.locations, builder.values)


def load_yaml(text: str, path: str = "<string>") -> tuple[Any, dict[str, Location]]:
    """`parse_yaml` reduced to (data, entry locations by JSON path)."""
    document = parse_yaml(text, path)
    return document.data, document.locations


class _Builder:
    """Turns composed nodes into plain data, recording the position of every JSON path."""

    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}
        self.values: dict[str, Location] = {}
        self._nodes = 0
        self._open: set[int] = set()  # collections being built: an alias back to one is a cycle

    def build(self, node: Node, path: str, entry: Location) -> Any:
        self.locations[path] = entry
        self.values[path] = position(node.start_mark)
        return self._construct(node, path)

    def _construct(self, node: Node, path: str) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlError(
                f"YAML aliases expand to more than {MAX_NODES} nodes (billion-laughs guard)",
                *position(node.start_mark),
            )
        if isinstance(node, ScalarNode):  # mostly strings: taken as they are, without a call
            return node.value if node.tag == _STR else _scalar(node, path)
        if id(node) in self._open:
            raise YamlError("recursive YAML alias", *position(node.start_mark))
        self._open.add(id(node))
        try:
            if isinstance(node, SequenceNode) and node.tag == _SEQ:
                return [
                    self.build(item, json_path_join(path, i), position(item.start_mark))
                    for i, item in enumerate(node.value)
                ]
            if isinstance(node, MappingNode) and node.tag == _MAP:
                return self._mapping(node, path)
            raise _unsupported(node, path)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, path: str) -> dict[str, Any]:
        pairs: list[tuple[Node, Node]] = node.value
        _check_duplicates(pairs, path)
        result: dict[str, Any] = {}
        # `<<: *base` first, so that keys written out in this mapping win over merged ones
        for merged in [value_node for key_node, value_node in pairs if key_node.tag == _MERGE]:
            result.update(self._merge(merged, path))
        for key_node, value_node in pairs:
            if key_node.tag != _MERGE:
                key = str(key_node.value)
                child = json_path_join(path, key)
                result[key] = self.build(value_node, child, position(key_node.start_mark))
        return result

    def _merge(self, node: Node, path: str) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):  # the first mapping listed wins
            if not isinstance(source, MappingNode):
                raise YamlError(
                    "a merge key '<<' takes a mapping or a list of mappings",
                    *position(source.start_mark),
                    path,
                )
            merged.update(self._construct(source, path))
        return merged


def _check_duplicates(pairs: list[tuple[Node, Node]], path: str) -> None:
    seen: dict[str, int] = {}
    for key_node, _ in pairs:
        if not isinstance(key_node, ScalarNode):
            raise YamlError(
                "a mapping key must be a string, not a list or mapping",
                *position(key_node.start_mark),
                path,
            )
        if key_node.tag not in _KEY_TAGS:
            raise YamlError(
                f"mapping key {key_node.value} is not a string (quote it)",
                *position(key_node.start_mark),
                path,
            )
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise YamlError(
                f"duplicate key {key!r} (first defined on line {seen[key]})",
                *position(key_node.start_mark),
                json_path_join(path, key),
            )
        seen[key] = line


def _unsupported(node: Node, path: str) -> YamlError:
    tag = node.tag.replace(TAG, "!!")
    return YamlError(
        f"unsupported YAML tag {tag}: case files hold plain JSON-like data",
        *position(node.start_mark),
        path,
    )


def _scalar(node: ScalarNode, path: str) -> Any:
    tag, value = node.tag, str(node.value)
    try:
        if tag == _STR:
            return value
        if tag == TAG + "null":
            return _null(value)
        if tag == TAG + "bool":
            return _bool(value)
        if tag == TAG + "int":
            return _int(value)
        if tag == TAG + "float":
            return _finite(_float(value), value, node, path)
    except ValueError:
        raise YamlError(
            f"invalid {tag.replace(TAG, '!!')} value {value[:40]!r}",
            *position(node.start_mark),
            path,
        ) from None
    raise _unsupported(node, path)


def _finite(number: float, value: str, node: ScalarNode, path: str) -> float:
    # `.nan`, `.inf` and `1e99999` are no JSON number, and as a limit (`max_turn_ms: .inf`) they
    # would disable the check: refused wherever they are written, case file or config alike.
    if not math.isfinite(number):
        raise YamlError(
            f"{value[:40]} is not a finite number (NaN and infinity are not JSON numbers "
            "and cannot be a limit)",
            *position(node.start_mark),
            path,
        )
    return number


def _null(value: str) -> None:
    if value not in ("", "~", "null", "Null", "NULL"):
        raise ValueError(value)


def _bool(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError(value)
    return value.lower() == "true"


def _int(value: str) -> int:
    if value.startswith("0o"):
        return _decimal_writable(int(value[2:], 8))
    if value.startswith("0x"):
        return _decimal_writable(int(value[2:], 16))
    return int(value, 10)


def _decimal_writable(number: int) -> int:
    """`number`, or ValueError where Python cannot write it in decimal (past its digit limit,
    as decimal text that long cannot be read). Why: hex and octal text has no such bound, and a
    value past it failed later, where the lint or a message writes it out, as a gate bug."""
    str(number)
    return number


def _float(value: str) -> float:
    bare = value.lstrip("+-").lower()
    if bare == ".inf":
        return -math.inf if value.startswith("-") else math.inf
    if bare == ".nan":
        return math.nan
    return float(value)
