"""Imports run one way: shared helpers ← domain ← protocol ← store ← sync ← state ← views, and
the server uses only the domain, the protocol and the shared helpers; no module imports itself
back through others.

The imports are read from the source (``ast``), all of them: inside functions and under
``TYPE_CHECKING`` too, since an import hidden in a function is still a dependency, and a cycle
through type hints is still two modules that cannot be understood apart.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (layer, module prefixes), lowest first. A module belongs to the layer of its longest prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shared", ("fieldapp", "fieldapp.ids", "fieldapp.listeners", "fieldapp.photos")),
    ("domain", ("fieldapp.domain",)),
    ("protocol", ("fieldapp.sync.protocol",)),
    ("demo data", ("fieldapp.demo", "fieldapp.demo_data")),
    ("store", ("fieldapp.store",)),
    ("sync", ("fieldapp.sync",)),
    ("state", ("fieldapp.state", "fieldapp.services")),
    ("views", ("fieldapp.views", "fieldapp.app", "fieldapp.demo_run", "main")),
)
# What the server may import from fieldapp: the layers both programs share.
SERVER_MAY_USE = frozenset({"shared", "domain", "protocol", "demo data"})
# Views show what the store and the sync engine report, through the state, never calling them:
# from those layers they may only name the errors they catch.
VIEWS_MAY_USE = ("fieldapp.store.errors", "fieldapp.sync.errors")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {"main": ROOT / "main.py"}
    for package in ("fieldapp", "server"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "versions" not in path.parts:  # Alembic revisions are scripts, not modules
                found[_module_name(path)] = path
    return found


def _targets(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(project module imported, line) for every import statement in the file."""
    known = modules()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _known(alias.name, node.lineno, known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*package, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield from _known(sub if sub in known else base, node.lineno, known)


def _known(name: str, line: int, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    while name and name not in known:
        name = name.rpartition(".")[0]
    if name:
        yield name, line


@cache
def graph() -> dict[str, dict[str, int]]:
    """module → {imported project module: first line}."""
    out: dict[str, dict[str, int]] = {}
    for module, path in modules().items():
        edges: dict[str, int] = {}
        for target, line in _targets(module, path):
            if target != module:
                edges.setdefault(target, line)
        out[module] = edges
    return out


def layer_of(module: str) -> str | None:
    best: tuple[int, str] | None = None
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), name)
    return None if best is None else best[1]


RANK = {name: i for i, (name, _) in enumerate(LAYERS)}


def test_every_app_module_has_a_layer() -> None:
    lost = [m for m in modules() if not m.startswith("server") and layer_of(m) is None]
    assert lost == []


def _where(module: str, target: str) -> str:
    path = modules()[module].relative_to(ROOT)
    return f"{path}:{graph()[module][target]} imports {target}"


def test_app_imports_only_its_own_layer_or_below() -> None:
    wrong = []
    for module, edges in graph().items():
        if module.startswith("server"):
            continue
        mine = layer_of(module)
        assert mine is not None
        for target in edges:
            if target.startswith("server"):
                wrong.append(f"{_where(module, target)} (the server)")
                continue
            theirs = layer_of(target)
            assert theirs is not None
            if RANK[theirs] > RANK[mine]:
                wrong.append(f"{_where(module, target)} ({mine} → {theirs})")
            elif mine == "views" and theirs in ("store", "sync") and target not in VIEWS_MAY_USE:
                wrong.append(f"{_where(module, target)} (views call the store/sync via the state)")
    assert wrong == []


def test_server_uses_only_what_both_programs_share() -> None:
    wrong = [
        f"{_where(module, target)} ({layer_of(target)})"
        for module, edges in graph().items()
        if module.startswith("server")
        for target in edges
        if target.startswith("fieldapp") and layer_of(target) not in SERVER_MAY_USE
    ]
    assert wrong == []


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    edges = graph()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    assert cycles() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from fieldapp.views import shell\n", "fieldapp.views.shell"),
        ("def f():\n    from fieldapp.sync.engine import SyncEngine\n", "fieldapp.sync.engine"),
        ("if TYPE_CHECKING:\n    import fieldapp.store.store\n", "fieldapp.store.store"),
        ("from .engine import run\n", "fieldapp.sync.engine"),
    ],
)
def test_the_walk_sees_every_form_of_import(source: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert [t for t, _ in _targets("fieldapp.sync.probe", path)] == [expected]
