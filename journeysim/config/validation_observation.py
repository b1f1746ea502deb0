"""Meaning checks of a scenario's ``observation`` section (what a brand records of the truth;
see :mod:`journeysim.model.observation` for what each field means)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from journeysim.config.names import unknown_name
from journeysim.config.validation_rules import Collector
from journeysim.model.observation import Observation


def build_observation(check: Collector, path: str, spec: Mapping[str, Any] | None, channels: Mapping[str, Any]) -> Observation | None:
    """The validated observation model, or None when the section is absent (full visibility).
    Problems name ``path.field`` and the value; an unknown channel gets the close name."""
    if spec is None:
        return None
    ok = check.probability(f"{path}.consent_rate", spec["consent_rate"])
    ok &= check.probability(f"{path}.offline_purchase_match", spec["offline_purchase_match"])
    ok &= check.number(f"{path}.identity_loss_per_day", spec["identity_loss_per_day"], 0.0)
    # A value that was no duration at all is reported once already (Collector.duration).
    ok &= check.number(f"{path}.session_timeout_days", spec["session_timeout_days"], 0.0, low_open=True)
    shares = {}
    for channel, share in spec["recorded_share"].items():
        where = f"{path}.recorded_share.{channel}"
        if channel not in channels:
            check.add(where, unknown_name("channel", channel, channels))
            ok = False
        elif check.probability(where, share):
            shares[str(channel)] = float(share)
        else:
            ok = False
    if not ok:
        return None  # the problems above say why; the scenario is not built
    return Observation(
        consent_rate=float(spec["consent_rate"]),
        recorded_share=MappingProxyType(shares),
        identity_loss_per_day=float(spec["identity_loss_per_day"]),
        offline_purchase_match=float(spec["offline_purchase_match"]),
        session_timeout_days=float(spec["session_timeout_days"]),
    )
