"""Answers a strategist would act on say what they mean. (Issue 15, "Wrong answers in silence".)"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from journeysim.analysis.paired import paired_statistics
from journeysim.studies.budget.optimiser import BudgetOptimisation


def test_a_growing_loss_is_a_negative_change():
    """Profit -100 -> -130 is 30 % worse, and -100 -> -70 30 % better, whatever the sign."""
    worse = paired_statistics(np.array([-100.0, -100.0]), np.array([-130.0, -130.0]))
    better = paired_statistics(np.array([-100.0, -100.0]), np.array([-70.0, -70.0]))
    assert worse["relative_change"] == pytest.approx(-0.3) and better["relative_change"] == pytest.approx(0.3)
    assert paired_statistics(np.array([100.0, 100.0]), np.array([130.0, 130.0]))["relative_change"] == pytest.approx(0.3)


def optimisation(low: float, high: float) -> BudgetOptimisation:
    empty = pd.DataFrame()
    gain = {"ci_low": low, "ci_high": high, "difference": (low + high) / 2} if not math.isnan(low) or not math.isnan(high) else {}
    return BudgetOptimisation("conversions", "fixed_total", {}, {}, {}, 0.0, 0.0, True, 0.0, 0.0, empty, empty, empty, empty, gain=gain)


@pytest.mark.parametrize("low, high, verdict", [
    (2.0, 9.0, "move to the recommended split"),
    (-3.0, 9.0, "keep the current split: no gain beyond noise"),
    (-9.0, -2.0, "keep the current split: the recommended one does worse"),
    (float("nan"), float("nan"), "not re-checked"),
])
def test_the_optimiser_gives_a_verdict_from_the_recheck_interval(low, high, verdict):
    assert optimisation(low, high).verdict.startswith(verdict)


SMALL = {"arrival_rate_per_day": 15.0}


@pytest.fixture(scope="module")
def retail():
    import journeysim as js

    return js.load_scenario(changes=SMALL)


def quick_compare(scenario, changes):
    from journeysim.studies.comparison import ChangeWarning, compare

    with pytest.warns(ChangeWarning) as caught:
        comparison = compare(scenario, changes, replications=2, horizon_days=8, details=False)
    return comparison, [str(w.message) for w in caught]


def test_a_change_a_persona_overrides_is_flagged_not_silently_shadowed(retail):
    from journeysim.config import value_at
    from journeysim.reporting.comparison_summary import comparison_text

    shadowing = [p for p, spec in retail.source["personas"].items() if value_at(spec, "touchpoints.purchase.mobile_app.friction") is not None]
    assert shadowing, "the default scenario has a persona with its own app checkout friction"
    comparison, warned = quick_compare(retail, {"touchpoints.purchase.mobile_app.friction": 0.0})
    persona = shadowing[0]
    assert any(f"persona {persona} keeps its own friction" in note for note in comparison.notes)
    assert warned == [f"journeysim: {note}" for note in comparison.notes]
    assert "Warnings (read before acting" in comparison_text(comparison) and persona in comparison_text(comparison)


def test_a_change_that_does_nothing_is_flagged(retail):
    current = retail.source["touchpoints"]["purchase"]["website"]["friction"]
    comparison, _ = quick_compare(retail, {"touchpoints.purchase.website.friction": current})
    assert comparison.notes == [f"touchpoints.purchase.website.friction: already {current!r}; this change does nothing"]
    assert comparison.row("converted")["difference"] == 0.0


def test_a_new_channel_nobody_has_an_affinity_for_is_flagged(retail):
    fixed = {"dist": "fixed", "value": 1.0}
    changes = {"channels": {"tiktok_shop": {"mode": "online", "cost_per_contact": 0.1}},
               "touchpoints": {"awareness": {"tiktok_shop": {"delay_days": fixed, "advance": 0.5, "drop": 0.2}}}}
    comparison, _ = quick_compare(retail, changes)
    assert any(note.startswith("channels.tiktok_shop: has touchpoints, but no persona has an affinity") for note in comparison.notes)


def test_an_ordinary_change_raises_no_warning(retail):
    import warnings

    from journeysim.studies.comparison import compare

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        comparison = compare(retail, {"touchpoints.purchase.website.friction": 0.05}, replications=2, horizon_days=8, details=False)
    assert comparison.notes == []
