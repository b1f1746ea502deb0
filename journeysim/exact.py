"""Exact answers for the pre-purchase journey: an absorbing Markov chain per persona.

Without capacity queues and time-varying inputs, a persona's journey is a Markov chain on
the journey stages (awareness ... purchase). From stage *i* a touch picks channel *c* with
probability w_ic (affinity) and then advances (to the next or target stage; from purchase it
converts), drops (lost at *i*, friction included) or stays. With Q the transient part and R
the absorbing part, N = (I - Q)^-1 gives (Grinstead & Snell, ch. 11):

* absorption probabilities B = N R (conversion, and loss at each stage),
* expected touches before absorption N 1, expected time N m (m_i the mean delay of a touch),
* expectations given conversion by the same linear system weighted by the probability of
  converting afterwards (a Doob h-transform, done per channel because delays differ).

These are infinite-horizon values: a simulation agrees with them when journeys are followed
long enough to end (``run.arrival_days`` well before ``run.horizon_days``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.compiled import CONVERTED, CompiledScenario, compile_scenario
from journeysim.metrics import ALL
from journeysim.scenario import Scenario


@dataclass(frozen=True)
class ExactSolution:
    """``summary``: one row per persona (and ``all``, mixed by arrival rate); ``loss_by_stage``:
    probability of being lost at each stage; ``transitions``: stage-to-state matrix per persona."""

    summary: pd.DataFrame
    loss_by_stage: pd.DataFrame
    transitions: dict[str, pd.DataFrame]


def solve(scenario: Scenario | CompiledScenario) -> ExactSolution:
    compiled = scenario if isinstance(scenario, CompiledScenario) else compile_scenario(scenario)
    stages = compiled.stages[: compiled.n_journey_stages]
    rows, losses, transitions = [], [], {}
    for p, persona in enumerate(compiled.personas):
        chain = _persona_chain(compiled, p)
        rows.append({"persona": persona, **chain["summary"]})
        for stage, probability in zip(stages, chain["loss"]):
            losses.append((persona, stage, probability))
        transitions[persona] = chain["matrix"]
    summary = pd.DataFrame(rows)
    rates = compiled.arrival_rate_per_day
    if rates.sum() > 0:
        summary = pd.concat([summary, pd.DataFrame([_mixed(summary, rates)])], ignore_index=True)
        weights = rates / rates.sum()
        loss = np.array([[l for (_, _, l) in losses[i * len(stages) : (i + 1) * len(stages)]] for i in range(len(compiled.personas))])
        for stage, probability in zip(stages, weights @ loss):
            losses.append((ALL, stage, float(probability)))
    return ExactSolution(
        summary=summary,
        loss_by_stage=pd.DataFrame(losses, columns=["persona", "stage", "probability"]),
        transitions=transitions,
    )


def _persona_chain(compiled: CompiledScenario, p: int) -> dict:
    n = compiled.n_journey_stages
    weight = compiled.choice_probability[p, :n]  # [stage, channel]
    advance = compiled.advance_cut[p, :n]
    leave_lost = compiled.drop_cut[p, :n] - compiled.advance_cut[p, :n]
    stay = 1.0 - compiled.drop_cut[p, :n]
    target = compiled.next_stage[p, :n]
    delay = compiled.delay_mean[p, :n]

    q = np.zeros((n, n))
    to_conversion = np.zeros(n)
    for s in range(n):
        for c in np.flatnonzero(weight[s] > 0):
            if target[s, c] == CONVERTED:
                to_conversion[s] += weight[s, c] * advance[s, c]
            else:
                q[s, target[s, c]] += weight[s, c] * advance[s, c]
        q[s, s] += float(weight[s] @ stay[s])
    lost_here = (weight * leave_lost).sum(axis=1)
    fundamental = np.linalg.inv(np.eye(n) - q)
    conversion = fundamental @ to_conversion  # probability of converting from each stage
    loss = fundamental * lost_here[None, :]  # [from, lost at]
    touches = fundamental @ np.ones(n)
    time = fundamental @ (weight * delay).sum(axis=1)

    # E[X 1{convert}] from each stage for X = touches (cost 1 per touch) and time (delay per touch).
    after = np.where(target == CONVERTED, 1.0, conversion[np.clip(target, 0, n - 1)])
    carried = weight * (advance * after + stay * conversion[:, None])
    touches_converting = fundamental @ carried.sum(axis=1)
    time_converting = fundamental @ (carried * delay).sum(axis=1)
    b0 = conversion[0]
    order_value = compiled.order_value_mean[p]
    summary = {
        "conversion_probability": b0,
        "loss_probability": 1.0 - b0,
        "bounce_probability": float(weight[0] @ leave_lost[0]),
        "expected_touches": touches[0],
        "expected_time_days": time[0],
        "expected_touches_to_convert": touches_converting[0] / b0 if b0 > 0 else np.nan,
        "expected_time_to_convert_days": time_converting[0] / b0 if b0 > 0 else np.nan,
        "expected_revenue_per_arrival": b0 * order_value,
    }
    stages = list(compiled.stages[:n])
    matrix = pd.DataFrame(
        np.column_stack([q, to_conversion, np.diag(lost_here)]),
        index=pd.Index(stages, name="from"),
        columns=stages + ["converted"] + [f"lost at {s}" for s in stages],
    )
    return {"summary": summary, "loss": loss[0], "matrix": matrix}


def _mixed(summary: pd.DataFrame, rates: np.ndarray) -> dict:
    """Pooled row: personas mixed by arrival rate (conditional means weighted by converters)."""
    w = rates / rates.sum()
    b = summary["conversion_probability"].to_numpy()
    row = {"persona": ALL}
    for column in ("conversion_probability", "loss_probability", "bounce_probability", "expected_touches", "expected_time_days", "expected_revenue_per_arrival"):
        row[column] = float(w @ summary[column].to_numpy())
    converters = w * b
    total = converters.sum()
    for column in ("expected_touches_to_convert", "expected_time_to_convert_days"):
        values = np.nan_to_num(summary[column].to_numpy())
        row[column] = float(converters @ values / total) if total > 0 else np.nan
    return row
