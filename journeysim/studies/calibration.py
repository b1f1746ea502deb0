"""A scenario from a brand's own data: the fits of :mod:`journeysim.analysis` turned into a
scenario journeysim runs, and that scenario re-simulated against the data it came from.

:func:`fitted_scenario_data` writes what a touch log identifies (see
:mod:`journeysim.analysis.fit_touches`) in the scenario's own terms:

- stages: the log's journey stages in order, the purchase stage last; channels: those in the
  log, ``sells`` where they carry purchase-stage touches, online unless told otherwise, no
  contact cost (the log has none);
- every persona's touchpoints are its own estimates (a persona override of every field); a
  touchpoint that a persona never used is unavailable to it, so its choices stay where the
  data put them. The base map holds, per touchpoint, the estimate of the persona with the
  most touches there (it is what a persona added later would start from);
- ``target`` where most advances from a touchpoint skip to a later stage than the next;
- affinity, arrival rate per day (the base rate) and order value per persona, a calendar
  entry per period whose arrivals differ from it, and a channel hand-off for the
  personas whose choices show one (by AIC: see :func:`journeysim.analysis.fit_touches.fit_touch_log`);
  friction sensitivity 1 and no channel-switch friction (fixed: the log cannot separate them).
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.fit_media import MediaFit, budget_fields
from journeysim.analysis.fit_touches import TouchLogFit
from journeysim.analysis.fit_transactions import RepeatBuyingFit, loyalty_fields
from journeysim.errors import ConfigError, Problem
from journeysim.model.media import hill
from journeysim.model.scenario import Scenario
from journeysim.simulation.runner import simulate

PROBABILITY_DIGITS = 6


def fitted_scenario_data(
    fit: TouchLogFit,
    name: str = "fitted",
    description: str = "",
    channel_modes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The plain data of a scenario built from a touch-log fit (see the module docstring)."""
    stages = list(fit.stages)
    purchase = stages[-1]
    modes = dict(channel_modes or {})
    points = fit.touchpoints
    delays = fit.delays.set_index(["persona", "stage", "channel"])["spec"]
    sellers = set(points.loc[points["stage"] == purchase, "channel"])
    channels = {c: {"mode": modes.get(c, "online"), "cost_per_contact": 0.0, "sells": c in sellers} for c in pd.unique(points["channel"])}
    fallback = _fallback_delays(fit)
    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in points.itertuples(index=False):
        spec = delays.get((row.persona, row.stage, row.channel), fallback[(row.persona, row.stage)])
        cells[(row.persona, row.stage, row.channel)] = _touchpoint(row, spec, stages)
    busiest = points.sort_values("touches", ascending=False, kind="stable").drop_duplicates(["stage", "channel"])
    touchpoints: dict[str, dict[str, Any]] = {}
    for row in busiest.sort_values(["stage", "channel"], key=lambda s: s.map(stages.index) if s.name == "stage" else s).itertuples(index=False):
        touchpoints.setdefault(row.stage, {})[row.channel] = cells[(row.persona, row.stage, row.channel)]
    personas = {}
    arrivals = fit.arrivals.set_index("persona")["rate_per_day"]
    values = fit.order_values.set_index("persona")["spec"] if len(fit.order_values) else pd.Series(dtype=object)
    for persona in arrivals.index:
        own: dict[str, dict[str, Any]] = {}
        for stage, row in touchpoints.items():
            for channel in row:
                cell = cells.get((persona, stage, channel))
                own.setdefault(stage, {})[channel] = {"available": False} if cell is None else dict(cell)
        weights = fit.affinity.loc[fit.affinity["persona"] == persona]
        handoff: dict[str, dict[str, float]] = {}
        for row in fit.handoff.loc[fit.handoff["persona"] == persona].itertuples(index=False):
            handoff.setdefault(row.previous, {})[row.channel] = round(float(row.weight), PROBABILITY_DIGITS)
        personas[persona] = {
            "arrival_rate_per_day": float(arrivals[persona]),
            "affinity": {c: round(float(w), PROBABILITY_DIGITS) for c, w in zip(weights["channel"], weights["weight"])},
            **({"handoff": handoff} if handoff else {}),
            "friction_sensitivity": 1.0,
            "order_value": dict(values[persona]) if persona in values.index else {"dist": "fixed", "value": 0.0},
            "touchpoints": own,
        }
    calendar = [
        {"name": f"fitted period {row.period + 1} of {row.persona}", "from_day": round(float(row.from_day), 3), "to_day": round(float(row.to_day), 3),
         "multiplier": round(float(row.multiplier), PROBABILITY_DIGITS), "personas": [row.persona]}
        for row in fit.calendar.itertuples(index=False)
        if row.to_day > row.from_day
    ]
    return {
        "name": name,
        "description": description or "Fitted to a touch log by journeysim-fit",
        **({"calendar": calendar} if calendar else {}),
        "stages": stages,
        "purchase_stage": purchase,
        "channel_switch": {"friction": 0.0},
        "channels": channels,
        "touchpoints": touchpoints,
        "personas": personas,
    }


def _touchpoint(row: Any, delay: Mapping[str, Any], stages: list[str]) -> dict[str, Any]:
    advance = round(float(row.advance), PROBABILITY_DIGITS)
    drop = min(round(float(row.drop), PROBABILITY_DIGITS), 1.0 - advance)
    cell = {"delay_days": dict(delay), "advance": advance, "drop": drop, "friction": round(float(row.friction), PROBABILITY_DIGITS)}
    index = stages.index(row.stage)
    if row.target is not None and index < len(stages) - 1 and stages.index(row.target) != index + 1:
        cell["target"] = row.target
    return cell


def _fallback_delays(fit: TouchLogFit) -> dict[tuple[str, str], dict[str, Any]]:
    """A delay for touchpoints seen only as first touches (no wait before them in the log):
    the persona's most used delay at that stage, else at any stage."""
    by_samples = fit.delays.sort_values("samples", ascending=False, kind="stable")
    out = {}
    for persona in fit.arrivals["persona"]:
        mine = by_samples.loc[by_samples["persona"] == persona]
        for stage in fit.stages:
            here = mine.loc[mine["stage"] == stage]
            chosen = here if len(here) else mine
            out[(persona, stage)] = dict(chosen["spec"].iloc[0]) if len(chosen) else {"dist": "exponential", "mean": 1.0}
    return out


# ---------------------------------------------------------------- every parameter, one row each


def parameter_table(fit: TouchLogFit, scenario_data: Mapping[str, Any]) -> pd.DataFrame:
    """Every fitted parameter of the scenario: ``parameter`` (its config path), ``estimate``,
    ``ci_low``, ``ci_high`` (the bootstrap interval; empty where there is none) and ``n``
    (the touches, delays, customers or purchases it rests on)."""
    rows = []
    personas = scenario_data["personas"]
    for r in fit.touchpoints.itertuples(index=False):
        cell = personas[r.persona]["touchpoints"][r.stage][r.channel]
        base = f"personas.{r.persona}.touchpoints.{r.stage}.{r.channel}"
        for field in ("advance", "drop", "friction"):
            rows.append(_row(f"{base}.{field}", cell[field], r, field, r.touches))
    for r in fit.delays.itertuples(index=False):
        base = f"personas.{r.persona}.touchpoints.{r.stage}.{r.channel}.delay_days"
        for key, value in r.spec.items():
            if key != "dist":
                rows.append({"parameter": f"{base}.{key}", "estimate": value, "ci_low": None, "ci_high": None, "n": r.samples})
        rows.append(_row(f"{base} (mean)", r.mean, r, "mean", r.samples))
    for r in fit.affinity.itertuples(index=False):
        rows.append(_row(f"personas.{r.persona}.affinity.{r.channel}", r.weight, r, "weight", r.touches))
    for r in fit.handoff.itertuples(index=False):
        rows.append(_row(f"personas.{r.persona}.handoff.{r.previous}.{r.channel}", r.weight, r, "weight", r.choices))
    for r in fit.arrivals.itertuples(index=False):
        rows.append(_row(f"personas.{r.persona}.arrival_rate_per_day", r.rate_per_day, r, "rate_per_day", r.customers))
    for index, r in enumerate(fit.calendar.itertuples(index=False)):
        rows.append(_row(f"calendar[{index}].multiplier ({r.persona}, days {r.from_day:.0f}-{r.to_day:.0f})", r.multiplier, r, "multiplier", r.customers))
    for r in fit.order_values.itertuples(index=False):
        for key, value in r.spec.items():
            if key != "dist":
                rows.append({"parameter": f"personas.{r.persona}.order_value.{key}", "estimate": value, "ci_low": None, "ci_high": None, "n": r.purchases})
        rows.append(_row(f"personas.{r.persona}.order_value (mean)", r.mean, r, "mean", r.purchases))
    return pd.DataFrame(rows, columns=["parameter", "estimate", "ci_low", "ci_high", "n"])


def _row(parameter: str, estimate: float, record: Any, field: str, n: float) -> dict[str, Any]:
    low, high = getattr(record, f"{field}_ci_low", None), getattr(record, f"{field}_ci_high", None)
    return {"parameter": parameter, "estimate": float(estimate), "ci_low": low, "ci_high": high, "n": float(n)}


# ---------------------------------------------------------------- the data against the fitted scenario

PATH_LENGTH_CAP = 10  # path lengths of 10 touches or more share one bin


def journey_measures(log: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """What a journey map shows, from a touch log (the fitter's columns): ``measure``,
    ``key``, ``value``. Measures: ``funnel`` (share of customers touching each stage or
    beyond), ``conversion`` (per persona), ``touches_before_purchase`` and
    ``days_to_convert`` (mean over converting customers, from their first touch),
    ``channel_mix`` (share of journey touches per channel), ``path_length`` (share of
    customers by journey touches, ``10+`` pooled)."""
    ordered = log.sort_values(["customer_id", "time_days"], kind="stable")
    first_purchase = ordered.loc[ordered["event"] == "purchase"].groupby("customer_id")["time_days"].min()
    limit = ordered["customer_id"].map(first_purchase)
    journey = ordered.loc[(ordered["event"] == "touch") & (limit.isna() | (ordered["time_days"] <= limit))]
    per_customer = journey.groupby("customer_id").agg(persona=("persona", "first"), touches=("stage", "size"),
                                                      deepest=("stage", lambda s: max(stages.index(x) for x in s)), first=("time_days", "min"))
    per_customer["converted"] = per_customer.index.isin(first_purchase.index)
    per_customer["days"] = first_purchase.reindex(per_customer.index).to_numpy() - per_customer["first"].to_numpy()
    rows = []
    n = len(per_customer)
    for i, stage in enumerate(stages):
        rows.append(("funnel", stage, float((per_customer["deepest"] >= i).mean()) if n else np.nan))
    rows.append(("funnel", "bought", float(per_customer["converted"].mean()) if n else np.nan))
    for persona, group in per_customer.groupby("persona"):
        rows.append(("conversion", persona, float(group["converted"].mean())))
    converted = per_customer.loc[per_customer["converted"]]
    rows.append(("touches_before_purchase", "all", float(converted["touches"].mean()) if len(converted) else np.nan))
    rows.append(("days_to_convert", "all", float(converted["days"].mean()) if len(converted) else np.nan))
    for channel, share in journey["channel"].value_counts(normalize=True).sort_index().items():
        rows.append(("channel_mix", channel, float(share)))
    lengths = per_customer["touches"].clip(upper=PATH_LENGTH_CAP)
    for length in range(1, PATH_LENGTH_CAP + 1):
        rows.append(("path_length", f"{length}+" if length == PATH_LENGTH_CAP else str(length), float((lengths == length).mean()) if n else np.nan))
    return pd.DataFrame(rows, columns=["measure", "key", "value"])


def simulated_touch_log(scenario: Scenario, *, seed: int, horizon_days: float, start: str = "2026-03-02", arrival_days: float | None = None) -> pd.DataFrame:
    """A touch log as a brand would export it, simulated: one row per touch and purchase with
    ``customer_id`` (``c`` and a number), ``timestamp`` (from ``start``, to the microsecond),
    ``channel``, ``stage``, ``persona``, ``event`` (``touch`` or ``purchase``), ``value``
    (of a purchase) and ``reason`` (``friction`` where a touch lost the customer to friction).
    The truth behind it is ``scenario``: the log to try the fitter on. Rows come in time
    order, as an export does, and customers are numbered in order of their first row."""
    result = simulate(scenario, seed=seed, horizon_days=horizon_days, arrival_days=arrival_days, progress=False, sort_by_time=True)
    log = events_as_touch_log(result.events)
    numbers = pd.factorize(log["customer_id"], sort=False)[0]
    stamps = pd.Timestamp(start) + pd.to_timedelta(np.round(log["time_days"].to_numpy() * 86_400e6), unit="us")
    return pd.DataFrame({
        "customer_id": [f"c{n:06d}" for n in numbers],
        "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "channel": log["channel"].to_numpy(), "stage": log["stage"].to_numpy(), "persona": log["persona"].to_numpy(),
        "event": log["event"].to_numpy(), "value": log["value"].round(2).to_numpy(), "reason": log["reason"],
    })


def events_as_touch_log(events: pd.DataFrame) -> pd.DataFrame:
    """A simulation's events in the touch-log form the fitter reads (friction losses carry a
    ``reason``), one customer id per replication and customer."""
    log = events.loc[events["event"].isin(["touch", "purchase"])]
    return pd.DataFrame({
        "customer_id": log["replication"].astype(str) + ":" + log["customer_id"].astype(str),
        "time_days": log["time_days"].to_numpy(np.float64),
        "stage": log["stage"].astype(str).to_numpy(),
        "channel": log["channel"].astype(str).to_numpy(),
        "persona": log["persona"].astype(str).to_numpy(),
        "event": log["event"].astype(str).to_numpy(),
        "value": log["value"].to_numpy(np.float64),
        "reason": np.where(log["outcome"].astype(str) == "friction_drop", "friction", ""),
    })


def check_against_simulation(observed: pd.DataFrame, scenario: Scenario, horizon_days: float, replications: int = 20, seed: int = 0, confidence: float = 0.95) -> pd.DataFrame:
    """The observed journey measures beside the fitted scenario's, simulated ``replications``
    times over the data's span: ``simulated`` (mean), ``band_low`` / ``band_high`` (the
    central ``confidence`` range over replications) and ``inside``."""
    stages = list(scenario.journey_stages)
    result = simulate(scenario, seed=seed, horizon_days=horizon_days, replications=replications, progress=False)
    per_replication = []
    for replication, events in result.events.groupby("replication", observed=True):
        per_replication.append(journey_measures(events_as_touch_log(events), stages).assign(replication=replication))
    simulated = pd.concat(per_replication, ignore_index=True)
    tail = (1 - confidence) / 2
    summary = simulated.groupby(["measure", "key"], sort=False)["value"].agg(
        simulated="mean", band_low=lambda v: v.quantile(tail), band_high=lambda v: v.quantile(1 - tail)).reset_index()
    # The data's order (stages in journey order, lengths 1, 2, ...), then anything only simulated.
    table = observed.rename(columns={"value": "observed"}).merge(summary, on=["measure", "key"], how="left")
    only_simulated = summary.merge(observed[["measure", "key"]], on=["measure", "key"], how="left", indicator=True)
    table = pd.concat([table, only_simulated.loc[only_simulated["_merge"] == "left_only"].drop(columns="_merge")], ignore_index=True)
    table["inside"] = (table["observed"] >= table["band_low"]) & (table["observed"] <= table["band_high"])
    return table


# ---------------------------------------------------------------- repeat buying and media on top


def with_repeat_buying(data: dict[str, Any], fit: RepeatBuyingFit, keep_order_values: bool = False) -> tuple[dict[str, Any], pd.DataFrame, list[str]]:
    """Every persona of ``data`` gets the fitted loyalty (BG/NBD) with no effect of
    satisfaction on churn (``satisfaction_churn_slope`` 0: the BG/NBD's churn is the
    transactions' own), and, when the transactions have values and ``keep_order_values`` is
    false, their order value; a ``loyalty`` stage follows the purchase stage if none does.
    Returns the data, the parameter rows (config paths under each persona) and notes."""
    data = copy.deepcopy(data)
    loyalty = loyalty_fields(fit.repeat_buying)
    if data["stages"][-1] == data.get("purchase_stage", "purchase"):
        data["stages"] = [*data["stages"], "loyalty"]
    values = fit.order_value is not None and not keep_order_values
    for persona in data["personas"].values():
        persona["loyalty"] = {**(persona.get("loyalty") or {}), **loyalty, "satisfaction_churn_slope": 0.0}
        if values:
            persona["order_value"] = dict(fit.order_value.spec)
    notes = ["every persona has the same repeat buying: the transactions have no persona; satisfaction_churn_slope is fixed at 0 "
             "(the BG/NBD's churn is the transactions' own, whatever the journey felt like)"]
    if values:
        notes.append("every persona has the transactions' order value (purchases of one day summed, as Fader, Hardie & Lee count them)")
    rows = []
    for row in fit.parameters().itertuples(index=False):
        if not values and row.field.startswith("order_value."):
            continue
        for name in data["personas"]:
            rows.append({"parameter": f"personas.{name}.{row.field}", "estimate": row.estimate, "ci_low": row.low, "ci_high": row.high, "n": row.n})
    return data, pd.DataFrame(rows, columns=["parameter", "estimate", "ci_low", "ci_high", "n"]), notes


def with_media(data: dict[str, Any], fit: MediaFit, touches: TouchLogFit | None = None) -> tuple[dict[str, Any], pd.DataFrame, list[str]]:
    """``data`` with a ``budget`` entry per fitted channel (replacing any it had). Paid
    prospects come through the budget, so with a touch-log fit the personas' organic arrival
    rates lose the paid arrivals, split by the personas' shares of first touches on each paid
    channel. Returns the data, the parameter rows and plain-language warnings."""
    data = copy.deepcopy(data)
    unknown = [c for c in fit.channels if c not in data["channels"]]
    if unknown:
        raise ConfigError(Problem("spend", f"channels {', '.join(map(repr, unknown))} of the spend panel are not channels of the scenario ({', '.join(data['channels'])})"))
    warnings = list(fit.warnings)
    data["budget"] = {channel: {**spec, "plan": []} for channel, spec in budget_fields(fit).items()}
    if touches is not None:
        first = touches.first_touches
        for channel, response in fit.channels.items():
            steady = response.spend_per_day / (1.0 - response.adstock_decay)  # the budget's steady adstock
            paid = response.max_arrivals_per_day * float(hill(steady, response.half_saturation, response.hill_shape))
            shares = first.loc[first["channel"] == channel].set_index("persona")["share"]
            for persona, share in shares.items():
                spec = data["personas"][persona]
                organic = spec["arrival_rate_per_day"] - paid * share
                if organic < 0:
                    warnings.append(f"{persona}: the paid arrivals of {channel} ({paid * share:.2f} a day) exceed its arrivals in the touch log; organic arrivals set to 0")
                spec["arrival_rate_per_day"] = max(organic, 0.0)
    rows = fit.parameters().rename(columns={"field": "parameter", "low": "ci_low", "high": "ci_high"})
    return data, rows[["parameter", "estimate", "ci_low", "ci_high", "n"]], warnings
