"""Which channel brought each customer, and what each channel's customers bought and cost.

:func:`channel_table` attributes customers to the channel that brought them (a paid
prospect to its paid channel, the others to ``organic`` or ``referral``) and reports per
channel: prospects, new customers, conversions, loyal customers, revenue, costs, cost per
acquisition and return on spend. :func:`paired_channel_table` pairs two such tables by
replication (a comparison's states) with t-intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeysim.analysis.metrics import (
    cost_per_acquisition,
    ratio,
    return_on_spend,
    staff_cost_per_customer,
    total_cost,
)
from journeysim.analysis.paired import COMPARISON_COLUMNS, paired_statistics
from journeysim.model.media import PAID_INDEX_OFFSET
from journeysim.model.scenario import Scenario

ORGANIC_LABEL, REFERRAL_LABEL, ALL_CHANNELS = "organic", "referral", "all"
CHANNEL_MEASURES = {
    "prospects": "customers the channel brought into the journey",
    "new_customers": "of those, customers who bought (first purchase)",
    "conversions": "purchases of those customers, first and repeat",
    "conversion_rate": "new customers / prospects",
    "loyal_customers": "new customers who became loyal",
    "revenue": "order value of their purchases",
    "media_spend": "the channel's paid-media spend (0 for organic and referral)",
    "contact_cost": "cost per contact of their touches on unpaid channels",
    "staff_cost": "their share of staff costs (channels with staff, by served contacts)",
    "total_cost": "media spend + contact cost + staff cost",
    "cost_per_acquisition": "total cost / new customers",
    "return_on_spend": "revenue / total cost",
}


def customer_channels(customers: pd.DataFrame, scenario: Scenario, events: pd.DataFrame | None = None) -> pd.Series:
    """The channel that brought each customer: a paid prospect's paid channel (its first
    touch in the event log; from its prospect number when it had no touch before the
    horizon, or without an event log), else ``organic`` or ``referral``."""
    labels = pd.Series(np.where(customers["source"].astype(str) == "referral", REFERRAL_LABEL, ORGANIC_LABEL), index=customers.index, dtype=object)
    paid = (customers["source"] == "paid").to_numpy()
    if not paid.any():
        return labels
    # Paid prospects of channel c are numbered from PAID_INDEX_OFFSET * (c + 1) (journeysim.model.media).
    index = customers.loc[paid, "persona_customer"].to_numpy(dtype=np.int64) // PAID_INDEX_OFFSET - 1
    labels[paid] = np.asarray(scenario.channel_names, dtype=object)[index]
    if events is not None and len(events):
        touches = events.loc[events["event"] == "touch", ["replication", "customer_id", "channel"]]
        first = touches.drop_duplicates(["replication", "customer_id"]).set_index(["replication", "customer_id"])["channel"].astype(str)
        keys = pd.MultiIndex.from_arrays([customers.loc[paid, "replication"], customers.loc[paid, "customer_id"]])
        first_touch = first.reindex(keys).to_numpy(dtype=object)
        known = pd.notna(first_touch)
        labels.loc[labels.index[paid][known]] = first_touch[known]
    return labels


def channel_table(
    customers: pd.DataFrame, spend: pd.DataFrame, scenario: Scenario, events: pd.DataFrame | None = None, staff: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per replication and channel (paid channels, ``organic``, ``referral`` when there are
    referrals, and ``all``): the measures of :data:`CHANNEL_MEASURES`.

    ``spend`` is the media spend of ONE replication (``SimulationResult.spend``); each
    replication pays it; so is ``staff`` (``SimulationResult.staff``), shared out as in
    :func:`journeysim.analysis.metrics.staff_cost_per_customer`. The ``all`` row equals
    :func:`journeysim.analysis.metrics.kpi_table`'s totals given the same tables.
    """
    channel = customer_channels(customers, scenario, events)
    converted = (customers["outcome"] == "converted").to_numpy()
    frame = pd.DataFrame(
        {
            "replication": customers["replication"].to_numpy() if "replication" in customers else 0,
            "channel": channel.to_numpy(dtype=object),
            "prospects": 1,
            "new_customers": converted.astype(np.int64),
            "conversions": converted.astype(np.int64) + customers["repeat_purchases"].to_numpy(dtype=np.int64),
            "loyal_customers": (converted & customers["loyal"].to_numpy(dtype=bool)).astype(np.int64),
            "revenue": customers["revenue"].to_numpy(dtype=np.float64),
            "contact_cost": customers["contact_cost"].to_numpy(dtype=np.float64),
            "staff_cost": staff_cost_per_customer(customers, events, staff),
        }
    )
    labels = [*scenario.budget, ORGANIC_LABEL] + ([REFERRAL_LABEL] if (channel == REFERRAL_LABEL).any() else [])
    replications = sorted(pd.unique(frame["replication"])) or [0]
    grid = pd.MultiIndex.from_product([replications, labels], names=["replication", "channel"])
    sums = frame.groupby(["replication", "channel"]).sum().reindex(grid, fill_value=0)
    pooled = frame.drop(columns="channel").groupby("replication").sum().reindex(replications, fill_value=0)
    pooled.index = pd.MultiIndex.from_product([replications, [ALL_CHANNELS]], names=["replication", "channel"])
    table = pd.concat([sums, pooled]).sort_index(level="replication", sort_remaining=False).reset_index()
    media = spend.groupby("channel")["spend"].sum() if len(spend) else pd.Series(dtype=float)
    table["media_spend"] = table["channel"].map(lambda c: float(media.sum()) if c == ALL_CHANNELS else float(media.get(c, 0.0)))
    table["total_cost"] = total_cost(table["contact_cost"], table["media_spend"], table["staff_cost"])
    table["conversion_rate"] = ratio(table["new_customers"], table["prospects"])
    table["cost_per_acquisition"] = cost_per_acquisition(table["total_cost"], table["new_customers"])
    table["return_on_spend"] = return_on_spend(table["revenue"], table["total_cost"])
    return table[["replication", "channel", *CHANNEL_MEASURES]]


def paired_channel_table(current: pd.DataFrame, future: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Pair two :func:`channel_table` results by replication: one row per channel and measure."""
    channels = list(dict.fromkeys([*current["channel"], *future["channel"]]))
    replications = sorted(set(current["replication"]) | set(future["replication"]))
    grid = pd.MultiIndex.from_product([channels, replications], names=["channel", "replication"])
    states = [table.set_index(["channel", "replication"]).reindex(grid) for table in (current, future)]
    rows = []
    for channel in channels:
        for measure in CHANNEL_MEASURES:
            before, after = (state.loc[channel, measure].to_numpy(dtype=np.float64) for state in states)
            if measure in _COUNTS:  # a channel nobody came through in one state counts zero there
                before, after = np.nan_to_num(before), np.nan_to_num(after)
            rows.append({"channel": channel, "measure": measure, **paired_statistics(before, after, confidence)})
    return pd.DataFrame(rows)[["channel", "measure", *[c for c in COMPARISON_COLUMNS if c not in ("kpi", "persona")]]]


_COUNTS = {"prospects", "new_customers", "conversions", "loyal_customers", "revenue", "media_spend", "contact_cost", "total_cost"}
