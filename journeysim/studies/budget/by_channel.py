"""The per-channel budget report of a comparison: both states, paired by replication."""

from __future__ import annotations

import pandas as pd

from journeysim.analysis.channels import channel_table, paired_channel_table
from journeysim.analysis.paired import CURRENT, FUTURE
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.replications import ReplicationRunner
from journeysim.studies.comparison import Comparison, future_seed


def channel_comparison(comparison: Comparison, confidence: float | None = None) -> pd.DataFrame:
    """Per channel and measure: both states' means over the comparison's replications, the
    mean paired difference and its t-interval (the layout of ``comparison.csv``, with a
    ``channel`` column instead of ``persona``).

    Uses the per-channel tables the comparison kept from its own runs; a comparison
    without them is re-run for both states with its settings (same seed and replication
    numbers, so the same customers)."""
    confidence = comparison.confidence if confidence is None else confidence
    kept = comparison.by_channel
    if len(kept) and set(kept["state"]) == {CURRENT, FUTURE}:
        states = {state: kept.loc[kept["state"] == state].drop(columns="state").reset_index(drop=True) for state in (CURRENT, FUTURE)}
        return paired_channel_table(states[CURRENT], states[FUTURE], confidence)
    tables = {}
    for state, scenario in ((CURRENT, comparison.current), (FUTURE, comparison.future)):
        seed = comparison.settings.seed if state == CURRENT else future_seed(comparison.settings.seed, comparison.independent)
        tables[state] = channel_runs(scenario, comparison.settings, seed=seed)
    return paired_channel_table(tables[CURRENT], tables[FUTURE], confidence)


def channel_runs(scenario: Scenario, settings: RunSettings, seed: int | None = None) -> pd.DataFrame:
    """:func:`channel_table` of ``simulate(scenario, settings)``: with its event log, so staff
    costs are shared by served contacts exactly as in the comparison's own runs."""
    result = ReplicationRunner(scenario, settings, seed).run()
    return channel_table(result.customers, result.spend, scenario, result.events, result.staff)
