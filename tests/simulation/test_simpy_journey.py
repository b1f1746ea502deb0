"""The SimPy engine's fast paths change nothing in the tables: journeys that run outside
SimPy until they queue, a source without an event per customer when nobody can meet, and the
packed event log."""

import math

import numpy as np
import pandas.testing as pdt
import pytest
import simpy
from conftest import funnel_scenario_data

import journeysim as js
from journeysim.simulation.engines import SimPyJourneyEngine
from journeysim.simulation.engines.packed_events import PackedEventRecorder
from journeysim.simulation.records import EventRecorder


@pytest.mark.parametrize("index_dtype", [np.int8, np.int16])
def test_the_packed_log_gives_the_columns_of_the_event_recorder(index_dtype):
    """Same names, dtypes and values (float32 rounding, NaN, negative codes, large ids)."""
    rows = [
        (0, 0, 0.0, 0, -1, 0, -1, math.nan, math.nan, math.nan),
        (7, 1, 1.0 / 3.0, 2, 3, 1, 0, -0.123456789, math.nan, 0.1),
        (2**31 - 1, 2, 89.99999999, 4, 0, 2, -1, 0.5, 1234.5678, 0.0),
        (3, 1, 1e-300, 1, 2, 11, 3, -1.0, 1e30, 2.5e-7),
    ]
    packed, arrays = PackedEventRecorder(index_dtype), EventRecorder(index_dtype)
    for row in rows:
        packed.record(*row)
        arrays.record(*row)
    assert len(packed) == len(arrays) == len(rows)
    got, expected = packed.columns(), arrays.columns()
    assert list(got) == list(expected)
    for name, column in expected.items():
        assert got[name].dtype == column.dtype, name
        np.testing.assert_array_equal(got[name], column, err_msg=name)


def _count_steps(monkeypatch) -> list[int]:
    """Count the events every SimPy environment processes from now on."""
    steps = [0]
    step = simpy.Environment.step

    def counted(env):
        steps[0] += 1
        return step(env)

    monkeypatch.setattr(simpy.Environment, "step", counted)
    return steps


def test_customers_who_cannot_meet_cost_no_event_and_the_same_tables(monkeypatch):
    """A funnel without queues, referrals or complaints: customers enter without an event
    each; entering each at its arrival time (as when they could meet) gives equal tables."""
    scenario = js.scenario_from_dict(funnel_scenario_data())
    run = dict(seed=5, horizon_days=40, engine="simpy", progress=False)
    steps = _count_steps(monkeypatch)
    alone = js.simulate(scenario, **run)
    events_alone, steps[0] = steps[0], 0
    monkeypatch.setattr(SimPyJourneyEngine, "_paced", lambda self: True)
    paced = js.simulate(scenario, **run)
    customers = len(alone.customers)
    assert customers > 200 and events_alone <= 3 and steps[0] >= customers
    for name in ("events", "customers", "queues"):
        pdt.assert_frame_equal(getattr(alone, name), getattr(paced, name), check_exact=True, obj=name)

