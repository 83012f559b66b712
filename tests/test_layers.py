"""The package's layers (issue 24; ../shared/DESIGN.md): every import points down, from the
front ends (the CLI and its terminal lesson, the web app) through playing to the parts,
and no module imports itself back through another. Imports inside functions count too:
a lazy import hides a loop, it does not remove it."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import parse_source

ROOT = Path(__file__).resolve().parent.parent / "onebeat"

#: Lowest first. A package may import its own modules and those of any lower layer.
LAYERS: list[set[str]] = [
    {"errors"},
    {"_io", "kit", "onebeat"},  # "onebeat": the package's own __init__ (its version)
    {"audio"},
    {"analysis", "hearing", "demo"},
    {"chart"},
    {"engine"},
    {"session"},
    {"inputs", "insight", "library", "batch"},
    {"tutor"},
    {"play", "simulate"},
    {"web"},
    {"relay"},
    {"cli"},
]


def _modules(root: Path = ROOT) -> dict[str, Path]:
    mods = {}
    for f in root.rglob("*.py"):
        name = ".".join(f.relative_to(root.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = f
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's imports of onebeat modules (``from pkg import module`` is the module)."""
    out: dict[str, set[str]] = defaultdict(set)
    for name, f in mods.items():
        for node in ast.walk(parse_source(f.read_text(encoding="utf-8"), f)):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] != "onebeat":
                    continue
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    out[name].add(sub if sub in mods else node.module)
            elif isinstance(node, ast.Import):
                out[name].update(a.name for a in node.names if a.name.split(".")[0] == "onebeat")
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "onebeat"


def _layer(package: str) -> int:
    for k, layer in enumerate(LAYERS):
        if package in layer:
            return k
    raise AssertionError(f"onebeat/{package} is in no layer: add it to tests/test_layers.py")


def _upward(mods: dict[str, Path]) -> list[str]:
    upward = []
    for name, deps in _imports(mods).items():
        here = _package(name)
        for dep in deps:
            there = _package(dep)
            if there != here and _layer(there) >= _layer(here):
                upward.append(f"{name} imports {dep}")
    return sorted(upward)


def _loops(mods: dict[str, Path]) -> list[list[str]]:
    graph = _imports(mods)
    loops = []
    # Tarjan's strongly connected components: a component of more than one module is a loop
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
                loops.append(sorted(component))

    for v in sorted(mods):
        if v not in index:
            visit(v)
    return loops


def test_every_import_points_down() -> None:
    assert _upward(_modules()) == []


def test_no_import_loops() -> None:
    assert _loops(_modules()) == []


def test_the_rule_catches_an_upward_import_and_a_lazy_loop(tmp_path: Path) -> None:
    root = tmp_path / "onebeat"
    for folder in ("engine", "web"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "engine" / "judge.py").write_text(
        "def f():\n    from onebeat.web.app import serve\n"  # lazy, and upward
    )
    (root / "web" / "app.py").write_text("from onebeat.engine import judge\n")
    mods = _modules(root)
    assert _upward(mods) == ["onebeat.engine.judge imports onebeat.web.app"]
    assert _loops(mods) == [["onebeat.engine.judge", "onebeat.web.app"]]
