"""The SimPy event engine: one generator process per customer, full fidelity.

A replication creates an ``Environment``, an arrival source process that starts a customer
process at each arrival time, and runs to the horizon. A customer process loops over
touches: choose a channel (affinity-weighted), wait the touch's delay, queue for a server
at a capacity channel (reneging when patience runs out), draw the outcome with friction
applied, record it. After a purchase it lives on as a customer: repeat purchases and churn
(BG/NBD), loyalty, advocacy and referrals that bring new prospects in through word of mouth.
Journeys whose next touch would fall at or after the horizon end as ``open`` (censored).

Customer processes are lean: a touch that meets no shared resource (no queue) needs no
event, so a customer advances its own clock through such touches and yields to the
environment only to queue at a capacity channel; post-purchase life is computed the same
way, and advocates' recommendations run as processes because they create customers.

All randomness comes from :mod:`journeysim.simulation.random_streams` (per customer, attempt and
purpose), so a customer's path does not depend on event order, and the vectorised engine
reproduces queue-free journeys draw for draw.
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_right
from typing import Callable

import numpy as np
import simpy

from journeysim.model.compiled import CONVERTED as NEXT_IS_PURCHASE
from journeysim.model.compiled import CompiledScenario
from journeysim.model.distributions import KIND_CODES, scalar_quantile
from journeysim.model.loyalty import (
    churn_given_satisfaction,
    customer_churn_probability,
    customer_purchase_rate,
)
from journeysim.simulation import random_streams as rs
from journeysim.simulation.arrivals import Arrivals, market_members
from journeysim.simulation.engines import progress
from journeysim.simulation.engines.protocol import EngineRun
from journeysim.simulation.engines.staffed_channel import StaffedChannel
from journeysim.simulation.records import (
    ADVANCE,
    ADVOCATE,
    ARRIVAL,
    CHURN,
    CONVERTED,
    DROP,
    FRICTION_DROP,
    LOST,
    LOYAL,
    NONE,
    OPEN,
    ORGANIC,
    PAID,
    PURCHASE,
    REFERRAL,
    REFERRED,
    RENEGE,
    REPEAT_PURCHASE,
    STAY,
    TOUCH,
    EventRecorder,
)

# Uniforms for the first touches are computed in vectorised blocks when customers arrive;
# later touches (rare) fall back to the scalar hash, which gives the same numbers.
BLOCK_TOUCHES = 8
BLOCK_CUSTOMERS = 2048
_BLOCK_PURPOSES = (rs.CHANNEL, rs.DELAY, rs.OUTCOME)
_CUSTOMER_COLUMNS = {
    "persona": 0, "persona_customer": 0, "source": ORGANIC, "referred_by": -1, "arrival_days": 0.0,
    "outcome": OPEN, "final_stage": 0, "final_channel": NONE, "touches": 0, "reneges": 0,
    "lost_to_friction": False, "time_to_convert_days": math.nan, "repeat_purchases": 0,
    "churned": False, "loyal": False, "advocate": False, "referrals": 0, "emotion_sum": 0.0,
    "revenue": 0.0, "contact_cost": 0.0,
}  # fmt: skip


def _distribution_tuple(distribution) -> tuple:
    return (KIND_CODES[distribution.kind], *distribution.padded_params())


class SimPyJourneyEngine:
    """Runs replications of a compiled scenario with SimPy."""

    name = "simpy"
    selection_note = ""  # set by select_engine("auto"): why this engine

    def __init__(self, compiled: CompiledScenario) -> None:
        self.compiled = compiled
        scenario = compiled.scenario
        # Plain nested lists: scalar indexing into them is several times faster than numpy.
        # With a channel hand-off, [persona][previous channel + 1][stage][channel].
        self._handoff = compiled.choice_cumulative_after is not None
        self._cumulative = (compiled.choice_cumulative_after if self._handoff else compiled.choice_cumulative).tolist()
        self._open_cumulative = compiled.open_choice_cumulative.tolist()  # repeat purchases
        self._closed = compiled.closed.tolist()  # [persona][stage][channel]: lost there, no queue
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
        self._touch_cost = compiled.touch_cost.tolist()  # [persona][stage][channel]
        self._order_value = [(int(code), *params) for code, params in zip(compiled.order_value_code.tolist(), compiled.order_value_params.tolist())]
        personas = [scenario.personas[name] for name in compiled.personas]
        channels = [scenario.channels[name] for name in compiled.channels]
        self._patience = [None if p.patience_days is None else _distribution_tuple(p.patience_days) for p in personas]
        self._service = [None if c.capacity is None else _distribution_tuple(c.service_time_days) for c in channels]
        self._queue_policy = [c.queue for c in channels]
        self._loyalty = [p.loyalty for p in personas]
        self._advocacy = [p.advocacy for p in personas]
        self._purchase = compiled.purchase_index
        stages = compiled.stages
        self._loyalty_stage = stages.index(scenario.loyalty_stage) if scenario.loyalty_stage else self._purchase
        self._advocacy_stage = stages.index(scenario.advocacy_stage) if scenario.advocacy_stage else self._loyalty_stage
        wom = scenario.word_of_mouth_channel
        self._word_of_mouth = compiled.channels.index(wom) if wom else NONE
        self._step_limit = progress.step_limit(compiled)  # steps a customer may take at one instant

    def run(
        self,
        arrivals: Arrivals,
        replication_key: int,
        horizon_days: float,
        on_customers: Callable[[int], None] | None = None,
    ) -> EngineRun:
        """Simulate one replication: event, customer and queue-visit columns, the inputs of
        :func:`journeysim.simulation.records.events_table`, ``customers_table`` and ``queues_table``.
        """
        self._key = replication_key
        self._horizon = horizon_days
        self._recorder = EventRecorder(self.compiled.index_dtype)
        market = self.compiled.scenario.market is not None
        # Organic customers of an open market are known in advance: their rows are laid out
        # at once (ids in arrival order); referred customers are appended as they come.
        size = 0 if market else len(arrivals)
        self._state: dict[str, list] = {name: [default] * size for name, default in _CUSTOMER_COLUMNS.items()}
        if size:
            self._state["persona"] = arrivals.persona.tolist()
            self._state["persona_customer"] = arrivals.persona_customer.tolist()
            self._state["arrival_days"] = arrivals.time_days.tolist()
        self._queues: dict[str, list] = {k: [] for k in ("customer_id", "persona", "stage", "channel", "arrival_days", "wait_days", "served", "service_days")}
        self._churn_time: dict[int, float] = {}
        self._referrals_at_once = 0  # recommendations in a row that did not move the clock
        self._env = env = simpy.Environment()
        scenario = self.compiled.scenario
        self._servers = [None if c is None else StaffedChannel(env, scenario.channels[name], horizon_days)
                         for c, name in zip(self._service, self.compiled.channels)]
        counts = np.bincount(arrivals.persona, minlength=len(self.compiled.personas))
        if scenario.market is not None:
            members = market_members(self.compiled)
            self._market_offsets = np.concatenate([[0], np.cumsum(members)]).tolist()
            self._entered: set[tuple[int, int]] = set()
            self._next_referral_index = members.tolist()
        else:
            self._next_referral_index = counts.tolist()  # referred prospects are numbered after organic ones
        retargeted = self.compiled.retargeted_choice(int(math.ceil(horizon_days)) + 1)
        self._cumulative_by_day = None if retargeted is None else retargeted.tolist()
        env.process(self._source(arrivals, on_customers))
        # The run allocates many small objects and frees few until the end: Python's cyclic
        # garbage collector would rescan them over and over (~20 % of the run time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            env.run(until=horizon_days)
        finally:
            if collecting:
                gc.enable()
        return EngineRun(self._recorder.columns(), self._state, self._queues)

    # -- customers entering ------------------------------------------------------------

    def _new_customer(self, persona: int, persona_customer: int, source: int, referred_by: int) -> int:
        state = self._state
        for name, default in _CUSTOMER_COLUMNS.items():
            state[name].append(default)
        customer = len(state["persona"]) - 1
        state["persona"][customer] = persona
        state["persona_customer"][customer] = persona_customer
        state["source"][customer] = source
        state["referred_by"][customer] = referred_by
        state["arrival_days"][customer] = self._env.now
        return customer

    def _source(self, arrivals: Arrivals, on_customers):
        env = self._env
        times = arrivals.time_days.tolist()
        personas = arrivals.persona.tolist()
        indices = arrivals.persona_customer.tolist()
        first_channels = arrivals.first_channels().tolist()
        keys = np.zeros(len(times), dtype=np.uint64)
        for p in range(len(self.compiled.personas)):
            mask = arrivals.persona == p
            keys[mask] = rs.customer_keys(self._key, p, arrivals.persona_customer[mask])
        key_list = keys.tolist()
        market = self.compiled.scenario.market is not None
        for start in range(0, len(times), BLOCK_CUSTOMERS):
            stop = min(len(times), start + BLOCK_CUSTOMERS)
            # One flat list per customer: nested tolist() is ~30x slower than a flat one.
            block = rs.touch_block(keys[start:stop], BLOCK_TOUCHES, _BLOCK_PURPOSES).reshape(stop - start, -1).tolist()
            for i in range(start, stop):
                if times[i] > env.now:
                    yield env.timeout(times[i] - env.now)
                if market:
                    member = (personas[i], indices[i])
                    if member in self._entered:
                        continue  # a referral brought this member in already
                    self._entered.add(member)
                    customer = self._new_customer(personas[i], indices[i], ORGANIC, -1)
                else:
                    customer = i
                if first_channels[i] != NONE:
                    self._state["source"][customer] = PAID
                env.process(self._journey(customer, personas[i], key_list[i], block[i - start], first_channels[i]))
            if on_customers is not None:
                on_customers(stop - start)

    def _refer(self, referrer: int, persona: int, referral: int, key: int):
        """One recommendation: a prospect enters through word of mouth (if not in already)."""
        if self.compiled.scenario.market is not None:
            u = rs.touch_uniform(key, referral, rs.REFERRAL_TARGET)
            member = int(u * self._market_offsets[-1])
            persona = bisect_right(self._market_offsets, member) - 1
            index = member - self._market_offsets[persona]
            if (persona, index) in self._entered:
                return
            self._entered.add((persona, index))
        else:
            index = self._next_referral_index[persona]
            self._next_referral_index[persona] += 1
        customer = self._new_customer(persona, index, REFERRED, referrer)
        customer_key = rs.customer_key(self._key, persona, index)
        block = rs.touch_block(np.array([customer_key], dtype=np.uint64), BLOCK_TOUCHES, _BLOCK_PURPOSES).reshape(-1).tolist()
        self._env.process(self._journey(customer, persona, customer_key, block, self._word_of_mouth))

    # -- the pre-purchase journey --------------------------------------------------------

    def _journey(self, customer: int, persona: int, key: int, block: list, first_channel: int):
        env, state, horizon = self._env, self._state, self._horizon
        record = self._recorder.record
        cumulative = self._cumulative[persona]
        plain, switching = self._outcomes[0][persona], self._outcomes[1][persona]
        switch, servers = self._switch, self._servers
        next_stage, delays, costs, closed = self._next_stage[persona], self._delay[persona], self._touch_cost[persona], self._closed[persona]
        now = env.now  # the customer's own clock; the environment catches up only to queue
        record(customer, persona, now, 0, NONE, ARRIVAL, NONE, math.nan, math.nan, math.nan)
        stage = 0
        attempt = 0  # touches and reneges: indexes the customer's random numbers
        channel = NONE
        still, last = 0, -1.0  # steps taken at one instant, and that instant: time must pass
        while True:
            if attempt < BLOCK_TOUCHES:
                u_channel, u_delay, u_outcome = block[3 * attempt : 3 * attempt + 3]
            else:
                u_channel = rs.touch_uniform(key, attempt, rs.CHANNEL)
                u_delay = rs.touch_uniform(key, attempt, rs.DELAY)
                u_outcome = rs.touch_uniform(key, attempt, rs.OUTCOME)
            if attempt == 0 and first_channel != NONE:
                next_channel = first_channel
            else:  # retargeting: the choice of the day the customer decides on
                table = cumulative if self._cumulative_by_day is None else self._cumulative_by_day[int(now)][persona]
                next_channel = bisect_right((table[channel + 1] if self._handoff else table)[stage], u_channel)
            delay = scalar_quantile(*delays[stage][next_channel], u_delay)
            if now + delay >= horizon:
                break  # open: the next touch falls beyond the horizon
            now += delay
            if now != last:
                still, last = 0, now
            elif (still := still + 1) >= self._step_limit:  # no time passed: a loop at one instant never ends
                raise progress.journey_without_time(self.compiled, persona, stage, next_channel, now, still, 2 * state["reneges"][customer] >= still)
            if servers[next_channel] is not None and not closed[stage][next_channel]:
                if now > env.now:
                    yield env.timeout(now - env.now)
                served = yield from self._queue(customer, persona, key, attempt, stage, next_channel)
                now = env.now
                if not served:
                    attempt += 1
                    if state["outcome"][customer] == LOST:
                        return
                    continue
            attempt += 1
            switched = channel != NONE and switch[channel][next_channel]
            channel = next_channel
            advance_cut, friction_cut, drop_cut, emotion = (switching if switched else plain)[stage][channel]
            cost = costs[stage][channel]
            state["touches"][customer] += 1
            state["emotion_sum"][customer] += emotion
            state["contact_cost"][customer] += cost
            state["final_channel"][customer] = channel
            if u_outcome < advance_cut:
                record(customer, persona, now, stage, channel, TOUCH, ADVANCE, emotion, math.nan, cost)
                target = next_stage[stage][channel]
                if target == NEXT_IS_PURCHASE:
                    value = scalar_quantile(*self._order_value[persona], rs.touch_uniform(key, attempt - 1, rs.ORDER_VALUE))
                    record(customer, persona, now, stage, channel, PURCHASE, NONE, math.nan, value, 0.0)
                    state["outcome"][customer] = CONVERTED
                    state["time_to_convert_days"][customer] = now - state["arrival_days"][customer]
                    state["revenue"][customer] = value
                    if self._loyalty[persona] is not None or self._advocacy[persona] is not None:
                        self._after_purchase(customer, persona, key, now)
                    return
                stage = target
                state["final_stage"][customer] = stage
            elif u_outcome < drop_cut:
                friction = u_outcome < friction_cut
                record(customer, persona, now, stage, channel, TOUCH, FRICTION_DROP if friction else DROP, emotion, math.nan, cost)
                state["outcome"][customer] = LOST
                state["lost_to_friction"][customer] = friction
                return
            else:
                record(customer, persona, now, stage, channel, TOUCH, STAY, emotion, math.nan, cost)

    def _queue(self, customer: int, persona: int, key: int, attempt: int, stage: int, channel: int):
        """Wait for a server; returns True once served, False after reneging."""
        env, state, queues = self._env, self._state, self._queues
        server = self._servers[channel]
        visit = server.next_visit_time(env.now, rs.touch_uniform(key, attempt, rs.VISIT_DEFERRAL))
        if visit > env.now:
            if visit >= self._horizon:
                yield env.timeout(self._horizon - env.now)  # closed until the end: still open
            yield env.timeout(visit - env.now)
        arrived = env.now
        request = server.request()
        patience = self._patience[persona]
        if patience is None:
            yield request
        else:
            limit = scalar_quantile(*patience, rs.touch_uniform(key, attempt, rs.PATIENCE))
            result = yield request | env.timeout(limit)
            if request not in result:
                request.cancel()
                policy = self._queue_policy[channel]
                lost = rs.touch_uniform(key, attempt, rs.AFTER_RENEGE) < policy.renege_loss_probability
                self._recorder.record(customer, persona, env.now, stage, channel, RENEGE, FRICTION_DROP if lost else STAY,
                                      policy.renege_emotion, math.nan, 0.0)
                for name, value in zip(queues, (customer, persona, stage, channel, arrived, env.now - arrived, False, math.nan)):
                    queues[name].append(value)
                state["reneges"][customer] += 1
                state["emotion_sum"][customer] += policy.renege_emotion
                if lost:
                    state["outcome"][customer] = LOST
                    state["lost_to_friction"][customer] = True
                    state["final_channel"][customer] = channel
                return False
        service = scalar_quantile(*self._service[channel], rs.touch_uniform(key, attempt, rs.SERVICE_TIME))
        for name, value in zip(queues, (customer, persona, stage, channel, arrived, env.now - arrived, True, service)):
            queues[name].append(value)
        yield env.timeout(service)
        self._servers[channel].resource.release(request)
        return True

    # -- after the first purchase ------------------------------------------------------

    def _after_purchase(self, customer: int, persona: int, key: int, now: float) -> None:
        """Repeat purchases and churn from the first purchase at ``now`` to the horizon; they
        touch no shared state, so they are computed at once on the customer's own clock."""
        state, horizon = self._state, self._horizon
        record = self._recorder.record
        loyalty = self._loyalty[persona]
        if loyalty is None:
            self._become_loyal(customer, persona, key, now)  # without a repeat model, buying is the loyalty moment
            return
        rate = customer_purchase_rate(loyalty, rs.touch_uniform(key, 0, rs.LOYALTY_RATE))
        churn = customer_churn_probability(loyalty, rs.touch_uniform(key, 0, rs.CHURN_PROPENSITY))
        if loyalty.loyal_after_repeats == 0:
            self._become_loyal(customer, persona, key, now)
        purchase_row = self._open_cumulative[persona][self._purchase]
        emotions = self._outcomes[0][persona][self._purchase]
        repeats = still = 0
        while rate > 0:
            gap = -math.log1p(-rs.touch_uniform(key, repeats, rs.REPEAT_GAP)) / rate
            if now + gap >= horizon:
                return  # still active at the horizon
            still = still + 1 if now + gap == now else 0  # gaps that do not move the clock
            if still >= self._step_limit:
                raise progress.repeats_without_time(self.compiled, persona, now, still)
            now += gap
            channel = bisect_right(purchase_row, rs.touch_uniform(key, repeats, rs.REPEAT_CHANNEL))
            value = scalar_quantile(*self._order_value[persona], rs.touch_uniform(key, repeats, rs.REPEAT_VALUE))
            emotion = emotions[channel][3]
            cost = self._cost[channel]
            record(customer, persona, now, self._purchase, channel, REPEAT_PURCHASE, NONE, emotion, value, cost)
            repeats += 1
            state["repeat_purchases"][customer] = repeats
            state["revenue"][customer] += value
            state["contact_cost"][customer] += cost
            state["emotion_sum"][customer] += emotion
            if repeats == loyalty.loyal_after_repeats:
                self._become_loyal(customer, persona, key, now)
            satisfaction = state["emotion_sum"][customer] / (state["touches"][customer] + state["reneges"][customer] + repeats)
            adjusted = churn_given_satisfaction(churn, satisfaction, loyalty.satisfaction_churn_slope)
            if rs.touch_uniform(key, repeats, rs.CHURN) < adjusted:
                record(customer, persona, now, state["final_stage"][customer], NONE, CHURN, NONE, math.nan, math.nan, math.nan)
                state["churned"][customer] = True
                self._churn_time[customer] = now
                return

    def _become_loyal(self, customer: int, persona: int, key: int, now: float) -> None:
        env, state = self._env, self._state
        if self._loyalty[persona] is not None:
            state["loyal"][customer] = True
            state["final_stage"][customer] = self._loyalty_stage
            self._recorder.record(customer, persona, now, self._loyalty_stage, NONE, LOYAL, NONE, math.nan, math.nan, math.nan)
        advocacy = self._advocacy[persona]
        if advocacy is None:
            return
        experiences = state["touches"][customer] + state["reneges"][customer] + state["repeat_purchases"][customer]
        satisfaction = state["emotion_sum"][customer] / max(1, experiences)
        if satisfaction > advocacy.satisfaction_threshold and rs.touch_uniform(key, 0, rs.ADVOCATE) < advocacy.probability:
            state["advocate"][customer] = True
            state["final_stage"][customer] = self._advocacy_stage
            self._recorder.record(customer, persona, now, self._advocacy_stage, NONE, ADVOCATE, NONE, math.nan, math.nan, math.nan)
            if advocacy.referral_rate_per_day > 0:
                env.process(self._recommend(customer, persona, key, advocacy.referral_rate_per_day, now))

    def _recommend(self, customer: int, persona: int, key: int, rate: float, since: float):
        """An advocate's recommendations from ``since``: a Poisson stream while they remain
        active. A process, because each recommendation may bring a customer in."""
        env, state = self._env, self._state
        referral = 0
        when = since
        while True:
            when += -math.log1p(-rs.touch_uniform(key, referral, rs.REFERRAL_GAP)) / rate
            if when >= self._horizon:
                return
            self._referrals_at_once = self._referrals_at_once + 1 if when == env.now else 0  # any advocate's
            if self._referrals_at_once >= self._step_limit:
                raise progress.referrals_without_time(self.compiled, persona, when, self._referrals_at_once)
            yield env.timeout(when - env.now)
            if state["churned"][customer] and self._churn_time[customer] <= env.now:
                return
            self._recorder.record(customer, persona, env.now, state["final_stage"][customer], self._word_of_mouth, REFERRAL, NONE,
                                  math.nan, math.nan, math.nan)
            state["referrals"][customer] += 1
            self._refer(customer, persona, referral, key)
            referral += 1
