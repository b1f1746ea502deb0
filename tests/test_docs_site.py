"""The documentation site (mkdocs.yml) builds without warnings and shows the whole API.

`.ci/run` builds it too; this test also checks what a build that passes could still miss:
every page is in the navigation, and every public name of every room has its entry on
the room's API page (the rooms export their names lazily, which static analysis cannot
see without docs/hooks/lazy_exports.py).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Room -> the namespaces its API page renders.
API_PAGES = {
    "model": ["journeysim.model"],
    "config": ["journeysim.config"],
    "analysis": ["journeysim.analysis"],
    "simulation": ["journeysim.simulation", "journeysim.simulation.engines"],
    "studies": ["journeysim.studies", "journeysim.studies.budget"],
    "reporting": ["journeysim.reporting"],
    "cli": ["journeysim.cli"],
}


def test_every_page_is_in_the_navigation():
    config = (ROOT / "mkdocs.yml").read_text()
    pages = [*DOCS.rglob("*.md"), *(DOCS / "tutorials").glob("*.py")]
    missing = [str(page.relative_to(DOCS)) for page in pages if f" {page.relative_to(DOCS).as_posix()}" not in config]
    assert not missing, f"add to the nav in mkdocs.yml: {missing}"


def test_each_api_page_renders_its_namespaces():
    for room, namespaces in API_PAGES.items():
        page = (DOCS / "api" / f"{room}.md").read_text()
        assert [line[4:] for line in page.splitlines() if line.startswith("::: ")] == namespaces


def test_the_site_builds_strictly_with_every_public_name(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "JOURNEYSIM_DOCS_EXECUTE"}
    env["NO_MKDOCS_2_WARNING"] = "1"
    site = tmp_path / "site"
    finished = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    for room, namespaces in API_PAGES.items():
        html = (site / "api" / room / "index.html").read_text()
        anchors = set(re.findall(r'id="(journeysim\.[\w.]+)"', html))
        for namespace in namespaces:
            names = {f"{namespace}.{name}" for name in importlib.import_module(namespace).__all__}
            assert names <= anchors, f"api/{room}.md does not render {sorted(names - anchors)}"
    for tutorial in ("strategist_what_if", "researcher_sweep", "planner_budget_shift"):
        assert (site / "tutorials" / tutorial / "index.html").is_file()
