"""Meaning checks of the experience model: how moments add up to satisfaction (scenario
``experience``), a persona's emotion carry-over and its negative word of mouth
(``detraction``). See :mod:`journeysim.model.experience` for what each field means."""

from __future__ import annotations

from typing import Any, Mapping

from journeysim.config.validation_rules import Collector, as_number
from journeysim.model.experience import Detraction, EmotionCarryover, Experience


def _emotion(check: Collector, path: str, value: Any) -> bool:
    """A number in [-1, 1], the scale of every emotion and satisfaction."""
    if check.number(path, value) and not -1 <= value <= 1:
        check.add(path, f"must be in [-1, 1], got {value:g}")
        return False
    return True


def build_experience(check: Collector, path: str, spec: Mapping[str, Any]) -> Experience:
    weight = spec["peak_end_weight"]
    if check.number(f"{path}.peak_end_weight", weight) and not 0 <= weight <= 1:
        check.add(f"{path}.peak_end_weight", f"must be in [0, 1] (0: the plain mean, 1: the peak-end rule alone), got {weight:g}")
    _emotion(check, f"{path}.purchase_emotion", spec["purchase_emotion"])
    _emotion(check, f"{path}.friction_loss_emotion", spec["friction_loss_emotion"])
    try:
        return Experience(float(weight), float(spec["purchase_emotion"]), float(spec["friction_loss_emotion"]))
    except (TypeError, ValueError):
        return Experience()  # the problems above say why


def build_carryover(check: Collector, path: str, spec: Mapping[str, Any]) -> EmotionCarryover:
    strength, decay = spec["strength"], spec["decay"]
    check.number(f"{path}.strength", strength, 0.0, 20.0)
    if check.number(f"{path}.decay", decay) and not 0 <= decay < 1:
        check.add(f"{path}.decay", f"must be in [0, 1) (the share of the mood kept from one touch to the next), got {decay:g}")
    try:
        return EmotionCarryover(float(strength), float(decay))
    except (TypeError, ValueError):
        return EmotionCarryover()


def build_detraction(check: Collector, path: str, spec: Mapping[str, Any] | None) -> Detraction | None:
    if spec is None:
        return None
    check.probability(f"{path}.probability", spec["probability"])
    check.number(f"{path}.referral_rate_per_day", spec["referral_rate_per_day"], 0.0)
    _emotion(check, f"{path}.satisfaction_threshold", spec["satisfaction_threshold"])
    check.probability(f"{path}.strength", spec["strength"])
    check.number(f"{path}.talk_days", spec["talk_days"], 0.0)
    try:
        return Detraction(float(spec["probability"]), float(spec["referral_rate_per_day"]), float(spec["satisfaction_threshold"]),
                          float(spec["strength"]), as_number(spec["talk_days"]))
    except (TypeError, ValueError):
        return None
