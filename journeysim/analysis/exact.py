"""Exact answers for the pre-purchase journey: an absorbing Markov chain per persona.

Without capacity queues and time-varying inputs, a persona's journey is a Markov chain on
the journey stages (awareness ... purchase), refined by the channel of the previous touch
when channel-switch friction is on. From stage *i* a touch picks channel *c* with
probability w_ic (affinity) and then advances (to the next or target stage; from purchase it
converts), drops (lost at *i*, friction included) or stays. With Q the transient part and R
the absorbing part, N = (I - Q)^-1 gives (Grinstead & Snell, ch. 11):

* absorption probabilities B = N R (conversion, and loss at each stage),
* expected touches before absorption N 1, expected time N m (m_i the mean delay of a touch),
* expectations given conversion by the same linear system weighted by the probability of
  converting afterwards (a Doob h-transform, done per channel because delays differ).

Emotion carry-over (:mod:`journeysim.model.experience`) makes a journey path-dependent: the
drop probability at a touch depends on every earlier moment, so no finite chain over stages
holds it. :func:`solve` then raises :class:`NotApplicable`; ``scenario.without_carryover()``
is the chain it can answer (a screen, not the journey).

These are infinite-horizon values: a simulation agrees with them when journeys are followed
long enough to end (``run.arrival_days`` well before ``run.horizon_days``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.analysis.metrics import ALL
from journeysim.model.compiled import CONVERTED, CompiledScenario, compile_scenario
from journeysim.model.scenario import Scenario


class NotApplicable(ValueError):
    """The exact solver does not hold for this scenario; the message says why."""


@dataclass(frozen=True)
class ExactSolution:
    """``summary``: one row per persona (and ``all``, mixed by arrival rate); ``loss_by_stage``:
    probability of being lost at each stage; ``transitions``: stage-to-state matrix per persona."""

    summary: pd.DataFrame
    loss_by_stage: pd.DataFrame
    transitions: dict[str, pd.DataFrame]


def solve(scenario: Scenario | CompiledScenario) -> ExactSolution:
    """The exact answer for every persona's pre-purchase journey: the absorbing chain over
    (stage, previous channel), with conversion probability, expected touches and time, and
    losses by stage (capacity queues, retargeting and referrals left out)."""
    compiled = scenario if isinstance(scenario, CompiledScenario) else compile_scenario(scenario)
    if compiled.has_carryover:
        moody = [name for name, p in compiled.scenario.personas.items() if p.emotion_carryover.active]
        raise NotApplicable(
            f"emotion carry-over (personas {', '.join(moody)}: emotion_carryover.strength > 0) makes the journey path-dependent, "
            "so it is no Markov chain over stages; simulate it, or solve scenario.without_carryover() as a screen"
        )
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


# Long: one pass builds the chain's transient and absorbing matrices and solves them; the
# steps share every index, and apart they would pass half a dozen arrays between them.
def _persona_chain(compiled: CompiledScenario, p: int) -> dict:
    """Absorbing chain of one persona on states (stage, channel of the previous touch).

    The previous channel matters for channel-switch friction and the channel hand-off; without
    them the states of a stage behave alike and the results equal those of the plain stage
    chain.
    """
    n_stages = compiled.n_journey_stages
    n_channels = len(compiled.channels)
    previous_options = n_channels + 1  # index n_channels: no touch yet
    n = n_stages * previous_options
    weight = compiled.choice_probability[p, :n_stages]  # [stage, channel]
    target = compiled.next_stage[p, :n_stages]
    delay = compiled.delay_mean[p, :n_stages]
    cuts = [tuple(a[p, :n_stages] for a in compiled.cuts(switched)[:3]) for switched in (False, True)]

    def state(stage: int, previous: int) -> int:
        return stage * previous_options + previous

    q = np.zeros((n, n))
    to_conversion = np.zeros(n)
    lost_at = np.zeros((n, n_stages))
    touch_delay = np.zeros(n)  # expected delay of the next touch from each state
    # Per (state, channel): probability of the channel, advance, stay and next-state indices.
    moves = []
    after = compiled.choice_probability_after  # the channel hand-off, if any
    for s in range(n_stages):
        for previous in range(previous_options):
            i = state(s, previous)
            if after is not None:  # the choice depends on the previous channel (index 0: none yet)
                weight = after[p, 0 if previous == n_channels else previous + 1, :n_stages]
            for c in np.flatnonzero(weight[s] > 0):
                switched = previous < n_channels and compiled.switch[previous, c]
                advance_cut, _, drop_cut = cuts[int(switched)]
                w, advance, stay = weight[s, c], advance_cut[s, c], 1.0 - drop_cut[s, c]
                stay_state = state(s, c)
                advance_state = -1 if target[s, c] == CONVERTED else state(target[s, c], c)
                if advance_state < 0:
                    to_conversion[i] += w * advance
                else:
                    q[i, advance_state] += w * advance
                q[i, stay_state] += w * stay
                lost_at[i, s] += w * (drop_cut[s, c] - advance_cut[s, c])
                touch_delay[i] += w * delay[s, c]
                moves.append((i, w, advance, stay, advance_state, stay_state, delay[s, c]))
    fundamental = np.linalg.inv(np.eye(n) - q)
    conversion = fundamental @ to_conversion  # probability of converting from each state
    loss = fundamental @ lost_at  # [from state, lost at stage]
    touches = fundamental @ np.ones(n)
    time = fundamental @ touch_delay

    # E[X 1{convert}] for X = touches (1 per touch) and time (the touch's delay): the same
    # system with each move weighted by the probability of converting after it.
    carried_touches = np.zeros(n)
    carried_time = np.zeros(n)
    for i, w, advance, stay, advance_state, stay_state, mean_delay in moves:
        after = w * (advance * (1.0 if advance_state < 0 else conversion[advance_state]) + stay * conversion[stay_state])
        carried_touches[i] += after
        carried_time[i] += after * mean_delay
    touches_converting = fundamental @ carried_touches
    time_converting = fundamental @ carried_time

    start = state(0, n_channels)
    b0 = conversion[start]
    summary = {
        "conversion_probability": b0,
        "loss_probability": 1.0 - b0,
        "bounce_probability": float(lost_at[start].sum()),
        "expected_touches": touches[start],
        "expected_time_days": time[start],
        "expected_touches_to_convert": touches_converting[start] / b0 if b0 > 0 else np.nan,
        "expected_time_to_convert_days": time_converting[start] / b0 if b0 > 0 else np.nan,
        "expected_revenue_per_arrival": b0 * compiled.order_value_mean[p],
    }
    labels = [
        f"{stage}|{'start' if previous == n_channels else compiled.channels[previous]}"
        for stage in compiled.stages[:n_stages]
        for previous in range(previous_options)
    ]
    matrix = pd.DataFrame(
        np.column_stack([q, to_conversion, lost_at]),
        index=pd.Index(labels, name="from (stage|previous channel)"),
        columns=labels + ["converted"] + [f"lost at {s}" for s in compiled.stages[:n_stages]],
    )
    # Conversion probability of a customer about to touch channel c at stage s (plain touch).
    about_to_touch = {}
    plain_advance, _, plain_drop = cuts[0]
    for s in range(n_stages):
        for c in range(n_channels):
            then = 1.0 if target[s, c] == CONVERTED else conversion[state(target[s, c], c)]
            about_to_touch[(s, c)] = plain_advance[s, c] * then + (1.0 - plain_drop[s, c]) * conversion[state(s, c)]
    return {"summary": summary, "loss": loss[start], "matrix": matrix, "about_to_touch": about_to_touch}


def conversion_from_states(scenario: Scenario | CompiledScenario) -> dict[tuple[str, str, str], float]:
    """P(convert) of a customer of persona p about to touch channel c at stage s, keyed by
    names (p, s, c). Used to value customers lost along the way (e.g. to waiting)."""
    compiled = scenario if isinstance(scenario, CompiledScenario) else compile_scenario(scenario)
    out = {}
    for p, persona in enumerate(compiled.personas):
        for (s, c), probability in _persona_chain(compiled, p)["about_to_touch"].items():
            out[(persona, compiled.stages[s], compiled.channels[c])] = float(probability)
    return out


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
