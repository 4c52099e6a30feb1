"""The floor plan holds: imports point down, no circles, argparse and settings at the top."""

from __future__ import annotations

import ast
import importlib
import re

import pytest
from support.imports import GATE, circles, floors, graph, inner_imports, module_name

# Highest first. A module may import its own package and anything in a lower layer, never a
# higher one or a sibling package of its own layer (siblings are independent stages).
LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"commands"},
    {"settings"},
    {"github"},
    {"report"},
    {"records"},
    {"runner", "judge"},
    {"dispatch", "evaluate", "reference", "select", "load", "draft"},
    {"net", "results", "git", "globs"},
    {"models", "text", "errors", "patterns", "pii"},
    {"redact"},
]
MAX_FLOORS = 10
EDGES = graph()


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "gate"


def _layer(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def test_every_package_has_a_layer() -> None:
    packages = {_package(m) for m in EDGES} - {"gate"}
    assert packages == set().union(*LAYERS)


@pytest.mark.parametrize("module", sorted(EDGES))
def test_imports_point_down(module: str) -> None:
    here = _package(module)
    if here == "gate":
        return
    wrong = [
        target
        for target in EDGES[module]
        if _package(target) not in (here, "gate") and _layer(_package(target)) <= _layer(here)
    ]
    assert not wrong, f"{module} imports {wrong}: same or higher layer"


def test_no_import_circle() -> None:
    assert circles(EDGES) == []


def test_at_most_ten_floors() -> None:
    # A floor is runtime import depth: an import under TYPE_CHECKING names a type for an
    # annotation and never runs (it still must point down: test_imports_point_down).
    highest = max(floors(graph(runtime=True)).items(), key=lambda item: item[1])
    assert highest[1] <= MAX_FLOORS, f"{highest[0]} stands on floor {highest[1]}"


def test_the_checks_see_a_violation() -> None:
    # Negative control: a circle and an upward import are found by the same functions.
    edges = {"gate.a": {"gate.b"}, "gate.b": {"gate.a"}, "gate.c": set()}
    assert circles(edges) == [["gate.a", "gate.b"]]
    assert floors({"gate.x": {"gate.y"}, "gate.y": {"gate.z"}, "gate.z": set()})["gate.x"] == 3


def _sources() -> list[tuple[str, str]]:
    return [(module_name(p), p.read_text("utf-8")) for p in sorted(GATE.rglob("*.py"))]


def test_argparse_options_and_subcommands_only_in_the_cli() -> None:
    defining = re.compile(r"\.(add_argument|add_parser|add_subparsers)\(|ArgumentParser\(")
    found = [m for m, text in _sources() if defining.search(text) and _package(m) != "cli"]
    assert found == []


def test_only_the_top_reads_run_settings() -> None:
    readers = [
        m
        for m, text in _sources()
        if re.search(r"from gate\.settings import [^\n]*\bRunSettings\b", text)
    ]
    assert readers and all(_package(m) in ("cli", "commands") for m in readers), readers


def test_only_gate_github_knows_github_variables() -> None:
    knowing = []
    for module, text in _sources():
        tree = ast.parse(text)
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
        docstrings = {ast.get_docstring(n) for n in ast.walk(tree) if _has_doc(n)}
        if any(
            isinstance(s, str) and s.startswith("GITHUB_") and s not in docstrings for s in strings
        ):
            knowing.append(module)
    assert knowing and all(_package(m) == "github" for m in knowing), knowing


def _has_doc(node: ast.AST) -> bool:
    return isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


def test_no_import_inside_a_function() -> None:
    inner = {module_name(p): inner_imports(p) for p in GATE.rglob("*.py")}
    assert {m: found for m, found in inner.items() if found} == {}


def test_every_exception_class_is_drawn_in_the_error_tree() -> None:
    tree_text = ast.get_docstring(ast.parse((GATE / "errors.py").read_text("utf-8"))) or ""
    defined = set()
    for module in sorted(set(EDGES) - {"gate.__main__"}):  # importing __main__ runs the CLI
        for value in vars(importlib.import_module(module)).values():
            if isinstance(value, type) and issubclass(value, BaseException):
                if value.__module__.startswith("gate"):
                    defined.add(value.__name__)
    assert "GateError" in defined
    assert sorted(name for name in defined if name not in tree_text) == []
