"""Journey KPIs as pure functions of the customers table and the event log.

Every function takes tables (as produced by any engine) and returns a tidy DataFrame; none
runs a simulation. Rates are shares of arrivals unless the name says otherwise. ``ALL`` is
the persona label of the row that pools every persona.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

ALL = "all"

# KPI name -> short description, in report order (also the column order of metrics.csv).
KPI_DESCRIPTIONS: dict[str, str] = {
    "arrivals": "customers who entered the journey",
    "converted": "customers who bought",
    "lost": "customers who dropped out",
    "open": "journeys still running at the horizon (censored)",
    "conversion_rate": "converted / arrivals",
    "loss_rate": "lost / arrivals",
    "open_share": "open / arrivals",
    "bounce_rate": "lost at their first touch / arrivals",
    "friction_loss_rate": "lost to friction / arrivals",
    "touches_per_customer": "mean touches per arrival",
    "touches_to_convert": "mean touches before purchase, among converted",
    "time_to_convert_days": "mean days from arrival to purchase, among converted",
    "median_time_to_convert_days": "median days from arrival to purchase",
    "satisfaction": "mean running emotion (touch emotions averaged per customer)",
    "revenue": "order value of purchases",
    "revenue_per_arrival": "revenue / arrivals",
    "average_order_value": "revenue / converted",
    "contact_cost": "sum of cost per contact over touches",
    "cost_per_acquisition": "contact cost / converted",
    "return_on_spend": "revenue / contact cost",
}


def kpi_table(customers: pd.DataFrame, events: pd.DataFrame | None = None, by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per persona (and one pooled ``all`` row), a column per KPI.

    ``by`` adds grouping columns, e.g. ``("replication",)`` for one row per replication and persona.
    """
    keys = list(by)
    per_persona = _kpis(customers, keys + ["persona"])
    pooled = _kpis(customers, keys).assign(persona=ALL) if keys else _kpis(customers, []).assign(persona=ALL)
    table = pd.concat([per_persona, pooled], ignore_index=True)
    columns = keys + ["persona"] + list(KPI_DESCRIPTIONS)
    table = table[columns]
    table["persona"] = table["persona"].astype(str)
    return table.sort_values(keys, kind="stable", ignore_index=True) if keys else table


def _kpis(customers: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    c = customers
    converted = c["outcome"] == "converted"
    lost = c["outcome"] == "lost"
    frame = pd.DataFrame(
        {
            "arrivals": 1,
            "converted": converted.astype(np.int64),
            "lost": lost.astype(np.int64),
            "open": (c["outcome"] == "open").astype(np.int64),
            "bounced": (lost & (c["touches"] == 1)).astype(np.int64),
            "friction_lost": c["lost_to_friction"].astype(np.int64),
            "touches": c["touches"].astype(np.int64),
            "touches_converted": c["touches"].where(converted).astype(np.float64),
            "time_converted": c["time_to_convert_days"].astype(np.float64),
            "satisfaction": c["satisfaction"].astype(np.float64),
            "revenue": c["revenue"].astype(np.float64),
            "contact_cost": c["contact_cost"].astype(np.float64),
        }
    )
    for key in keys:
        frame[key] = c[key]
    if keys:
        grouped = frame.groupby(keys, observed=False, sort=True)  # personas with no arrivals keep a row
    else:
        # A categorical key with one category keeps the pooled row even with no customers.
        grouped = frame.assign(_one=pd.Categorical([0] * len(frame), categories=[0])).groupby("_one", observed=False)
    sums = grouped[["arrivals", "converted", "lost", "open", "bounced", "friction_lost", "touches", "revenue", "contact_cost"]].sum()
    means = grouped[["touches_converted", "time_converted", "satisfaction"]].mean()
    medians = grouped["time_converted"].median()
    out = pd.DataFrame(index=sums.index)
    arrivals = sums["arrivals"].astype(np.float64)
    out["arrivals"] = sums["arrivals"]
    out["converted"] = sums["converted"]
    out["lost"] = sums["lost"]
    out["open"] = sums["open"]
    out["conversion_rate"] = _ratio(sums["converted"], arrivals)
    out["loss_rate"] = _ratio(sums["lost"], arrivals)
    out["open_share"] = _ratio(sums["open"], arrivals)
    out["bounce_rate"] = _ratio(sums["bounced"], arrivals)
    out["friction_loss_rate"] = _ratio(sums["friction_lost"], arrivals)
    out["touches_per_customer"] = _ratio(sums["touches"], arrivals)
    out["touches_to_convert"] = means["touches_converted"]
    out["time_to_convert_days"] = means["time_converted"]
    out["median_time_to_convert_days"] = medians
    out["satisfaction"] = means["satisfaction"]
    out["revenue"] = sums["revenue"]
    out["revenue_per_arrival"] = _ratio(sums["revenue"], arrivals)
    out["average_order_value"] = _ratio(sums["revenue"], sums["converted"])
    out["contact_cost"] = sums["contact_cost"]
    out["cost_per_acquisition"] = _ratio(sums["contact_cost"], sums["converted"])
    out["return_on_spend"] = _ratio(sums["revenue"], sums["contact_cost"])
    out = out.reset_index()
    return out.drop(columns="_one", errors="ignore")


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    numerator = numerator.astype(np.float64)
    denominator = denominator.astype(np.float64)
    return numerator.div(denominator.where(denominator != 0))


def funnel(customers: pd.DataFrame, events: pd.DataFrame, stages: Sequence[str] | None = None) -> pd.DataFrame:
    """Stage reach per persona: customers who were ever at each stage, and as a share of arrivals.

    A customer reached a stage if it touched a channel there or ended its run there; the
    last row of each persona, ``converted``, counts buyers.
    """
    touches = events.loc[events["event"] == "touch", ["replication", "customer_id", "persona", "stage"]]
    ends = customers[["replication", "customer_id", "persona", "final_stage"]].rename(columns={"final_stage": "stage"})
    visits = pd.concat([touches, ends], ignore_index=True).drop_duplicates(["replication", "customer_id", "stage"])
    stage_order = list(stages) if stages is not None else list(customers["final_stage"].cat.categories)
    rows = []
    arrivals = customers.groupby("persona", observed=True).size()
    reached = visits.groupby(["persona", "stage"], observed=True).size()
    converted = customers.loc[customers["outcome"] == "converted"].groupby("persona", observed=True).size()
    personas = [str(p) for p in arrivals.index]
    for persona in personas + [ALL]:
        n = int(arrivals.sum() if persona == ALL else arrivals.get(persona, 0))
        for stage in stage_order:
            if persona == ALL:
                count = int(reached.xs(stage, level="stage").sum()) if stage in reached.index.get_level_values("stage") else 0
            else:
                count = int(reached.get((persona, stage), 0))
            rows.append((persona, stage, count))
        bought = int(converted.sum() if persona == ALL else converted.get(persona, 0))
        rows.append((persona, "converted", bought))
    table = pd.DataFrame(rows, columns=["persona", "stage", "customers"])
    totals = table["persona"].map(lambda p: int(arrivals.sum() if p == ALL else arrivals.get(p, 0)))
    table["share_of_arrivals"] = table["customers"] / totals.where(totals > 0)
    return table


def touchpoint_table(events: pd.DataFrame) -> pd.DataFrame:
    """Stage x channel (per persona and pooled): touches, outcomes, drop-off and how much of it is friction."""
    touches = events.loc[events["event"] == "touch"]
    frames = []
    for persona, group in [(ALL, touches)] + [(str(p), g) for p, g in touches.groupby("persona", observed=True)]:
        counts = (
            group.groupby(["stage", "channel", "outcome"], observed=True).size().unstack("outcome", fill_value=0)
        )
        for column in ("advance", "stay", "drop", "friction_drop"):
            if column not in counts:
                counts[column] = 0
        table = counts[["advance", "stay", "drop", "friction_drop"]].copy()
        table.columns.name = None
        table["touches"] = table.sum(axis=1)
        stats_ = group.groupby(["stage", "channel"], observed=True).agg(mean_emotion=("emotion", "mean"), contact_cost=("cost", "sum"))
        table = table.join(stats_)
        table["lost"] = table["drop"] + table["friction_drop"]
        table["drop_rate"] = table["lost"] / table["touches"]
        table["friction_share_of_loss"] = table["friction_drop"] / table["lost"].where(table["lost"] > 0)
        frames.append(table.reset_index().assign(persona=persona))
    if not frames:
        return pd.DataFrame(columns=["persona", "stage", "channel", "touches"])
    out = pd.concat(frames, ignore_index=True)
    order = ["persona", "stage", "channel", "touches", "advance", "stay", "drop", "friction_drop", "lost", "drop_rate", "friction_share_of_loss", "mean_emotion", "contact_cost"]
    out["stage"] = out["stage"].astype(str)
    out["channel"] = out["channel"].astype(str)
    return out[order]


def dropoff_by_stage(customers: pd.DataFrame) -> pd.DataFrame:
    """Where customers were lost: per persona and stage, lost customers and the friction part."""
    lost = customers.loc[customers["outcome"] == "lost"]
    frames = []
    for persona, group in [(ALL, lost)] + [(str(p), g) for p, g in lost.groupby("persona", observed=True)]:
        table = group.groupby("final_stage", observed=False).agg(lost=("outcome", "size"), lost_to_friction=("lost_to_friction", "sum"))
        frames.append(table.reset_index().rename(columns={"final_stage": "stage"}).assign(persona=persona))
    out = pd.concat(frames, ignore_index=True)
    arrivals = customers.groupby("persona", observed=True).size()
    totals = out["persona"].map(lambda p: int(arrivals.sum() if p == ALL else arrivals.get(p, 0)))
    out["loss_share_of_arrivals"] = out["lost"] / totals.where(totals > 0)
    out["stage"] = out["stage"].astype(str)
    return out[["persona", "stage", "lost", "lost_to_friction", "loss_share_of_arrivals"]]


def replication_summary(per_replication: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval over replications of every KPI column, per persona (long format)."""
    kpis = [k for k in KPI_DESCRIPTIONS if k in per_replication]
    long = per_replication.melt(id_vars=["replication", "persona"], value_vars=kpis, var_name="kpi")
    rows = []
    for (persona, kpi), group in long.groupby(["persona", "kpi"], sort=False):
        values = group["value"].dropna().to_numpy(dtype=np.float64)
        n = len(values)
        mean = values.mean() if n else np.nan
        if n >= 2:
            half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
        else:
            half = np.nan
        rows.append((kpi, persona, mean, mean - half, mean + half, n))
    return pd.DataFrame(rows, columns=["kpi", "persona", "mean", "ci_low", "ci_high", "replications"])
