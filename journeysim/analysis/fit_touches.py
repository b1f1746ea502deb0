"""Journey parameters from a touch log: what each touch led to, inferred from what came next.

A touch log says which channel a customer touched at which stage and when, never whether
the touch advanced, dropped or stayed. :func:`fit_touch_log` reads that from the customer's
next event, exactly as the engines write it:

- the next touch is at a later stage, or a purchase follows: **advance** (to that stage);
- the next touch is at the same stage: **stay** (an earlier stage: also stay, counted apart
  as ``backward`` in the diagnostics, since journeys do not go back);
- nothing follows: **lost**, unless the data end before the next touch would have come. A
  last touch ``g`` days before the end of the data is dropped with probability
  ``d / (d + a S_a(g) + s S_s(g))``, where ``S_a`` and ``S_s`` are the persona's survival of
  the wait to the next touch after an advance (none at the purchase stage: an advance
  there is a sale) and after a stay, at that stage (empirical, from touches early enough
  that their next touch shows whatever its wait). The outcome probabilities are the
  maximum-likelihood estimates under that censoring, found by EM; journeys still running at
  the end are open, not lost (the engines' rule).
- a last touch with a ``reason`` (``payment_failed``...) is a loss to **friction**. Without a
  ``reason`` column friction and drop cannot be told apart: friction is fixed at 0 and every
  loss is a drop (the fit's notes say so).

Channel affinity is the Luce choice model the engines use (a channel is chosen at a stage
with probability proportional to its weight among the channels offered there), fitted by
Hunter's (2004) minorise-maximise iteration over every touch's choice. Delays (the time
from the previous touch to this one, attached to the touchpoint touched) are fitted family
by family (:mod:`journeysim.analysis.fit_distributions`). Arrival rates count first touches
at the first stage per persona. Intervals come from a bootstrap over customers (each
resample reweights whole customers: :func:`fit_touch_log`'s ``bootstrap``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.fit_arrivals import arrival_periods
from journeysim.analysis.fit_choices import handoff_weights, luce_weights
from journeysim.analysis.fit_distributions import fit_distribution, spec_mean
from journeysim.analysis.touch_arrays import (
    ADVANCE,
    FRICTION,
    LAST,
    STAY,
    LogArrays,
    log_arrays,
)
from journeysim.model.distributions import Distribution

EM_ITERATIONS = 200


@dataclass(frozen=True)
class TouchLogFit:
    """What a touch log identifies, per persona, with bootstrap intervals (``_ci_low``,
    ``_ci_high``) where ``bootstrap`` > 0.

    ``touchpoints``: persona, stage, channel, touches, advance, drop, friction, stay,
    target (the stage most advances go to; None = the next one), target_share;
    ``affinity``: persona, channel, weight (the largest 1); ``handoff``: persona, previous,
    channel, weight, choices (for the personas whose choices earn one: ``handoff_test``
    gives each persona's log-likelihood gain, parameters and AIC change); ``first_touches``:
    persona, channel, customers, share (of the channel's first touches); ``delays``: persona, stage,
    channel, samples, family, spec, mean; ``arrivals``: persona, customers,
    rate_per_day (the base rate); ``calendar``: persona, from_day, to_day, multiplier of
    the periods whose arrivals differ from it; ``order_values``: persona, purchases, family, spec, mean; ``notes``: what
    was fixed rather than fitted, and what the data did not show.
    """

    stages: tuple[str, ...]
    touchpoints: pd.DataFrame
    affinity: pd.DataFrame
    handoff: pd.DataFrame
    handoff_test: pd.DataFrame
    first_touches: pd.DataFrame
    delays: pd.DataFrame
    arrivals: pd.DataFrame
    calendar: pd.DataFrame
    order_values: pd.DataFrame
    diagnostics: pd.DataFrame
    notes: tuple[str, ...] = field(default=())



def fit_touch_log(
    log: pd.DataFrame,
    stages: Sequence[str],
    end_days: float | None = None,
    bootstrap: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> TouchLogFit:
    """Fit a clean touch log (columns: see :func:`~journeysim.analysis.touch_arrays.log_arrays`);
    ``bootstrap`` resamples of customers give percentile intervals at ``confidence`` (0: point estimates only)."""
    prepared = log_arrays(log, stages, end_days)
    point = _estimate(prepared, np.ones(prepared.n_customers))
    delays, values = point["delays"], point["order_values"]
    families = dict(zip(zip(delays["persona"], delays["stage"], delays["channel"]), delays["family"]))
    order_families = dict(zip(values["persona"], values["family"]))
    handoff_rows = {row.persona: row.rows for row in point["handoff_rows"].itertuples(index=False)}
    periods = dict(zip(point["arrivals"]["persona"], point["arrivals"]["periods"]))
    rng = np.random.default_rng(seed)
    resamples = []
    for _ in range(bootstrap):
        weights = rng.multinomial(prepared.n_customers, np.full(prepared.n_customers, 1.0 / prepared.n_customers)).astype(np.float64)
        resamples.append(_estimate(prepared, weights, families, order_families, handoff_rows, periods))
    tables = {name: _percentiles(name, point[name], [r[name] for r in resamples], confidence) for name in _KEYS}
    for name in ("touchpoints", "delays"):
        tables[name]["stage"] = [stages[i] for i in tables[name]["stage"]]
    targets = tables["touchpoints"]["target"]
    tables["touchpoints"]["target"] = [None if pd.isna(t) else stages[int(t)] for t in targets]
    return TouchLogFit(stages=tuple(stages), notes=tuple(_notes(prepared, point)), **tables)


# Which columns of each table get intervals, and the columns that identify a row.
_KEYS = {
    "touchpoints": (["persona", "stage", "channel"], ["advance", "drop", "friction", "stay"]),
    "affinity": (["persona", "channel"], ["weight"]),
    "handoff": (["persona", "previous", "channel"], ["weight"]),
    "handoff_test": (["persona"], []),
    "first_touches": (["persona", "channel"], []),
    "delays": (["persona", "stage", "channel"], ["mean"]),
    "arrivals": (["persona"], ["rate_per_day"]),
    "calendar": (["persona", "period"], ["multiplier"]),
    "order_values": (["persona"], ["mean"]),
    "diagnostics": (["persona"], []),
}


def _percentiles(name: str, point: pd.DataFrame, resamples: list[pd.DataFrame], confidence: float) -> pd.DataFrame:
    """``point`` with percentile intervals of its estimates over the bootstrap ``resamples``."""
    keys, columns = _KEYS[name]
    if not columns or point.empty or not resamples:
        return point
    stacked = pd.concat(resamples, ignore_index=True)
    tail = (1 - confidence) / 2
    low = stacked.groupby(keys, sort=False)[columns].quantile(tail)
    high = stacked.groupby(keys, sort=False)[columns].quantile(1 - tail)
    out = point.set_index(keys)
    for column in columns:
        out[f"{column}_ci_low"] = low[column].reindex(out.index)
        out[f"{column}_ci_high"] = high[column].reindex(out.index)
    return out.reset_index()


# ---------------------------------------------------------------- one estimate


def _estimate(
    prep: LogArrays,
    customer_weight: np.ndarray,
    families: Mapping[tuple, str] | None = None,
    order_families: Mapping[str, str] | None = None,
    handoff_rows: Mapping[str, np.ndarray] | None = None,
    periods: Mapping[str, list] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table for one weighting of the customers (all 1: the point estimate)."""
    point = families is None  # a resample needs only the estimates, not targets and diagnostics
    weight = customer_weight[prep.customer]
    n_stages, n_channels = prep.n_stages, len(prep.channels)
    probabilities = _outcome_probabilities(prep, weight, len(prep.personas) * n_stages * n_channels)
    affinity, handoff, handoff_test = _choices(prep, weight, n_stages, handoff_rows)
    delays = _delays(prep, weight, families)
    arrivals, calendar = _arrivals(prep, customer_weight, delays, affinity, None if point else periods)
    return {
        "touchpoints": _touchpoint_table(prep, probabilities, n_stages, targets=point),
        "affinity": affinity,
        "handoff": handoff,
        "handoff_test": handoff_test.drop(columns="rows") if point else pd.DataFrame(),
        "first_touches": _first_touches(prep) if point else pd.DataFrame(),
        "handoff_rows": handoff_test.loc[handoff_test["used"], ["persona", "rows"]] if point else pd.DataFrame(),
        "delays": delays,
        "arrivals": arrivals,
        "calendar": calendar,
        "order_values": _order_values(prep, customer_weight, order_families),
        "diagnostics": _diagnostics(prep, weight) if point else pd.DataFrame(),
    }



def _outcome_probabilities(prep: LogArrays, weight: np.ndarray, n_cells: int) -> dict[str, np.ndarray]:
    """Advance, stay, drop and friction-loss probabilities per cell: maximum likelihood with
    censored last touches, by EM (see the module docstring)."""
    layout = prep.layout
    counts = np.bincount(layout["outcome_key"], weights=weight, minlength=4 * n_cells).reshape(n_cells, 4)
    advanced, stayed, friction = counts[:, ADVANCE], counts[:, STAY], counts[:, FRICTION]
    total = counts.sum(axis=1)
    last = layout["last"]
    last_cell, last_weight = layout["cell"][last], weight[last]
    survival = prep.survival
    safe = np.where(total > 0, total, 1.0)
    drop = counts[:, LAST] / safe
    advance, stay = advanced / safe, stayed / safe
    for _ in range(EM_ITERATIONS):
        # A last touch was a drop, or went on (advanced or stayed) to a touch after the end.
        went_advance, went_stay = advance[last_cell] * survival[0], stay[last_cell] * survival[1]
        denominator = drop[last_cell] + went_advance + went_stay
        dropped = np.divide(drop[last_cell], denominator, out=np.ones_like(denominator), where=denominator > 0)
        as_advance = np.divide(went_advance, denominator, out=np.zeros_like(denominator), where=denominator > 0)
        as_stay = np.divide(went_stay, denominator, out=np.zeros_like(denominator), where=denominator > 0)
        new_drop = np.bincount(last_cell, weights=last_weight * dropped, minlength=n_cells) / safe
        new_advance = (advanced + np.bincount(last_cell, weights=last_weight * as_advance, minlength=n_cells)) / safe
        new_stay = (stayed + np.bincount(last_cell, weights=last_weight * as_stay, minlength=n_cells)) / safe
        change = max(np.abs(new_drop - drop).max(initial=0), np.abs(new_advance - advance).max(initial=0))
        drop, advance, stay = new_drop, new_advance, new_stay
        if change < 1e-12:
            break
    return {"touches": total, "advance": advance, "stay": stay, "drop": drop, "friction_loss": friction / safe}


def _touchpoint_table(prep: LogArrays, p: dict[str, np.ndarray], n_stages: int, targets: bool = True) -> pd.DataFrame:
    """The probabilities in the scenario's terms: advance (friction losses included, as
    would-be advances), friction (their share), drop; with each cell's usual target."""
    n_channels = len(prep.channels)
    cells = np.flatnonzero(p["touches"] > 0)
    persona, rest = np.divmod(cells, n_stages * n_channels)
    stage, channel = np.divmod(rest, n_channels)
    would_advance = p["advance"][cells] + p["friction_loss"][cells]
    table = pd.DataFrame({
        "persona": np.asarray(prep.personas, dtype=object)[persona],
        "stage": stage,
        "channel": np.asarray(prep.channels, dtype=object)[channel],
        "touches": p["touches"][cells],
        "advance": would_advance,
        "drop": p["drop"][cells],
        "friction": np.divide(p["friction_loss"][cells], would_advance, out=np.zeros(cells.size), where=would_advance > 0),
        "stay": p["stay"][cells],
    })
    if not targets:
        return table
    jumps = pd.DataFrame({"persona": prep.persona, "stage": prep.stage, "channel": prep.channel, "target": prep.next_stage})
    jumps = jumps.loc[jumps["target"] >= 0]
    if jumps.empty:
        table["target"], table["target_share"] = None, np.nan
    else:
        jumps["persona"] = [prep.personas[i] for i in jumps["persona"]]
        jumps["channel"] = [prep.channels[i] for i in jumps["channel"]]
        shares = jumps.groupby(["persona", "stage", "channel"])["target"].value_counts(normalize=True).rename("target_share").reset_index()
        modal = shares.sort_values("target_share", ascending=False, kind="stable").drop_duplicates(["persona", "stage", "channel"])
        table = table.merge(modal, on=["persona", "stage", "channel"], how="left")
    return table


def _choices(prep: LogArrays, weight: np.ndarray, n_stages: int, handoff_rows: Mapping[str, np.ndarray] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(affinity, hand-off, hand-off test) per persona. Affinity: Luce weights of every
    choice. Hand-off: weights after each previous channel with enough choices after it; a
    persona gets one when it lowers the AIC (2 x parameters - 2 x log-likelihood of the
    choices), which the test table shows. ``handoff_rows`` fixes the rows (a resample)."""
    n_channels, layout = len(prep.channels), prep.layout
    choices = layout["choices"]
    n_personas = len(prep.personas)
    after = np.bincount(layout["choice_after_key"], weights=weight[choices], minlength=n_personas * (n_channels + 1) * n_stages * n_channels)
    after = after.reshape(n_personas, n_channels + 1, n_stages, n_channels)
    affinity_rows, handoff_table, tests = [], [], []
    for p, persona in enumerate(prep.personas):
        offered = layout["offered"][p]
        chosen = after[p].sum(axis=0)
        w = luce_weights(chosen, offered)
        for c in np.flatnonzero(offered.any(axis=0)):
            affinity_rows.append({"persona": persona, "channel": prep.channels[c], "weight": w[c], "touches": chosen[:, c].sum()})
        fixed = None if handoff_rows is None else handoff_rows.get(persona)
        if handoff_rows is not None and fixed is None:
            continue
        h, rows, gain, parameters = handoff_weights(after[p], offered, w, fixed)
        tests.append({"persona": persona, "log_likelihood_gain": gain, "parameters": parameters, "aic_change": 2 * parameters - 2 * gain,
                      "used": handoff_rows is not None or 2 * parameters - 2 * gain < 0, "rows": rows})
        for k in np.flatnonzero(rows):
            for c in np.flatnonzero(offered.any(axis=0)):
                handoff_table.append({"persona": persona, "previous": prep.channels[k - 1], "channel": prep.channels[c],
                                      "weight": h[k, c], "choices": after[p, k, :, c].sum()})
    handoff = pd.DataFrame(handoff_table, columns=["persona", "previous", "channel", "weight", "choices"])
    test = pd.DataFrame(tests, columns=["persona", "log_likelihood_gain", "parameters", "aic_change", "used", "rows"])
    used = set(test.loc[test["used"], "persona"]) if len(test) else set()
    return pd.DataFrame(affinity_rows, columns=["persona", "channel", "weight", "touches"]), handoff.loc[handoff["persona"].isin(used)].reset_index(drop=True), test


def _delays(prep: LogArrays, weight: np.ndarray, families: Mapping[tuple, str] | None) -> pd.DataFrame:
    """The time before a touch, per touchpoint, by the family with the best AIC (in a
    bootstrap resample: the point estimate's family, refitted)."""
    layout = prep.layout
    gaps, w = layout["wait_values"], weight[layout["waits"]]
    bounds = layout["wait_bounds"]
    n_channels = len(prep.channels)
    rows = []
    for key, start, stop in zip(layout["wait_keys"], bounds[:-1], bounds[1:]):
        mine = slice(start, stop)
        if not (w[mine] > 0).any():
            continue
        persona, rest = divmod(int(key), prep.n_stages * n_channels)
        stage, channel = divmod(rest, n_channels)
        name = (prep.personas[persona], stage, prep.channels[channel])
        fit = fit_distribution(gaps[mine], w[mine], **({} if families is None else {"families": (families[name],)}))
        rows.append({"persona": name[0], "stage": stage, "channel": name[2], "samples": float(w[mine].sum()),
                     "family": fit.family, "spec": fit.spec, "mean": spec_mean(fit.spec)})
    return pd.DataFrame(rows, columns=["persona", "stage", "channel", "samples", "family", "spec", "mean"])


def _arrivals(prep: LogArrays, customer_weight: np.ndarray, delays: pd.DataFrame, affinity: pd.DataFrame,
              periods: Mapping[str, list] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(arrivals, calendar) per persona from the customers whose first touch is at the first
    stage, counted by day. The days before 99 % of first waits are over (the wait before a
    first touch is not in the data: the persona's first-stage delays stand for it) fill up
    and are left out, as is the last part-day. The days are split into
    periods of constant rate (:func:`~journeysim.analysis.fit_arrivals.arrival_periods`;
    ``periods`` fixes them, for a resample): the usual ones (:func:`_usual_periods`) give the
    base rate, the others are calendar multipliers of it, moved back by ``lead`` to arrival
    time."""
    rows, calendar = [], []
    days = max(int(np.floor(prep.end_days - prep.start_days)), 1)
    for p, persona in enumerate(prep.personas):
        entering = (prep.customer_persona == p) & prep.first_at_entry
        first_stage = delays.loc[(delays["persona"] == persona) & (delays["stage"] == 0)]
        weights = affinity.set_index(["persona", "channel"])["weight"].reindex(list(zip(first_stage["persona"], first_stage["channel"]))).to_numpy()
        lead = float(np.average(first_stage["mean"], weights=weights)) if len(first_stage) and np.nansum(weights) > 0 else 0.0
        day = np.floor(prep.first_time[entering] - prep.start_days).astype(np.int64)
        counts = np.bincount(np.clip(day, 0, days), weights=customer_weight[entering], minlength=days + 1)[:days]
        skip = min(int(np.ceil(_filled_by(first_stage))), days // 4)
        found = periods[persona] if periods is not None else [(a + skip, b + skip) for a, b, _ in arrival_periods(counts[skip:])]
        totals = [counts[a:b].sum() for a, b in found]
        usual = _usual_periods(found, totals)
        rate = sum(totals[i] for i in usual) / sum(found[i][1] - found[i][0] for i in usual)
        rows.append({"persona": persona, "customers": float(customer_weight[entering].sum()), "rate_per_day": rate,
                     "entry_lead_days": lead, "periods": found})
        for index, ((a, b), total) in enumerate(zip(found, totals)):
            if index not in usual:
                calendar.append({"persona": persona, "period": index, "from_day": max(a - lead, 0.0), "to_day": b - lead if b < days else prep.end_days - prep.start_days,
                                 "multiplier": total / (b - a) / rate if rate > 0 else 0.0, "customers": total})
    return (pd.DataFrame(rows, columns=["persona", "customers", "rate_per_day", "entry_lead_days", "periods"]),
            pd.DataFrame(calendar, columns=["persona", "period", "from_day", "to_day", "multiplier", "customers"]))


def _usual_periods(periods: list[tuple[int, int]], totals: list[float], z: float = 3.0) -> set[int]:
    """The periods at the usual rate: the one holding the median day, among the periods with
    at least a tenth of the highest rate (a stretch with next to no arrivals is a pause, not
    the usual), and every other whose rate is within ``z`` standard errors of it (Poisson:
    rate / days each), pooled into the base rate."""
    lengths = [b - a for a, b in periods]
    rates = [total / length for total, length in zip(totals, lengths)]
    candidates = sorted((i for i in range(len(periods)) if rates[i] >= 0.1 * max(rates)), key=lambda i: rates[i])
    days = np.cumsum([lengths[i] for i in candidates])
    base = candidates[int(np.searchsorted(days, days[-1] / 2))]
    usual = {base}
    for i in range(len(periods)):
        if i != base and abs(rates[i] - rates[base]) <= z * math.sqrt(rates[i] / lengths[i] + rates[base] / lengths[base]):
            usual.add(i)
    return usual


def _filled_by(first_stage: pd.DataFrame, share: float = 0.99) -> float:
    """Days after which ``share`` of any first-stage wait is over: the largest such quantile
    of the persona's first-stage delays."""
    quantiles = [float(Distribution.from_parameters(spec["dist"], {k: v for k, v in spec.items() if k != "dist"}).quantile(share))
                 for spec in first_stage["spec"]]
    return max(quantiles, default=0.0)


def _order_values(prep: LogArrays, customer_weight: np.ndarray, families: Mapping[str, str] | None) -> pd.DataFrame:
    """The value of first purchases per persona, by the family with the best AIC."""
    rows = []
    persona_of_purchase = prep.customer_persona[prep.purchase_customer]
    for p, persona in enumerate(prep.personas):
        mine = persona_of_purchase == p
        w = customer_weight[prep.purchase_customer[mine]]
        if not (w > 0).any():
            continue
        choice = {} if families is None or persona not in families else {"families": (families[persona],)}
        fit = fit_distribution(prep.purchase_value[mine], w, **choice)
        rows.append({"persona": persona, "purchases": float(w.sum()), "family": fit.family, "spec": fit.spec, "mean": spec_mean(fit.spec)})
    return pd.DataFrame(rows, columns=["persona", "purchases", "family", "spec", "mean"])


def _first_touches(prep: LogArrays) -> pd.DataFrame:
    """Customers whose first touch is on each channel, per persona, and each persona's share
    of the channel's first touches (how paid prospects split between personas)."""
    first = np.insert(prep.customer[1:] != prep.customer[:-1], 0, True)
    table = pd.DataFrame({"persona": np.asarray(prep.personas, dtype=object)[prep.persona[first]],
                          "channel": np.asarray(prep.channels, dtype=object)[prep.channel[first]]})
    counts = table.value_counts(["persona", "channel"]).rename("customers").reset_index()
    counts["share"] = counts["customers"] / counts.groupby("channel")["customers"].transform("sum")
    return counts


def _diagnostics(prep: LogArrays, weight: np.ndarray) -> pd.DataFrame:
    """Per persona: touches, touches that went back a stage (counted as stay) and last
    touches."""
    rows = []
    last = prep.outcome == LAST
    for p, persona in enumerate(prep.personas):
        mine = prep.persona == p
        rows.append({
            "persona": persona,
            "touches": float(weight[mine].sum()),
            "backward_touches": float(weight[mine & prep.backward].sum()),
            "last_touches": float(weight[mine & last].sum()),
        })
    return pd.DataFrame(rows)


def _notes(prep: LogArrays, point: Mapping[str, pd.DataFrame]) -> list[str]:
    """What the log cannot tell, said plainly."""
    notes = [
        "channel_switch.friction and friction_sensitivity are fixed (0 and 1): the log cannot tell switching friction from plain loss",
        "the wait from arrival to the first touch is not in the log: each first-stage touchpoint's delay, fitted from later touches at that stage, stands for it",
    ]
    if not prep.has_reason:
        notes.append("no 'reason' column: friction is fixed at 0 and every loss is a drop (losses to friction cannot be told from drops)")
    backward = point["diagnostics"]["backward_touches"].sum()
    if backward:
        notes.append(f"{backward:,.0f} touches came after a touch at a later stage; they count as staying at the later stage")
    survival = prep.survival
    cut = float(((survival[0] > 0) | (survival[1] > 0)).mean()) if survival.shape[1] else 0.0
    if cut > 0.2:
        notes.append(f"{cut:.0%} of the journeys that went quiet did so close enough to the end of the log that they may still be "
                     "running: where they go rests on the waits seen in the log; a log several times longer than its longest waits fits better")
    if point["order_values"].empty:
        notes.append("no purchase values: order values are not fitted")
    return notes
