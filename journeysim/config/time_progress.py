"""Whole-scenario check that time can pass: configurations that would loop at one instant.

A journey moves on in time through its delays, service and patience. Some combinations let a
customer take step after step without the clock moving, so the run never reaches its horizon;
where that is certain from the configuration alone, it is refused here, naming the field to
change. Loops that are only likely (a delay that is 0 most of the time, rates so high that
their gaps vanish beside the day count) are stopped by the engines' guard instead
(:mod:`journeysim.simulation.engines.progress`).
"""

from __future__ import annotations

from journeysim.config.validation_rules import Collector
from journeysim.model.scenario import LOSE, Scenario


def check_time_progress(check: Collector, scenario: Scenario, path: str) -> None:
    """Refuse a renege loop at one instant: a persona whose patience is always 0, at a stage
    where every channel it may choose is a queue that never loses whoever gives up
    (``queue.renege_loss_probability`` 0) and is reached with a delay that is always 0. A
    customer who finds every server busy gives up at once and comes back at the same instant,
    forever."""
    for name, persona in scenario.personas.items():
        if persona.patience_days is None or not persona.patience_days.always_zero:
            continue
        table = scenario.persona_touchpoints(name)
        closed = scenario.persona_closed_touchpoints(name) if scenario.removal.policy == LOSE else {}
        for stage in scenario.journey_stages:
            if any(s == stage and persona.affinity.get(c, 0.0) > 0 for s, c in closed):
                continue  # a closed touchpoint loses the customer: a way out
            chosen = [tp for (s, c), tp in table.items() if s == stage and persona.affinity.get(c, 0.0) > 0]
            looping = [
                tp.channel for tp in chosen
                if scenario.channels[tp.channel].has_queue
                and scenario.channels[tp.channel].queue.renege_loss_probability == 0
                and tp.delay_days.always_zero
            ]  # fmt: skip
            if chosen and len(looping) == len(chosen):
                check.add(
                    f"{path}.personas.{name}.patience_days",
                    f"is always 0, and at stage {stage!r} every channel {name!r} chooses ({', '.join(looping)}) is a queue "
                    "that keeps whoever gives up (queue.renege_loss_probability 0) and is reached with no delay: a customer "
                    "who finds every server busy would give up and come back at the same instant, forever. Give patience_days "
                    "a positive value, a renege_loss_probability above 0, or those touchpoints a delay",
                )
