"""The budget optimiser: the simulated optimum, bounds and fixed channels, target modes,
marginal returns, the re-check by paired comparison, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import journeysim as js
from journeysim.analysis.paired import CURRENT, FUTURE
from journeysim.config import with_changes
from journeysim.studies.budget import SplitObjective, marginal_returns, optimise_budget

FIXED = lambda days: {"dist": "fixed", "value": days}
SMALL = {"seed": 7, "replications": 3, "horizon_days": 20.0}


def paid_scenario(tiny_data, budgets: dict, rate: float = 5.0) -> js.Scenario:
    """The tiny deterministic journey (every prospect buys 3.5 days after arriving) with one
    persona and a paid channel per entry of ``budgets``, each with its own awareness touch."""
    for name in budgets:
        if name not in tiny_data["channels"]:
            tiny_data["channels"][name] = {"mode": "online", "cost_per_contact": 0.5}
            tiny_data["touchpoints"]["awareness"][name] = {"delay_days": FIXED(1.0), "advance": 1.0}
    tiny_data["personas"] = {"buyer": {"share": 1.0, "affinity": {c: 1.0 for c in tiny_data["channels"]}, "order_value": FIXED(50.0)}}
    tiny_data["arrival_rate_per_day"] = rate
    tiny_data["budget"] = budgets
    return js.scenario_from_dict(tiny_data)


def s_curve(spend: float, max_arrivals: float, half_saturation: float) -> dict:
    # Steep S-shaped responses give a sharp interior optimum: a flat one would let the
    # thinning noise of the simulated objective decide the grid's argmax.
    return {"spend_per_day": spend, "max_arrivals_per_day": max_arrivals, "half_saturation": half_saturation, "hill_shape": 8.0}


def test_two_channel_split_matches_a_brute_force_grid_of_the_same_simulated_objective(tiny_data):
    """200 EUR/day over social and search, starting far from the optimum (170/30). The grid
    evaluates every split in steps of 1 % of the total on the same simulated objective (same
    seed and replications); the optimiser must land within 1 % of the total of the grid's best
    and do at least as well, with far fewer simulations."""
    scenario = paid_scenario(tiny_data, {"social": s_curve(170.0, 300, 80), "search": s_curve(30.0, 300, 100)})
    objective = SplitObjective(scenario, "conversions", js.RunSettings(**SMALL))
    grid = {social: objective.value({"social": social, "search": 200.0 - social}) for social in np.arange(0.0, 200.1, 2.0)}
    best = max(grid, key=grid.get)
    assert 20 < best < 180 and grid[best] > grid[170.0] * 1.05  # an interior optimum well away from the start

    result = optimise_budget(scenario, "conversions", check=False, **SMALL)
    assert abs(result.recommended["social"] - best) <= 0.01 * 200.0, (result.recommended, best)
    assert result.recommended["social"] + result.recommended["search"] == pytest.approx(200.0)
    assert result.value_recommended >= grid[best] - 1e-9
    assert result.evaluations < len(grid)


def test_bounds_and_fixed_channels_are_respected(tiny_data):
    """Social alone would take most of the budget; capped at 90 EUR/day it stops there, video
    stays at its 40 EUR/day and search takes the rest."""
    scenario = paid_scenario(tiny_data, {
        "social": {"spend_per_day": 50.0, "max_arrivals_per_day": 400, "half_saturation": 200},
        "search": {"spend_per_day": 110.0, "max_arrivals_per_day": 60, "half_saturation": 200},
        "video": {"spend_per_day": 40.0, "max_arrivals_per_day": 100, "half_saturation": 50},
    })
    free = optimise_budget(scenario, "conversions", fixed=["video"], check=False, **SMALL)
    assert free.recommended["social"] > 120  # unbounded, social wins
    result = optimise_budget(scenario, "conversions", fixed=["video"], bounds={"social": (0, 90), "search": {"min_spend_per_day": 20}}, check=False, **SMALL)
    assert result.recommended["video"] == 40.0
    assert result.recommended["social"] == pytest.approx(90.0)
    assert result.recommended["search"] == pytest.approx(70.0)
    assert sum(result.recommended.values()) == pytest.approx(200.0)
    table = result.split.set_index("channel")
    assert bool(table.loc["video", "held_fixed"]) and table.loc["social", "max_spend_per_day"] == 90
    searched = result.trace.loc[result.trace["stage"] != "marginal"]
    assert len(searched) > 10 and searched["video"].eq(40.0).all()  # no split of the search moved the fixed channel


def test_moving_budget_to_the_better_channel_is_rechecked_with_an_interval(funnel_data):
    """Search's prospects skip interest (a shortcut to consideration): a better funnel than
    social's. The optimiser moves money to search, and the paired re-check on the scenario
    reports more conversions with an interval above zero."""
    funnel_data["arrival_rate_per_day"] = 20.0
    funnel_data["budget"] = {
        "social": {"spend_per_day": 300.0, "max_arrivals_per_day": 200, "half_saturation": 300},
        "search": {"spend_per_day": 100.0, "max_arrivals_per_day": 200, "half_saturation": 300},
    }
    scenario = js.scenario_from_dict(funnel_data)
    result = optimise_budget(scenario, "conversions", seed=3, replications=4, horizon_days=30.0)
    assert result.recommended["search"] > 200
    gain = result.gain
    assert gain["difference"] > 0 and gain["ci_low"] > 0 and gain["excludes_zero"]
    row = result.comparison.row("converted")
    assert gain["difference"] == pytest.approx(row["difference"]) and gain["ci_low"] == pytest.approx(row["ci_low"])
    # The comparison's costs include the media spend (the same total in both states).
    spend = result.comparison.per_replication.query("persona == 'all'").groupby("state")["media_spend"].mean()
    assert spend[CURRENT] == pytest.approx(400.0 * 30) and spend[FUTURE] == pytest.approx(400.0 * 30)
    # Marginal return: search pays more per extra EUR/day than social at the current split.
    marginal = result.marginal.set_index(["split", "channel"])["marginal_return"]
    assert marginal["current", "search"] > marginal["current", "social"] > 0


def test_the_recheck_runs_as_many_pairs_as_its_precision_needs(funnel_data):
    """By default the re-check adds pairs until the gain's interval is within +-0.5 % of the
    current objective; a rule of one's own replaces that."""
    funnel_data["arrival_rate_per_day"] = 20.0
    funnel_data["budget"] = {
        "social": {"spend_per_day": 300.0, "max_arrivals_per_day": 200, "half_saturation": 300},
        "search": {"spend_per_day": 100.0, "max_arrivals_per_day": 200, "half_saturation": 300},
    }
    scenario = js.scenario_from_dict(funnel_data)
    run = dict(seed=3, replications=2, horizon_days=20.0, resolution=0.02)
    rule = {"kpi": "conversions", "half_width": 0.1, "relative": True, "min_replications": 3, "batch": 2, "max_replications": 15}
    result = optimise_budget(scenario, "conversions", check_precision=rule, **run)
    stopping, gain = result.comparison.stopping, result.gain
    assert stopping["mode"] == "precision" and stopping["target_reached"] and gain["stopped_because"] == "target half-width reached"
    assert stopping["target_half_width"] == pytest.approx(0.1 * gain["current"])
    assert gain["half_width"] <= stopping["target_half_width"] and gain["replications"] == stopping["replications"] >= 3
    default = optimise_budget(scenario, "conversions", **run, workers=2)  # the re-check's pairs in two processes
    assert default.comparison.stopping["min_replications"] == 5 and default.comparison.stopping["relative"]
    assert default.recommended == result.recommended  # the search does not depend on the re-check


def test_marginal_return_is_the_central_difference_over_the_same_replications(tiny_data):
    scenario = paid_scenario(tiny_data, {"social": {"spend_per_day": 100.0, "max_arrivals_per_day": 200, "half_saturation": 100}})
    objective = SplitObjective(scenario, "revenue", js.RunSettings(**SMALL))
    table = marginal_returns(objective, {"social": 100.0}, step=10.0).set_index("channel")
    expected = (objective.value({"social": 110.0}) - objective.value({"social": 90.0})) / 20.0
    assert table.loc["social", "marginal_return"] == pytest.approx(expected)
    # Each paid prospect buys once for 50 EUR: d(revenue)/d(spend) = 50 x 200 x 16.5 days x K/(s+K)^2 / ... > 0
    assert table.loc["social", "ci_low"] > 0
    at_zero = marginal_returns(objective, {"social": 0.0}, step=10.0).set_index("channel")
    assert at_zero.loc["social", "spend_difference"] == 10.0  # a forward difference where spend cannot go lower


def test_target_mode_finds_the_least_total_that_reaches_the_target(tiny_data):
    scenario = paid_scenario(tiny_data, {
        "social": {"spend_per_day": 100.0, "max_arrivals_per_day": 200, "half_saturation": 100},
        "search": {"spend_per_day": 100.0, "max_arrivals_per_day": 100, "half_saturation": 60},
    })
    objective = SplitObjective(scenario, "conversions", js.RunSettings(**SMALL))
    target = objective.value({"social": 100.0, "search": 100.0})
    result = optimise_budget(scenario, "conversions", target=target, check=False, **SMALL)
    total = sum(result.recommended.values())
    assert result.feasible and result.value_recommended >= target
    assert total < 200.0 * 0.97  # a better split reaches today's conversions for less
    shares = {c: v / total for c, v in result.recommended.items()}
    assert objective.value({c: share * total * 0.97 for c, share in shares.items()}) < target  # and not much less

    unreachable = optimise_budget(scenario, "conversions", target=target * 10, max_total_spend_per_day=400.0, check=False, **SMALL)
    assert not unreachable.feasible and sum(unreachable.recommended.values()) == pytest.approx(400.0)
    assert any("not reached" in note for note in unreachable.notes)


def test_cost_per_acquisition_ceiling_spends_less_when_it_binds(tiny_data):
    """At a fixed total the most conversions also means the lowest CPA, so a ceiling just
    below the best split's CPA can only be met by spending less: the answer is the largest
    spend that keeps the ceiling, and a little more spend (same shares) breaks it."""
    scenario = paid_scenario(tiny_data, {
        "social": {"spend_per_day": 150.0, "max_arrivals_per_day": 200, "half_saturation": 100},
        "search": {"spend_per_day": 50.0, "max_arrivals_per_day": 100, "half_saturation": 60},
    })
    objective = SplitObjective(scenario, "conversions", js.RunSettings(**SMALL))
    best = optimise_budget(scenario, "conversions", check=False, **SMALL)
    ceiling = objective.cost_per_acquisition(best.recommended) * 0.97
    result = optimise_budget(scenario, "conversions", max_cost_per_acquisition=ceiling, check=False, **SMALL)
    total = sum(result.recommended.values())
    assert result.feasible and objective.cost_per_acquisition(result.recommended) == result.cost_per_acquisition_recommended <= ceiling
    assert 20.0 < total < 200.0 and result.value_recommended < best.value_recommended
    more = {c: v * 1.05 for c, v in result.recommended.items()}
    assert objective.cost_per_acquisition(more) > ceiling

    loose = optimise_budget(scenario, "conversions", max_cost_per_acquisition=ceiling * 10, check=False, **SMALL)
    assert loose.feasible and sum(loose.recommended.values()) == pytest.approx(200.0)  # the ceiling does not bind
    hopeless = optimise_budget(scenario, "conversions", max_cost_per_acquisition=0.01, check=False, **SMALL)
    assert not hopeless.feasible and any("cost per acquisition" in note for note in hopeless.notes)


def test_profit_counts_the_media_spend(tiny_data):
    scenario = paid_scenario(tiny_data, {"social": {"spend_per_day": 100.0, "max_arrivals_per_day": 50, "half_saturation": 100}})
    objective = SplitObjective(scenario, "profit", js.RunSettings(**SMALL))
    outcomes = objective.outcomes({"social": 100.0})
    assert (outcomes["media_spend"] == 100.0 * 20).all()
    result = js.simulate(objective.variant({"social": 100.0}), seed=7, horizon_days=20, replications=3, progress=False)
    kpis = result.metrics(by=("replication",)).query("persona == 'all'")
    assert objective.value({"social": 100.0}) == pytest.approx((kpis["revenue"] - kpis["total_cost"]).mean())


def test_result_tables_summary_and_figures(tiny_data, tmp_path):
    scenario = paid_scenario(tiny_data, {
        "social": {"spend_per_day": 150.0, "max_arrivals_per_day": 200, "half_saturation": 100},
        "search": {"spend_per_day": 50.0, "max_arrivals_per_day": 100, "half_saturation": 60},
    })
    result = optimise_budget(scenario, "revenue", seed=1, replications=2, horizon_days=12.0, check_replications=3)
    assert set(result.marginal["split"]) == {"current", "recommended"} and set(result.response["channel"]) == {"social", "search"}
    assert result.gain["replications"] == 3
    text = result.summary()
    assert "recommended" in text and "re-checked on the full scenario" in text and "marginal return" in text
    for name, figure in result.figures().items():
        figure.savefig(tmp_path / name)
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert with_changes(scenario, result.changes).budget["social"].spend_per_day == result.recommended["social"]


BAD = [
    ({"objective": "likes"}, "optimiser.objective", "unknown objective 'likes'"),
    ({"bounds": {"tiktok": (0, 10)}}, "optimiser.bounds.tiktok", "unknown channel 'tiktok'"),
    ({"bounds": {"website": (0, 10)}}, "optimiser.bounds.website", "channel 'website' has no budget"),
    ({"fixed": ["tiktok"]}, "optimiser.fixed.tiktok", "unknown channel 'tiktok'"),
    ({"bounds": {"social": (-5, 10)}}, "optimiser.bounds.social.min_spend_per_day", "must be a number >= 0, got -5"),
    ({"bounds": {"social": (50, 10)}}, "optimiser.bounds.social.max_spend_per_day", "must be a number >= min_spend_per_day (50), got 10"),
    ({"bounds": {"social": (0, 50), "search": (0, 50)}}, "optimiser.bounds", "no split is feasible: the free channels (social, search) take 0 to 100 EUR/day together, but the total to split is 200"),
    ({"bounds": {"search": (150, None)}, "fixed": ["social"]}, "optimiser.bounds", "200 - 150 held fixed (social) = 50 EUR/day"),
    ({"fixed": ["social", "search"]}, "optimiser.fixed", "nothing left to split"),
    ({"total_spend_per_day": -100}, "optimiser.total_spend_per_day", "must be a number >= 0, got -100"),
    ({"target": 10, "objective": "profit"}, "optimiser.target", "an objective that grows with spend"),
    ({"max_cost_per_acquisition": 0}, "optimiser.max_cost_per_acquisition", "must be a number > 0, got 0"),
    ({"max_cost_per_acquisition": 50, "objective": "profit"}, "optimiser.max_cost_per_acquisition", "an objective that grows with spend"),
]


@pytest.mark.parametrize("settings, path, words", BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_optimiser_settings(tiny_data, settings, path, words):
    scenario = paid_scenario(tiny_data, {
        "social": {"spend_per_day": 150.0, "max_arrivals_per_day": 200, "half_saturation": 100},
        "search": {"spend_per_day": 50.0, "max_arrivals_per_day": 100, "half_saturation": 60},
    })
    settings = dict(settings)
    objective = settings.pop("objective", "conversions")
    with pytest.raises(js.ConfigError) as info:
        optimise_budget(scenario, objective, check=False, **SMALL, **settings)
    assert any(str(p).startswith(path + ":") and words in str(p) for p in info.value.problems), info.value.problems


def test_a_channel_with_a_spend_plan_must_be_held_fixed(tiny_data):
    scenario = paid_scenario(tiny_data, {
        "social": {"spend_per_day": 150.0, "max_arrivals_per_day": 200, "half_saturation": 100, "plan": [{"from_day": 5, "to_day": 10, "spend_per_day": 300}]},
        "search": {"spend_per_day": 50.0, "max_arrivals_per_day": 100, "half_saturation": 60},
        "video": {"spend_per_day": 50.0, "max_arrivals_per_day": 100, "half_saturation": 60},
    })
    with pytest.raises(js.ConfigError, match=r"budget.social.plan: has 1 period\(s\); the optimiser splits a constant daily spend"):
        optimise_budget(scenario, check=False, **SMALL)
    result = optimise_budget(scenario, fixed=["social"], check=False, **SMALL)
    assert result.recommended["social"] == 150.0
