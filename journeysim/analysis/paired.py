"""Paired statistics and difference tables of a current-vs-future comparison.

Pure functions of tables: the per-replication KPIs of both states (``state``, ``replication``,
``persona`` and a column per KPI) give the paired comparison with t-intervals; pooled
touchpoint, purchase and experience tables give where the change comes from (drop-off by
stage x channel, channel mix, the emotion lane). :mod:`journeysim.studies.comparison` runs the states
and calls these; they run no simulation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from journeysim.analysis.intervals import t_half_width
from journeysim.analysis.metrics import ALL

CURRENT, FUTURE = "current", "future"
STATES = (CURRENT, FUTURE)
KEY_COLUMNS = ("state", "replication", "persona")
COMPARISON_COLUMNS = [
    "kpi", "persona", "current", "future", "difference", "relative_change",
    "ci_low", "ci_high", "excludes_zero", "replications",
    "half_width", "current_sd", "future_sd", "difference_sd",
]  # fmt: skip


# -- paired statistics (pure functions of the per-replication table) ---------------------


def kpi_columns(per_replication: pd.DataFrame) -> list[str]:
    """The KPI columns of a per-replication table, in its order (whatever KPIs metrics adds)."""
    return [c for c in per_replication.columns if c not in KEY_COLUMNS and pd.api.types.is_numeric_dtype(per_replication[c])]


def paired_values(per_replication: pd.DataFrame, kpi: str, persona: str = ALL) -> pd.DataFrame:
    """One KPI of one persona: a row per replication, columns ``current`` and ``future``."""
    rows = per_replication.loc[per_replication["persona"] == persona]
    wide = rows.pivot(index="replication", columns="state", values=kpi)
    return wide.reindex(columns=list(STATES)).astype(np.float64)


def comparison_table(per_replication: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per KPI x persona: means, mean paired difference and its t-interval, and the
    standard deviations over replications of each state and of the paired difference.

    Replications where the KPI is undefined in either state (e.g. cost per acquisition
    without a conversion) are left out of that row; ``replications`` counts the pairs used.
    """
    personas = [p for p in pd.unique(per_replication["persona"]) if p != ALL] + [ALL]
    kpis = kpi_columns(per_replication)
    wide = per_replication.set_index(["persona", "replication", "state"])[kpis].astype(np.float64).unstack("state")
    rows = []
    for persona in personas:
        pairs = wide.loc[persona] if persona in wide.index.get_level_values("persona") else wide.iloc[:0]
        for kpi in kpis:
            current = pairs[(kpi, CURRENT)].to_numpy() if (kpi, CURRENT) in pairs else np.array([])
            future = pairs[(kpi, FUTURE)].to_numpy() if (kpi, FUTURE) in pairs else np.array([])
            rows.append({"kpi": kpi, "persona": persona, **paired_statistics(current, future, confidence)})
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    order = {kpi: i for i, kpi in enumerate(kpis)}
    return table.sort_values("kpi", key=lambda k: k.map(order), kind="stable", ignore_index=True)


def is_constant(table: pd.DataFrame) -> pd.Series:
    """Rows of a comparison table whose KPI took one value in every replication of both
    states (e.g. loyalty KPIs of a scenario without a loyalty model): nothing to compare."""
    return (table["current_sd"] == 0) & (table["future_sd"] == 0) & (table["difference"] == 0)


def paired_statistics(current: np.ndarray, future: np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    """Means and the t-interval of the mean paired difference ``future - current``; pairs
    with a missing value on either side are left out."""
    valid = np.isfinite(current) & np.isfinite(future)
    current, future = current[valid], future[valid]
    difference = future - current
    n = len(difference)
    mean_current = current.mean() if n else np.nan
    mean_difference = difference.mean() if n else np.nan
    sd = difference.std(ddof=1) if n >= 2 else np.nan
    half_width = t_half_width(sd, n, confidence)
    low, high = mean_difference - half_width, mean_difference + half_width
    return {
        "current": mean_current,
        "future": future.mean() if n else np.nan,
        "difference": mean_difference,
        # Relative to the size of the current value: a loss that grows (profit -100 -> -130)
        # is -30 %, not +30 %.
        "relative_change": mean_difference / abs(mean_current) if n and mean_current != 0 else np.nan,
        "ci_low": low,
        "ci_high": high,
        "half_width": half_width,
        "excludes_zero": bool(n >= 2 and (low > 0 or high < 0)),
        "replications": n,
        "current_sd": current.std(ddof=1) if n >= 2 else np.nan,
        "future_sd": future.std(ddof=1) if n >= 2 else np.nan,
        "difference_sd": sd,
    }


# -- where the change comes from (pure functions of pooled touchpoint tables) -------------


def dropoff_difference(
    current: pd.DataFrame, future: pd.DataFrame, current_arrivals: pd.Series, future_arrivals: pd.Series, stages: Sequence[str]
) -> pd.DataFrame:
    """Per persona (and ``all``), stage and channel: lost customers (at a touch, or giving up
    in a queue), the part lost to friction, and touches, per arrival in both states, and
    future - current."""
    keys = ["persona", "stage", "channel"]
    measures = {"lost": "lost", "friction_lost": "friction_drop", "touches": "touches"}
    frames = []
    for state, table, arrivals in ((CURRENT, current, current_arrivals), (FUTURE, future, future_arrivals)):
        per_arrival = table[keys].copy()
        denominator = table["persona"].map(arrivals).astype(np.float64)
        for label, column in measures.items():
            per_arrival[f"{state}_{label}_per_arrival"] = table[column] / denominator
        frames.append(per_arrival.set_index(keys))
    joined = frames[0].join(frames[1], how="outer").fillna(0.0).reset_index()
    for label in measures:
        joined[f"{label}_per_arrival_difference"] = joined[f"{FUTURE}_{label}_per_arrival"] - joined[f"{CURRENT}_{label}_per_arrival"]
    order = {stage: i for i, stage in enumerate(stages)}
    joined["_persona"] = joined["persona"].eq(ALL)
    joined["_stage"] = joined["stage"].map(order)
    joined = joined.sort_values(["_persona", "persona", "_stage", "channel"], kind="stable").drop(columns=["_persona", "_stage"])
    columns = keys + [f"{state}_{label}_per_arrival" for label in measures for state in STATES] + [f"{label}_per_arrival_difference" for label in measures]
    return joined[columns].reset_index(drop=True)


def channel_mix(current_touchpoints: pd.DataFrame, future_touchpoints: pd.DataFrame, current_purchases: pd.DataFrame, future_purchases: pd.DataFrame) -> pd.DataFrame:
    """Per persona and channel: its share of touches, and of (first) purchases by selling channel."""
    frames = []
    for measure, current, future in (
        ("touches", current_touchpoints.groupby(["persona", "channel"])["touches"].sum(), future_touchpoints.groupby(["persona", "channel"])["touches"].sum()),
        ("purchases", current_purchases.set_index(["persona", "channel"])["purchases"], future_purchases.set_index(["persona", "channel"])["purchases"]),
    ):
        table = pd.DataFrame({f"{CURRENT}_count": current, f"{FUTURE}_count": future}).fillna(0.0)
        for state in STATES:
            totals = table[f"{state}_count"].groupby(level="persona").transform("sum")
            table[f"{state}_share"] = table[f"{state}_count"] / totals.where(totals > 0)
        table["share_difference"] = table[f"{FUTURE}_share"].fillna(0.0) - table[f"{CURRENT}_share"].fillna(0.0)
        frames.append(table.reset_index().assign(measure=measure))
    out = pd.concat(frames, ignore_index=True)
    out["_all"] = out["persona"].eq(ALL)
    out = out.sort_values(["measure", "_all", "persona", "channel"], ascending=[False, True, True, True], kind="stable").drop(columns="_all")
    columns = ["measure", "persona", "channel", f"{CURRENT}_count", f"{FUTURE}_count", f"{CURRENT}_share", f"{FUTURE}_share", "share_difference"]
    return out[columns].reset_index(drop=True)


def emotion_lane(current_experiences: pd.DataFrame, future_experiences: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """Mean emotion of experiences at each stage, per state and persona (the journey map's
    emotion lane). Inputs: per persona and stage, ``experiences`` and ``emotion_sum``."""
    frames = []
    for state, table in ((CURRENT, current_experiences), (FUTURE, future_experiences)):
        grouped = table.groupby(["persona", "stage"])[["experiences", "emotion_sum"]].sum().reset_index()
        grouped["mean_emotion"] = grouped["emotion_sum"] / grouped["experiences"].where(grouped["experiences"] > 0)
        frames.append(grouped.assign(state=state))
    out = pd.concat(frames, ignore_index=True)
    out["_stage"] = out["stage"].map({s: i for i, s in enumerate(stages)})
    out = out.sort_values(["state", "persona", "_stage"], kind="stable")
    return out[["state", "persona", "stage", "experiences", "mean_emotion"]].reset_index(drop=True)
