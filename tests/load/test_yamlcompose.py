"""libyaml's fast composer and PyYAML's own read every text the same: data, positions, errors."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gate.load import yamlcompose
from gate.load.yamlsafe import YamlError, parse_yaml

REPO = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    path
    for folder in (REPO / "tests" / "data", REPO / "examples")
    for path in folder.rglob("*.y*ml")
)
VALID = sorted(
    [
        *(REPO / "examples" / "cases").rglob("*.yaml"),
        *(REPO / "tests" / "data" / "cases" / "valid").glob("*.yaml"),
    ]
)
pytestmark = pytest.mark.skipif(not yamlcompose.LIBYAML, reason="PyYAML is built without libyaml")

# Where libyaml reads more than PyYAML (found by differential fuzzing): the fast path must hand
# these to the reference parser, or a file would load that the gate used to reject (or load
# with other positions).
LENIENT = [
    "a:\tb\n",
    "a: b\t# c\n",
    "[a,\tb]\n",
    "type: cust\tomer\n",  # tabs as separators
    "a\ufeffb: c\n",
    "a: 1\n\ufeffb: 2\n",  # a byte order mark: libyaml counts it in columns
    "a: |# note\n  x\n",
    "a: >-#\n  x\n",  # a comment right after a block scalar indicator
    "{a: b?c}\n",
    "[a?]\n",
    "run_on: [prompt?change]\n",  # `?` inside a flow plain scalar
    "[a: ]\n",
    "{a: , b: 1}\n",  # an empty value in a flow collection
    "---",
    "? a",
    "- ?  ~-",
    "a:",  # no final line break: libyaml adds one and moves empty values
]
# Constructs both parsers accept or reject alike; the fast path must not drift on any of them.
TRICKY = [
    "a: yes\nb: off\nc: TRUE\nd: 012\ne: 0o17\nf: 12:30\ng: 2026-06-03\nh: ~\ni: .NaN\n",
    "a: [1, 2,]\nb: {c: 1,}\n",
    "a: [b, {c: d}, [e]]\n",
    "? [a]\n: b\n",
    "[a:b]\n",
    "{a:b}\n",
    "a: b:c\n",
    "[a,b]: c\n",
    "- ? a\n  : b\n",
    '["a":b]\n',
    "a: [b\n  c]\n",
    "a: !x b\n",
    "a: !<tag:yaml.org,2002:str> 3\n",
    "%TAG !e! tag:yaml.org,2002:\n---\na: !e!int 3\n",
    "a: '\u2028b'\n",
    "a: b\u2028c: d\n",
    "a: b\x85c: d\n",
    "a: b\r\nc: d\n",
    "a: b\rc: d\n",
    "a: |\n  x\u2028  y\n",
    "a: 😀b\nc: [x, 😀]\n",
    "? |\n  a\n: b\n",
    "a: b #c\n#d\n",
    'a: "\\t\\x41\\u0041\\U0001F600\\N\\_\\L\\P\\e\\/"\n',
    "a: >-\n  x\n\n  y\n",
    "a: |+\n  x\n\n",
    "a: |2\n   x\n",
    "%YAML 1.2\n---\na: 1\n",
    "%YAML 1.3\n---\na: 1\n",
    "a: &x b\nc: *x\n",
    "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
    "a: *b\n",
    "&a a: *a\n",
    "a: &a b\nc: *a\nd: &a e\n",
    "a:\n- b\n- c\n",
    "a: b\n...\n",
    "--- a\n",
    "---\n...\n",
    'a: "q"c\n',
    "- a\n -b\n",
    "a: 1\n  b: 2\n",
    "a: @b\n",
    "a: [,]\n",
    'a: "\\q"\n',
    "a: 'b\n  c'\n",
    "'a\n\n  b': 1\n",
    "a: b\n  c\n  d\n",
    "x: - a\n",
    "a: [b, c]d\n",
    "a: 'unterminated\n",
    "a: [1, 2\n",
    "1: one\n",
    "a: !!binary aGk=\n",
    "a: 1\n---\nb: 2\n",
    "",
    "# only a comment\n",
    "a: b\x00c\n",
    "a: \ud800\n",
    "a: 1\na: 2\n",
    "a: &a [*a]\n",
    "[" * 70 + "]" * 70 + "\n",
    "a: &a x\nb: " + "[" * 63 + "*a" + "]" * 63 + "\n",
    "a: &a x\nb: " + "[" * 62 + "*a" + "]" * 62 + "\n",
    "a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(100)),
    "a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(101)),
]
# What mutations insert: YAML indicators, line breaks of every kind, odd characters.
INSERTS = [
    *":-[]{}&*!\t#\"'?|>%@`,\n\r ",
    "\u2028",
    "\x85",
    "\ufeff",
    "\r\n",
    "- ",
    ": ",
    "*a",
    "&a ",
    "!!str ",
    "<<: ",
    "? ",
    "---\n",
    "...\n",
    "é",
    "😀",
    "\x00",
    "\\",
]


def read(path: Path) -> str:
    # undecodable bytes become lone surrogates, which both parsers must refuse alike
    return path.read_bytes().decode("utf-8-sig", errors="surrogateescape")


def outcome(text: str, libyaml: bool) -> tuple[object, ...]:
    """Everything the rest of the gate sees of a parse: the data (in order), both position
    tables, or the error with its location."""
    try:
        document = parse_yaml(text, libyaml=libyaml)
    except YamlError as exc:
        return ("error", exc.message, exc.line, exc.col, exc.json_path)
    return ("data", json.dumps(document.data, default=repr), document.locations, document.values)


def assert_same(text: str) -> None:
    assert outcome(text, libyaml=True) == outcome(text, libyaml=False), repr(text[:200])


@pytest.fixture
def reference_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every text the pure-Python reference composer reads."""
    calls: list[str] = []
    original: Callable[[str], Node] = yamlcompose._compose_reference

    def recording(text: str) -> Node:
        calls.append(text)
        return original(text)

    monkeypatch.setattr(yamlcompose, "_compose_reference", recording)
    return calls


def test_libyaml_is_the_default_when_pyyaml_has_it() -> None:
    assert yamlcompose.LIBYAML is bool(yaml.__with_libyaml__)


def test_valid_files_are_composed_by_libyaml_alone(reference_calls: list[str]) -> None:
    assert len(VALID) >= 10
    for path in VALID:
        document = parse_yaml(path.read_text("utf-8-sig"))
        assert isinstance(document.data, dict) and document.data["version"] == 1
    assert reference_calls == []  # the speed-up is real: no file needed the slow parser


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_both_composers_agree_on_every_yaml_file_in_the_repository(path: Path) -> None:
    assert_same(read(path))


@pytest.mark.parametrize("text", TRICKY)
def test_both_composers_agree_on_tricky_text(text: str) -> None:
    assert_same(text)


@pytest.mark.parametrize("text", LENIENT)
def test_text_libyaml_reads_more_leniently_goes_to_the_reference(
    text: str, reference_calls: list[str]
) -> None:
    assert_same(text)
    assert text in reference_calls


def test_both_composers_agree_on_mutated_files(reference_calls: list[str]) -> None:
    rng = random.Random(7)
    texts = [read(path) for path in CORPUS]
    fast = 0
    for _ in range(250):
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(text))
            if rng.random() < 0.5:
                text = text[:at] + rng.choice(INSERTS) + text[at:]
            else:
                text = text[:at] + text[at + rng.randint(1, 5) :]
        before = len(reference_calls)
        assert_same(text)
        fast += len(reference_calls) == before + 1  # only the libyaml=False run used it
    assert fast >= 50  # enough mutants stayed valid for libyaml to decide them


def test_nesting_is_bounded_before_libyaml_recurses(reference_calls: list[str]) -> None:
    # libyaml's composer recurses in C: without the bound this would overflow the C stack
    text = "a: " + "[" * 300_000 + "]" * 300_000 + "\n"
    with pytest.raises(YamlError, match="nested deeper than 64 levels") as caught:
        parse_yaml(text, libyaml=True)
    assert (caught.value.line, caught.value.col) == (1, 67)
    assert reference_calls == [text]  # located by the reference parser, as before


def test_libyaml_tags_scalars_with_the_yaml_12_resolver(reference_calls: list[str]) -> None:
    text = "a: yes\nb: On\nc: 2026-06-03\nd: 12:30\ne: 012\nf: 0o17\ng: 0x1F\nh: True\ni: ~\n"
    assert parse_yaml(text, libyaml=True).data == {
        "a": "yes",
        "b": "On",
        "c": "2026-06-03",
        "d": "12:30",
        "e": 12,
        "f": 15,
        "g": 31,
        "h": True,
        "i": None,
    }
    assert reference_calls == []


@pytest.mark.parametrize(
    "value",
    ["", "~", "null", "NULL", "nUll", "true", "False", "tRue", "yes", "12", "-3", "+4", "012"]
    + ["0o17", "0x1F", "0x", "1.5", ".5", "1e3", "1.", ".inf", "-.Inf", ".nan", "<<", "text"],
)
def test_the_resolver_tags_as_pyyaml_base_resolver_would(value: str) -> None:
    resolver = yamlcompose.CoreResolver()
    for kind in (ScalarNode, SequenceNode, MappingNode):
        for implicit in ((True, False), (False, True), (False, False), (True, True)):
            expected = yaml.resolver.BaseResolver.resolve(resolver, kind, value, implicit)
            assert resolver.resolve(kind, value, implicit) == expected
