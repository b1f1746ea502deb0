"""The validated scenario: stages, channels, touchpoints and personas as frozen data.

Engines, the exact solver and metrics receive a :class:`Scenario`; they never see a config
object. Build one with :func:`journeysim.load_scenario` (from YAML) or
:func:`journeysim.scenario_from_dict` (from Python), both of which validate first, and derive
variants with :func:`journeysim.with_changes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from journeysim.model.distributions import Distribution
from journeysim.model.experience import Detraction, EmotionCarryover, Experience
from journeysim.model.observation import Observation
from journeysim.model.surveys import Surveys

ONLINE, OFFLINE = "online", "offline"
CHANNEL_MODES = (ONLINE, OFFLINE)


@dataclass(frozen=True)
class StaffingPeriod:
    from_day: float
    to_day: float
    servers: int


@dataclass(frozen=True)
class Schedule:
    """When a capacity channel is staffed: daily opening hours, closed weekdays (day 0 of the
    horizon is a Monday), and periods of the horizon with their own number of servers."""

    open_hours: tuple[float, float] | None = None
    closed_weekdays: tuple[int, ...] = ()
    periods: tuple[StaffingPeriod, ...] = ()


@dataclass(frozen=True)
class QueuePolicy:
    """What waiting does to a customer: reneging loses them with ``renege_loss_probability``
    (otherwise they come back later, through the same or another channel), and the renege
    counts as an experience with ``renege_emotion``. ``target_wait_days`` defines the
    service level (share served within the target)."""

    renege_loss_probability: float = 0.5
    renege_emotion: float = -0.5
    target_wait_days: float = 20 / 1440


@dataclass(frozen=True)
class Channel:
    """A medium of contact: social, search, store, call centre...

    ``cost_per_contact`` is what one touch costs; a channel with staff (``capacity``) also
    costs ``staff_cost_per_hour`` for every server on duty, whether busy or idle.
    """

    name: str
    mode: str = ONLINE
    cost_per_contact: float = 0.0
    sells: bool = False
    capacity: int | None = None
    service_time_days: Distribution | None = None
    label: str = ""
    schedule: Schedule | None = None
    queue: QueuePolicy = QueuePolicy()
    staff_cost_per_hour: float = 0.0
    # Touches here are experienced moments (service, website, store) rather than exposure
    # (ads, posts seen); see :mod:`journeysim.model.experience`.
    experience: bool = True

    @property
    def has_queue(self) -> bool:
        return self.capacity is not None

    @property
    def display_name(self) -> str:
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True)
class Touchpoint:
    """What happens when a customer at ``stage`` touches ``channel``.

    ``advance`` moves the customer to ``target`` (the next stage unless a shortcut names
    one; from the purchase stage, advancing is buying), ``drop`` loses them, and the rest
    (``1 - advance - drop``) means another touch later in the same stage.
    """

    stage: str
    channel: str
    delay_days: Distribution
    advance: float
    drop: float = 0.0
    target: str | None = None
    emotion: float = 0.0
    friction: float = 0.0
    experience: bool | None = None  # None: the channel's ``experience`` (always true at purchase)

    def effective(self, friction_sensitivity: float, extra_friction: float = 0.0) -> "EffectiveTouch":
        """Outcome probabilities and emotion once friction acts on a persona with sensitivity k.

        f_eff = 1 - (1 - f)^k turns that share of would-be advances into drops and lowers the
        touch's emotion by f_eff (DESIGN.md, "Friction"). ``extra_friction`` (a channel
        switch) combines with the touchpoint's own as independent obstacles: 1 - (1-f)(1-g).
        """
        friction = 1.0 - (1.0 - self.friction) * (1.0 - extra_friction)
        f_eff = effective_friction(friction, friction_sensitivity)
        friction_drop = self.advance * f_eff
        return EffectiveTouch(
            advance=self.advance - friction_drop,
            friction_drop=friction_drop,
            drop=self.drop,
            emotion=max(-1.0, self.emotion - f_eff),
            effective_friction=f_eff,
        )


@dataclass(frozen=True)
class EffectiveTouch:
    advance: float
    friction_drop: float
    drop: float
    emotion: float
    effective_friction: float

    @property
    def stay(self) -> float:
        return max(0.0, 1.0 - self.advance - self.friction_drop - self.drop)

    @property
    def leave(self) -> float:
        return self.advance + self.friction_drop + self.drop


def effective_friction(friction: float, sensitivity: float) -> float:
    """f_eff = 1 - (1 - f)^k; k = 0 makes a persona immune, k = 1 takes friction as stated."""
    if sensitivity == 0:
        return 0.0
    return 1.0 - (1.0 - friction) ** sensitivity


@dataclass(frozen=True)
class ChannelSwitch:
    """Friction on a touch whose channel differs from the customer's previous touch.

    Models inconsistent omnichannel experiences (stock, prices or history not carried over).
    With ``between_modes_only`` only online <-> offline switches count.
    """

    friction: float = 0.0
    between_modes_only: bool = False


REROUTE, LOSE = "reroute", "lose"
REMOVAL_POLICIES = (REROUTE, LOSE)


@dataclass(frozen=True)
class Removal:
    """What happens to a customer who would have chosen a touchpoint made unavailable
    (``available: false``, in the base map or a persona's own).

    ``reroute``: they choose among the remaining channels by affinity, as if the closed one had
    never been there (a removed channel loses nobody unless it was the only way on).
    ``lose``: the closed touchpoint keeps its share of the choice and everyone who chooses it is
    lost there, feeling ``emotion``; the tables record that attempt as a touch of the closed
    channel with outcome ``drop``, at no contact cost and without queueing. Repeat purchases
    always reroute: a customer who has bought once knows the other ways to buy.
    """

    policy: str = REROUTE
    emotion: float = -0.5


@dataclass(frozen=True)
class Loyalty:
    """Repeat purchases after the first, BG/NBD-style (Fader, Hardie & Lee 2005).

    While active a customer buys again at rate lambda (Poisson); after each repeat purchase
    they churn with probability p. Heterogeneity: lambda ~ Gamma(shape ``rate_shape``, mean
    ``purchase_rate_per_day``) and p ~ Beta with mean ``churn_probability`` and
    concentration a + b = ``churn_concentration`` (None: every customer has the mean).
    Satisfaction moves churn on the log-odds scale: logit p' = logit p - slope * satisfaction,
    so unhappy customers (satisfaction < 0) churn more when the slope is positive.
    """

    purchase_rate_per_day: float
    churn_probability: float
    rate_shape: float | None = None
    churn_concentration: float | None = None
    satisfaction_churn_slope: float = 0.0
    loyal_after_repeats: int = 2

    @property
    def gamma_rate(self) -> float | None:
        """alpha of BG/NBD (rate of the gamma for lambda), or None when homogeneous."""
        return None if self.rate_shape is None else self.rate_shape / self.purchase_rate_per_day

    @property
    def beta_parameters(self) -> tuple[float, float] | None:
        if self.churn_concentration is None:
            return None
        return self.churn_probability * self.churn_concentration, (1 - self.churn_probability) * self.churn_concentration


@dataclass(frozen=True)
class Advocacy:
    """When a customer becomes loyal (or buys, without a loyalty model) and their
    satisfaction exceeds ``satisfaction_threshold``, they become an advocate with
    ``probability`` and recommend at ``referral_rate_per_day`` while active. Each
    recommendation brings a prospect in through the scenario's word-of-mouth channel."""

    probability: float
    referral_rate_per_day: float
    satisfaction_threshold: float = 0.0


@dataclass(frozen=True)
class Market:
    """A finite pool of potential customers (split by persona share). Each member not yet in
    the journey enters on their own at ``external_rate_per_day`` (advertising, external
    influence p) or when an advocate's recommendation reaches them (internal influence): the
    agent form of the Bass diffusion model."""

    size: int
    external_rate_per_day: float


@dataclass(frozen=True)
class Campaign:
    """Arrival-rate multiplier over [from_day, to_day) for some personas (all if empty)."""

    name: str
    from_day: float
    to_day: float
    multiplier: float
    personas: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpendPeriod:
    from_day: float
    to_day: float
    spend_per_day: float


@dataclass(frozen=True)
class ChannelBudget:
    """Paid media on one channel: daily spend (optionally a plan by period), its response
    (geometric adstock ``adstock_decay``, Hill saturation with ``half_saturation`` and
    ``hill_shape``; see :mod:`journeysim.model.media`), the prospects it brings at full exposure
    (``max_arrivals_per_day``, split by ``audience``), and its retargeting lift on the
    channel's weight in later stages. Paid touches cost nothing per contact: the spend is
    the cost."""

    channel: str
    spend_per_day: float
    max_arrivals_per_day: float
    half_saturation: float
    hill_shape: float = 1.0
    adstock_decay: float = 0.0
    retargeting_lift: float = 0.0
    audience: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    plan: tuple[SpendPeriod, ...] = ()
    saturation: bool = True

    def audience_shares(self, scenario: "Scenario") -> dict[str, float]:
        """Persona split of the paid prospects: the given audience, else arrival shares."""
        if self.audience:
            total = sum(self.audience.values())
            return {p: self.audience.get(p, 0.0) / total for p in scenario.personas}
        rates = {p: scenario.arrival_rate(p) for p in scenario.personas}
        total = sum(rates.values()) or 1.0
        return {p: r / total for p, r in rates.items()}


@dataclass(frozen=True)
class Persona:
    """A customer segment with its own arrivals, channel affinities and journey map."""

    name: str
    share: float | None
    arrival_rate_per_day: float | None
    affinity: Mapping[str, float]
    friction_sensitivity: float
    order_value: Distribution
    patience_days: Distribution | None = None
    description: str = ""
    # (stage, channel) -> the persona's own touchpoint, already merged with the base one;
    # None means the touchpoint is unavailable to this persona.
    touchpoint_overrides: Mapping[tuple[str, str], Touchpoint | None] = field(
        default_factory=lambda: MappingProxyType({})
    )
    loyalty: Loyalty | None = None
    advocacy: Advocacy | None = None
    # previous channel -> channel -> weight multiplying affinity for the next touch: the
    # channel hand-off (social -> website more likely than social -> store). Empty: none.
    handoff: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))
    emotion_carryover: EmotionCarryover = EmotionCarryover()
    detraction: Detraction | None = None


@dataclass(frozen=True)
class Scenario:
    """A whole journey model. Immutable; derive variants with :func:`journeysim.config.with_changes`."""

    name: str
    stages: tuple[str, ...]
    purchase_stage: str
    channels: Mapping[str, Channel]
    touchpoints: Mapping[tuple[str, str], Touchpoint]
    personas: Mapping[str, Persona]
    arrival_rate_per_day: float | None = None
    description: str = ""
    channel_switch: ChannelSwitch = ChannelSwitch()
    removal: Removal = Removal()
    # (stage, channel) -> touchpoints of the base map made unavailable (``available: false``).
    closed_touchpoints: Mapping[tuple[str, str], Touchpoint] = field(default_factory=lambda: MappingProxyType({}))
    word_of_mouth_channel: str | None = None
    market: Market | None = None
    calendar: tuple[Campaign, ...] = ()
    budget: Mapping[str, ChannelBudget] = field(default_factory=lambda: MappingProxyType({}))
    experience: Experience = Experience()
    # How a brand measures satisfaction (CSAT, NPS, CES); None: no surveys.
    surveys: Surveys | None = None
    # What a brand records of the truth (consent, identity loss...); None: everything.
    observation: Observation | None = None
    # The validated plain-data form this scenario was built from (for hashing and changes).
    source: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @property
    def purchase_index(self) -> int:
        return self.stages.index(self.purchase_stage)

    @property
    def journey_stages(self) -> tuple[str, ...]:
        """Stages a prospect moves through by touches: every stage up to and including purchase."""
        return self.stages[: self.purchase_index + 1]

    @property
    def post_purchase_stages(self) -> tuple[str, ...]:
        return self.stages[self.purchase_index + 1 :]

    @property
    def loyalty_stage(self) -> str | None:
        """The stage a customer is in once loyal: the first post-purchase stage, if any."""
        return self.post_purchase_stages[0] if self.post_purchase_stages else None

    @property
    def advocacy_stage(self) -> str | None:
        """The stage of advocates: the second post-purchase stage, if any."""
        return self.post_purchase_stages[1] if len(self.post_purchase_stages) > 1 else None

    @property
    def has_feedback(self) -> bool:
        """Do customers create other customers (referrals) or compete for a finite market?"""
        return self.market is not None or any(p.advocacy is not None or p.detraction is not None for p in self.personas.values())

    @property
    def has_carryover(self) -> bool:
        """Does some persona's mood move its drop probability (the chain becomes path-dependent)?"""
        return any(p.emotion_carryover.active for p in self.personas.values())

    def without_carryover(self) -> "Scenario":
        """The same scenario with every persona's emotion carry-over off: the Markov chain the
        exact solver can answer (a screen for the real, path-dependent journey)."""
        personas = {name: replace(p, emotion_carryover=EmotionCarryover()) for name, p in self.personas.items()}
        source = dict(self.source)
        if "personas" in source:  # the plain-data form (hashes, changes) says it too
            off = {"strength": 0.0, "decay": EmotionCarryover.decay}
            source["personas"] = {name: {**spec, "emotion_carryover": off} for name, spec in source["personas"].items()}
        return replace(self, personas=MappingProxyType(personas), source=MappingProxyType(source))

    def is_experience(self, stage: str, channel: str, touchpoint: Touchpoint | None = None) -> bool:
        """Is a touch at (stage, channel) an experienced moment? The touchpoint's own flag, else
        the channel's; every touch at the purchase stage is one."""
        if touchpoint is not None and touchpoint.experience is not None:
            return touchpoint.experience
        return stage == self.purchase_stage or self.channels[channel].experience

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(self.channels)

    @property
    def persona_names(self) -> tuple[str, ...]:
        return tuple(self.personas)

    def persona_touchpoints(self, persona: str) -> dict[tuple[str, str], Touchpoint]:
        """The persona's own journey map: base touchpoints with its overrides applied."""
        overrides = self.personas[persona].touchpoint_overrides
        table = dict(self.touchpoints)
        for key, touchpoint in overrides.items():
            if touchpoint is None:
                table.pop(key, None)
            else:
                table[key] = touchpoint
        return table

    def persona_closed_touchpoints(self, persona: str) -> dict[tuple[str, str], Touchpoint]:
        """Touchpoints made unavailable in the persona's map (the base map's closed ones it does
        not reopen, and those its own overrides close), with what they were when open."""
        overrides = self.personas[persona].touchpoint_overrides
        closed = {key: tp for key, tp in self.closed_touchpoints.items() if overrides.get(key, None) is None}
        for key, touchpoint in overrides.items():
            if touchpoint is None and key in self.touchpoints:
                closed[key] = self.touchpoints[key]
        return closed

    def is_switch(self, previous: str, channel: str) -> bool:
        """Does a touch on ``channel`` right after one on ``previous`` count as a channel switch?"""
        if previous == channel:
            return False
        if self.channel_switch.between_modes_only:
            return self.channels[previous].mode != self.channels[channel].mode
        return True

    def arrival_rate(self, persona: str) -> float:
        """Arrivals per day of a persona: its own rate, or its share of the scenario's rate."""
        spec = self.personas[persona]
        if spec.arrival_rate_per_day is not None:
            return spec.arrival_rate_per_day
        if self.arrival_rate_per_day is None:  # a finite market: members enter on their own
            return 0.0
        assert spec.share is not None
        return self.arrival_rate_per_day * spec.share
