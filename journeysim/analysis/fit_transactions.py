"""Repeat buying and order values from a brand's transactions (customer, date, value).

A transaction table has one row per purchase: ``customer_id``, ``date`` (dates, or numbers
meaning days) and optionally ``value``. As Fader, Hardie & Lee (2005) do with CDNOW, the
purchases of one customer on one day count as one transaction (their values add up;
``merge_same_day=False`` keeps every row, for data in continuous time). Up to the
calibration end (inclusive), each customer who had bought by then is summarised by

- ``x``: repeat transactions (every transaction after their first),
- ``t_x``: the time from their first transaction to their last,
- ``T``: the time from their first transaction to the calibration end,

in weeks (FHL's unit) or days, and the BG/NBD model is fitted to these
(:mod:`journeysim.analysis.bgnbd`). The order value is fitted to every transaction's
value in the calibration period by maximum likelihood for each family journeysim supports
(:func:`journeysim.analysis.fit_distributions.fit_distribution`), the family with the
smallest AIC chosen. One bootstrap over customers (resampled with replacement) gives the
intervals of both. :func:`loyalty_fields` turns the fit into a persona's ``loyalty``
settings, in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from journeysim.analysis.bgnbd import BGNBDFit, customer_resamples, fit_bgnbd
from journeysim.analysis.data_tables import ID, NUMBER, TIME, read_table
from journeysim.analysis.fit_distributions import fit_distribution
from journeysim.errors import ConfigError, DataError, Problem

TIME_UNITS = {"days": 1.0, "weeks": 7.0}
REQUIRED = {"customer_id": ID, "date": TIME}
OPTIONAL = {"value": NUMBER}


@dataclass(frozen=True, eq=False)
class Purchases:
    """Transactions as float days since ``origin`` (the first date; 0 for days data), one
    row per customer and transaction (merged by day unless asked not to)."""

    table: pd.DataFrame  # customer_id, day, value (NaN without values)
    origin: pd.Timestamp | None
    name: str

    def day_of(self, when: Any, what: str) -> float:
        """A date (or a number of days for days data) as days since the origin."""
        if self.origin is None:
            try:
                return float(when)
            except (TypeError, ValueError):
                raise ConfigError(Problem(what, f"the data give times in days, so this must be a number of days, got {when!r}")) from None
        if isinstance(when, (int, float, np.number)):
            raise ConfigError(Problem(what, f"the data give dates, so this must be a date, got {when!r}"))
        try:
            stamp = pd.Timestamp(when)
        except (TypeError, ValueError):
            raise ConfigError(Problem(what, f"cannot read {when!r} as a date")) from None
        if stamp.tzinfo is not None:  # the data's zoned times were converted to UTC
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return (stamp - self.origin) / pd.Timedelta(days=1)


def read_purchases(transactions: str | Path | pd.DataFrame, *, columns: Mapping[str, str] | None = None, merge_same_day: bool = True, name: str | None = None) -> Purchases:
    """Read and check a transaction table (:func:`journeysim.analysis.data_tables.read_table`)
    and put it on one clock: days since the first date."""
    table = read_table(transactions, required=REQUIRED, optional=OPTIONAL, columns=columns, name=name)
    label = table.attrs["source"]
    if pd.api.types.is_datetime64_any_dtype(table["date"]):
        origin = table["date"].min().normalize()
        day = (table["date"] - origin) / pd.Timedelta(days=1)
    else:
        origin, day = None, table["date"].astype(float)
    frame = pd.DataFrame({"customer_id": table["customer_id"], "day": day, "value": table["value"] if "value" in table else np.nan})
    if merge_same_day:
        frame["day"] = np.floor(frame["day"])
        frame = frame.groupby(["customer_id", "day"], as_index=False, sort=False)["value"].sum(min_count=1)
    return Purchases(frame.sort_values(["customer_id", "day"], kind="stable").reset_index(drop=True), origin, label)


def customer_summary(purchases: Purchases, calibration_end: Any = None, *, time_unit: str = "weeks") -> pd.DataFrame:
    """One row per customer who bought by ``calibration_end`` (default: the last date), indexed
    by ``customer_id``: ``first_day`` (days since the data's first date), ``x``, ``t_x`` and
    ``T`` (in ``time_unit``), sorted by customer id."""
    unit = _unit_days(time_unit)
    end = purchases.table["day"].max() if calibration_end is None else purchases.day_of(calibration_end, "calibration_end")
    calibration = purchases.table[purchases.table["day"] <= end]
    if calibration.empty:
        first = purchases.table["day"].min()
        raise ConfigError(Problem("calibration_end", f"no purchase in {purchases.name} is on or before it ({calibration_end!r}); the first is {_describe_day(purchases, first)}"))
    days = calibration.groupby("customer_id", sort=True)["day"]
    first, last = days.min(), days.max()
    return pd.DataFrame({"first_day": first, "x": days.size() - 1, "t_x": (last - first) / unit, "T": (end - first) / unit})


def repeats_between(purchases: Purchases, start: Any, end: Any) -> pd.Series:
    """Per customer who bought by ``start``: transactions in (start, end] (a holdout period)."""
    low, high = purchases.day_of(start, "start"), purchases.day_of(end, "end")
    table = purchases.table
    cohort = table.loc[table["day"] <= low, "customer_id"].unique()
    inside = table[(table["day"] > low) & (table["day"] <= high) & table["customer_id"].isin(cohort)]
    return inside.groupby("customer_id").size().reindex(pd.Index(sorted(cohort), name="customer_id"), fill_value=0)


def expected_repeats_after(fit: BGNBDFit, summary: pd.DataFrame, length: float) -> float:
    """The model's expected repeat transactions of the summary's customers in the ``length``
    (in the fit's time unit) after the calibration end: sum of E[X(T + length)] - E[X(T)]."""
    T = summary["T"].to_numpy(dtype=float)
    return float(np.sum(fit.expected_repeats(T + length) - fit.expected_repeats(T)))


def repeat_tracking(fit: BGNBDFit, purchases: Purchases, summary: pd.DataFrame, until: Any) -> pd.DataFrame:
    """Cumulative repeat transactions of the summary's customers, observed and expected
    (FHL 2005, Figure 2), at the end of each time unit, counted back from ``until`` (so that
    the calibration end is one of them when the periods are whole units): ``period`` (1, 2...),
    ``day`` (days since the data's first date), ``time`` (units since the cohort's first
    purchase), ``actual`` and ``expected`` (the sum over customers of E[X(day - their first
    day)]: FHL measure T the same way)."""
    unit = _unit_days(fit.time_unit)
    start, stop = float(summary["first_day"].min()), purchases.day_of(until, "until")
    steps = stop - unit * np.arange(int(np.floor((stop - start) / unit + 1e-9)), -1, -1)
    table = purchases.table[purchases.table["customer_id"].isin(summary.index)]
    first = table.groupby("customer_id")["day"].transform("min")
    repeat_days = np.sort(table.loc[table["day"] > first, "day"].to_numpy())
    starts, counts = np.unique(summary["first_day"].to_numpy(dtype=float), return_counts=True)
    ages = np.maximum(steps[:, None] - starts[None, :], 0.0) / unit
    return pd.DataFrame(
        {
            "period": np.arange(1, steps.size + 1),
            "day": steps,
            "time": (steps - start) / unit,
            "actual": np.searchsorted(repeat_days, steps, side="right"),
            "expected": fit.expected_repeats(ages) @ counts,
        }
    )


@dataclass(frozen=True, eq=False)
class OrderValueFit:
    """The chosen family's config spec, every candidate family's fit (``family``, ``spec``,
    ``log_likelihood``, ``aic``; best first), the chosen family refitted on each bootstrap
    resample (one row per resample, a column per parameter), and the values used and the
    zero values left out (a positive distribution cannot fit them)."""

    spec: dict[str, Any]
    candidates: pd.DataFrame
    bootstrap: pd.DataFrame
    n_values: int
    n_zero: int

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        """parameter, estimate, low, high (bootstrap percentiles; NaN without), n."""
        names = [k for k in self.spec if k != "dist"]
        tail = 100 * (1 - level) / 2
        rows = []
        for name in names:
            draws = self.bootstrap[name].to_numpy() if len(self.bootstrap) else np.array([])
            low, high = np.percentile(draws, [tail, 100 - tail]) if draws.size else (np.nan, np.nan)
            rows.append({"parameter": name, "estimate": float(self.spec[name]), "low": low, "high": high, "n": self.n_values})
        return pd.DataFrame(rows, columns=["parameter", "estimate", "low", "high", "n"])


def fit_order_value(purchases: Purchases, customers: pd.Index, calibration_end: Any = None, *, n_boot: int = 0, seed: int | np.random.Generator | None = 0) -> OrderValueFit | None:
    """The order-value distribution of ``customers``' transactions up to ``calibration_end``
    (None without a ``value`` column). The bootstrap resamples the customers (all their
    transactions together) with the same resamples as :func:`fit_bgnbd` for one seed."""
    table = purchases.table
    end = table["day"].max() if calibration_end is None else purchases.day_of(calibration_end, "calibration_end")
    rows = table[table["customer_id"].isin(customers) & (table["day"] <= end) & table["value"].notna()]
    if rows.empty:
        return None
    positive = rows[rows["value"] > 0]
    if positive["value"].nunique() < 2:
        raise DataError(purchases.name, "the order values need at least two different values > 0 to fit a distribution", column="value")
    values = positive["value"].to_numpy(dtype=float)
    fit = fit_distribution(values)
    parameters = [k for k in fit.spec if k != "dist"]
    position = customers.get_indexer(positive["customer_id"])
    draws = [
        fit_distribution(values, weights=weights[position], families=(fit.family,)).spec
        for weights in customer_resamples(len(customers), n_boot, seed)
    ]
    return OrderValueFit(fit.spec, fit.candidates, pd.DataFrame(draws, columns=parameters), int(values.size), int(len(rows) - len(positive)))


@dataclass(frozen=True, eq=False)
class RepeatBuyingFit:
    """What a transaction table says: the customer summary (:func:`customer_summary`), the
    BG/NBD fit and the order-value fit (None without values)."""

    summary: pd.DataFrame
    repeat_buying: BGNBDFit
    order_value: OrderValueFit | None
    purchases: Purchases

    def parameters(self, level: float = 0.95) -> pd.DataFrame:
        """Every fitted setting of a persona, named by its path under the persona
        (``loyalty.rate_shape``, ``order_value.mean``...): estimate, bootstrap interval, n."""
        rows = loyalty_intervals(self.repeat_buying, level)
        if self.order_value is not None:
            values = self.order_value.intervals(level).rename(columns={"parameter": "field"})
            values["field"] = "order_value." + values["field"]
            rows = pd.concat([rows, values], ignore_index=True)
        return rows


def fit_repeat_buying(
    transactions: str | Path | pd.DataFrame,
    calibration_end: Any = None,
    *,
    columns: Mapping[str, str] | None = None,
    time_unit: str = "weeks",
    n_boot: int = 200,
    seed: int | np.random.Generator | None = 0,
    merge_same_day: bool = True,
    name: str | None = None,
) -> RepeatBuyingFit:
    """Fit repeat buying (BG/NBD) and the order value to a transaction table (a CSV or Parquet
    file or a frame; ``columns`` maps ours to yours: ``{"customer_id": "user_id"}``), using
    the purchases up to ``calibration_end`` (default: all), with ``n_boot`` bootstrap
    resamples of customers. Raises DataError for a malformed table or one without repeat
    purchases, ConfigError for a calibration end that is not a date (or days)."""
    _unit_days(time_unit)
    purchases = read_purchases(transactions, columns=columns, merge_same_day=merge_same_day, name=name)
    summary = customer_summary(purchases, calibration_end, time_unit=time_unit)
    if summary["x"].sum() == 0:
        raise DataError(purchases.name, f"no customer bought twice by the calibration end: the {len(summary)} customers' repeat buying cannot be fitted")
    if isinstance(seed, np.random.Generator):  # both fits must draw the same resamples
        seed = int(seed.integers(2**63))
    repeat_buying = fit_bgnbd(summary, time_unit=time_unit, n_boot=n_boot, seed=seed)
    order_value = fit_order_value(purchases, summary.index, calibration_end, n_boot=n_boot, seed=seed)
    return RepeatBuyingFit(summary, repeat_buying, order_value, purchases)


def loyalty_fields(fit: BGNBDFit) -> dict[str, float]:
    """The persona ``loyalty`` settings (days) of a BG/NBD fit: lambda ~ Gamma(r, alpha) per
    unit of time is Gamma(r, alpha x days per unit) per day, so

    - ``purchase_rate_per_day`` = r / alpha_days (the gamma's mean), ``rate_shape`` = r;
    - ``churn_probability`` = a / (a + b) (the beta's mean), ``churn_concentration`` = a + b.
    """
    return _loyalty_of(fit.r, fit.alpha * _unit_days(fit.time_unit), fit.a, fit.b)


def loyalty_intervals(fit: BGNBDFit, level: float = 0.95) -> pd.DataFrame:
    """The :func:`loyalty_fields` with their bootstrap percentile intervals (each field's
    value on every resample): field (``loyalty.rate_shape``...), estimate, low, high, n."""
    unit = _unit_days(fit.time_unit)
    tail = 100 * (1 - level) / 2
    estimates = loyalty_fields(fit)
    draws = pd.DataFrame([_loyalty_of(r, alpha * unit, a, b) for r, alpha, a, b in fit.bootstrap], columns=list(estimates))
    rows = []
    for field, estimate in estimates.items():
        low, high = np.percentile(draws[field], [tail, 100 - tail]) if len(draws) else (np.nan, np.nan)
        rows.append({"field": f"loyalty.{field}", "estimate": estimate, "low": low, "high": high, "n": fit.n_customers})
    return pd.DataFrame(rows, columns=["field", "estimate", "low", "high", "n"])


def _loyalty_of(r: float, alpha_days: float, a: float, b: float) -> dict[str, float]:
    return {"purchase_rate_per_day": r / alpha_days, "rate_shape": r, "churn_probability": a / (a + b), "churn_concentration": a + b}


def _unit_days(time_unit: str) -> float:
    if time_unit not in TIME_UNITS:
        raise ConfigError(Problem("time_unit", f"must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}"))
    return TIME_UNITS[time_unit]


def _describe_day(purchases: Purchases, day: float) -> str:
    if purchases.origin is None:
        return f"day {day:g}"
    return (purchases.origin + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
