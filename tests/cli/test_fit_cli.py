"""``journeysim-fit``: a brand's export in, a scenario that runs out; bad data named, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import journeysim as js
from journeysim.cli.fit import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from test_fit_touches import ROUND_TRIP_STAGES, round_trip_data, touch_log_of  # noqa: E402

GA4_EVENTS = {"discover": "session_start", "explore": "view_item", "decide": "add_to_cart", "buy": "begin_checkout"}


@pytest.fixture(scope="module")
def ga4_export(tmp_path_factory) -> Path:
    """The round-trip scenario's log written as a GA4-like export: user_pseudo_id,
    event_timestamp (datetimes), event_name; a purchase is its own event."""
    scenario = js.scenario_from_dict({**round_trip_data(), "arrival_rate_per_day": 100.0})
    log = touch_log_of(js.simulate(scenario, seed=3, horizon_days=60, engine="vectorised", progress=False))
    start = pd.Timestamp("2026-03-02 08:00")
    export = pd.DataFrame({
        "user_pseudo_id": "u" + log["customer_id"].astype(str),
        "event_timestamp": (start + pd.to_timedelta(log["time_days"], unit="D")).dt.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "event_name": np.where(log["event"] == "purchase", "purchase", log["stage"].map(GA4_EVENTS)),
        "traffic_source": log["channel"],
        "segment": log["persona"],
        "value": log["value"],
        "reason": log["reason"],
    })
    # GA4 has no separate checkout touch for a purchase: the purchase event is the sale itself.
    sale_touch = (log["event"] == "touch") & log.duplicated(["customer_id", "time_days"], keep=False) & (log["stage"] == "buy")
    export = export.loc[~sale_touch.to_numpy()]
    folder = tmp_path_factory.mktemp("export")
    export.to_csv(folder / "ga4.csv", index=False)
    (folder / "events.yaml").write_text(yaml.safe_dump({v: k for k, v in GA4_EVENTS.items()}))
    return folder


ARGS = ["--stages", ",".join(ROUND_TRIP_STAGES), "--column", "customer_id=user_pseudo_id", "--column", "timestamp=event_timestamp",
        "--column", "event=event_name", "--column", "channel=traffic_source", "--column", "persona=segment", "--bootstrap", "30", "--replications", "20"]


def test_a_ga4_export_becomes_a_scenario_that_runs(ga4_export, tmp_path):
    out = tmp_path / "fitted"
    assert main(["--touches", str(ga4_export / "ga4.csv"), "--events", str(ga4_export / "events.yaml"), "--out", str(out), *ARGS]) == 0
    assert {p.name for p in out.iterdir()} >= {"scenario.yaml", "scenario", "parameters.csv", "fit_report.txt", "fit_check.csv", "fit_check.png", "run.json"}
    scenario = js.load_scenario(out / "scenario.yaml")
    assert scenario.stages == tuple(ROUND_TRIP_STAGES) and set(scenario.personas) == {"scroller", "planner", "visitor"}
    parameters = pd.read_csv(out / "parameters.csv")
    advance = parameters.set_index("parameter").loc["personas.planner.touchpoints.discover.search.advance"]
    assert advance["ci_low"] <= 0.45 <= advance["ci_high"]  # the truth of round_trip_data
    check = pd.read_csv(out / "fit_check.csv")
    assert check["inside"].mean() >= 0.8
    report = (out / "fit_report.txt").read_text()
    assert "Fixed rather than fitted" in report and "measures of the data lie inside its 95 % band" in report
    run = subprocess.run([sys.executable, "-m", "journeysim.cli.main", "--config-dir", str(out), "scenario=fitted", "run.horizon_days=10",
                          "output.figures=false", f"hydra.run.dir={tmp_path / 'run'}"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "run" / "run.json").read_text())["scenario"] == "fitted"


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.drop(columns="user_pseudo_id"), "ga4.csv: has no column 'user_pseudo_id' (our 'customer_id')"),
    (lambda f: f.assign(event_timestamp=f["event_timestamp"].where(f.index != 6, "yesterday")), "ga4.csv: line 8, column event_timestamp"),
    (lambda f: f.assign(value=f["value"].where(f.index != 2, -5.0)), "ga4.csv: line 4, column value"),
    (lambda f: f.assign(event_name=f["event_name"].where(f.index != 3, "scroll")), "ga4.csv: line 5, column event_name: event 'scroll' has no stage"),
    (lambda f: f.iloc[:0], "ga4.csv: has a header but no rows"),
])
def test_bad_data_is_one_line_with_status_2_and_writes_nothing(ga4_export, tmp_path, capsys, edit, message):
    frame = pd.read_csv(ga4_export / "ga4.csv", dtype=str, keep_default_na=False)
    edit(frame).to_csv(tmp_path / "ga4.csv", index=False)
    out = tmp_path / "fitted"
    status = main(["--touches", str(tmp_path / "ga4.csv"), "--events", str(ga4_export / "events.yaml"), "--out", str(out), *ARGS])
    err = capsys.readouterr().err
    assert status == 2 and message in err and "Traceback" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--stages", "buy"], "stages: must list at least two distinct stages"),
    (["--calibration-end", "2026-01-01"], "calibration_end: applies to transactions, and none were given"),
    (["--bootstrap", "5"], "bootstrap: must be 0 (none) or at least 20"),
    (["--out", "."], "--out: must be a folder of its own"),
])
def test_bad_options_are_refused_before_any_fitting(ga4_export, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    base = ["--touches", str(ga4_export / "ga4.csv"), "--events", str(ga4_export / "events.yaml"), "--out", str(tmp_path / "fitted"), *ARGS]
    assert main([*base, *args]) == 2
    assert message in capsys.readouterr().err
