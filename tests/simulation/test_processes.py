"""Worker processes give the same answers, in the same order, as this process."""

from __future__ import annotations

import os

import journeysim as js
from journeysim.simulation.processes import in_processes, portable, restore


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_results_come_back_in_order_from_other_processes():
    arguments = [(x,) for x in range(12)]
    here = list(in_processes(_square_and_pid, arguments, workers=1))
    there = list(in_processes(_square_and_pid, arguments, workers=2))
    assert [value for value, _ in here] == [value for value, _ in there] == [x * x for x in range(12)]
    assert {pid for _, pid in here} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid in there}  # really elsewhere


def test_a_scenario_travels_as_plain_data_and_comes_back_equal():
    scenario = js.with_changes(js.load_scenario(), {"arrival_rate_per_day": 12.0})
    source = portable(scenario)
    assert isinstance(source, dict) and source["arrival_rate_per_day"] == 12.0
    assert restore(source) == scenario
