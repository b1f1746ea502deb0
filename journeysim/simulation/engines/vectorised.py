"""The vectorised engine: every open journey advances one touch per round, as numpy arrays.

Round *k* handles the *k*-th touch of every customer still in a journey. It draws the same
numbers as the SimPy engine (:mod:`journeysim.simulation.random_streams`, indexed by customer, touch and
purpose), applies the same channel choice (a paid prospect's first touch on its channel,
retargeting by the day's exposure), delay, horizon rule and outcome thresholds, so for a seed
both engines produce the same customers and events (floats equal to round-off: numpy versus
``math`` functions). Buyers then live on in rounds of repeat purchases
(:mod:`journeysim.simulation.engines.post_purchase`). Customers are independent without capacity
queues and referrals, which is what makes the rounds exact; :func:`unsupported_features`
lists what would break that.

Memory layout: customers run in blocks; the state of a block's open journeys lives in
compact arrays that shrink every round; each round's touches are kept as one small chunk
(customer, time, outcome-table index, outcome), and the event columns are built once at the
end (:mod:`journeysim.simulation.engines.vectorised_events`), in customer order.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from journeysim.config import with_changes
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import CONVERTED as NEXT_IS_PURCHASE
from journeysim.model.compiled import CompiledScenario
from journeysim.model.distributions import KIND_CODES, kind_quantile, quantile_table
from journeysim.model.experience import carried_cuts_array, satisfactions
from journeysim.model.scenario import Scenario
from journeysim.simulation import random_streams as rs
from journeysim.simulation.arrivals import Arrivals
from journeysim.simulation.engines import progress
from journeysim.simulation.engines.channel_choice import ChannelChoice
from journeysim.simulation.engines.post_purchase import RepeatPurchases
from journeysim.simulation.engines.protocol import EngineRun
from journeysim.simulation.engines.vectorised_events import EventCells, event_columns
from journeysim.simulation.records import (
    ADVANCE,
    ARRIVAL,
    CONVERTED,
    DROP,
    EXPERIENCED_EVENTS,
    FRICTION_DROP,
    FRICTION_LOSS,
    LOST,
    NONE,
    OPEN,
    ORGANIC,
    PAID,
    PURCHASE,
    STAY,
    TOUCH,
)


def unsupported_features(compiled: CompiledScenario) -> list[str]:
    """Why the vectorised engine cannot run ``compiled`` exactly (empty when it can).

    Rounds are exact only when customers do not interact: capacity queues couple customers,
    and so do advocates' referrals and a finite market (customers bring in or use up other
    customers); those run on the SimPy engine only. Repeat purchases and churn (loyalty) and
    paid media (paid prospects, retargeting) are per customer, so they are no obstacle; nor is
    persona patience, which matters only in a queue.
    """
    scenario = compiled.scenario
    reasons = [f"capacity queues at channel {name!r}" for name, channel in scenario.channels.items() if channel.capacity is not None]
    for name, persona in scenario.personas.items():
        if persona.advocacy is not None:
            reasons.append(f"advocacy and referrals of persona {name!r}")
        if persona.detraction is not None:
            reasons.append(f"detraction (negative word of mouth) of persona {name!r}")
    if scenario.market is not None:
        reasons.append("a finite market (Bass diffusion with referrals)")
    return reasons


def journey_only(scenario: Scenario, *, keep_loyalty: bool = False) -> Scenario:
    """The scenario's pre-purchase journey alone: channels without capacity (no queues,
    schedules or service times) and personas without advocacy and, unless ``keep_loyalty``,
    without loyalty (repeat purchases and churn). Arrivals, calendar, budget, touchpoints and
    frictions are unchanged. Both forms run on the vectorised engine; the default keeps its
    historical meaning (the journey up to the first purchase, as the benchmarks measure it)."""
    changes: dict[str, Any] = {}
    for name, channel in scenario.channels.items():
        if channel.capacity is not None:
            changes.update({f"channels.{name}.{key}": None for key in ("capacity", "service_time_days", "schedule")})
    for name, persona in scenario.personas.items():
        for key in ("advocacy", "detraction") if keep_loyalty else ("loyalty", "advocacy", "detraction"):
            if getattr(persona, key) is not None:
                changes[f"personas.{name}.{key}"] = None
    return with_changes(scenario, changes) if changes else scenario


class VectorisedJourneyEngine:
    """Runs replications of a queue-free compiled scenario, one round of touches at a time."""

    name = "vectorised"
    selection_note = ""  # set by select_engine("auto"): why this engine

    def __init__(self, compiled: CompiledScenario) -> None:
        self._index_dtype = compiled.index_dtype
        reasons = unsupported_features(compiled)
        if reasons:
            raise ConfigError(Problem("run.engine", f"the vectorised engine cannot run this scenario exactly ({'; '.join(reasons)})"))
        self.compiled = compiled
        n_personas, n_stages, n_channels = compiled.choice_cumulative.shape
        self._n_stages, self._n_channels = n_stages, n_channels
        # Row (persona * stages + stage) -> persona * stages and -> stage: lookups, not an integer % per touch.
        self._row_base = np.repeat(np.arange(n_personas) * n_stages, n_stages)
        self._row_stage = np.tile(np.arange(n_stages), n_personas)
        cells = self._cells = n_personas * n_stages * n_channels
        # Tables indexed by row = persona * stages + stage and cell = row * channels + channel.
        self._choose = ChannelChoice(compiled.choice_cumulative.reshape(n_personas * n_stages, n_channels))
        # With a channel hand-off the journey's choice rows are (persona, previous + 1, stage).
        self._handoff = compiled.choice_cumulative_after is not None
        self._choose_journey = ChannelChoice(compiled.choice_cumulative_after.reshape(-1, n_channels)) if self._handoff else self._choose
        self._retargeted: dict[int, ChannelChoice | None] = {}  # by days of the horizon
        self._delay_code = compiled.delay_code.reshape(-1)
        self._delay_params = [np.ascontiguousarray(compiled.delay_params[..., i].reshape(-1)) for i in range(3)]
        journey = compiled.choice_probability[:, : compiled.n_journey_stages] > 0
        for name in compiled.scenario.budget:  # a paid prospect's first touch, whatever its affinity
            journey[:, 0, compiled.channels.index(name)] = True
        self._delay_kinds = [(kind, code) for kind, code in KIND_CODES.items() if (compiled.delay_code[:, : compiled.n_journey_stages][journey] == code).any()]
        self._next_stage = compiled.next_stage.reshape(-1)
        # Outcome tables indexed by cut = cell + switched * cells: plain touches, then channel-switching ones.
        advance, friction, drop, emotion = (np.concatenate([a.reshape(-1), b.reshape(-1)]) for a, b in zip(*(compiled.cuts(s) for s in (False, True))))
        self._advance_cut, self._friction_cut, self._drop_cut, self._emotion = advance, friction, drop, emotion
        # [previous channel, channel], with a last row of False for "no touch yet" (index -1).
        self._switch = np.vstack([compiled.switch, np.zeros((1, n_channels), dtype=bool)]).astype(np.intp) * cells
        self._has_switch = compiled.has_switch_friction
        self._touch_cost = compiled.touch_cost.reshape(-1).astype(np.float64)  # by cell
        self._step_limit = progress.step_limit(compiled)  # rounds after which a journey must still move in time
        # Event columns are looked up by "event cell": cut for a touch, cut + 2 cells for the
        # purchase after it, 4 cells for an arrival, then the post-purchase events' cells.
        self._arrival_cell = 4 * cells
        repeat_choice = self._choose
        if compiled.closed.any():  # repeat purchases reroute around closed touchpoints
            repeat_choice = ChannelChoice(compiled.open_choice_cumulative.reshape(n_personas * n_stages, n_channels))
        self._repeats = RepeatPurchases(compiled, self._arrival_cell + 1, repeat_choice)
        post_stage, post_channel, post_event, post_emotion, post_cost = self._repeats.event_cells()
        # The loss to friction after a touch: cut + loss offset.
        self._loss_offset = self._arrival_cell + 1 + len(post_event)
        cell_stage = np.tile(np.repeat(np.arange(n_stages), n_channels), n_personas)
        cell_channel = np.tile(np.arange(n_channels), n_personas * n_stages)
        purchase = np.full(cells, compiled.purchase_index)
        moments = compiled.scenario.experience
        self._event_stage = np.concatenate([cell_stage, cell_stage, purchase, purchase, [0], post_stage, cell_stage, cell_stage]).astype(self._index_dtype)
        self._event_channel = np.concatenate([np.tile(cell_channel, 4), [NONE], post_channel, np.tile(cell_channel, 2)]).astype(self._index_dtype)
        self._event_type = np.concatenate([np.full(2 * cells, TOUCH), np.full(2 * cells, PURCHASE), [ARRIVAL], post_event, np.full(2 * cells, FRICTION_LOSS)]).astype(np.int8)
        self._event_emotion = np.concatenate([emotion, np.full(2 * cells, moments.purchase_emotion), [np.nan], post_emotion,
                                              np.full(2 * cells, moments.friction_loss_emotion)]).astype(np.float32)
        cost = self._touch_cost
        self._event_cost = np.concatenate([cost, cost, np.zeros(2 * cells), [np.nan], post_cost, np.zeros(2 * cells)]).astype(np.float32)
        # Experienced moments and carry-over: by cut (plain and switched touches alike) and by persona.
        self._experienced = np.tile(compiled.experienced.reshape(-1), 2)
        # The events' experience flag by event cell (records.experience_flags, looked up):
        # a touch's touchpoint's, else its event type's.
        self._event_experience = np.isin(self._event_type, EXPERIENCED_EVENTS)
        self._event_experience[: 2 * cells] = self._experienced
        self._cut_dtype = np.min_scalar_type(-2 * cells)  # a touch's cut, signed as every index here
        self._event_cells = EventCells(self._event_stage, self._event_channel, self._event_type, self._event_emotion, self._event_experience,
                                       self._event_cost, self._arrival_cell, 2 * cells, self._loss_offset)
        self._carry_strength, self._carry_decay = compiled.carryover_strength, compiled.carryover_decay
        self._has_carryover = compiled.has_carryover
        self._moments = moments

    def run(
        self,
        arrivals: Arrivals,
        replication_key: int,
        horizon_days: float,
        on_customers: Callable[[int], None] | None = None,
    ) -> EngineRun:
        """Simulate one replication; event and customer columns like the SimPy engine's (no queues).

        Events come grouped by customer, each customer's rows in recording order (sort them
        by time, stably, for the canonical order).
        """
        compiled = self.compiled
        n = len(arrivals)
        persona = np.asarray(arrivals.persona, dtype=np.intp)
        keys = np.empty(n, dtype=np.uint64)
        for p in range(len(compiled.personas)):
            mask = persona == p
            if mask.any():
                keys[mask] = rs.customer_keys(replication_key, p, arrivals.persona_customer[mask])
        first_channel = np.asarray(arrivals.first_channels(), dtype=np.intp)
        paid = np.flatnonzero(first_channel != NONE)
        customers = {
            "persona": persona.astype(self._index_dtype),
            "persona_customer": np.asarray(arrivals.persona_customer, dtype=np.int64),  # paid prospects' numbers exceed 2**40
            "source": np.where(first_channel != NONE, PAID, ORGANIC).astype(np.int8),
            "arrival_days": np.asarray(arrivals.time_days, dtype=np.float64),
            "outcome": np.full(n, OPEN, dtype=np.int8),
            "final_stage": np.zeros(n, dtype=self._index_dtype),
            "final_channel": np.full(n, NONE, dtype=self._index_dtype),
            "touches": np.zeros(n, dtype=np.int32),
            "lost_to_friction": np.zeros(n, dtype=bool),
            "time_to_convert_days": np.full(n, np.nan, dtype=np.float32),  # the table's type: stored, not converted later
            "repeat_purchases": np.zeros(n, dtype=np.int32),
            "churned": np.zeros(n, dtype=bool),
            "loyal": np.zeros(n, dtype=bool),
            "emotion_sum": np.zeros(n),
            "experiences": np.zeros(n, dtype=np.int32),
            "peak_emotion": np.zeros(n),
            "end_emotion": np.zeros(n),
            "revenue": np.zeros(n),
            "contact_cost": np.zeros(n),
        }
        chunks: list[tuple] = []
        purchases: list[tuple] = []
        # Customers are independent: their journeys run in blocks, whose arrays stay in the
        # CPU's cache and keep the rounds' peak memory small (the same tables).
        for start in range(0, n, _BLOCK_CUSTOMERS):
            stop = min(n, start + _BLOCK_CUSTOMERS)
            mine = paid[(paid >= start) & (paid < stop)]
            first = (mine - start, first_channel[mine]) if mine.size else None
            self._journeys(customers, start, keys[start:stop], persona[start:stop], horizon_days, first, on_customers, chunks, purchases)
        purchase_value = customers["revenue"][customers["outcome"] == CONVERTED]  # before repeat purchases add to it
        post_events, post_chunks = None, []
        if purchases:
            buyer, buyer_key, purchase_days = (np.concatenate(column) for column in zip(*purchases))
            post_events, post_chunks = self._repeats.run(customers, buyer, buyer_key, purchase_days, horizon_days)
        # The moments' sums become the satisfaction, and what only the rounds needed goes,
        # before the event log (the run's largest arrays) is built.
        moments = (customers.pop("emotion_sum"), customers["experiences"], customers.pop("peak_emotion"), customers.pop("end_emotion"))
        customers["satisfaction"] = satisfactions(*moments, self._moments.peak_end_weight)
        del moments, keys, persona, first_channel, paid, purchases
        events = event_columns(self._event_cells, customers, chunks, purchase_value, post_events, post_chunks)
        return EngineRun(events, customers)

    # -- the rounds ----------------------------------------------------------------------

    # Long: one round of every open journey, step for step as the SimPy engine takes them;
    # split, the round's dozen state arrays would travel through every call.
    def _journeys(self, customers: dict, start: int, keys: np.ndarray, persona: np.ndarray, horizon: float, first, on_customers,
                  chunks: list[tuple], purchases: list[tuple]) -> None:
        """Advance the journeys of customers ``start`` onwards (``keys``, ``persona``) round by
        round, filling ``customers``; appends one chunk of touches per round to ``chunks``,
        (touch index, customer, time, cut, outcome), and, when buyers live on after their
        purchase, one chunk of purchases per round to ``purchases``, (customer, key, time).
        ``first`` is (positions in the block, channel) of paid prospects' first touches, or None."""
        n_channels = self._n_channels
        choose, rows_per_day, last_day = self._channel_choice(horizon)
        # State of the open journeys, compacted every round; customer indices stay ascending.
        customer = np.arange(start, start + len(keys), dtype=np.intp)
        key = keys
        row = persona * self._n_stages  # persona * stages + stage
        previous = np.full(len(keys), NONE, dtype=np.intp)
        now = customers["arrival_days"][start : start + len(keys)]
        moments = np.zeros((_MOMENT_ROWS, len(keys)))  # experienced moments' sums and the mood
        contact_cost = np.zeros(len(keys))
        touch = 0
        while customer.size:
            u = rs.touch_uniforms(key, touch, rs.CHANNEL)
            choice_row = self._choice_row(row, previous) if self._handoff else row
            if rows_per_day:  # retargeting: the choice of the day the customer decides on
                channel = choose(np.minimum(now.astype(np.intp), last_day) * rows_per_day + choice_row, u)
            else:
                channel = choose(choice_row, u)
            if touch == 0 and first is not None:
                channel[first[0]] = first[1]  # round 0 holds every customer, in arrival order
            cell = row * n_channels + channel
            when = now + self._delays(cell, rs.touch_uniforms(key, touch, rs.DELAY))
            if touch >= self._step_limit and (when == now).any():  # no time passes: a loop at one instant never ends
                raise self._stuck(row, channel, when == now, when, touch)
            inside = when < horizon
            if not inside.all():
                out = np.flatnonzero(~inside)  # open: the next touch falls at or after the horizon
                self._finish(customers, customer[out], row[out], previous[out], touch, np.take(moments, out, axis=1), contact_cost[out])
                if on_customers is not None:
                    on_customers(len(out))
                keep = np.flatnonzero(inside)
                customer, key, row, previous, channel = customer[keep], key[keep], row[keep], previous[keep], channel[keep]
                cell, when, moments, contact_cost = cell[keep], when[keep], np.take(moments, keep, axis=1), contact_cost[keep]
                if not customer.size:
                    break
            u = rs.touch_uniforms(key, touch, rs.OUTCOME)
            cut = cell + self._switch[previous, channel] if self._has_switch else cell
            advance_cut, friction_cut, drop_cut = self._advance_cut[cut], self._friction_cut[cut], self._drop_cut[cut]
            if self._has_carryover:  # the mood before this touch moves its drop probability
                strength = self._carry_strength[row // self._n_stages]
                advance_cut, friction_cut, drop_cut = carried_cuts_array(advance_cut, friction_cut, drop_cut, moments[MOOD], strength)
            emotion = self._emotion[cut]
            experienced = self._experienced[cut]
            felt = np.where(experienced, emotion, 0.0)
            _add_moment(moments, felt, experienced)
            if self._has_carryover:  # the mood matters only to carry-over
                moments[MOOD] = self._carry_decay[row // self._n_stages] * moments[MOOD] + felt
            contact_cost += self._touch_cost[cell]
            advanced = u < advance_cut
            lost = ~advanced & (u < drop_cut)
            by_friction = lost & (u < friction_cut)
            # STAY, moved to ADVANCE, DROP or (a drop) FRICTION_DROP: sums of int8 views of the masks.
            outcome = advanced.view(np.int8) * np.int8(ADVANCE - STAY)
            outcome += lost.view(np.int8) * np.int8(DROP - STAY)
            outcome += by_friction.view(np.int8) * np.int8(FRICTION_DROP - DROP)
            outcome += np.int8(STAY)
            target = self._next_stage[cell]
            bought = advanced & (target == NEXT_IS_PURCHASE)
            # Kept until the event log is built: customers and cuts in their narrowest types (15 bytes a touch, not 25).
            chunks.append((touch, customer.astype(np.int32), when, cut.astype(self._cut_dtype), outcome))
            ended = bought | lost
            stage_row = self._row_base[row]  # persona * stages
            row = np.where(advanced & ~bought, stage_row + target, row)
            if ended.any():
                done = np.flatnonzero(ended)
                who = customer[done]
                customers["outcome"][who] = np.where(bought[done], CONVERTED, LOST)
                customers["lost_to_friction"][who] = by_friction[done]
                final = np.take(moments, done, axis=1)
                moment = bought[done] | by_friction[done]  # the purchase, or the loss to friction
                verdict = np.where(bought[done], self._moments.purchase_emotion, np.where(moment, self._moments.friction_loss_emotion, 0.0))
                _add_moment(final, verdict, moment)
                self._finish(customers, who, row[done], channel[done], touch + 1, final, contact_cost[done])
                buyers = np.flatnonzero(bought)
                if buyers.size:
                    self._purchase(customers, customer[buyers], key[buyers], touch, when[buyers])
                    if self._repeats.active:
                        purchases.append((customer[buyers], key[buyers], when[buyers]))
                if on_customers is not None:
                    on_customers(len(done))
                keep = np.flatnonzero(~ended)
                customer, key, row, previous = customer[keep], key[keep], row[keep], channel[keep]
                now, moments, contact_cost = when[keep], np.take(moments, keep, axis=1), contact_cost[keep]
            else:
                previous, now = channel, when
            touch += 1

    def _stuck(self, row: np.ndarray, channel: np.ndarray, stuck: np.ndarray, when: np.ndarray, touch: int) -> ConfigError:
        """The error that stops a run where journeys still going after ``touch`` rounds take
        touches without time passing (``stuck``)."""
        first = int(np.flatnonzero(stuck)[0])
        persona, stage = divmod(int(row[first]), self._n_stages)
        return progress.journey_without_time(self.compiled, persona, stage, int(channel[first]), float(when[first]), touch, False)

    def _channel_choice(self, horizon: float) -> tuple[ChannelChoice, int, int]:
        """(choice, rows per day, last day): with retargeting, rows of the day tables
        ``compiled.retargeted_choice`` (day * rows per day + row), else the plain table (0, 0)."""
        days = math.ceil(horizon) + 1  # as the SimPy engine builds it
        if days not in self._retargeted:
            table = self.compiled.retargeted_choice(days)
            self._retargeted[days] = None if table is None else ChannelChoice(table.reshape(-1, self._n_channels))
        choice = self._retargeted[days]
        if choice is None:
            return self._choose_journey, 0, 0
        rows = self._cells // self._n_channels * ((self._n_channels + 1) if self._handoff else 1)
        return choice, rows, days - 1

    def _choice_row(self, row: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Rows (persona, previous channel + 1, stage) of the hand-off choice table, from rows
        persona * stages + stage and the previous channel (NONE before the first touch)."""
        persona, stage = np.divmod(row, self._n_stages)
        return (persona * (self._n_channels + 1) + previous + 1) * self._n_stages + stage

    def _delays(self, cell: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Touch delays by inverse transform, the formulas of :func:`journeysim.model.distributions.quantile_table`
        per kind on parameter columns (gathering an (n, 3) parameter block per touch costs
        more than the formula itself)."""
        low, middle, high = self._delay_params
        if len(self._delay_kinds) == 1:
            kind = self._delay_kinds[0][0]
            return kind_quantile(kind, low[cell], middle[cell], high[cell], u)
        codes = self._delay_code[cell]
        out = np.empty(len(u))
        for kind, code in self._delay_kinds:
            where = np.flatnonzero(codes == code)
            if where.size:
                at = cell[where]
                out[where] = kind_quantile(kind, low[at], middle[at], high[at], u[where])
        return out

    def _finish(self, customers: dict, done: np.ndarray, row: np.ndarray, channel, touches: int, moments: np.ndarray, contact_cost) -> None:
        customers["final_stage"][done] = self._row_stage[row]
        customers["final_channel"][done] = channel
        customers["touches"][done] = touches
        customers["emotion_sum"][done] = moments[TOTAL]
        customers["experiences"][done] = moments[COUNT]
        customers["peak_emotion"][done] = moments[PEAK]
        customers["end_emotion"][done] = moments[END]
        customers["contact_cost"][done] = contact_cost

    def _purchase(self, customers: dict, buyers: np.ndarray, key: np.ndarray, touch: int, when: np.ndarray) -> None:
        compiled = self.compiled
        persona = customers["persona"][buyers]
        u = rs.touch_uniforms(key, touch, rs.ORDER_VALUE)  # indexed by the purchase touch itself
        customers["revenue"][buyers] = quantile_table(compiled.order_value_code[persona], compiled.order_value_params[persona], u)
        customers["time_to_convert_days"][buyers] = when - customers["arrival_days"][buyers]

    # -- the event log -------------------------------------------------------------------


# Customers per block of journeys: 2 MiB per float array, which stays in cache (smaller
# blocks cost more Python per customer).
_BLOCK_CUSTOMERS = 1 << 18
# Rows of the journeys' moment state: experienced moments' emotion sum, count, peak and end,
# and the carried-over mood (model.experience).
TOTAL, COUNT, PEAK, END, MOOD = range(5)
_MOMENT_ROWS = 5


def _add_moment(moments: np.ndarray, emotion: np.ndarray, experienced: np.ndarray) -> None:
    """Add one moment per column where ``experienced`` (``emotion`` is 0 elsewhere), in place."""
    moments[TOTAL] += emotion
    moments[COUNT] += experienced
    moments[PEAK] = np.where(experienced & (np.abs(emotion) >= np.abs(moments[PEAK])), emotion, moments[PEAK])
    moments[END] = np.where(experienced, emotion, moments[END])
