"""A scenario compiled to numpy arrays indexed by (persona, stage, channel).

Every engine and the exact solver read these arrays, so the friction formula, channel
choice weights and stage targets are computed in one place. Outcome thresholds are laid
out for a single uniform draw ``u`` per touch::

    u < advance_cut                      -> advance (to ``next_stage``; from purchase: buy)
    advance_cut <= u < friction_cut      -> lost to friction (would have advanced)
    friction_cut <= u < drop_cut         -> drop (lost)
    drop_cut <= u                        -> stay (touch again in the same stage)

so removing a friction turns exactly those draws into advances (common random numbers).
The ``*_switched`` arrays hold the same thresholds for a touch that switches channel
(``switch[previous, channel]``), where the scenario's channel-switch friction adds on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from journeysim.model.distributions import KIND_CODES, Distribution
from journeysim.model.scenario import LOSE, Scenario

CONVERTED = -1  # next_stage value: advancing from the purchase stage is buying


def code_dtype(count: int) -> type[np.signedinteger]:
    """The smallest signed integer type holding codes -1 .. count - 1 (stages, channels,
    personas): int8 up to 127 of them, so ordinary scenarios keep their compact tables."""
    for dtype in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(dtype).max:
            return dtype
    return np.int64


@dataclass(frozen=True)
class CompiledScenario:
    scenario: Scenario
    stages: tuple[str, ...]
    channels: tuple[str, ...]
    personas: tuple[str, ...]
    purchase_index: int
    # [persona, stage, channel]
    available: np.ndarray  # bool: the persona's map has this touchpoint (chosen only if affinity > 0)
    # bool: a touchpoint made unavailable that keeps its choice share under the ``lose``
    # removal policy; every touch there is a drop (cuts 0, 0, 1), at no cost and no queue.
    closed: np.ndarray
    choice_probability: np.ndarray  # float64; sums to 1 over channels for journey stages
    choice_cumulative: np.ndarray  # float64; cumulative of choice_probability
    open_choice_cumulative: np.ndarray  # without closed touchpoints: repeat purchases reroute
    # [persona, previous channel + 1, stage, channel] when some persona has a channel hand-off
    # (index 0: no touch yet), else None: the choice given the channel of the previous touch.
    choice_probability_after: np.ndarray | None
    choice_cumulative_after: np.ndarray | None
    advance_cut: np.ndarray
    friction_cut: np.ndarray
    drop_cut: np.ndarray
    next_stage: np.ndarray  # int64 stage index, CONVERTED from the purchase stage
    emotion: np.ndarray  # float64, friction applied
    effective_friction: np.ndarray
    advance_cut_switched: np.ndarray
    friction_cut_switched: np.ndarray
    drop_cut_switched: np.ndarray
    emotion_switched: np.ndarray
    switch: np.ndarray  # bool [previous channel, channel]
    delay_code: np.ndarray  # int8 distribution kind code
    delay_params: np.ndarray  # float64 [..., 3]
    delay_mean: np.ndarray
    touch_cost: np.ndarray  # float64: the channel's cost per contact, 0 at closed touchpoints
    experienced: np.ndarray  # bool: a touch there is an experienced moment (not exposure)
    # [channel]
    cost_per_contact: np.ndarray
    sells: np.ndarray
    # [persona]
    arrival_rate_per_day: np.ndarray
    order_value_code: np.ndarray
    order_value_params: np.ndarray  # [persona, 3]
    order_value_mean: np.ndarray
    carryover_strength: np.ndarray  # emotion carry-over: logit shift per unit of mood (0: off)
    carryover_decay: np.ndarray  # share of the mood kept from one touch to the next

    @property
    def has_carryover(self) -> bool:
        return bool(self.carryover_strength.any())

    @property
    def index_dtype(self) -> type[np.signedinteger]:
        """The integer type of stage, channel and persona codes in the records (-1 = none):
        int8 up to 127 of each, wider for larger scenarios."""
        return code_dtype(max(len(self.stages), len(self.channels), len(self.personas)))

    @property
    def n_journey_stages(self) -> int:
        return self.purchase_index + 1

    @property
    def has_switch_friction(self) -> bool:
        return bool(self.switch.any()) and self.scenario.channel_switch.friction > 0

    def retargeted_choice(self, days: int) -> np.ndarray | None:
        """Cumulative channel choice per day [day, persona, stage, channel] when paid media
        retargets (weight x (1 + lift x exposure) at every stage after the first), else None;
        with a channel hand-off, [day, persona, previous channel + 1, stage, channel]."""
        budgets = {self.channels.index(n): b for n, b in self.scenario.budget.items() if b.retargeting_lift > 0}
        if not budgets:
            return None
        from journeysim.model.media import daily_exposure

        factor = np.ones((days, len(self.channels)))
        for c, budget in budgets.items():
            factor[:, c] = 1.0 + budget.retargeting_lift * daily_exposure(budget, days)
        base = self.choice_probability if self.choice_probability_after is None else self.choice_probability_after
        weights = np.repeat(base[None], days, axis=0)
        weights[..., 1:, :] *= factor.reshape((days,) + (1,) * (base.ndim - 1) + (len(self.channels),))
        return _choice(weights)[1]

    def cuts(self, switched: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(advance_cut, friction_cut, drop_cut, emotion) for plain or channel-switching touches."""
        if switched:
            return self.advance_cut_switched, self.friction_cut_switched, self.drop_cut_switched, self.emotion_switched
        return self.advance_cut, self.friction_cut, self.drop_cut, self.emotion

    def delay_distribution(self, persona: int, stage: int, channel: int) -> Distribution:
        kind = list(KIND_CODES)[int(self.delay_code[persona, stage, channel])]
        n = {"fixed": 1, "exponential": 1, "uniform": 2, "triangular": 3, "gamma": 2, "lognormal": 2, "weibull": 2}[kind]
        return Distribution(kind, tuple(float(x) for x in self.delay_params[persona, stage, channel, :n]))


# Long: a flat fill of every array, one block per scenario section, in the order the
# dataclass lists them; splitting it would only move the blocks apart.
def compile_scenario(scenario: Scenario) -> CompiledScenario:
    """The scenario as arrays indexed [persona, stage, channel]: what engines and the exact solver read, with friction already applied."""
    stages, channels, personas = scenario.stages, scenario.channel_names, scenario.persona_names
    shape = (len(personas), len(stages), len(channels))
    available = np.zeros(shape, dtype=bool)
    probability = np.zeros(shape)
    advance, friction_drop, drop, emotion = (np.zeros((2,) + shape) for _ in range(4))
    next_stage = np.zeros(shape, dtype=np.int64)
    effective_friction = np.zeros(shape)
    delay_code = np.zeros(shape, dtype=np.int8)
    delay_params = np.zeros(shape + (3,))
    delay_mean = np.zeros(shape)
    experienced = np.array([[[scenario.is_experience(s, c) for c in channels] for s in stages]] * len(personas), dtype=bool).reshape(shape)
    purchase = scenario.purchase_index

    for p, persona_name in enumerate(personas):
        persona = scenario.personas[persona_name]
        for (stage, channel), touchpoint in scenario.persona_touchpoints(persona_name).items():
            s, c = stages.index(stage), channels.index(channel)
            weight = persona.affinity.get(channel, 0.0)
            # Kept with zero weight too: a referral's first touch uses the word-of-mouth
            # touchpoint whatever the persona's affinity for choosing it.
            available[p, s, c] = True
            experienced[p, s, c] = scenario.is_experience(stage, channel, touchpoint)
            probability[p, s, c] = weight
            for switched, extra in enumerate((0.0, scenario.channel_switch.friction)):
                effective = touchpoint.effective(persona.friction_sensitivity, extra)
                advance[switched, p, s, c] = effective.advance
                friction_drop[switched, p, s, c] = effective.friction_drop
                drop[switched, p, s, c] = effective.drop
                emotion[switched, p, s, c] = effective.emotion
                if not switched:
                    effective_friction[p, s, c] = effective.effective_friction
            if s == purchase:
                next_stage[p, s, c] = CONVERTED
            else:
                next_stage[p, s, c] = stages.index(touchpoint.target) if touchpoint.target else s + 1
            delay_code[p, s, c] = KIND_CODES[touchpoint.delay_days.kind]
            delay_params[p, s, c] = touchpoint.delay_days.padded_params()
            delay_mean[p, s, c] = touchpoint.delay_days.mean

    open_weight = probability.copy()
    closed = np.zeros(shape, dtype=bool)
    if scenario.removal.policy == LOSE:
        cells = (probability, advance, friction_drop, drop, emotion, next_stage, delay_code, delay_params, delay_mean)
        _keep_closed_touchpoints(scenario, closed, *cells)
    after = _after_previous(scenario, probability)
    probability_after, cumulative_after = _choice(after) if after is not None else (None, None)
    probability, cumulative = _choice(probability)
    open_cumulative = _choice(open_weight)[1] if closed.any() else cumulative
    advance_cut = advance
    friction_cut = advance + friction_drop
    drop_cut = friction_cut + drop
    switch = np.array([[scenario.is_switch(a, b) for b in channels] for a in channels], dtype=bool)

    order_values = [scenario.personas[name].order_value for name in personas]
    # A channel with a media budget is paid through its spend, not per contact.
    cost_per_contact = np.array([0.0 if c in scenario.budget else scenario.channels[c].cost_per_contact for c in channels])
    return CompiledScenario(
        scenario=scenario,
        stages=stages,
        channels=channels,
        personas=personas,
        purchase_index=purchase,
        available=available,
        closed=closed,
        choice_probability=probability,
        choice_cumulative=cumulative,
        open_choice_cumulative=open_cumulative,
        choice_probability_after=probability_after,
        choice_cumulative_after=cumulative_after,
        advance_cut=advance_cut[0],
        friction_cut=friction_cut[0],
        drop_cut=drop_cut[0],
        next_stage=next_stage,
        emotion=emotion[0],
        effective_friction=effective_friction,
        advance_cut_switched=advance_cut[1],
        friction_cut_switched=friction_cut[1],
        drop_cut_switched=drop_cut[1],
        emotion_switched=emotion[1],
        switch=switch,
        delay_code=delay_code,
        delay_params=delay_params,
        delay_mean=delay_mean,
        cost_per_contact=cost_per_contact,
        touch_cost=np.where(closed, 0.0, cost_per_contact[None, None, :]),
        sells=np.array([scenario.channels[c].sells for c in channels]),
        arrival_rate_per_day=np.array([scenario.arrival_rate(name) for name in personas]),
        order_value_code=np.array([KIND_CODES[d.kind] for d in order_values], dtype=np.int8),
        order_value_params=np.array([d.padded_params() for d in order_values]),
        order_value_mean=np.array([d.mean for d in order_values]),
        experienced=experienced,
        carryover_strength=np.array([scenario.personas[name].emotion_carryover.strength for name in personas]),
        carryover_decay=np.array([scenario.personas[name].emotion_carryover.decay for name in personas]),
    )


def _choice(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel choice probabilities and their cumulative from weights [..., channel]."""
    totals = weight.sum(axis=-1, keepdims=True)
    probability = np.divide(weight, totals, out=np.zeros_like(weight), where=totals > 0)
    cumulative = np.cumsum(probability, axis=-1)
    # Guard the last chosen channel against round-off so any u < 1 finds a channel.
    rows = cumulative.reshape(-1, weight.shape[-1])
    for row, chances in zip(rows, probability.reshape(-1, weight.shape[-1])):
        chosen = np.flatnonzero(chances > 0)
        if chosen.size:
            row[chosen[-1]:] = 1.0
    return probability, cumulative


def _after_previous(scenario: Scenario, weight: np.ndarray) -> np.ndarray | None:
    """Choice weights [persona, previous channel + 1, stage, channel]: affinity times the
    persona's hand-off weight from the previous channel (1 where none is given; index 0 is
    the first touch). Where the hand-off leaves no channel at a stage, plain affinity applies."""
    if not any(persona.handoff for persona in scenario.personas.values()):
        return None
    channels = scenario.channel_names
    factor = np.ones((len(scenario.personas), len(channels) + 1, len(channels)))
    for p, persona in enumerate(scenario.personas.values()):
        for previous, row in persona.handoff.items():
            for channel, value in row.items():
                factor[p, channels.index(previous) + 1, channels.index(channel)] = value
    after = weight[:, None, :, :] * factor[:, :, None, :]
    empty = (after.sum(axis=-1, keepdims=True) == 0) & (weight.sum(axis=-1, keepdims=True)[:, None] > 0)
    return np.where(empty, weight[:, None, :, :], after)


def _keep_closed_touchpoints(scenario: Scenario, closed, weight, advance, friction_drop, drop, emotion, next_stage, delay_code, delay_params, delay_mean) -> None:
    """Under the ``lose`` removal policy, give each closed journey touchpoint the persona has an
    affinity for its share of the choice and an outcome that always drops (filled in place)."""
    stages, channels = scenario.stages, scenario.channel_names
    for p, persona_name in enumerate(scenario.persona_names):
        affinity = scenario.personas[persona_name].affinity
        for (stage, channel), touchpoint in scenario.persona_closed_touchpoints(persona_name).items():
            s, c = stages.index(stage), channels.index(channel)
            if stage not in scenario.journey_stages or affinity.get(channel, 0.0) <= 0:
                continue
            closed[p, s, c] = True
            weight[p, s, c] = affinity[channel]
            advance[:, p, s, c] = friction_drop[:, p, s, c] = 0.0
            drop[:, p, s, c] = 1.0
            emotion[:, p, s, c] = scenario.removal.emotion
            next_stage[p, s, c] = s
            delay_code[p, s, c] = KIND_CODES[touchpoint.delay_days.kind]
            delay_params[p, s, c] = touchpoint.delay_days.padded_params()
            delay_mean[p, s, c] = touchpoint.delay_days.mean
