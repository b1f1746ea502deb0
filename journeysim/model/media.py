"""Paid media: from a channel's daily spend to the exposure that acts on the journey.

Spend carries over (geometric adstock) and saturates (Hill curve):

    adstock[d]  = spend[d] + decay * adstock[d - 1]
    exposure[d] = adstock[d]^s / (adstock[d]^s + K^s)            in [0, 1)

where K is the adstocked spend per day at which exposure is half its maximum and s the Hill
shape (s <= 1 concave; s > 1 S-shaped). With ``saturation: false`` the response is linear:
exposure = adstock / K, unbounded (so doubling spend doubles the paid prospects). Exposure brings prospects in through the channel
(``max_arrivals_per_day * exposure``, split by audience) and raises the channel's weight in
later stages' channel choice by ``1 + retargeting_lift * exposure``. Days are whole days of
the horizon; spend is constant within a day.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from journeysim.model.scenario import ChannelBudget, Scenario

# Paid prospects of channel c are numbered from PAID_INDEX_OFFSET * (c + 1) within their
# persona, so their random numbers never meet those of organic customers, and a prospect keeps
# its number (and its journey) whatever the spend.
PAID_INDEX_OFFSET = 1 << 40


def daily_spend(budget: ChannelBudget, days: int) -> np.ndarray:
    """Spend of each day: the plan's periods where they apply, ``spend_per_day`` elsewhere."""
    spend = np.full(days, budget.spend_per_day, dtype=float)
    starts = np.arange(days, dtype=float)
    for period in budget.plan:
        spend[(starts >= period.from_day) & (starts < period.to_day)] = period.spend_per_day
    return spend


def adstock(spend: np.ndarray, decay: float) -> np.ndarray:
    out = np.empty_like(spend, dtype=float)
    carried = 0.0
    for day, amount in enumerate(spend):
        carried = amount + decay * carried
        out[day] = carried
    return out


def hill(adstocked: np.ndarray | float, half_saturation: float, shape: float) -> np.ndarray:
    a = np.asarray(adstocked, dtype=float)
    if half_saturation <= 0:
        return np.where(a > 0, 1.0, 0.0)
    ratio = np.power(np.maximum(a, 0.0) / half_saturation, shape)
    return ratio / (1.0 + ratio)


def exposure_of(budget: ChannelBudget, adstocked: np.ndarray | float) -> np.ndarray:
    if not budget.saturation:
        return np.asarray(adstocked, dtype=float) / budget.half_saturation
    return hill(adstocked, budget.half_saturation, budget.hill_shape)


def daily_exposure(budget: ChannelBudget, days: int) -> np.ndarray:
    return exposure_of(budget, adstock(daily_spend(budget, days), budget.adstock_decay))


def horizon_days(horizon: float) -> int:
    return max(1, int(math.ceil(horizon)))


def budget_table(scenario: Scenario, horizon: float, replications: int = 1) -> pd.DataFrame:
    """Per paid channel and persona: spend over the horizon (split by audience), mean exposure,
    and the expected paid prospects. ``replications`` scales spend to match pooled tables."""
    rows = []
    days = horizon_days(horizon)
    fraction = np.minimum(1.0, np.maximum(0.0, horizon - np.arange(days)))  # last day may be partial
    for channel, budget in scenario.budget.items():
        spend = daily_spend(budget, days)
        exposure = daily_exposure(budget, days)
        audience = budget.audience_shares(scenario)
        for persona, share in audience.items():
            rows.append(
                {
                    "channel": channel,
                    "persona": persona,
                    "spend": float((spend * fraction).sum() * share * replications),
                    "mean_exposure": float((exposure * fraction).sum() / fraction.sum()),
                    "expected_paid_arrivals": float((budget.max_arrivals_per_day * exposure * fraction).sum() * share * replications),
                }
            )
    return pd.DataFrame(rows, columns=["channel", "persona", "spend", "mean_exposure", "expected_paid_arrivals"])


def response_curve(budget: ChannelBudget, spend_levels: np.ndarray, days: int = 365) -> np.ndarray:
    """Steady-state paid prospects per day at constant daily spend levels (the channel's
    response curve): exposure at adstock = spend / (1 - decay)."""
    steady = np.asarray(spend_levels, dtype=float) / (1.0 - budget.adstock_decay)
    return budget.max_arrivals_per_day * exposure_of(budget, steady)
