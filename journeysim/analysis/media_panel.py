"""The media-mix panel: one row per period (a week or a day) of spend, exposure and sales.

What a media-mix model (pymc-marketing, Meridian, Robyn, or the regression of
:mod:`journeysim.analysis.media_mix`) reads: per period, the spend and the impressions of
every paid channel, the sales, and controls. Columns:

* ``replication``, ``period`` (0, 1, ...), ``date`` (the period's first day, ``yyyy-mm-dd``;
  day 0 is :data:`~journeysim.analysis.event_logs.DAY_ZERO`), ``days`` (its length within the
  horizon: the last period may be shorter);
* ``conversions`` (first purchases: new customers) and ``revenue`` (every purchase's value,
  repeat purchases included), as the brand's order system records them: every sale, online
  and offline, whatever tracking saw of the journey; ``revenue_per_conversion`` (their ratio:
  Meridian's ``revenue_per_kpi``);
* ``spend_<channel>`` and ``impressions_<channel>`` per paid channel (the scenario's
  ``budget``): the spend of the period and the contacts customers had with the channel, which
  an ad platform counts whether or not the site could track the visitor;
* ``last_touch_conversions_<channel>`` and ``last_touch_revenue_<channel>`` per channel: the
  first purchases whose observed id's last recorded contact before them was that channel (what
  analytics credits to a channel), ``_none`` for purchases with no recorded contact before them
  under their id (consent refused, a reset identity, an unmatched till sale);
* ``campaign_<name>`` per campaign of the scenario's calendar (spaces as ``_``): the share
  of the period's days inside it, a control.

Runs are read a chunk at a time (:func:`panel_parts` per chunk, their sum by
:func:`media_panel_table`), so a run larger than memory gets its panel too.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.event_logs import DAY_ZERO
from journeysim.model.media import daily_spend, horizon_days
from journeysim.model.scenario import Scenario

NO_CHANNEL = "none"
PART_COLUMNS = ("replication", "period", "column", "amount")


def panel_parts(events: pd.DataFrame, observed: pd.DataFrame, paid_channels: Sequence[str], period_days: int) -> pd.DataFrame:
    """The additive parts of a panel from (a chunk of) a run's true ``events`` and their
    ``observed`` events: one row per (replication, period, column) with its ``amount``."""
    parts = []
    replication = events["replication"].to_numpy().astype(np.int64)
    period = (events["time_days"].to_numpy(dtype=np.float64) // period_days).astype(np.int64)
    value = events["value"].to_numpy(dtype=np.float64)
    first = (events["event"] == "purchase").to_numpy(dtype=bool)
    sales = first | (events["event"] == "repeat_purchase").to_numpy(dtype=bool)
    parts.append(_sums(replication[first], period[first], "conversions", np.ones(int(first.sum()))))
    parts.append(_sums(replication[sales], period[sales], "revenue", value[sales]))
    touch = (events["event"] == "touch").to_numpy(dtype=bool)
    for name in paid_channels:
        hit = touch & (events["channel"] == name).to_numpy(dtype=bool)
        parts.append(_sums(replication[hit], period[hit], f"impressions_{name}", np.ones(int(hit.sum()))))
    parts.append(_last_touch_parts(observed, period_days))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(PART_COLUMNS))


def _sums(replication: np.ndarray, period: np.ndarray, column: str, amount: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"replication": replication, "period": period, "amount": amount})
    table = frame.groupby(["replication", "period"], sort=True)["amount"].sum().reset_index()
    return table.assign(column=column)[list(PART_COLUMNS)]


def _last_touch_parts(observed: pd.DataFrame, period_days: int) -> pd.DataFrame:
    """First purchases credited to the last recorded contact of their observed id before them."""
    if not len(observed):
        return pd.DataFrame(columns=list(PART_COLUMNS))
    replication = observed["replication"].to_numpy().astype(np.int64)
    ids = observed["observed_id"].to_numpy()
    if np.all((replication[1:] > replication[:-1]) | ((replication[1:] == replication[:-1]) & (ids[1:] >= ids[:-1]))):
        order = np.arange(len(ids))  # grouped by identity already
    else:
        order = np.lexsort((ids, replication))  # stable: each id's rows stay in time order
    is_touch = (observed["event"] == "touch").to_numpy(dtype=bool)[order]
    is_purchase = (observed["event"] == "purchase").to_numpy(dtype=bool)[order]
    names = np.array([str(c) for c in observed["channel"].cat.categories], dtype=object)
    channel = observed["channel"].cat.codes.to_numpy()[order]
    ids, replication = ids[order], replication[order]
    new_id = np.ones(len(order), dtype=bool)
    new_id[1:] = (ids[1:] != ids[:-1]) | (replication[1:] != replication[:-1])
    id_start = np.maximum.accumulate(np.where(new_id, np.arange(len(order)), 0))
    last_touch = np.maximum.accumulate(np.where(is_touch, np.arange(len(order)), -1))
    purchase = np.flatnonzero(is_purchase)
    credited = last_touch[purchase]
    has_touch = credited >= id_start[purchase]
    credit = np.where(has_touch, names[channel[np.maximum(credited, 0)]], NO_CHANNEL)
    period = (observed["time_days"].to_numpy(dtype=np.float64)[order][purchase] // period_days).astype(np.int64)
    value = observed["value"].to_numpy(dtype=np.float64)[order][purchase]
    frame = pd.DataFrame({"replication": replication[purchase], "period": period, "credit": credit, "one": 1.0, "value": value})
    table = frame.groupby(["replication", "period", "credit"], sort=True)[["one", "value"]].sum().reset_index()
    conversions = table.assign(column="last_touch_conversions_" + table["credit"], amount=table["one"])
    revenue = table.assign(column="last_touch_revenue_" + table["credit"], amount=table["value"])
    return pd.concat([conversions, revenue], ignore_index=True)[list(PART_COLUMNS)]


def campaign_column(name: str) -> str:
    """The panel column of a calendar campaign: ``campaign_`` and its name, spaces as ``_``."""
    return "campaign_" + re.sub(r"\s+", "_", name.strip())


def media_panel_table(parts: pd.DataFrame, scenario: Scenario, horizon: float, replications: Sequence[int], period_days: int = 7, start_date: str = DAY_ZERO) -> pd.DataFrame:
    """The wide panel (see the module docstring) from the summed :func:`panel_parts` of a run
    of ``replications`` over ``horizon`` days, with the scenario's spend and calendar."""
    periods = max(1, int(np.ceil(horizon / period_days - 1e-12)))
    starts = np.arange(periods) * period_days
    grid = pd.MultiIndex.from_product([list(replications), range(periods)], names=["replication", "period"])
    totals = parts.groupby(["replication", "period", "column"])["amount"].sum().unstack("column") if len(parts) else pd.DataFrame(index=grid)
    totals = totals.reindex(grid).fillna(0.0)
    channels, paid = list(scenario.channel_names), list(scenario.budget)
    wanted = ["conversions", "revenue", *(f"impressions_{c}" for c in paid),
              *(f"last_touch_conversions_{c}" for c in [*channels, NO_CHANNEL]),
              *(f"last_touch_revenue_{c}" for c in [*channels, NO_CHANNEL])]  # fmt: skip
    panel = totals.reindex(columns=wanted, fill_value=0.0).reset_index()
    panel.insert(2, "date", (pd.Timestamp(start_date) + pd.to_timedelta(starts[panel["period"]], unit="D")).strftime("%Y-%m-%d"))
    panel.insert(3, "days", np.minimum(period_days, horizon - starts[panel["period"]]))
    for column in ["conversions", *(f"impressions_{c}" for c in paid), *(c for c in wanted if c.startswith("last_touch_conversions_"))]:
        panel[column] = panel[column].round().astype(np.int64)
    panel.insert(panel.columns.get_loc("revenue") + 1, "revenue_per_conversion", panel["revenue"] / panel["conversions"].where(panel["conversions"] > 0))
    spend = {f"spend_{c}": _period_spend(scenario, c, horizon, period_days, periods) for c in paid}
    position = panel.columns.get_loc("revenue_per_conversion") + 1
    for offset, (column, amounts) in enumerate(spend.items()):
        panel.insert(position + offset, column, amounts[panel["period"]])
    for campaign in scenario.calendar:
        panel[campaign_column(campaign.name)] = _campaign_share(campaign.from_day, campaign.to_day, starts, period_days, horizon)[panel["period"]]
    return panel


def _period_spend(scenario: Scenario, channel: str, horizon: float, period_days: int, periods: int) -> np.ndarray:
    """Spend of one replication in each period (the last day counted for its part within the horizon)."""
    days = horizon_days(horizon)
    fraction = np.minimum(1.0, np.maximum(0.0, horizon - np.arange(days)))
    daily = daily_spend(scenario.budget[channel], days) * fraction
    return np.bincount(np.arange(days) // period_days, weights=daily, minlength=periods)[:periods]


def _campaign_share(from_day: float, to_day: float, starts: np.ndarray, period_days: int, horizon: float) -> np.ndarray:
    ends = np.minimum(starts + period_days, horizon)
    overlap = np.clip(np.minimum(ends, to_day) - np.maximum(starts, from_day), 0.0, None)
    return overlap / (ends - starts)
