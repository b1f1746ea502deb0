"""Life after the first purchase in the vectorised engine: repeat purchases, loyalty, churn.

The SimPy engine computes a buyer's post-purchase life at once, on the buyer's own clock
(``SimPyJourneyEngine._after_purchase``). Here round *k* handles the *k*-th repeat purchase
of every buyer still active, with the same draws (:mod:`journeysim.simulation.random_streams`, indexed
by repeat number) and the same order of operations: gap, channel, value, the repeat's
emotion added to the customer's experienced moments, loyalty after ``loyal_after_repeats`` repeats, then the
churn test on the updated satisfaction. Sums are accumulated in the SimPy engine's order, so
revenue, contact cost and satisfaction are equal to round-off.

Events are returned as chunks (customer, slot, time, event cell, value); ``slot`` numbers a
customer's post-purchase events in recording order, which places them after its purchase.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from journeysim.model.compiled import CompiledScenario
from journeysim.model.distributions import quantile_table
from journeysim.model.experience import satisfactions
from journeysim.simulation import random_streams as rs
from journeysim.simulation.engines import progress
from journeysim.simulation.records import CHURN, LOYAL, NONE, REPEAT_PURCHASE

# (customer, slot, time, event cell, value) of some post-purchase events.
Chunk = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | int, np.ndarray | float]


class RepeatPurchases:
    """Repeat purchases and churn (BG/NBD with satisfaction) of the buyers of one replication.

    ``first_event_cell`` is where this class's rows start in the engine's event-cell tables
    (see :meth:`event_cells`); ``choose(row, u)`` is the engine's ``bisect_right`` channel
    choice over rows ``persona * stages + stage`` of the plain cumulative choice table.
    """

    def __init__(self, compiled: CompiledScenario, first_event_cell: int, choose: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        scenario = compiled.scenario
        self._loyalty = [scenario.personas[name].loyalty for name in compiled.personas]
        self.active = any(loyalty is not None for loyalty in self._loyalty)
        n_personas, n_stages, n_channels = compiled.choice_cumulative.shape
        self._n_channels = n_channels
        self._purchase = purchase = compiled.purchase_index
        self._loyalty_stage = compiled.stages.index(scenario.loyalty_stage) if scenario.loyalty_stage else purchase
        self._purchase_row = np.arange(n_personas) * n_stages + purchase
        self._emotion = compiled.emotion[:, purchase, :]  # a repeat purchase feels like a plain purchase touch
        self._cost = compiled.cost_per_contact.astype(np.float64)
        self._value_code, self._value_params = compiled.order_value_code, compiled.order_value_params
        self._loyal_after = np.array([-1 if loyalty is None else loyalty.loyal_after_repeats for loyalty in self._loyalty])
        self._slope = np.array([0.0 if loyalty is None else loyalty.satisfaction_churn_slope for loyalty in self._loyalty])
        self._choose = choose
        self._peak_end_weight = scenario.experience.peak_end_weight
        self._compiled, self._step_limit = compiled, progress.step_limit(compiled)  # rounds after which purchases must move in time
        self._repeat_cell = first_event_cell  # + persona * channels + channel
        self._loyal_cell = first_event_cell + n_personas * n_channels
        self._churn_cell = self._loyal_cell + 1  # + 1 once loyal (the churn is recorded at the loyalty stage)

    def event_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(stage, channel, event, emotion, cost) of this class's event cells, in cell order."""
        n_personas, n_channels = self._emotion.shape
        repeats = n_personas * n_channels
        extra = (self._loyalty_stage, self._purchase, self._loyalty_stage)  # loyal, churn before / after loyalty
        stage = np.concatenate([np.full(repeats, self._purchase), extra])
        channel = np.concatenate([np.tile(np.arange(n_channels), n_personas), np.full(3, NONE)])
        event = np.concatenate([np.full(repeats, REPEAT_PURCHASE), [LOYAL, CHURN, CHURN]])
        emotion = np.concatenate([self._emotion.reshape(-1), np.full(3, np.nan)])
        cost = np.concatenate([np.tile(self._cost, n_personas), np.full(3, np.nan)])
        return stage, channel, event, emotion, cost

    def run(self, customers: dict, customer: np.ndarray, key: np.ndarray, purchase_days: np.ndarray, horizon: float) -> tuple[np.ndarray, list[Chunk]]:
        """Simulate the buyers ``customer`` (keys ``key``, first purchase at ``purchase_days``)
        to the horizon, updating ``customers``; returns (post-purchase events per customer,
        event chunks)."""
        post_events = np.zeros(len(customers["persona"]), dtype=np.int64)
        persona = customers["persona"][customer].astype(np.intp)
        with_loyalty = np.flatnonzero(self._loyal_after[persona] >= 0)
        customer, key, persona, now = customer[with_loyalty], key[with_loyalty], persona[with_loyalty], purchase_days[with_loyalty]
        rate, churn = self._parameters(persona, key)
        chunks: list[Chunk] = []
        state = {
            "customer": customer, "key": key, "persona": persona, "now": now, "rate": rate, "churn": churn,
            "slot": np.zeros(len(customer), dtype=np.int32), "loyal": self._loyal_after[persona] == 0,
            "experiences": customers["experiences"][customer].astype(np.int64), "emotion_sum": customers["emotion_sum"][customer],
            "peak_emotion": customers["peak_emotion"][customer], "end_emotion": customers["end_emotion"][customer],
            "revenue": customers["revenue"][customer], "contact_cost": customers["contact_cost"][customer],
        }  # fmt: skip
        at_once = np.flatnonzero(state["loyal"])  # loyal_after_repeats == 0: buying is the loyalty moment
        if at_once.size:
            chunks.append((customer[at_once], state["slot"][at_once], now[at_once], self._loyal_cell, np.nan))
            state["slot"][at_once] += 1
        state = self._leave(customers, post_events, state, rate > 0, 0)  # without a rate: no repeats, active at the horizon
        repeats = 0
        while state["customer"].size:
            key, persona, rate = state["key"], state["persona"], state["rate"]
            gap = -np.log1p(-rs.touch_uniforms(key, repeats, rs.REPEAT_GAP)) / rate
            when = state["now"] + gap
            if repeats >= self._step_limit and (when == state["now"]).any():  # gaps that do not move the clock
                stuck = int(np.flatnonzero(when == state["now"])[0])
                raise progress.repeats_without_time(self._compiled, int(persona[stuck]), float(when[stuck]), repeats)
            state["now"] = when
            inside = when < horizon
            if not inside.all():
                state = self._leave(customers, post_events, state, inside, repeats)  # still active at the horizon
                if not state["customer"].size:
                    break
                key, persona, when = state["key"], state["persona"], state["now"]
            customer, slot, loyal = state["customer"], state["slot"], state["loyal"]
            channel = self._choose(self._purchase_row[persona], rs.touch_uniforms(key, repeats, rs.REPEAT_CHANNEL))
            value = quantile_table(self._value_code[persona], self._value_params[persona], rs.touch_uniforms(key, repeats, rs.REPEAT_VALUE))
            chunks.append((customer, slot.copy(), when, self._repeat_cell + persona * self._n_channels + channel, value))
            slot += 1
            repeats += 1
            state["revenue"] = state["revenue"] + value
            state["contact_cost"] = state["contact_cost"] + self._cost[channel]
            emotion = self._emotion[persona, channel]  # an experienced moment (model.experience)
            state["emotion_sum"] = state["emotion_sum"] + emotion
            state["experiences"] = state["experiences"] + 1
            state["peak_emotion"] = np.where(np.abs(emotion) >= np.abs(state["peak_emotion"]), emotion, state["peak_emotion"])
            state["end_emotion"] = emotion
            becomes = np.flatnonzero(self._loyal_after[persona] == repeats)
            if becomes.size:
                chunks.append((customer[becomes], slot[becomes], when[becomes], self._loyal_cell, np.nan))
                slot[becomes] += 1
                loyal[becomes] = True
            satisfaction = satisfactions(state["emotion_sum"], state["experiences"], state["peak_emotion"], state["end_emotion"], self._peak_end_weight)
            adjusted = _churn_given_satisfaction(state["churn"], satisfaction, self._slope[persona])
            churned = rs.touch_uniforms(key, repeats, rs.CHURN) < adjusted
            if churned.any():
                gone = np.flatnonzero(churned)
                chunks.append((customer[gone], slot[gone], when[gone], self._churn_cell + loyal[gone], np.nan))
                slot[gone] += 1
                customers["churned"][customer[gone]] = True
                state = self._leave(customers, post_events, state, ~churned, repeats)
        return post_events, chunks

    def _parameters(self, persona: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lambda and p of each buyer: :func:`journeysim.model.loyalty.customer_purchase_rate` and
        ``customer_churn_probability``, vectorised (the same scipy functions, elementwise)."""
        rate = np.empty(len(persona))
        churn = np.empty(len(persona))
        for p, loyalty in enumerate(self._loyalty):
            at = np.flatnonzero(persona == p)
            if loyalty is None or not at.size:
                continue
            if loyalty.rate_shape is None:
                rate[at] = loyalty.purchase_rate_per_day
            else:
                rate[at] = special.gammaincinv(loyalty.rate_shape, rs.touch_uniforms(key[at], 0, rs.LOYALTY_RATE)) / loyalty.gamma_rate
            beta = loyalty.beta_parameters
            if beta is None:
                churn[at] = loyalty.churn_probability
            else:
                churn[at] = special.betaincinv(beta[0], beta[1], rs.touch_uniforms(key[at], 0, rs.CHURN_PROPENSITY))
        return rate, churn

    def _leave(self, customers: dict, post_events: np.ndarray, state: dict, stay: np.ndarray, repeats: int) -> dict:
        """Write the customer columns of the buyers whose post-purchase life ends (``~stay``)
        after ``repeats`` repeat purchases; returns the state of the others."""
        if stay.all():
            return state
        out = np.flatnonzero(~stay)
        who = state["customer"][out]
        customers["repeat_purchases"][who] = repeats
        for name in ("revenue", "contact_cost", "emotion_sum", "experiences", "peak_emotion", "end_emotion"):
            customers[name][who] = state[name][out]
        loyal = state["loyal"][out]
        customers["loyal"][who] = loyal
        customers["final_stage"][who[loyal]] = self._loyalty_stage
        post_events[who] = state["slot"][out]
        keep = np.flatnonzero(stay)
        return {name: column[keep] for name, column in state.items()}


def _churn_given_satisfaction(churn: np.ndarray, satisfaction: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """:func:`journeysim.model.loyalty.churn_given_satisfaction`, elementwise."""
    adjusted = churn.copy()
    moved = (slope != 0) & (churn != 0.0) & (churn != 1.0) & ~np.isnan(satisfaction)
    if moved.any():
        adjusted[moved] = special.expit(special.logit(churn[moved]) - slope[moved] * satisfaction[moved])
    return adjusted
