"""The budget optimiser's objective: a daily spend split simulated with common random numbers.

Every KPI here comes from :func:`journeysim.analysis.metrics.kpi_table`, the definitions
every study uses (profit and cost per acquisition include staff costs, which a split does
not change).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from journeysim.analysis.intervals import t_half_width
from journeysim.analysis.metrics import ALL, cost_per_acquisition, loyal_customers
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.engines.vectorised import journey_only
from journeysim.simulation.replications import ReplicationRunner
from journeysim.studies.budget.problem import OUTCOMES


class SplitObjective:
    """Outcomes of a daily spend split per replication, simulated with one seed: a
    deterministic function of the split (cached). ``fast`` simulates the journey-only
    scenario (no queues, no advocacy) on the vectorised engine."""

    def __init__(self, scenario: Scenario, objective: str, settings: RunSettings, fast: bool = True) -> None:
        if fast:
            scenario = journey_only(scenario, keep_loyalty=True)
        self.scenario = scenario
        self.objective = objective
        self.settings = settings
        self.fast = fast
        self.history: list[dict[str, Any]] = []
        self.stage = "search"  # what the simulated splits are for, recorded in the trace
        self._cache: dict[tuple, pd.DataFrame] = {}

    def variant(self, spend: Mapping[str, float]) -> Scenario:
        """The scenario with these channels' ``spend_per_day``. Built by replacing the frozen
        budget entries (validating through the config layer costs far more than a run); the
        optimiser validates the split once, up front, and the answer again at the end."""
        budget = dict(self.scenario.budget)
        source = dict(self.scenario.source)
        source["budget"] = {name: dict(spec) for name, spec in source.get("budget", {}).items()}
        for channel, value in spend.items():
            budget[channel] = replace(budget[channel], spend_per_day=float(value))
            source["budget"][channel]["spend_per_day"] = float(value)
        return replace(self.scenario, budget=MappingProxyType(budget), source=MappingProxyType(source))

    def outcomes(self, spend: Mapping[str, float]) -> pd.DataFrame:
        """Per replication: the KPIs of :data:`OUTCOMES` (conversions, revenue, costs, profit, loyal customers)."""
        key = tuple(sorted((c, round(float(v), 6)) for c, v in spend.items()))
        if key not in self._cache:
            kpis = ReplicationRunner(self.variant(spend), self.settings).kpis(keep_events=False)
            self._cache[key] = outcomes_per_replication(kpis, self.settings.replications)
            self.history.append({"stage": self.stage, **dict(spend), self.objective: objective_values(self._cache[key], self.objective).mean()})
        return self._cache[key]

    def value(self, spend: Mapping[str, float]) -> float:
        return float(objective_values(self.outcomes(spend), self.objective).mean())

    def cost_per_acquisition(self, spend: Mapping[str, float]) -> float:
        """The KPI over all replications (total cost / new customers); inf without any."""
        table = self.outcomes(spend).sum()
        value = cost_per_acquisition(pd.Series([table["total_cost"]]), pd.Series([table["conversions"]])).iloc[0]
        return math.inf if pd.isna(value) else float(value)

    @property
    def evaluations(self) -> int:
        return len(self._cache)


def outcomes_per_replication(kpis: pd.DataFrame, replications: int) -> pd.DataFrame:
    """The :data:`OUTCOMES` per replication (0 .. replications - 1) from a KPI table by
    replication (:meth:`ReplicationRunner.kpis`). A replication without a single customer
    has no KPI row: it bought nothing and paid only what it pays whatever happens."""
    kpis = kpis.loc[kpis["persona"] == ALL].set_index("replication")
    table = pd.DataFrame({name: kpi_objective(kpis, name) for name in ("conversions", "revenue", "profit", "loyal_customers")})
    for cost in ("contact_cost", "media_spend", "staff_cost", "total_cost"):
        table[cost] = kpis[cost].astype(np.float64)
    return table.reindex(range(replications), fill_value=0.0)[OUTCOMES].astype(np.float64)


def objective_values(outcomes: pd.DataFrame, objective: str) -> pd.Series:
    """The objective per replication from a table with the :data:`OUTCOMES` columns."""
    return outcomes[objective]


def kpi_objective(kpis: pd.DataFrame, objective: str) -> pd.Series:
    """The objective from :func:`journeysim.analysis.metrics.kpi_table` rows: the search and
    the paired re-check read it the same way."""
    if objective == "conversions":
        return kpis["converted"].astype(np.float64)
    if objective == "revenue":
        return kpis["revenue"].astype(np.float64)
    if objective == "profit":
        # Includes staff costs, which a budget split does not change: the paired difference
        # is the optimiser's profit difference.
        return kpis["profit"].astype(np.float64)
    return loyal_customers(kpis)


def marginal_returns(evaluator: SplitObjective, spend: Mapping[str, float], step: float, confidence: float = 0.95) -> pd.DataFrame:
    """Objective per extra EUR/day of each channel at ``spend``: the difference between
    ``spend + step`` and ``spend - step`` (from 0 when the spend is below ``step``; the
    ``spend_difference`` column) over the same replications, so the noise of who arrives
    cancels; the interval is the t-interval over replications."""
    base = objective_values(evaluator.outcomes(spend), evaluator.objective)
    rows = []
    for channel, value in spend.items():
        low = max(0.0, value - step)
        up = objective_values(evaluator.outcomes({**spend, channel: value + step}), evaluator.objective)
        down = base if low == value else objective_values(evaluator.outcomes({**spend, channel: low}), evaluator.objective)
        per_replication = (up - down).to_numpy() / (value + step - low)
        n = len(per_replication)
        half = t_half_width(per_replication.std(ddof=1) if n > 1 else np.nan, n, confidence)
        mean = float(per_replication.mean())
        rows.append({"channel": channel, "spend_per_day": value, "marginal_return": mean, "ci_low": mean - half, "ci_high": mean + half, "spend_difference": value + step - low})
    return pd.DataFrame(rows)
