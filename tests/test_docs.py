"""Documentation is executable: every ```python block in README.md and docs/ runs."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


@pytest.mark.parametrize("path", [p for p in DOCS if BLOCK.search(p.read_text())], ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run(path, tmp_path, monkeypatch):
    """A page's blocks run in order in one namespace, as a reader would run them."""
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__doc_example__"}
    for index, code in enumerate(BLOCK.findall(path.read_text())):
        exec(compile(code, f"{path.name}#block{index}", "exec"), namespace)


def test_quick_start_is_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    assert quick.strip().splitlines() == ['pip install -e ".[dev]" && journeysim', "pytest"]
