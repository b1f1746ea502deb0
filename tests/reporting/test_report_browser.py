"""``report.html`` in a real browser: headless Chromium renders it, with every section, no
console error and no network request.

Chromium runs with its proxy pointed at a closed port, so a request that got out would fail,
and with a network log: every request the page starts is in it. Console messages (a script
error, a blocked load) go to its log on stderr. Both detectors are first shown to catch a page
that does load a remote image and run a broken script, so a clean report is not clean by
blindness. ``.ci/run`` installs Debian's ``chromium``; without it these tests fail, saying so.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from journeysim.reporting.report_html import RUN_SECTIONS

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    # Any request that leaves the page goes to a closed port and fails.
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--enable-logging=stderr", "--v=0",
]  # fmt: skip


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run installs it when missing)")
    return path


def browse(page: Path, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Open ``page`` in headless Chromium with ``extra`` flags; the run and the URLs the page requested."""
    netlog = tmp_path / f"netlog-{len(list(tmp_path.glob('netlog-*')))}.json"
    done = subprocess.run([chromium(), *FLAGS, f"--log-net-log={netlog}", *extra, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path)
    return done, page_requests(netlog)


def page_requests(netlog: Path) -> list[str]:
    """URLs of the requests the page started (the browser's own background requests have no
    origin: ``initiator: not an origin``)."""
    text = netlog.read_text()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log whose last event list was not closed
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    starts = [event.get("params", {}) for event in log["events"] if event["type"] == start]
    return [params["url"] for params in starts if "url" in params and params.get("initiator") != "not an origin"]


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_the_detectors_catch_a_page_that_fetches_and_fails(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><h1>bad</h1><img src="http://example.invalid/pixel.png">'
                    '<script>no_such_function();</script></body></html>')
    done, requests = browse(page, tmp_path, f"--screenshot={tmp_path / 'bad.png'}")
    assert requests == ["http://example.invalid/pixel.png"]
    assert any("Uncaught ReferenceError" in line for line in console_messages(done.stderr))


def test_the_report_renders_in_chromium_without_errors_or_requests(run_folder, tmp_path):
    page = run_folder / "report.html"
    html = page.read_text()
    # Nothing to fetch and nothing to run: no remote source, no script.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.IGNORECASE)
    assert "<script" not in html.lower()

    shot = tmp_path / "report.png"
    done, requests = browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1400,5000")
    assert done.returncode == 0, done.stderr[-2000:]
    assert requests == []
    assert console_messages(done.stderr) == []
    pixels = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("L"), dtype=float)
    assert pixels.shape == (5000, 1400)
    assert pixels.std() > 20  # text, maps and figures, not a blank page
    assert len(np.unique(pixels)) > 50

    dom = subprocess.run([chromium(), *FLAGS, "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=180).stdout
    for anchor, heading in RUN_SECTIONS:
        assert re.search(rf'<section id="{anchor}">\s*<h2>{re.escape(heading)}</h2>', dom), heading
    # The page's figures are decoded images: each <img> has its natural size once loaded.
    assert dom.count('<img class="figure"') >= 1
    assert dom.count("<svg") >= 4  # emotion curves, blueprint charts, timelines
