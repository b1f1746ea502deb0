"""The SimPy event engine: one generator process per customer, full fidelity.

A replication creates an ``Environment``, an arrival source process that starts a customer
process at each arrival time, and runs to the horizon. A customer process loops over
touches: choose a channel (affinity-weighted), wait the touch's delay, draw the outcome with
friction applied, record it. Journeys whose next touch would fall at or after the horizon
end as ``open`` (censored), never as lost.

All randomness comes from :mod:`journeysim.random_streams` (per customer, touch and purpose),
so a customer's path does not depend on event order, and the vectorised engine reproduces
it draw for draw.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Callable

import numpy as np
import simpy

from journeysim import random_streams as rs
from journeysim.arrivals import Arrivals
from journeysim.compiled import CONVERTED as NEXT_IS_PURCHASE
from journeysim.compiled import CompiledScenario
from journeysim.distributions import scalar_quantile
from journeysim.records import (
    ADVANCE,
    ARRIVAL,
    CONVERTED,
    DROP,
    FRICTION_DROP,
    LOST,
    NONE,
    OPEN,
    PURCHASE,
    STAY,
    TOUCH,
    EventRecorder,
)

# Uniforms for the first touches are computed in vectorised blocks when customers arrive;
# later touches (rare) fall back to the scalar hash, which gives the same numbers.
BLOCK_TOUCHES = 12
BLOCK_CUSTOMERS = 2048
_BLOCK_PURPOSES = (rs.CHANNEL, rs.DELAY, rs.OUTCOME)


class SimPyJourneyEngine:
    """Runs replications of a compiled scenario with SimPy."""

    def __init__(self, compiled: CompiledScenario) -> None:
        self.compiled = compiled
        # Plain nested lists: scalar indexing into them is several times faster than numpy.
        self._cumulative = compiled.choice_cumulative.tolist()
        # [switched][persona][stage][channel] -> (advance_cut, friction_cut, drop_cut, emotion)
        self._outcomes = [
            [
                [list(zip(*cells)) for cells in zip(*(a.tolist() for a in (adv, fric, drop, emo)))]
                for adv, fric, drop, emo in zip(*compiled.cuts(switched))
            ]
            for switched in (False, True)
        ]
        self._switch = compiled.switch.tolist()
        self._next_stage = compiled.next_stage.tolist()
        self._delay = [
            [[(int(code), *params) for code, params in zip(codes, table)] for codes, table in zip(stage_codes, stage_params)]
            for stage_codes, stage_params in zip(compiled.delay_code.tolist(), compiled.delay_params.tolist())
        ]
        self._cost = compiled.cost_per_contact.tolist()
        self._order_value = [
            (int(code), *params) for code, params in zip(compiled.order_value_code.tolist(), compiled.order_value_params.tolist())
        ]

    name = "simpy"

    def run(
        self,
        arrivals: Arrivals,
        replication_key: int,
        horizon_days: float,
        on_customers: Callable[[int], None] | None = None,
    ) -> tuple[dict[str, np.ndarray], dict[str, list]]:
        """Simulate one replication.

        Returns (event columns, customer columns): the inputs of
        :func:`journeysim.records.events_table` and :func:`journeysim.records.customers_table`.
        """
        recorder = EventRecorder()
        n = len(arrivals)
        state = {
            "persona": arrivals.persona.tolist(),
            "persona_customer": arrivals.persona_customer.tolist(),
            "arrival_days": arrivals.time_days.tolist(),
            "outcome": [OPEN] * n,
            "final_stage": [0] * n,
            "final_channel": [NONE] * n,
            "touches": [0] * n,
            "lost_to_friction": [False] * n,
            "time_to_convert_days": [math.nan] * n,
            "emotion_sum": [0.0] * n,
            "revenue": [0.0] * n,
            "contact_cost": [0.0] * n,
        }
        keys = np.zeros(n, dtype=np.uint64)
        for p in range(len(self.compiled.personas)):
            mask = arrivals.persona == p
            keys[mask] = rs.customer_keys(replication_key, p, arrivals.persona_customer[mask])
        env = simpy.Environment()
        env.process(self._source(env, arrivals, keys, horizon_days, recorder, state, on_customers))
        env.run(until=horizon_days)
        return recorder.columns(), state

    def _source(self, env, arrivals, keys, horizon, recorder, state, on_customers):
        times = state["arrival_days"]
        personas = state["persona"]
        key_list = keys.tolist()
        n = len(times)
        for start in range(0, n, BLOCK_CUSTOMERS):
            stop = min(n, start + BLOCK_CUSTOMERS)
            block = rs.touch_block(keys[start:stop], BLOCK_TOUCHES, _BLOCK_PURPOSES).tolist()
            for customer in range(start, stop):
                arrival = times[customer]
                if arrival > env.now:
                    yield env.timeout(arrival - env.now)
                env.process(
                    self._customer(env, customer, personas[customer], key_list[customer], block[customer - start], horizon, recorder, state)
                )
            if on_customers is not None:
                on_customers(stop - start)

    def _customer(self, env, customer, persona, key, block, horizon, recorder, state):
        record = recorder.record
        cumulative = self._cumulative[persona]
        plain, switching = self._outcomes[0][persona], self._outcomes[1][persona]
        switch = self._switch
        next_stage, delays, costs = self._next_stage[persona], self._delay[persona], self._cost
        record(customer, persona, env.now, 0, NONE, ARRIVAL, NONE, math.nan, math.nan, math.nan)
        stage = 0
        touch = 0
        channel = NONE
        emotion_sum = 0.0
        cost_sum = 0.0
        while True:
            if touch < BLOCK_TOUCHES:
                u_channel, u_delay, u_outcome = block[touch]
            else:
                u_channel = rs.touch_uniform(key, touch, rs.CHANNEL)
                u_delay = rs.touch_uniform(key, touch, rs.DELAY)
                u_outcome = rs.touch_uniform(key, touch, rs.OUTCOME)
            row = cumulative[stage]
            next_channel = bisect_right(row, u_channel)
            delay = scalar_quantile(*delays[stage][next_channel], u_delay)
            if env.now + delay >= horizon:
                break  # open: the next touch falls beyond the horizon
            yield env.timeout(delay)
            switched = channel != NONE and switch[channel][next_channel]
            channel = next_channel
            advance_cut, friction_cut, drop_cut, emotion = (switching if switched else plain)[stage][channel]
            cost = costs[channel]
            emotion_sum += emotion
            cost_sum += cost
            touch += 1
            if u_outcome < advance_cut:
                record(customer, persona, env.now, stage, channel, TOUCH, ADVANCE, emotion, math.nan, cost)
                target = next_stage[stage][channel]
                if target == NEXT_IS_PURCHASE:
                    value = scalar_quantile(*self._order_value[persona], rs.touch_uniform(key, touch - 1, rs.ORDER_VALUE))
                    record(customer, persona, env.now, stage, channel, PURCHASE, NONE, math.nan, value, 0.0)
                    state["outcome"][customer] = CONVERTED
                    state["time_to_convert_days"][customer] = env.now - state["arrival_days"][customer]
                    state["revenue"][customer] = value
                    break
                stage = target
            elif u_outcome < drop_cut:
                friction = u_outcome < friction_cut
                record(customer, persona, env.now, stage, channel, TOUCH, FRICTION_DROP if friction else DROP, emotion, math.nan, cost)
                state["outcome"][customer] = LOST
                state["lost_to_friction"][customer] = friction
                break
            else:
                record(customer, persona, env.now, stage, channel, TOUCH, STAY, emotion, math.nan, cost)
        state["final_stage"][customer] = stage
        state["final_channel"][customer] = channel
        state["touches"][customer] = touch
        state["emotion_sum"][customer] = emotion_sum
        state["contact_cost"][customer] = cost_sum
