"""Time must pass: the engines' guard against loops at one simulated instant.

A customer moves on through delays, service, patience and the gaps between purchases and
recommendations. When those are 0 (or so small beside the day count that adding them leaves
it unchanged), a customer can take step after step without the clock moving: a run that
never reaches its horizon while its memory grows. Configurations where that is certain are
refused before the run (:mod:`journeysim.config.time_progress`); the engines stop the others
once one customer has taken :func:`step_limit` steps at the same instant, with a
:class:`~journeysim.errors.ConfigError` (status 2 from the command) naming the likely cause.

The limit is derived from the journey chain, as the resource guard's estimate is
(:mod:`journeysim.simulation.footprint`): at stage *s* a persona leaves with probability
q_s per touch, so a run of n touches in that stage has probability (1 - q_s)^n <= exp(-q_s n).
``LOG_TAIL / q_s`` touches per stage, summed over the stages, leave a valid run a chance of
about exp(-LOG_TAIL) = 1e-18 per customer of ever reaching the limit, whatever its delays;
:data:`MIN_STEPS` keeps the limit above anything an ordinary scenario takes at one instant.
:data:`MAX_STEPS` caps it, so that a journey that would take millions of touches in no time
(a stage left with probability 1e-9 per touch, at zero delay) stops within seconds (the
vectorised engine takes ~60 microseconds a round for its last journeys); only a stage left
with probability below ~0.002 per touch, at zero delay, can reach the cap in a valid run,
and 20,000 touches at one moment model no journey. The check is one comparison per step.
"""

from __future__ import annotations

import math

import numpy as np

from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import CompiledScenario

LOG_TAIL = math.log(1e18)
MIN_STEPS, MAX_STEPS = 10_000, 20_000


def step_limit(compiled: CompiledScenario) -> int:
    """The most steps one customer may take at one instant before the run is stopped."""
    stages = compiled.n_journey_stages
    leave = (compiled.choice_probability[:, :stages] * compiled.drop_cut[:, :stages]).sum(axis=2)  # [persona, stage]
    per_persona = np.where(leave > 0, np.ceil(LOG_TAIL / np.maximum(leave, 1e-300)), MIN_STEPS).sum(axis=1)
    return int(min(max(MIN_STEPS, float(per_persona.max(initial=0.0))), MAX_STEPS))


def journey_without_time(compiled: CompiledScenario, persona: int, stage: int, channel: int, day: float, steps: int, reneged: bool) -> ConfigError:
    """The error for a journey looping at one instant: reneging and coming back (patience),
    or touches with delays of 0 (the stage's touchpoints)."""
    name, stage_name = compiled.personas[persona], compiled.stages[stage]
    if reneged:
        path = f"scenario.personas.{name}.patience_days"
        cause = (f"it keeps giving up in the queue at {compiled.channels[channel]!r} and coming back at once: its patience "
                 "and the delay back to that queue are 0 or too small to move the clock. Give patience_days or those "
                 "touchpoints' delay_days a positive value, or the queue a renege_loss_probability above 0")
    else:
        path = f"scenario.touchpoints.{stage_name}"
        cause = (f"the delays of the touchpoints it uses at stage {stage_name!r} are 0 or too small to move the clock "
                 "while it stays in that stage. Give those touchpoints' delay_days a positive value, or the stage "
                 "more advance or drop")
    return _stopped(path, day, f"a {name!r} customer was still at stage {stage_name!r} after {steps:,} steps, and time no longer passes", cause)


def repeats_without_time(compiled: CompiledScenario, persona: int, day: float, steps: int) -> ConfigError:
    """The error for repeat purchases whose gaps vanish (a purchase rate far too high)."""
    name = compiled.personas[persona]
    return _stopped(
        f"scenario.personas.{name}.loyalty.purchase_rate_per_day", day,
        f"a {name!r} customer made {steps:,} repeat purchases without time passing",
        "the purchase rate is so high that the gaps between purchases do not move the clock. Lower purchase_rate_per_day",
    )  # fmt: skip


def referrals_without_time(compiled: CompiledScenario, persona: int, day: float, steps: int) -> ConfigError:
    """The error for recommendations whose gaps vanish (a referral rate far too high); each
    recommendation may bring in a new advocate, so they are counted over all advocates."""
    name = compiled.personas[persona]
    return _stopped(
        f"scenario.personas.{name}.advocacy.referral_rate_per_day", day,
        f"advocates ({name!r} the last) made {steps:,} recommendations in a row without time passing",
        "the referral rate is so high that the gaps between recommendations do not move the clock. Lower referral_rate_per_day",
    )  # fmt: skip


def _stopped(path: str, day: float, what: str, cause: str) -> ConfigError:
    return ConfigError(Problem(path, f"the run cannot reach its horizon and was stopped at day {day:g}: {what}; {cause}"))
