"""The package tree shows the architecture and keeps it: layers, rooms, no circles, sizes.

The layering rule lives in pyproject.toml (``[tool.importlinter]``); these tests run it and
add what import-linter does not check: no import circles between modules (the sanctioned
delegations from result objects to ``reporting`` aside), and modules and functions small
enough to read.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "journeysim"
ROOMS = ("model", "config", "analysis", "simulation", "studies", "reporting", "cli")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
# A function may be longer when the line above its ``def`` says why, in a comment starting so.
LONG_REASON = "# Long:"


def contracts() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def sanctioned_upward_imports() -> set[tuple[str, str]]:
    (layers,) = [c for c in contracts()["contracts"] if c["type"] == "layers"]
    return {tuple(part.strip() for part in line.split("->")) for line in layers.get("ignore_imports", [])}


def test_import_linter_contracts_hold():
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert command, "lint-imports (import-linter, a dev dependency) is not installed"
    done = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_contract_names_every_room_in_order():
    (layers,) = [c for c in contracts()["contracts"] if c["type"] == "layers"]
    named = [room.strip().removeprefix("journeysim.") for layer in layers["layers"] for room in layer.split("|")]
    assert named == ["cli", "reporting", "studies", "simulation", "analysis", "config", "model", "errors", "outputs", "datasets"]
    on_disk = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert on_disk == sorted(ROOMS), "every room is a layer of the contract"


def test_only_the_package_index_and_the_bottom_layer_sit_at_the_top():
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "_lazy.py", "datasets.py", "errors.py", "outputs.py"]


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("journeysim")
    sanctioned = sanctioned_upward_imports()
    modules = {m for m in graph.modules if m.startswith("journeysim.")}
    return {
        module: {
            imported for imported in graph.find_modules_directly_imported_by(module)
            if imported in modules and (module, imported) not in sanctioned
        }
        for module in modules
    }


def test_no_import_circles():
    assert _strongly_connected(package_graph()) == []


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _strongly_connected(graph) == [["a", "b", "c"]]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


MODULES = sorted(PACKAGE.rglob("*.py"))


def comments_above(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The comment block right above a function (and its decorators)."""
    row = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 2
    block = []
    while row >= 0 and lines[row].strip().startswith("#"):
        block.append(lines[row].strip())
        row -= 1
    return "\n".join(reversed(block))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_are_small_enough_to_read(module: Path):
    text = module.read_text()
    lines = text.splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{module.name}: {len(lines)} lines; split it along a seam"
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body[1:] if ast.get_docstring(node) else node.body
        length = node.end_lineno - body[0].lineno + 1 if body else 0
        assert length <= MAX_FUNCTION_LINES or LONG_REASON in comments_above(lines, node), (
            f"{module.name}:{node.lineno} {node.name} has {length} lines of body; split it, or say why above it ({LONG_REASON} ...)"
        )


ROOMS_OF_PACKAGES = {"simpy": ("simulation/engines/",), "matplotlib": ("reporting/",), "omegaconf": ("config/",), "yaml": ("config/",), "hydra": ("config/", "cli/")}


@pytest.mark.parametrize("package, rooms", sorted(ROOMS_OF_PACKAGES.items()))
def test_third_party_packages_stay_in_their_rooms(package, rooms):
    """The forbidden contracts name their source modules one by one; this catches a new module
    anywhere (a package index included) that imports one of these packages directly."""
    offenders = []
    for module in MODULES:
        where = str(module.relative_to(PACKAGE))
        if where.startswith(rooms):
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(name.split(".")[0] == package for name in names):
                offenders.append(f"{where}:{node.lineno}")
    assert offenders == [], f"{package} is imported outside {rooms}"
