"""A run's ``report.html``: what it holds, drawn from the folder's tables alone; names from a
scenario are text, never markup; figures are embedded images."""

from __future__ import annotations

import base64
import copy
import dataclasses
import html
import io
import re

import pandas as pd
from PIL import Image

import journeysim as js
from journeysim.cli.job import run_job
from journeysim.reporting.report_data import run_report_data
from journeysim.reporting.report_html import RUN_SECTIONS, render_folder
from journeysim.reporting.report_sections import kpi_section

REPORT_TABLES = ["report.html", "scenario.json", "journey_map.csv", "pain_points.csv", "day_in_the_life.csv", "blueprint.csv"]
NO_NETWORK = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", re.IGNORECASE)


def figures(page: str) -> list[Image.Image]:
    """Every embedded figure of a page, decoded."""
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_a_run_folder_holds_the_report_and_its_tables(run_folder):
    for name in REPORT_TABLES:
        assert (run_folder / name).is_file(), name
    page = (run_folder / "report.html").read_text()
    for anchor, heading in RUN_SECTIONS:
        assert f'<section id="{anchor}">\n<h2>{heading}</h2>' in page
    assert "<script" not in page.lower() and not NO_NETWORK.search(page)
    for image in figures(page):
        image.load()
        assert image.size[0] > 300
    # One map per persona, with a swimlane per channel it touches.
    for persona in ("digital native", "store loyal", "time poor professional"):
        assert f"<h3>{persona}</h3>" in page
    assert "<th>social networks</th>" in page and "<th>call centre</th>" in page
    # Two replications: KPI intervals; the pain points' top ones confirmed by simulation.
    assert "Mean over 2 replications" in page
    pain = pd.read_csv(run_folder / "pain_points.csv")
    assert pain["rank"].tolist() == list(range(1, len(pain) + 1))
    assert pain["confirmed"].head(3).all() and not pain["confirmed"].iloc[3:].any()
    assert set(pain["kind"]) == {"touchpoint", "channel switch", "queue"}
    # The default scenario has emotion carry-over: the screen says it used the chain without it.
    assert (pain.loc[pain["kind"] == "touchpoint", "screen"] == "exact, emotion carry-over removed").all()
    assert "exact, emotion carry-over removed" in page
    day = pd.read_csv(run_folder / "day_in_the_life.csv")
    assert set(day["story"]) <= {"converted", "lost to friction", "open"}
    assert (day.groupby(["persona", "story"])["customer_id"].nunique() == 1).all()


def test_the_report_is_drawn_again_from_the_folder_alone(run_folder):
    """Whatever journeysim-report rebuilds is the page the job wrote: same tables, same page."""
    assert render_folder(run_folder) == (run_folder / "report.html").read_text()


def test_the_blueprint_reads_the_queues_table(run_folder):
    blueprint = pd.read_csv(run_folder / "blueprint.csv")
    queues = pd.read_csv(run_folder / "queues.csv").set_index("channel")
    assert set(blueprint["channel"]) == {"store", "call_centre"}
    assert len(blueprint) == 2 * 7 * 24
    for channel, table in blueprint.groupby("channel"):
        assert table["visits"].sum() == queues.loc[channel, "visits"]
        # Sundays the store and the call centre are closed: nobody on duty, nobody served.
        assert (table.loc[table["weekday"] == 6, "servers_on_duty"] == 0).all()


def hostile_data() -> dict:
    """A scenario whose names, descriptions and labels are markup, quotes, ampersands and dollars."""
    data = copy.deepcopy(dict(js.load_scenario(changes={"arrival_rate_per_day": 30}).source))
    data["name"] = 'Shop <b>"Best"</b> & $ale'
    data["description"] = "<script>alert('description')</script> & \"quoted\" $100"
    data["channels"]["social"]["label"] = '<script>alert("label")</script> & $'
    data["channels"]["store"]["label"] = "Tom & Jerry's <i>store</i> $$"
    personas = data["personas"]
    personas['<script>alert("persona")</script>'] = personas.pop("digital_native")
    personas["Tom & Jerry's $$"] = personas.pop("store_loyal")
    personas["time_poor_professional"]["description"] = '<img src=x onerror="alert(1)"> & $5 "deal"'
    for spec in data["budget"].values():
        if spec.get("audience"):
            audience = spec["audience"]
            audience['<script>alert("persona")</script>'] = audience.pop("digital_native")
            audience["Tom & Jerry's $$"] = audience.pop("store_loyal")
    for campaign in data["calendar"]:
        campaign["personas"] = ['<script>alert("persona")</script>' if p == "digital_native" else p for p in campaign.get("personas", [])]
    return data


def test_names_descriptions_and_labels_are_text_and_the_figures_still_draw(tmp_path):
    scenario = js.scenario_from_dict(hostile_data())
    folder = tmp_path / "run"
    run_job(scenario, js.RunSettings(seed=2, horizon_days=15, progress=False), folder, figures=False)
    page = (folder / "report.html").read_text()
    for raw in ("<script", "<img src=x", "<b>\"Best\"</b>", "<i>store</i>", 'onerror="alert'):
        assert raw not in page, raw
    for text in ('<script>alert("persona")</script>', "<script>alert('description')</script>", '<script>alert("label")</script> & $',
                 "Tom & Jerry's <i>store</i> $$", '<img src=x onerror="alert(1)"> & $5 "deal"', "Tom & Jerry's $$"):
        assert html.escape(text).replace("&#x27;", "&#39;").replace("&quot;", "&#34;") in page, text
    images = figures(page)
    assert images and all(image.size[0] > 300 for image in images)
    assert page.count("<svg") >= 4
    # The pain points' figure names the hostile persona: drawn as text (mathtext off), not a formula.
    assert any("Tom & Jerry" in label for label in pd.read_csv(folder / "pain_points.csv")["persona"])


def test_csat_and_nps_show_only_when_the_run_measured_them(run_folder):
    data = run_report_data(run_folder)
    rows = lambda d: [row["kpi"] for row in kpi_section(d)["rows"]]  # noqa: E731
    unsurveyed = dataclasses.replace(data, metrics=data.metrics.assign(csat=float("nan"), nps=float("nan")), intervals=None)
    assert not {"CSAT (% satisfied)", "NPS"} & set(rows(unsurveyed))
    surveyed = dataclasses.replace(data, metrics=data.metrics.assign(csat=81.5, nps=12.0), intervals=None)
    assert {"CSAT (% satisfied)", "NPS"} <= set(rows(surveyed))
    assert kpi_section(surveyed)["rows"][rows(surveyed).index("CSAT (% satisfied)")]["cells"][0]["value"] == "81.5%"
