"""The truth a media-mix model estimates: what each paid channel's spend really adds.

For each channel with a budget, the run is simulated again with that channel's spend set to
zero (daily and in its plan: :func:`journeysim.studies.budget.changes.scale` by 0), with the
same seed: every customer keeps their random numbers (common random numbers), and the paid
prospects of other channels and the organic customers are the same people in both runs. The
channel's incremental conversions and revenue are the run's minus the counterfactual's,
per replication (the unit of a media-mix panel), matched customer by customer (persona and
arrival number: paid prospects of the channel exist only in the run; retargeting changes the
journeys of others).

**Intervals.** When customers do not interact (no capacity queue, referral or finite market),
each customer's difference is an independent mark of a Poisson process of arrivals, so the
total's variance is estimated by the sum of the squared differences (a compound Poisson
sum): an exact interval from a single replication. When customers interact through queues or
word of mouth, differences are not independent; the interval is then the t-interval over
replications (NaN with one replication, which the ``note`` says).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import special

from journeysim.config import with_changes
from journeysim.errors import ConfigError, Problem
from journeysim.model.media import budget_table
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.replications import ReplicationRunner
from journeysim.simulation.runner import SimulationResult
from journeysim.studies.budget.changes import scale
from journeysim.studies.incrementality import t_interval

MEDIA_TRUTH_COLUMNS = (
    "channel", "spend", "incremental_conversions", "incremental_conversions_ci_low", "incremental_conversions_ci_high",
    "incremental_revenue", "incremental_revenue_ci_low", "incremental_revenue_ci_high", "incremental_roas",
    "cost_per_incremental_conversion", "replications", "interval", "note",
)  # fmt: skip
COMPOUND_POISSON = "customers (compound Poisson)"
PAIRED_REPLICATIONS = "paired replications (t)"
_KEY = ["replication", "persona", "persona_customer"]


def customers_interact(scenario: Scenario) -> bool:
    """Do customers affect each other's journeys (capacity queues, referrals, a finite market)?"""
    return scenario.has_feedback or any(channel.has_queue for channel in scenario.channels.values())


def media_incrementality(
    scenario: Scenario,
    settings: RunSettings,
    channels: Sequence[str] | None = None,
    *,
    full: SimulationResult | None = None,
    confidence: float = 0.95,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Each paid channel's true incremental conversions and revenue per replication (see the
    module docstring), one row per channel: ``spend`` (per replication, over the horizon),
    ``incremental_conversions`` and ``incremental_revenue`` with their ``confidence``
    intervals, ``incremental_roas`` (incremental revenue / spend),
    ``cost_per_incremental_conversion``, ``replications``, ``interval`` (how it was computed)
    and ``note``.

    ``full`` is the run itself when the caller has it (``simulate(scenario, settings)``, with
    or without events); it is simulated otherwise. ``channels`` defaults to every paid one."""
    chosen = tuple(scenario.budget) if channels is None else tuple(channels)
    unknown = [c for c in chosen if c not in scenario.budget]
    if unknown:
        raise ConfigError(Problem("channels", f"not paid channels: {', '.join(map(repr, unknown))}; paid: {', '.join(scenario.budget) or 'none'}"))
    if not 0 < confidence < 1:
        raise ConfigError(Problem("confidence", f"must be in (0, 1), got {confidence!r}"))
    if full is None:
        full = ReplicationRunner(scenario, settings).run(keep_events=False)
    base = _outcomes(full.customers)
    spend = budget_table(scenario, settings.horizon_days).groupby("channel")["spend"].sum() if scenario.budget else pd.Series(dtype=float)
    rows = []
    for index, channel in enumerate(chosen, start=1):
        if log is not None:
            log(f"{scenario.name}: {channel} spend set to 0 ({index}/{len(chosen)})")
        variant = with_changes(scenario, scale(scenario, channel, 0.0))
        switched_off = ReplicationRunner(variant, settings).run(keep_events=False)
        rows.append(_row(channel, float(spend.get(channel, 0.0)), base, _outcomes(switched_off.customers), customers_interact(scenario), settings.replications, confidence))
    return pd.DataFrame(rows, columns=list(MEDIA_TRUTH_COLUMNS))


def _outcomes(customers: pd.DataFrame) -> pd.DataFrame:
    """Conversions (0/1) and revenue per customer, keyed by (replication, persona, arrival number)."""
    return pd.DataFrame({
        "replication": customers["replication"].to_numpy().astype(np.int64),
        "persona": customers["persona"].astype(str).to_numpy(),
        "persona_customer": customers["persona_customer"].to_numpy().astype(np.int64),
        "conversions": (customers["outcome"] == "converted").to_numpy(dtype=float),
        "revenue": customers["revenue"].to_numpy(dtype=np.float64),
    }).set_index(_KEY)


def _row(channel: str, spend: float, base: pd.DataFrame, switched_off: pd.DataFrame, interacting: bool, replications: int, confidence: float) -> dict:
    difference = base.sub(switched_off, fill_value=0.0)
    by_replication = difference.groupby(level="replication").sum().reindex(range(replications), fill_value=0.0)
    squares = (difference**2).groupby(level="replication").sum().reindex(range(replications), fill_value=0.0)
    row: dict = {"channel": channel, "spend": spend, "replications": replications, "note": ""}
    for measure in ("conversions", "revenue"):
        values = by_replication[measure].to_numpy()
        if interacting:
            mean, low, high = t_interval(values, confidence)
        else:
            mean = float(values.mean())
            half = float(special.ndtri(0.5 + confidence / 2) *  # the normal quantile (scipy.stats' norm.ppf, without importing scipy.stats)
                          np.sqrt(squares[measure].sum()) / replications)
            low, high = mean - half, mean + half
        row[f"incremental_{measure}"] = mean
        row[f"incremental_{measure}_ci_low"] = low
        row[f"incremental_{measure}_ci_high"] = high
    row["interval"] = PAIRED_REPLICATIONS if interacting else COMPOUND_POISSON
    if interacting and replications < 2:
        row["note"] = "customers interact (queues or referrals): the interval needs 2 replications or more"
    row["incremental_roas"] = row["incremental_revenue"] / spend if spend > 0 else np.nan
    row["cost_per_incremental_conversion"] = spend / row["incremental_conversions"] if row["incremental_conversions"] > 0 else np.nan
    return row
