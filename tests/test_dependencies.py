"""Two programs, two dependency sets (``pyproject.toml``): the tablet app's own as the base
(what ``flet build`` packages) and the server's as the extra ``server``, plus ``dev``.

Every pin is imported by the program that pins it, the tablet app imports only what the base
pins, and the server only the base and its extra. Imports are read from the source (``ast``)
and mapped to distributions by the installed metadata; a few pins are loaded by name rather
than imported, each listed with the reason.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

NOT_IMPORTED = {
    "tzdata": "zoneinfo reads it where the system has no time zone data (Android, Windows)",
    "psycopg": "SQLAlchemy loads it for postgresql+psycopg:// database URLs",
    "flet-web": "ft.run(view=WEB_BROWSER) loads it to serve the app to a browser",
    "flet-cli": "the flet build / flet run commands",
    "pytest-timeout": "a pytest plugin, set by `timeout` in pyproject.toml",
    "pytest-xdist": "a pytest plugin, asked for by `make test` (-n 2)",
    "ruff": "a command (lint and format)",
    "mypy": "a command (types)",
    "types-requests": "type stubs read by mypy",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: Iterable[str]) -> set[str]:
    return {_canonical(re.split(r"[\[=<>!~; ]", r, maxsplit=1)[0]) for r in requirements}


BASE = _pins(PROJECT["dependencies"])
SERVER = _pins(PROJECT["optional-dependencies"]["server"])
DEV = _pins(PROJECT["optional-dependencies"]["dev"])


def _files(*names: str) -> list[Path]:
    out: list[Path] = []
    for name in names:
        path = ROOT / name
        out.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return out


def _top_modules(files: Iterable[Path]) -> dict[str, Path]:
    """Top-level module name of every absolute import → a file that imports it."""
    found: dict[str, Path] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], path)
    return found


@cache
def _dists_of() -> dict[str, list[str]]:
    return packages_distributions()


def _third_party(files: Iterable[Path]) -> dict[str, Path]:
    """Distribution → a file importing it, for every import outside the stdlib and project."""
    own = {"fieldapp", "server", "tests", "bench", "main", "__future__"}
    out: dict[str, Path] = {}
    for module, path in _top_modules(files).items():
        if module in own or module in sys.stdlib_module_names:
            continue
        for dist in _dists_of().get(module, [f"<not installed: {module}>"]):
            out.setdefault(_canonical(dist), path)
    return out


# The web-mode fix for Flet's transport runs only where the app is served to a browser (make
# demo, the browser tests), which is where flet-web is installed; a built tablet has no web server.
WEB_ONLY = {ROOT / "fieldapp" / "flet_patches.py"}
TABLET = [p for p in _files("fieldapp", "main.py") if p not in WEB_ONLY]


def _closure(dists: Iterable[str]) -> set[str]:
    """The distributions and everything they require (not their optional extras)."""
    seen: set[str] = set()
    todo = list(dists)
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        try:
            wanted = requires(dist) or []
        except PackageNotFoundError:
            continue
        todo.extend(_pins(r for r in wanted if "extra ==" not in r))
    return seen


def test_each_set_pins_only_what_its_program_imports() -> None:
    tablet, server = _third_party(TABLET), _third_party(_files("server"))
    tools = _third_party(_files("tests", "bench"))
    assert sorted(BASE - set(tablet) - set(NOT_IMPORTED)) == []
    assert sorted(SERVER - set(server) - set(NOT_IMPORTED)) == []
    assert sorted(DEV - set(tools) - set(NOT_IMPORTED)) == []


def test_the_tablet_app_imports_only_the_base() -> None:
    wrong = {d: str(p.relative_to(ROOT)) for d, p in _third_party(TABLET).items() if d not in BASE}
    assert wrong == {}


def test_the_server_imports_only_the_base_and_its_extra() -> None:
    wrong = {
        d: str(p.relative_to(ROOT))
        for d, p in _third_party(_files("server")).items()
        if d not in BASE | SERVER
    }
    assert wrong == {}


def test_the_sets_do_not_overlap() -> None:
    assert BASE & SERVER == set() and BASE & DEV == set() and SERVER & DEV == set()


def test_every_app_module_imports_with_the_server_extra_absent() -> None:
    """What ``ast`` cannot see (a library the app uses pulling in one of the server's): every
    module of the app imported in a process where what only the server extra brings cannot be."""
    server_only = _closure(SERVER) - _closure(BASE)  # pydantic comes with sqlmodel too
    blocked = sorted(
        m for m, dists in _dists_of().items() if {_canonical(d) for d in dists} <= server_only
    )
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in TABLET
    )
    code = (
        "import importlib, importlib.abc, sys\n"
        f"BLOCKED = set({blocked!r})\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] in BLOCKED:\n"
        "            raise ImportError(f'{name} is the server extra')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "fastapi" in blocked and "orjson" in blocked
    assert run.stdout.strip() == "ok", run.stderr[-2000:]
