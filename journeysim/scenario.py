"""The validated scenario: stages, channels, touchpoints and personas as frozen data.

Engines, the exact solver and metrics receive a :class:`Scenario`; they never see a config
object. Build one with :func:`journeysim.load_scenario` (from YAML) or
:func:`journeysim.scenario_from_dict` (from Python), both of which validate first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from journeysim.distributions import Distribution

ONLINE, OFFLINE = "online", "offline"
CHANNEL_MODES = (ONLINE, OFFLINE)


@dataclass(frozen=True)
class Channel:
    """A medium of contact: social, search, store, call centre..."""

    name: str
    mode: str = ONLINE
    cost_per_contact: float = 0.0
    sells: bool = False
    capacity: int | None = None
    service_time_days: Distribution | None = None
    label: str = ""

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


@dataclass(frozen=True)
class Scenario:
    """A whole journey model. Immutable; derive variants with :meth:`with_changes`."""

    name: str
    stages: tuple[str, ...]
    purchase_stage: str
    channels: Mapping[str, Channel]
    touchpoints: Mapping[tuple[str, str], Touchpoint]
    personas: Mapping[str, Persona]
    arrival_rate_per_day: float | None = None
    description: str = ""
    channel_switch: ChannelSwitch = ChannelSwitch()
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
        assert self.arrival_rate_per_day is not None and spec.share is not None
        return self.arrival_rate_per_day * spec.share

    def with_changes(self, changes: Mapping[str, Any]) -> "Scenario":
        """A new validated scenario with dotted-path changes, e.g. ``{"touchpoints.purchase.website.friction": 0}``."""
        from journeysim.config import scenario_from_dict, apply_changes

        return scenario_from_dict(apply_changes(self.source, changes))
