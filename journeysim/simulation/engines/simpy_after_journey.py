"""The SimPy engine's customers after their journey: repeat purchases, churn, loyalty,
advocacy and its referrals (word of mouth that brings prospects in), and detraction (word of
mouth that puts prospects off).

A mix-in of :class:`journeysim.simulation.engines.simpy_engine.SimPyJourneyEngine`: it reads the
engine's compiled tables and per-replication state (``_state``, ``_env``, ``_recorder``).

**Detraction** (:class:`journeysim.model.experience.Detraction`). A customer's journey reaches
a verdict when they are lost, when they first buy and when they churn. With satisfaction
below the persona's threshold they become a detractor (once) with its probability and, for
``talk_days`` from then, complain as a Poisson stream. Each complaint reaches one prospect
who has not arrived yet: without a finite market, the next organic arrival of the
complainer's persona not reached before; in a finite market, a member drawn at random (no
effect on one already in). When that prospect reaches the first stage, ``strength`` of their
would-be advances there become drops.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from journeysim.model.distributions import scalar_quantile
from journeysim.model.loyalty import (
    churn_given_satisfaction,
    customer_churn_probability,
    customer_purchase_rate,
)
from journeysim.simulation import random_streams as rs
from journeysim.simulation.engines import progress
from journeysim.simulation.records import (
    ADVOCATE,
    CHURN,
    DETRACTOR,
    LOYAL,
    NEGATIVE_REFERRAL,
    NONE,
    REFERRAL,
    REPEAT_PURCHASE,
)

# The verdicts a customer's journey reaches, numbering their detraction draws.
JOURNEY_VERDICT, CHURN_VERDICT = 0, 1


class AfterJourney:
    """Post-journey life of the SimPy engine's customers (see the module docstring)."""

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
        emotions = self._cells[0][persona][self._purchase]  # (..., emotion, ...) per channel
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
            self._moment(customer, emotion)
            if repeats == loyalty.loyal_after_repeats:
                self._become_loyal(customer, persona, key, now)
            adjusted = churn_given_satisfaction(churn, self._satisfaction(customer), loyalty.satisfaction_churn_slope)
            if rs.touch_uniform(key, repeats, rs.CHURN) < adjusted:
                record(customer, persona, now, state["final_stage"][customer], NONE, CHURN, NONE, math.nan, math.nan, math.nan)
                state["churned"][customer] = True
                self._churn_time[customer] = now
                self._verdict(customer, persona, key, now, CHURN_VERDICT)
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
        if self._satisfaction(customer) > advocacy.satisfaction_threshold and rs.touch_uniform(key, 0, rs.ADVOCATE) < advocacy.probability:
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


    # -- detraction ----------------------------------------------------------------------

    def _start_detraction(self, arrivals) -> None:
        """Per replication: who complaints can reach. Without a finite market, organic
        prospects of each persona in arrival order (``_prospects``, ``_next_prospect``)."""
        self._put_off: dict[int, float] = {}  # customer -> strength of the complaints they heard
        self._warned: dict[tuple[int, int], float] = {}  # market member -> strength, before they enter
        if self.compiled.scenario.market is None and any(d is not None for d in self._detraction):
            persona = arrivals.persona
            self._prospects = [[int(i) for i in (persona == p).nonzero()[0]] for p in range(len(self.compiled.personas))]
            self._next_prospect = [0] * len(self._prospects)

    def _verdict(self, customer: int, persona: int, key: int, now: float, verdict: int) -> None:
        """A moment of verdict (lost, first purchase, churn): a dissatisfied customer may become
        a detractor and complain for ``talk_days``."""
        detraction = self._detraction[persona]
        state = self._state
        if detraction is None or state["detractor"][customer]:
            return
        satisfaction = self._satisfaction(customer)
        if not satisfaction < detraction.satisfaction_threshold or rs.touch_uniform(key, verdict, rs.DETRACT) >= detraction.probability:
            return
        state["detractor"][customer] = True
        self._recorder.record(customer, persona, now, state["final_stage"][customer], NONE, DETRACTOR, NONE, math.nan, math.nan, math.nan)
        if detraction.referral_rate_per_day > 0 and detraction.talk_days > 0:
            self._env.process(self._complain(customer, persona, key, detraction, now))

    def _complain(self, customer: int, persona: int, key: int, detraction, since: float):
        """A detractor's complaints from ``since``: a Poisson stream for ``talk_days``."""
        env, state = self._env, self._state
        until = min(self._horizon, since + detraction.talk_days)
        complaint = 0
        when = since
        while True:
            when += -math.log1p(-rs.touch_uniform(key, complaint, rs.COMPLAINT_GAP)) / detraction.referral_rate_per_day
            if when >= until:
                return
            if when > env.now:
                yield env.timeout(when - env.now)
            self._recorder.record(customer, persona, env.now, state["final_stage"][customer], self._word_of_mouth, NEGATIVE_REFERRAL, NONE,
                                  math.nan, math.nan, math.nan)
            state["negative_referrals"][customer] += 1
            self._reach(persona, rs.touch_uniform(key, complaint, rs.COMPLAINT_TARGET), detraction.strength)
            complaint += 1

    def _reach(self, persona: int, u: float, strength: float) -> None:
        """A complaint reaches a prospect who has not arrived yet (see the module docstring)."""
        if self.compiled.scenario.market is not None:
            member = int(u * self._market_offsets[-1])
            target = bisect_right(self._market_offsets, member) - 1
            index = member - self._market_offsets[target]
            if (target, index) not in self._entered:
                self._warned[(target, index)] = max(strength, self._warned.get((target, index), 0.0))
            return
        prospects, at = self._prospects[persona], self._next_prospect[persona]
        arrival = self._state["arrival_days"]
        while at < len(prospects) and arrival[prospects[at]] <= self._env.now:
            at += 1  # arrived already: no longer a prospect
        if at < len(prospects):
            self._put_off[prospects[at]] = strength
            self._state["heard_negative"][prospects[at]] = True
            at += 1
        self._next_prospect[persona] = at
