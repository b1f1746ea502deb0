"""A study's ``report.html``: one future state, or several options with their adjusted
intervals, drawn from the folder's tables alone."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image

import journeysim as js
from journeysim.cli.experiment_job import write_comparison, write_options
from journeysim.reporting.report_html import EXPERIMENT_SECTIONS, render_folder
from journeysim.studies.comparison import compare
from journeysim.studies.options import compare_options

NO_NETWORK = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", re.IGNORECASE)


def figures(page: str) -> list[Image.Image]:
    """Every embedded figure of a page, decoded."""
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


@pytest.fixture(scope="module")
def small_retail():
    return js.load_scenario(changes={"arrival_rate_per_day": 20})


def test_a_study_folder_holds_its_report(small_retail, tmp_path):
    comparison = compare(small_retail, {"touchpoints": {"purchase": {"website": {"friction": 0.0}}}}, replications=2, horizon_days=10,
                         name="frictionless_checkout", question="What if the website's checkout had no friction?")
    folder = tmp_path / "study"
    write_comparison(comparison, folder, figures=False)
    page = (folder / "report.html").read_text()
    for anchor, heading in EXPERIMENT_SECTIONS:
        assert f'<section id="{anchor}">\n<h2>{heading}</h2>' in page
    assert "What if the website&#39;s checkout had no friction?" in page
    assert "touchpoints.purchase.website.friction = 0.0" in page
    assert "<h3>all personas</h3>" in page and page.count('<table class="map">') == 2 * 4  # current and future, 3 personas + all
    assert len(figures(page)) == 4  # forest, emotion, drop-off, funnels
    assert "<script" not in page.lower() and not NO_NETWORK.search(page)
    assert render_folder(folder) == page


def test_a_study_of_several_options_draws_each_with_its_adjusted_intervals(small_retail, tmp_path):
    study = compare_options(small_retail, {"checkout": {"touchpoints": {"purchase": {"website": {"friction": 0.0}}}},
                                           "till": {"touchpoints": {"purchase": {"store": {"friction": 0.0}}}}},
                            replications=2, horizon_days=10, name="two_fixes")
    folder = tmp_path / "options"
    write_options(study, folder, figures=False)
    page = (folder / "report.html").read_text()
    assert '<h2 id="option-1">Option 1: checkout</h2>' in page and '<h2 id="option-2">Option 2: till</h2>' in page
    assert "touchpoints.purchase.store.friction = 0.0" in page
    assert f"each option&#39;s intervals are taken at {study.interval_confidence:.2%} (Bonferroni)" in page
    assert f"{study.interval_confidence:.0%} interval" in page
    assert len(figures(page)) == 8
    assert render_folder(folder) == page


def test_the_page_shows_the_folders_figure_files_and_draws_what_is_missing(small_retail, tmp_path):
    """With figures on, the page embeds the folder's four PNG files byte for byte (each figure
    drawn once); a file that is gone, or is not a PNG, is drawn from the tables instead."""
    comparison = compare(small_retail, {"touchpoints": {"purchase": {"website": {"friction": 0.0}}}}, replications=2, horizon_days=10)
    folder = tmp_path / "study"
    write_comparison(comparison, folder)
    page = (folder / "report.html").read_text()
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    files = ("forest.png", "emotion_lane.png", "dropoff_difference.png", "funnels.png")  # the page's order
    assert [base64.b64decode(data) for data in embedded] == [(folder / name).read_bytes() for name in files]
    assert render_folder(folder) == page
    (folder / "forest.png").unlink()
    (folder / "funnels.png").write_bytes(b"not a picture")
    redrawn = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', render_folder(folder))
    assert redrawn[1:3] == embedded[1:3]  # emotion lane and drop-off: still the files
    for data in (redrawn[0], redrawn[3]):  # forest and funnels: drawn from the tables
        assert Image.open(io.BytesIO(base64.b64decode(data))).size[0] > 300
    assert redrawn[0] != embedded[0] and redrawn[3] != embedded[3]
