"""The gate's import graph from its source (ast): modules, their imports, floors and circles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

GATE = Path(__file__).resolve().parents[2] / "gate"


def module_name(path: Path) -> str:
    """`gate/load/loader.py` -> `gate.load.loader`; a package's `__init__` is the package."""
    parts = list(path.relative_to(GATE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(name: str, modules: set[str]) -> str | None:
    """The longest known module that `name` (a module or `module.symbol`) lies in."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        yield from (f"{node.module}.{alias.name}" for alias in node.names)


def inner_imports(path: Path) -> list[tuple[int, str]]:
    """Imports of gate modules made inside a function: (line, name)."""
    found = []
    for func in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                found += [(node.lineno, n) for n in _imported(node) if n.startswith("gate")]
    return found


def _type_only(tree: ast.AST) -> set[int]:
    """The nodes under `if TYPE_CHECKING:` (imports for annotations that never run)."""
    return {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }


def graph(*, runtime: bool = False) -> dict[str, set[str]]:
    """Each gate module -> the gate modules it imports at module level; with `runtime`, without
    the imports under TYPE_CHECKING (those only name types for annotations)."""
    files = {module_name(p): p for p in GATE.rglob("*.py")}
    modules = set(files)
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text("utf-8"))
        skipped = _type_only(tree) if runtime else set()
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or id(node) in skipped:
                continue
            for imported in _imported(node):
                target = _resolve(imported, modules)
                if target and target != name and not _is_parent(target, name):
                    targets.add(target)
        edges[name] = targets
    return edges


def _is_parent(package: str, module: str) -> bool:
    # `import gate.x.y` runs gate/__init__ and gate/x/__init__: not a dependency of ours
    return module.startswith(package + ".")


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def floors(edges: dict[str, set[str]]) -> dict[str, int]:
    """Floor 1: imports no gate module; otherwise one above the highest module it imports."""
    memo: dict[str, int] = {}

    def floor(v: str, seen: frozenset[str]) -> int:
        if v not in memo:
            below = [floor(w, seen | {v}) for w in edges.get(v, ()) if w not in seen]
            memo[v] = 1 + max(below, default=0)
        return memo[v]

    for v in edges:
        floor(v, frozenset())
    return memo
