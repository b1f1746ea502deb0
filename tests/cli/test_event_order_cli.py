"""``run.sort_by_time`` on the command line's jobs: ``events.parquet`` in the order asked for,
recorded in ``run.json``, and a resumed job reuses a result only in the same order."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

import journeysim as js
from journeysim.cli.job import run_job
from journeysim.cli.resume import matching_result


def test_the_event_order_is_part_of_a_result(tmp_path, funnel_data):
    scenario = js.scenario_from_dict(funnel_data)
    by_customer = js.RunSettings(seed=2, horizon_days=15, progress=False)
    by_time = js.RunSettings(seed=2, horizon_days=15, progress=False, sort_by_time=True)
    run_job(scenario, by_customer, tmp_path / "a", figures=False, report=False)
    run_job(scenario, by_time, tmp_path / "b", figures=False, report=False)
    a, b = (pd.read_parquet(tmp_path / name / "events.parquet") for name in ("a", "b"))
    assert (np.diff(a["customer_id"].to_numpy()) >= 0).all() and (np.diff(b["time_days"].to_numpy()) >= 0).all()
    key = ["customer_id", "time_days"]
    pd.testing.assert_frame_equal(a.sort_values(key, kind="stable", ignore_index=True), b.sort_values(key, kind="stable", ignore_index=True))
    assert json.loads((tmp_path / "b" / "run.json").read_text())["sort_by_time"] is True
    assert matching_result(tmp_path / "a", scenario, by_customer, figures=False) is not None
    assert matching_result(tmp_path / "a", scenario, by_time, figures=False) is None  # its events are in the other order
    assert matching_result(tmp_path / "a", scenario, by_time, write_events=False, figures=False) is not None  # no events: no order
