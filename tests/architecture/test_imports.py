"""Every ``from journeysim.X import name`` takes ``name`` from where it is defined: a module's
own definitions, or a package index's public names. No module passes on what it imported
(no re-exports kept for old paths), and no private name crosses a module boundary."""

from __future__ import annotations

import ast
import importlib
import inspect
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    p for folder in ("journeysim", "tests", "benchmarks", "experiments", "hydra_plugins") for p in (ROOT / folder).rglob("*.py")
)


def defined_at_top(module: types.ModuleType) -> set[str]:
    """Names a module's own top level binds: defs, classes, assignments (not imports)."""
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def problems_of(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "journeysim" and not node.level):
            continue
        module = importlib.import_module(node.module)
        is_package = hasattr(module, "__path__")
        for alias in node.names:
            name = alias.name
            if is_package:
                ok = name in getattr(module, "__all__", ()) or importlib.util.find_spec(f"{node.module}.{name}") is not None
            else:
                ok = name in defined_at_top(module)
                if ok and name.startswith("_") and not name.startswith("__"):
                    ok = False
            if not ok:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name!r} from {node.module}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_names_are_imported_from_where_they_are_defined(path):
    assert problems_of(path) == []


def test_the_checker_flags_a_passed_on_name(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("from journeysim.studies.comparison import plain_data\nfrom journeysim.analysis.metrics import _kpis\n")
    assert len(problems_of_outside(source)) == 2


def problems_of_outside(path: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, path.parent
    try:
        return problems_of(path)
    finally:
        ROOT = saved
