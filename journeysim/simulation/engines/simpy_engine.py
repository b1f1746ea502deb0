"""The SimPy event engine: one generator per customer, full fidelity.

A replication creates an ``Environment``, an arrival source process that starts a customer's
journey at each arrival time, and runs to the horizon. A journey loops over touches: choose
a channel (affinity-weighted), wait the touch's delay, queue for a server at a capacity
channel (reneging when patience runs out), draw the outcome with friction applied, record it.
After a purchase the customer lives on: repeat purchases and churn (BG/NBD), loyalty,
advocacy and referrals that bring new prospects in through word of mouth. Journeys whose
next touch would fall at or after the horizon end as ``open`` (censored).

Customers cost SimPy events only where they meet others. A touch that meets no shared
resource (no queue) needs no event: a customer advances its own clock through such touches,
and a journey becomes a SimPy process only when it first queues at a capacity channel
(:mod:`journeysim.simulation.engines.simpy_journey`). Post-purchase life is computed the same
way; advocates' recommendations and detractors' complaints run as processes because they
reach other customers. When nothing can meet (no capacity channel, referral, complaint or
finite market), the source enters customers without an event each.

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

from journeysim.model.compiled import CompiledScenario
from journeysim.model.distributions import KIND_CODES, scalar_quantile
from journeysim.model.experience import (
    new_peak,
    satisfaction,
    satisfactions,
)
from journeysim.simulation import random_streams as rs
from journeysim.simulation.arrivals import Arrivals, market_members
from journeysim.simulation.engines import progress
from journeysim.simulation.engines.packed_events import PackedEventRecorder
from journeysim.simulation.engines.protocol import EngineRun
from journeysim.simulation.engines.simpy_after_journey import AfterJourney
from journeysim.simulation.engines.simpy_journey import (
    BLOCK_PURPOSES,
    BLOCK_TOUCHES,
    RUNNING_COLUMNS,
    Journeys,
    touch_cells,
)
from journeysim.simulation.engines.staffed_channel import StaffedChannel
from journeysim.simulation.records import (
    FRICTION_DROP,
    LOST,
    NONE,
    OPEN,
    ORGANIC,
    PAID,
    REFERRED,
    RENEGE,
    STAY,
    experience_flags,
)

# Customers enter in blocks: the uniforms of their first touches are computed for a block at
# once (simpy_journey.BLOCK_TOUCHES).
BLOCK_CUSTOMERS = 2048
_QUEUE_COLUMNS = ("customer_id", "persona", "stage", "channel", "arrival_days", "wait_days", "served", "service_days")
_CUSTOMER_COLUMNS = {
    "persona": 0, "persona_customer": 0, "source": ORGANIC, "referred_by": -1, "arrival_days": 0.0,
    "outcome": OPEN, "final_stage": 0, "final_channel": NONE, "touches": 0, "reneges": 0,
    "lost_to_friction": False, "time_to_convert_days": math.nan, "repeat_purchases": 0,
    "churned": False, "loyal": False, "advocate": False, "referrals": 0, "detractor": False,
    "negative_referrals": 0, "heard_negative": False, "experiences": 0, "emotion_sum": 0.0,
    "peak_emotion": 0.0, "end_emotion": 0.0, "revenue": 0.0, "contact_cost": 0.0,
}  # fmt: skip


def _distribution_tuple(distribution) -> tuple:
    return (KIND_CODES[distribution.kind], *distribution.padded_params())


def _row_appender(columns) -> Callable[..., None]:
    """A function appending one visit to the queue ``columns`` (lists, in _QUEUE_COLUMNS order)."""
    add_customer, add_persona, add_stage, add_channel, add_arrival, add_wait, add_served, add_service = (column.append for column in columns)

    def append(customer, persona, stage, channel, arrival, wait, served, service) -> None:
        add_customer(customer)
        add_persona(persona)
        add_stage(stage)
        add_channel(channel)
        add_arrival(arrival)
        add_wait(wait)
        add_served(served)
        add_service(service)

    return append


class SimPyJourneyEngine(Journeys, AfterJourney):
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
        self._switch = compiled.switch.tolist()
        self._delay = [
            [[(int(code), *params) for code, params in zip(codes, table)] for codes, table in zip(stage_codes, stage_params)]
            for stage_codes, stage_params in zip(compiled.delay_code.tolist(), compiled.delay_params.tolist())
        ]
        self._cost = compiled.cost_per_contact.tolist()
        self._order_value = [(int(code), *params) for code, params in zip(compiled.order_value_code.tolist(), compiled.order_value_params.tolist())]
        personas = [scenario.personas[name] for name in compiled.personas]
        channels = [scenario.channels[name] for name in compiled.channels]
        self._patience = [None if p.patience_days is None else _distribution_tuple(p.patience_days) for p in personas]
        self._service = [None if c.capacity is None else _distribution_tuple(c.service_time_days) for c in channels]
        self._queue_policy = [c.queue for c in channels]
        self._cells = touch_cells(compiled, [service is not None for service in self._service])  # [switched][persona][stage][channel]
        self._loyalty = [p.loyalty for p in personas]
        self._advocacy = [p.advocacy for p in personas]
        self._detraction = [p.detraction for p in personas]
        self._purchase = compiled.purchase_index
        stages = compiled.stages
        self._loyalty_stage = stages.index(scenario.loyalty_stage) if scenario.loyalty_stage else self._purchase
        self._advocacy_stage = stages.index(scenario.advocacy_stage) if scenario.advocacy_stage else self._loyalty_stage
        wom = scenario.word_of_mouth_channel
        self._word_of_mouth = compiled.channels.index(wom) if wom else NONE
        self._step_limit = progress.step_limit(compiled)  # steps a customer may take at one instant
        self._carryover = list(zip(compiled.carryover_strength.tolist(), compiled.carryover_decay.tolist()))
        self._moments = scenario.experience
        # What a journey reads of its persona, in one lookup: choice, touch cells (plain, switched), delays, carry-over.
        self._persona_tables = [(self._cumulative[p], self._cells[0][p], self._cells[1][p], self._delay[p], *self._carryover[p])
                                for p in range(len(compiled.personas))]

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
        self._recorder = PackedEventRecorder(self.compiled.index_dtype)
        market = self.compiled.scenario.market is not None
        # Organic customers of an open market are known in advance: their rows are laid out
        # at once (ids in arrival order); referred customers are appended as they come.
        size = 0 if market else len(arrivals)
        self._state: dict[str, list] = {name: [default] * size for name, default in _CUSTOMER_COLUMNS.items()}
        if size:
            self._state["persona"] = arrivals.persona.tolist()
            self._state["persona_customer"] = arrivals.persona_customer.tolist()
            self._state["arrival_days"] = arrivals.time_days.tolist()
        # The columns a journey keeps running totals of (Journeys._totals), in one lookup.
        self._running_columns = tuple(self._state[name] for name in RUNNING_COLUMNS)
        self._queues: dict[str, list] = {name: [] for name in _QUEUE_COLUMNS}  # a row per visit to a capacity channel
        self._add_visit = _row_appender(self._queues.values())
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
        self._start_detraction(arrivals)
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
        events = self._recorder.columns()
        events["experience"] = experience_flags(events, self.compiled.experienced)
        state = self._state
        state["satisfaction"] = satisfactions(*(np.asarray(state[name], dtype=np.float64) for name in ("emotion_sum", "experiences", "peak_emotion", "end_emotion")),
                                              self._moments.peak_end_weight)
        return EngineRun(events, state, self._queues)

    def _moment(self, customer: int, emotion: float) -> None:
        """An experienced moment: into the customer's running satisfaction sums."""
        state = self._state
        state["experiences"][customer] += 1
        state["emotion_sum"][customer] += emotion
        state["peak_emotion"][customer] = new_peak(state["peak_emotion"][customer], emotion)
        state["end_emotion"][customer] = emotion

    def _satisfaction(self, customer: int) -> float:
        state = self._state
        return satisfaction(state["emotion_sum"][customer], state["experiences"][customer], state["peak_emotion"][customer],
                            state["end_emotion"][customer], self._moments.peak_end_weight)

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
        strength = self._warned.pop((persona, persona_customer), None)
        if strength is not None:  # a complaint reached this market member before they entered
            state["heard_negative"][customer] = True
            self._put_off[customer] = strength
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
        paced = self._paced()
        start_journey, journey, sources = self._start, self._journey, self._state["source"]
        for start in range(0, len(times), BLOCK_CUSTOMERS):
            stop = min(len(times), start + BLOCK_CUSTOMERS)
            # One flat list per customer: nested tolist() is ~30x slower than a flat one.
            block = rs.touch_block(keys[start:stop], BLOCK_TOUCHES, BLOCK_PURPOSES).reshape(stop - start, -1).tolist()
            for i in range(start, stop):
                if paced and times[i] > env.now:
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
                    sources[customer] = PAID
                start_journey(journey(customer, personas[i], key_list[i], block[i - start], first_channels[i], times[i]))
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
        block = rs.touch_block(np.array([customer_key], dtype=np.uint64), BLOCK_TOUCHES, BLOCK_PURPOSES).reshape(-1).tolist()
        self._start(self._journey(customer, persona, customer_key, block, self._word_of_mouth, self._env.now))

    def _paced(self) -> bool:
        """Whether customers must enter at their arrival times in simulated time: when they
        may meet (capacity channels, referrals, complaints, a finite market). Otherwise each
        journey runs on its own clock alone and the source needs no event per arrival."""
        return (any(server is not None for server in self._servers) or self.compiled.scenario.market is not None
                or any(d is not None for d in self._detraction)
                or any(a is not None and a.referral_rate_per_day > 0 for a in self._advocacy))

    def _queue(self, customer: int, persona: int, key: int, attempt: int, stage: int, channel: int):
        """Wait for a server; returns True once served, False after reneging."""
        env, state, add_visit = self._env, self._state, self._add_visit
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
                add_visit(customer, persona, stage, channel, arrived, env.now - arrived, False, math.nan)
                state["reneges"][customer] += 1
                self._moment(customer, policy.renege_emotion)
                if lost:
                    state["outcome"][customer] = LOST
                    state["lost_to_friction"][customer] = True
                    state["final_channel"][customer] = channel
                    self._lost_to_friction(customer, persona, env.now, stage, channel)
                return False
        service = scalar_quantile(*self._service[channel], rs.touch_uniform(key, attempt, rs.SERVICE_TIME))
        add_visit(customer, persona, stage, channel, arrived, env.now - arrived, True, service)
        yield env.timeout(service)
        self._servers[channel].resource.release(request)
        return True
