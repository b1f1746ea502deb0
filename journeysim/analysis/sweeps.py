"""Reading a sweep table: how a KPI responds to a swept parameter, pooled over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from journeysim.analysis.intervals import t_half_width


def response_summary(table: pd.DataFrame, x: str, kpi: str, *, by: Sequence[str] = (), persona: str = "all", confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of ``kpi`` at each value of ``x`` (and of ``by``), over seeds and replications.

    Columns: ``by``..., ``x``, ``mean``, ``ci_low``, ``ci_high``, ``n``.
    """
    rows = table.loc[table["persona"] == persona]
    keys = [*by, x]
    grouped = rows.groupby(keys, sort=True, dropna=False)[kpi]
    summary = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    half = t_half_width(summary["sd"], summary["n"], confidence)
    summary["ci_low"] = summary["mean"] - half
    summary["ci_high"] = summary["mean"] + half
    return summary[[*keys, "mean", "ci_low", "ci_high", "n"]]
