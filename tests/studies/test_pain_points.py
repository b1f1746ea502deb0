"""Pain points ranked by their worth: the exact screen against closed forms worked by hand, the
paired confirmation against the exact value, and the fast variants against ``with_changes``."""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType

import numpy as np
import pytest

import journeysim as js
from journeysim.analysis.exact import NotApplicable
from journeysim.studies.pain_points import (
    EXACT,
    EXACT_WITHOUT_CARRYOVER,
    QUEUE,
    SWITCH,
    TOUCHPOINT,
    PainPoint,
    find_pain_points,
    pain_point_table,
    screen_pain_points,
    without_pain_point,
)

EXP = {"dist": "exponential", "mean": 1.0}


def two_stage_data() -> dict:
    """Awareness (social: advance 0.5, drop 0.25) then purchase (web: advance 0.6, drop 0.2,
    friction 0.2). Persona A: sensitivity 1, orders worth 100. Persona B: sensitivity 2,
    orders worth 40, and its own friction 0.1 at awareness/social."""
    return {
        "name": "two_stage",
        "stages": ["awareness", "purchase"],
        "purchase_stage": "purchase",
        "arrival_rate_per_day": 100.0,
        "channels": {"social": {"mode": "online"}, "web": {"mode": "online", "sells": True}},
        "touchpoints": {
            "awareness": {"social": {"delay_days": EXP, "advance": 0.5, "drop": 0.25}},
            "purchase": {"web": {"delay_days": EXP, "advance": 0.6, "drop": 0.2, "friction": 0.2}},
        },
        "personas": {
            "A": {"share": 0.5, "friction_sensitivity": 1.0, "affinity": {"social": 1.0, "web": 1.0},
                  "order_value": {"dist": "fixed", "value": 100.0}},
            "B": {"share": 0.5, "friction_sensitivity": 2.0, "affinity": {"social": 1.0, "web": 1.0},
                  "order_value": {"dist": "fixed", "value": 40.0},
                  "touchpoints": {"awareness": {"social": {"friction": 0.1}}}},
        },
    }  # fmt: skip


def hand_gains() -> dict[tuple[str, str], float]:
    """Gain in conversion probability per arrival from removing each friction, by hand.

    In a stage whose one channel advances with probability a' (friction applied), drops with
    d' and otherwise stays, the customer eventually leaves the stage forward with probability
    a' / (a + d) (the geometric series over stays; a' + lost-to-friction = a). With f_eff =
    1 - (1 - f)^k, conversion is P(awareness) x P(purchase):

    * A (k = 1): P(purchase) = 0.6 (1 - 0.2) / 0.8 = 0.6; P(awareness) = 0.5 / 0.75 = 2/3.
      Removing the purchase friction: 2/3 x (0.75 - 0.6) = 0.1.
    * B (k = 2): purchase f_eff = 1 - 0.8^2 = 0.36, P(purchase) = 0.75 x 0.64 = 0.48;
      awareness f_eff = 1 - 0.9^2 = 0.19, P(awareness) = 0.5 x 0.81 / 0.75 = 0.54.
      Removing the purchase friction: 0.54 x (0.75 - 0.48) = 0.1458; removing the awareness
      friction: (2/3 - 0.54) x 0.48 = 0.0608.
    """
    return {("A", "purchase"): 2 / 3 * (0.75 - 0.6), ("B", "purchase"): 0.54 * (0.75 - 0.48), ("B", "awareness"): (2 / 3 - 0.54) * 0.48}


def test_the_exact_screen_recovers_the_hand_worked_gains_and_ranks_by_revenue():
    scenario = js.scenario_from_dict(two_stage_data())
    arrivals = {"A": 1000.0, "B": 3000.0}
    table = screen_pain_points(scenario, arrivals)
    gains = hand_gains()
    value = {"A": 100.0, "B": 40.0}
    # Worth: A's purchase friction 0.1 x 100 x 1000 = 10,000; B's 0.1458 x 40 x 3000 = 17,496;
    # B's awareness friction 0.0608 x 40 x 3000 = 7,296. By conversions B's purchase (437) leads
    # A's (100) and B's awareness (182.4) too: the ranking is by revenue.
    assert list(zip(table["persona"], table["stage"])) == [("B", "purchase"), ("A", "purchase"), ("B", "awareness")]
    assert list(table["rank"]) == [1, 2, 3]
    assert (table["kind"] == TOUCHPOINT).all() and (table["screen"] == EXACT).all()
    for row in table.itertuples():
        gain = gains[(row.persona, row.stage)]
        assert row.conversion_probability_gain == pytest.approx(gain, abs=1e-12)
        assert row.conversions_gained == pytest.approx(gain * arrivals[row.persona], abs=1e-9)
        assert row.revenue_gained == pytest.approx(gain * value[row.persona] * arrivals[row.persona], abs=1e-7)
        assert json.loads(row.changes) == {"personas": {row.persona: {"touchpoints": {row.stage: {row.channel: {"friction": 0.0}}}}}}


@pytest.mark.statistical
def test_the_paired_confirmation_covers_the_exact_gain():
    """Arrivals over 20 days, followed for 200 (touches take a day on average, so every
    journey ends): the simulated gain per arrival is the chain's; each confirmed pain point's
    99.9 % interval over 8 paired replications covers the exact conversions gained (all three
    together fail with probability under 0.3 %)."""
    scenario = js.scenario_from_dict(two_stage_data())
    settings = js.RunSettings(seed=11, horizon_days=200.0, arrival_days=20.0, replications=1, progress=False)
    result = js.simulate(scenario, settings)
    table = pain_point_table(scenario, settings, result, top=3, replications=8, cohort_arrivals=10_000, confidence=0.999)
    assert table["confirmed"].all()
    assert (table["confirmation_replications"] == 8).all()
    assert table["confirmation_arrivals"].iloc[0] == pytest.approx(2000, rel=0.1)  # the whole arrival window: 100 a day for 20 days
    arrivals = result.customers["persona"].astype(str).value_counts()
    gains = hand_gains()
    for row in table.itertuples():
        exact = gains[(row.persona, row.stage)] * arrivals[row.persona]
        assert row.conversions_gained == pytest.approx(exact, rel=1e-9)
        assert row.simulated_conversions_gained_ci_low <= exact <= row.simulated_conversions_gained_ci_high
        assert row.simulated_conversions_gained_ci_low > 0  # each friction clearly costs conversions


def test_only_the_top_ones_that_gain_are_confirmed():
    scenario = js.scenario_from_dict(two_stage_data())
    settings = js.RunSettings(seed=3, horizon_days=40.0, arrival_days=5.0, progress=False)
    table = pain_point_table(scenario, settings, js.simulate(scenario, settings), top=1, replications=2)
    assert list(table["confirmed"]) == [True, False, False]
    assert table.loc[1:, "simulated_conversions_gained"].isna().all()


def test_a_persona_immune_to_friction_has_no_pain_point_there():
    data = two_stage_data()
    data["personas"]["A"]["friction_sensitivity"] = 0.0
    points = find_pain_points(js.scenario_from_dict(data))
    assert [(p.persona, p.stage) for p in points] == [("B", "awareness"), ("B", "purchase")]


def test_with_emotion_carry_over_the_screen_uses_the_chain_without_it_and_says_so():
    data = two_stage_data()
    data["personas"]["A"]["emotion_carryover"] = {"strength": 1.5, "decay": 0.5}
    scenario = js.scenario_from_dict(data)
    with pytest.raises(NotApplicable):
        js.solve(scenario)
    table = screen_pain_points(scenario, {"A": 1000.0, "B": 1000.0})
    assert (table["screen"] == EXACT_WITHOUT_CARRYOVER).all()
    plain = screen_pain_points(scenario.without_carryover(), {"A": 1000.0, "B": 1000.0})
    assert np.allclose(table["conversions_gained"], plain["conversions_gained"], rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def retail():
    return js.load_scenario("retail_omnichannel")


def test_the_default_scenario_has_every_kind_of_pain_point(retail):
    points = find_pain_points(retail)
    kinds = {p.kind for p in points}
    assert kinds == {TOUCHPOINT, SWITCH, QUEUE}
    assert {p.channel for p in points if p.kind == QUEUE} == {"store", "call_centre"}
    # Every touchpoint with friction, for every persona that can choose its channel.
    expected = {(name, s, c) for name, persona in retail.personas.items() for (s, c), tp in retail.persona_touchpoints(name).items()
                if tp.friction > 0 and persona.affinity.get(c, 0) > 0 and persona.friction_sensitivity > 0}
    assert {(p.persona, p.stage, p.channel) for p in points if p.kind == TOUCHPOINT} == expected


@pytest.mark.parametrize("point", [
    PainPoint(TOUCHPOINT, "digital_native", "purchase", "website", 0.3),  # no persona override there yet
    PainPoint(TOUCHPOINT, "time_poor_professional", "purchase", "mobile_app", 0.05),  # the persona's own override
    PainPoint(SWITCH, "all", friction=0.1),
    PainPoint(QUEUE, "all", channel="store", friction=0.3),
])  # fmt: skip
def test_the_fast_variant_is_the_scenario_with_changes_builds(retail, point):
    fast, slow = without_pain_point(retail, point), js.with_changes(retail, point.changes())
    blank = MappingProxyType({})
    assert dataclasses.replace(fast, source=blank) == dataclasses.replace(slow, source=blank)
    # Its plain data, validated again, is the validated scenario's: it hashes and changes alike.
    assert js.with_changes(fast, {}).source == slow.source
