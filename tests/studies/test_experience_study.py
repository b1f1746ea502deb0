"""Issue 14's check on the default scenario: a clearly worse future state (0.3 more friction at
every purchase touchpoint, persona overrides included) shows satisfaction, CSAT and NPS
falling, each with its 95 % paired interval below zero."""

from __future__ import annotations

import pytest

import journeysim as js
from journeysim.studies.comparison import compare

ADDED = 0.3


def with_purchase_friction(scenario: js.Scenario) -> dict:
    """Every purchase touchpoint's friction f becomes 1 - (1 - f)(1 - 0.3): one more obstacle."""
    changes = {f"touchpoints.purchase.{channel}.friction": 1 - (1 - tp.friction) * (1 - ADDED)
               for (stage, channel), tp in scenario.touchpoints.items() if stage == "purchase"}
    for name, persona in scenario.personas.items():
        for (stage, channel), tp in persona.touchpoint_overrides.items():
            if stage == "purchase" and tp is not None:
                changes[f"personas.{name}.touchpoints.purchase.{channel}.friction"] = 1 - (1 - tp.friction) * (1 - ADDED)
    return changes


@pytest.mark.statistical
def test_more_purchase_friction_lowers_satisfaction_csat_and_nps():
    current = js.load_scenario()
    comparison = compare(current, with_purchase_friction(current), replications=4, seed=7, horizon_days=45, details=False)
    for kpi in ("satisfaction", "csat", "nps", "conversion_rate"):
        row = comparison.row(kpi)
        assert row["ci_high"] < 0, (kpi, row.to_dict())
    assert comparison.row("survey_responses")["current"] > 500  # enough answers for the interval to mean something
