"""The SimPy engine's customers on their way to the first purchase: the per-touch loop.

A mix-in of :class:`journeysim.simulation.engines.simpy_engine.SimPyJourneyEngine`: it reads the
engine's compiled tables and per-replication state (``_state``, ``_env``, ``_recorder``).

A journey is a generator that runs on the customer's own clock and yields to the environment
only to queue at a capacity channel. :meth:`Journeys._start` runs it at once, where the
customer enters; a journey that reaches a queue yields :data:`BECOME_PROCESS` and becomes a
SimPy process from there, which SimPy resumes at the same instant. Most customers never
queue, so they cost no SimPy event; what happens in simulated time keeps its order, since
a journey runs at the instant and in the order of the process SimPy would have started for
it.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from journeysim.model.compiled import CONVERTED as NEXT_IS_PURCHASE
from journeysim.model.compiled import CompiledScenario
from journeysim.model.distributions import KIND_CODES, scalar_quantile
from journeysim.model.experience import carried_cuts
from journeysim.simulation import random_streams as rs
from journeysim.simulation.engines import progress
from journeysim.simulation.engines.simpy_after_journey import JOURNEY_VERDICT
from journeysim.simulation.records import (
    ADVANCE,
    ARRIVAL,
    CONVERTED,
    DROP,
    FRICTION_DROP,
    FRICTION_LOSS,
    LOST,
    NONE,
    PURCHASE,
    STAY,
    TOUCH,
)

# Uniforms for the first touches are computed in vectorised blocks when customers arrive;
# later touches (rare) fall back to the scalar hash, which gives the same numbers.
BLOCK_TOUCHES = 8
BLOCK_PURPOSES = (rs.CHANNEL, rs.DELAY, rs.OUTCOME)
_EXPONENTIAL = KIND_CODES["exponential"]  # the usual delay: computed inline, as scalar_quantile does
# The customer columns a journey keeps in locals while it runs: its last channel, then its totals.
RUNNING_COLUMNS = ("final_channel", "touches", "contact_cost", "experiences", "emotion_sum", "peak_emotion", "end_emotion")


def touch_cells(compiled: CompiledScenario, queued_channels: list[bool]) -> list:
    """Everything a touch needs, in one tuple per [switched][persona][stage][channel] (one
    lookup per touch instead of eight): advance, friction and drop cuts, emotion, cost,
    whether it is an experienced moment, the next stage, whether it queues (a capacity
    channel that is not closed there), and the size of the emotion (its absolute value)."""
    closed, cost, experienced, target = (a.tolist() for a in (compiled.closed, compiled.touch_cost, compiled.experienced, compiled.next_stage))
    return [
        [
            [
                [(*cuts, cost[p][s][c], experienced[p][s][c], target[p][s][c], queued_channels[c] and not closed[p][s][c], abs(cuts[3]))
                 for c, cuts in enumerate(zip(*(row.tolist() for row in (adv[s], fric[s], drop[s], emo[s]))))]
                for s in range(len(compiled.stages))
            ]
            for p, (adv, fric, drop, emo) in enumerate(zip(*compiled.cuts(switched)))
        ]
        for switched in (False, True)
    ]  # fmt: skip


# What an inline journey yields when it first has to wait: "make the rest of me a process".
BECOME_PROCESS = object()


class Journeys:
    """The pre-purchase journeys of the SimPy engine's customers (see the module docstring)."""

    def _start(self, journey) -> None:
        """Run a customer's journey now, up to its first wait for a shared resource: only a
        journey that waits becomes a SimPy process, which resumes it at once, at this instant
        (where SimPy would have started a process for the whole journey)."""
        if next(journey, None) is BECOME_PROCESS:  # else the journey ended without waiting
            self._env.process(journey)

    # Long: the engine's hot loop, one pass per touch; its state lives in locals (lookups and helper calls per touch were half of a run)
    def _journey(self, customer: int, persona: int, key: int, block: list, first_channel: int, now: float):
        """A customer's journey from their arrival at ``now``, on their own clock: it yields to
        the environment only to queue at a capacity channel."""
        env, state, horizon, nan, log1p = self._env, self._state, self._horizon, math.nan, math.log1p
        rows, pack = self._recorder.rows, self._recorder.pack  # rows += pack(...): record() without the call
        by_day, handoff, switch, step_limit = self._cumulative_by_day, self._handoff, self._switch, self._step_limit
        fixed_choice = by_day is None and not handoff  # the choice depends on the stage alone
        cumulative, plain, switching, delays, strength, decay = self._persona_tables[persona]
        final_stage, outcome = state["final_stage"], state["outcome"]
        # The customer's running totals (each moment added as _moment adds it) live in locals
        # and go back to the columns before the customer waits and when the journey ends; a
        # journey is the customer's first stretch, so they start from nothing.
        touches = moments = 0
        spent = total = peak = end = peak_size = 0.0
        wary = self._put_off.get(customer) if self._put_off else None  # complaints heard before arriving: fixed from now on
        rows += pack(customer, persona, now, 0, NONE, ARRIVAL, NONE, nan, nan, nan)
        stage = 0
        attempt = 0  # touches and reneges: indexes the customer's random numbers
        channel = NONE
        still, last = 0, -1.0  # steps taken at one instant, and that instant: time must pass
        mood = 0.0  # carried-over emotion of the moments so far (model.experience)
        bought = friction = False
        inline = True  # run by _start, not yet a SimPy process
        while True:
            if attempt < BLOCK_TOUCHES:
                u_channel, u_delay, u_outcome = block[3 * attempt : 3 * attempt + 3]
            else:
                u_channel = rs.touch_uniform(key, attempt, rs.CHANNEL)
                u_delay = rs.touch_uniform(key, attempt, rs.DELAY)
                u_outcome = rs.touch_uniform(key, attempt, rs.OUTCOME)
            if attempt == 0 and first_channel != NONE:
                next_channel = first_channel
            elif fixed_choice:
                next_channel = bisect_right(cumulative[stage], u_channel)
            else:  # retargeting: the choice of the day the customer decides on
                table = cumulative if by_day is None else by_day[int(now)][persona]
                next_channel = bisect_right((table[channel + 1] if handoff else table)[stage], u_channel)
            code, a, b, c = delays[stage][next_channel]
            delay = -a * log1p(-u_delay) if code == _EXPONENTIAL else scalar_quantile(code, a, b, c, u_delay)
            if now + delay >= horizon:
                break  # open: the next touch falls beyond the horizon
            now += delay
            if now != last:
                still = 0
                last = now
            elif (still := still + 1) >= step_limit:  # no time passed: a loop at one instant never ends
                raise progress.journey_without_time(self.compiled, persona, stage, next_channel, now, still, 2 * state["reneges"][customer] >= still)
            cell = plain[stage][next_channel]
            if cell[7]:  # a queue: the environment catches up with the customer's clock
                self._keep_totals(customer, channel, touches, spent, moments, total, peak, end)
                if inline:
                    inline = False
                    yield BECOME_PROCESS
                if now > env.now:
                    yield env.timeout(now - env.now)
                served = yield from self._queue(customer, persona, key, attempt, stage, next_channel)
                now = env.now
                touches, spent, moments, total, peak, end = self._totals(customer)  # a renege is a moment
                peak_size = abs(peak)
                if not served:
                    mood = decay * mood + self._queue_policy[next_channel].renege_emotion
                    attempt += 1
                    if outcome[customer] == LOST:
                        channel = next_channel  # the channel the customer left, lost
                        break
                    continue
            attempt += 1
            if channel != NONE and switch[channel][next_channel]:
                cell = switching[stage][next_channel]
            channel = next_channel
            advance_cut, friction_cut, drop_cut, emotion, cost, experienced, target, _, size = cell
            if stage == 0 and wary:  # heard complaints: put off at the first stage
                lost = advance_cut * wary
                advance_cut, friction_cut = advance_cut - lost, friction_cut - lost
            if strength and mood:
                advance_cut, friction_cut, drop_cut = carried_cuts(advance_cut, friction_cut, drop_cut, mood, strength)
            touches += 1
            spent += cost
            if experienced:
                moments += 1
                total += emotion
                if size >= peak_size:  # model.experience.new_peak
                    peak, peak_size = emotion, size
                end = emotion
                mood = decay * mood + emotion
            else:
                mood = decay * mood
            if u_outcome < advance_cut:
                rows += pack(customer, persona, now, stage, channel, TOUCH, ADVANCE, emotion, nan, cost)
                if target == NEXT_IS_PURCHASE:
                    bought = True
                    break
                stage = target
                final_stage[customer] = stage
            elif u_outcome < drop_cut:
                friction = u_outcome < friction_cut
                rows += pack(customer, persona, now, stage, channel, TOUCH, FRICTION_DROP if friction else DROP, emotion, nan, cost)
                outcome[customer] = LOST
                state["lost_to_friction"][customer] = friction
                break
            else:
                rows += pack(customer, persona, now, stage, channel, TOUCH, STAY, emotion, nan, cost)
        final_channel, touches_, spent_, moments_, total_, peak_, end_ = self._running_columns
        final_channel[customer], touches_[customer], spent_[customer], moments_[customer] = channel, touches, spent, moments
        total_[customer], peak_[customer], end_[customer] = total, peak, end
        if bought:
            self._first_purchase(customer, persona, key, now, stage, channel, attempt - 1)
        elif outcome[customer] == LOST:
            if friction:
                self._lost_to_friction(customer, persona, now, stage, channel)
            self._verdict(customer, persona, key, now, JOURNEY_VERDICT)

    def _totals(self, customer: int) -> tuple:
        """A customer's touches, contact cost and moments (count, sum of emotions, peak, end)."""
        _, touches, spent, moments, total, peak, end = self._running_columns
        return touches[customer], spent[customer], moments[customer], total[customer], peak[customer], end[customer]

    def _keep_totals(self, customer: int, channel: int, touches: int, spent: float, moments: int, total: float, peak: float, end: float) -> None:
        """Write a journey's last channel and running totals (:meth:`_totals`) to the customer's columns."""
        columns = self._running_columns
        columns[0][customer], columns[1][customer], columns[2][customer], columns[3][customer] = channel, touches, spent, moments
        columns[4][customer], columns[5][customer], columns[6][customer] = total, peak, end

    def _first_purchase(self, customer: int, persona: int, key: int, now: float, stage: int, channel: int, touch: int) -> None:
        """The purchase that ends a journey, at the customer's touch number ``touch``, and the
        life after it."""
        state = self._state
        value = scalar_quantile(*self._order_value[persona], rs.touch_uniform(key, touch, rs.ORDER_VALUE))
        self._recorder.record(customer, persona, now, stage, channel, PURCHASE, NONE, self._moments.purchase_emotion, value, 0.0)
        self._moment(customer, self._moments.purchase_emotion)
        state["outcome"][customer] = CONVERTED
        state["time_to_convert_days"][customer] = now - state["arrival_days"][customer]
        state["revenue"][customer] = value
        self._verdict(customer, persona, key, now, JOURNEY_VERDICT)
        if self._loyalty[persona] is not None or self._advocacy[persona] is not None:
            self._after_purchase(customer, persona, key, now)

    def _lost_to_friction(self, customer: int, persona: int, now: float, stage: int, channel: int) -> None:
        """The moment of being lost to friction: its own event and emotion."""
        emotion = self._moments.friction_loss_emotion
        self._recorder.record(customer, persona, now, stage, channel, FRICTION_LOSS, NONE, emotion, math.nan, 0.0)
        self._moment(customer, emotion)
