"""The package namespace: public names load on first use, and resolve to what they did eagerly."""

from __future__ import annotations

import subprocess
import sys

import pytest

import journeysim as js


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_loads_no_model_module_until_a_name_is_used():
    loaded = _fresh(
        "import sys, journeysim as js; print(sorted(m for m in sys.modules if (m.startswith('journeysim.') and m != 'journeysim._lazy') or m.split('.')[0] in ('scipy', 'matplotlib', 'simpy')))"
    )
    assert loaded == "[]"
    # A room's namespace is just as lazy: naming the room loads its index, not its modules.
    assert _fresh("import sys, journeysim as js; js.analysis; print(sorted(m for m in sys.modules if m.startswith('journeysim.')))") == "['journeysim._lazy', 'journeysim.analysis']"
    assert _fresh("import sys, journeysim as js; js.simulate; print('journeysim.simulation.runner' in sys.modules)") == "True"


def test_the_jobs_import_paths_leave_out_scipy_stats():
    """scipy.stats takes about half a second to import: the main job's and a study's code
    paths compute their quantiles with scipy.special and import scipy.stats only to score
    attribution, and ``journeysim experiment=...`` never imports the main job's module (nor
    its observed exports). The study is run whole, through the command's entry point."""
    assert _fresh("import sys, journeysim.cli.job; print('scipy.stats' in sys.modules)") == "False"
    study = (
        "import atexit, sys, tempfile\n"
        "atexit.register(lambda: print(sorted(m for m in ('scipy.stats', 'journeysim.cli.job', 'journeysim.studies.observed_run') if m in sys.modules)))\n"
        "sys.argv = ['journeysim', 'experiment=one_click_checkout', 'experiment.replications=2', 'run.workers=1', 'run.horizon_days=5',\n"
        "            'run.progress=false', 'output.figures=false', 'output.report=false', 'hydra.run.dir=' + tempfile.mkdtemp()]\n"
        "from journeysim.cli.main import main\n"
        "main()\n"
    )
    assert _fresh(study).splitlines()[-1] == "[]"


NAMESPACES = ["journeysim", *(f"journeysim.{room}" for room in js.SUBPACKAGES), "journeysim.simulation.engines", "journeysim.studies.budget"]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_name_resolves_to_its_module_attribute(namespace):
    import importlib

    package = importlib.import_module(namespace)
    assert package.__all__, namespace
    for name in package.__all__:
        value = getattr(package, name)
        defining = getattr(package, "EXPORTS", {}).get(name)
        if defining is not None:
            assert value is getattr(importlib.import_module(defining), name), f"{namespace}.{name}"
    assert set(package.__all__) <= set(dir(package))


def test_rooms_are_attributes_of_the_package():
    import types

    for room in js.SUBPACKAGES:
        assert isinstance(getattr(js, room), types.ModuleType) and getattr(js, room).__name__ == f"journeysim.{room}"


def test_no_namespace_exports_the_name_of_one_of_its_submodules():
    # Importing a submodule binds it as the package attribute of the same name, which would
    # shadow an exported function of that name.
    import importlib
    import pkgutil

    for namespace in NAMESPACES:
        package = importlib.import_module(namespace)
        submodules = {info.name for info in pkgutil.iter_modules(package.__path__)}
        assert not submodules & set(package.__all__), namespace


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        js.simulat  # noqa: B018


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_docs_api_lists_every_public_name(namespace):
    import importlib
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    section = page.split("## The package (`js.`)" if namespace == "journeysim" else f"## `{namespace}`\n", 1)
    assert len(section) == 2, f"docs/api.md has no section for {namespace}"
    listed = {line.split("`")[1] for line in section[1].split("\n## ", 1)[0].splitlines() if line.startswith("| `")}
    assert listed == set(importlib.import_module(namespace).__all__)


def test_version_is_the_one_in_pyproject():
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert js.__version__ == pyproject["project"]["version"], "reinstall (pip install -e .) after a version bump"
