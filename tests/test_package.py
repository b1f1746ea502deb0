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
        "import sys, journeysim as js; print(sorted(m for m in sys.modules if m.startswith('journeysim.') or m.split('.')[0] in ('scipy', 'matplotlib', 'simpy')))"
    )
    assert loaded == "[]"
    assert _fresh("import sys, journeysim as js; js.simulate; print('journeysim.simulation.runner' in sys.modules)") == "True"


def test_every_public_name_resolves_to_its_module_attribute():
    import importlib

    for name in js.__all__:
        value = getattr(js, name)
        module = importlib.import_module(js._EXPORTS[name])
        assert value is getattr(module, name), name
    assert set(js.__all__) <= set(dir(js))


def test_compare_stays_the_function_when_its_submodule_is_imported():
    # `import journeysim.studies.comparison` binds the submodule as the package attribute `compare`;
    # the package keeps the exported function under that name, as the eager import did.
    assert _fresh("import journeysim as js; import journeysim.studies.comparison; print(callable(js.compare), type(js.compare).__name__)") == "True function"
    assert _fresh("import journeysim.studies.comparison; import journeysim as js; print(js.compare.__module__)") == "journeysim.studies.comparison"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        js.simulat  # noqa: B018
