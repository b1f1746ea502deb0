"""Observation: what a brand records of the simulated truth.

The simulation knows every customer's whole journey. A brand sees less: some customers refuse
tracking, cookies are reset and devices change, most offline contacts leave no trace, and a
sale in a shop is not always tied to the journey that led to it. A scenario's ``observation``
section says how much is lost, as four mechanisms applied after the run to the true tables
(:mod:`journeysim.simulation.observation`; the truth never changes):

* **consent** (``consent_rate``): each customer accepts tracking with this probability. A
  customer who refuses is invisible online: none of their touches on online channels is
  recorded. Their purchases still are (an order is an order) and so are their offline
  contacts (a loyalty card, a call-centre file), which tracking consent does not govern.
* **recording** (``recorded_share``, per channel): the share of touches on a channel that
  leave a record, for customers the channel can see at all. Online channels are seen in
  full by default; offline contacts are typically seen only through loyalty cards or a
  CRM (``store: 0.2``: one store visit in five is scanned).
* **identity loss** (``identity_loss_per_day``): cookie resets and device switches come as a
  Poisson process in time at this rate per day. The customer's recorded events carry one id
  until the next reset, then another: a reset between two recorded events t apart (one at
  least, with probability 1 - exp(-rate * t)) splits the journey there. A customer whose
  recorded events are t_1 < ... < t_n apart appears under 1 + sum_k [reset in gap k] ids,
  E = 1 + sum_k (1 - exp(-rate * (t_k+1 - t_k))).
* **conversion recording**: online purchases are always recorded under the customer's current
  id; an offline purchase (a till) is matched to the journey with ``offline_purchase_match``,
  else it is a sale of its own (an id with nothing before it).

``session_timeout_days`` is the analytics convention that groups a visitor's online contacts
into sessions (30 minutes of inactivity ends one, as in Google Analytics).

Without the section (``observation: null``, the default) the brand sees everything: every
field's default is the truth, so ``observation: {}`` is full visibility too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

SESSION_TIMEOUT_DAYS = 30 / 1440  # 30min, as Google Analytics ends a session


@dataclass(frozen=True)
class Observation:
    """How much of the truth a brand records (see the module docstring): the probability that a
    customer accepts tracking, the share of touches recorded per channel (absent channels:
    all), the rate per day of identity resets, the probability that an offline purchase is
    matched to its journey, and the inactivity that ends an analytics session."""

    consent_rate: float = 1.0
    recorded_share: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    identity_loss_per_day: float = 0.0
    offline_purchase_match: float = 1.0
    session_timeout_days: float = SESSION_TIMEOUT_DAYS

    def share_recorded(self, channel: str) -> float:
        """The share of touches on ``channel`` that leave a record (1 unless set)."""
        return self.recorded_share.get(channel, 1.0)

    @property
    def is_full(self) -> bool:
        """Does this observation record the whole truth (every touch and sale, one id each)?"""
        return (
            self.consent_rate == 1.0
            and all(share == 1.0 for share in self.recorded_share.values())
            and self.identity_loss_per_day == 0.0
            and self.offline_purchase_match == 1.0
        )


FULL_VISIBILITY = Observation()
