"""Journey parameters from a touch log: hand-made logs with known answers, censoring against
its closed form, and a round trip through the simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.exact import solve
from journeysim.analysis.fit_touches import fit_touch_log
from journeysim.studies.calibration import events_as_touch_log, fitted_scenario_data

STAGES = ["awareness", "interest", "purchase"]


def log_of(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "time_days", "stage", "channel", "event", "value"])


def test_outcomes_are_read_from_what_each_customer_did_next():
    log = log_of([
        ("a", 0.0, "awareness", "social", "touch", None),
        ("a", 1.0, "interest", "website", "touch", None),
        ("a", 2.0, "purchase", "website", "touch", None),
        ("a", 2.0, "purchase", "website", "purchase", 40.0),
        ("a", 9.0, "purchase", "website", "purchase", 55.0),  # a repeat purchase: not the journey
        ("b", 0.0, "awareness", "social", "touch", None),
        ("b", 1.0, "awareness", "social", "touch", None),  # stayed, then went quiet for good
        ("c", 0.5, "awareness", "social", "touch", None),
        ("c", 1.5, "purchase", "website", "touch", None),  # skipped interest
        ("c", 2.5, "purchase", "website", "touch", None),
    ])
    fit = fit_touch_log(log, STAGES, end_days=1000.0, bootstrap=0)
    table = fit.touchpoints.set_index(["stage", "channel"])
    social = table.loc[("awareness", "social")]
    # 4 touches: a advanced (to interest), b stayed once then dropped, c advanced to purchase.
    assert social["touches"] == 4 and social["advance"] == 0.5 and social["stay"] == 0.25 and social["drop"] == 0.25
    assert social["target"] in ("interest", "purchase") and social["target_share"] == 0.5
    purchase = table.loc[("purchase", "website")]
    # a bought at once; c stayed, then went quiet: 1 advance, 1 stay, 1 drop of 3.
    assert (purchase["advance"], purchase["stay"], purchase["drop"]) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert table.loc[("interest", "website"), "advance"] == 1.0
    assert fit.order_values.set_index("persona").loc["all_customers", "purchases"] == 1  # first purchases only
    assert any("no 'reason' column" in note for note in fit.notes)


def test_a_reason_marks_a_loss_to_friction():
    log = log_of([(f"c{i}", 0.0, "purchase", "website", "touch", None) for i in range(4)]
                 + [("c0", 0.0, "purchase", "website", "purchase", 10.0), ("c1", 0.0, "purchase", "website", "purchase", 12.0)])
    log["reason"] = ["", "", "payment_failed", "", "", ""]
    fit = fit_touch_log(log, ["purchase"], end_days=1000.0, bootstrap=0)
    row = fit.touchpoints.iloc[0]
    # 2 bought, 1 lost to friction, 1 dropped: advance (would-be buyers) 3/4, friction 1/3 of them.
    assert (row["advance"], row["friction"], row["drop"]) == pytest.approx((0.75, 1 / 3, 0.25))


def test_journeys_cut_short_by_the_end_of_the_data_are_open_not_lost():
    """30 customers advance from awareness, half after 1 day and half after 10, so a touch
    5 days before the end would be followed in time with S = 1/2. m = 40 customers touched
    5 days before the end and nothing since. The maximum-likelihood drop probability is
    d = m / (m + N) - N s / ((m + N)(1 - s)) = 40/70 - 15/35 = 1/7 (N = 30, s = 1/2),
    not the naive 40/70."""
    end = 100.0
    rows = []
    for i in range(30):
        gap = 1.0 if i < 15 else 10.0
        rows += [(f"a{i}", 0.0, "awareness", "social", "touch", None), (f"a{i}", gap, "interest", "social", "touch", None)]
    rows += [(f"m{i}", end - 5.0, "awareness", "social", "touch", None) for i in range(40)]
    fit = fit_touch_log(log_of(rows), STAGES, end_days=end, bootstrap=0)
    row = fit.touchpoints.set_index(["stage", "channel"]).loc[("awareness", "social")]
    assert row["drop"] == pytest.approx(1 / 7, abs=1e-9)
    assert row["advance"] + row["stay"] == pytest.approx(6 / 7, abs=1e-9)


def test_affinity_is_the_choice_model_the_engines_use():
    """Two stages share website; awareness offers social and website, interest website and
    store. Counts 30 social / 10 website at awareness, 20 website / 20 store at interest:
    the Luce weights solve w_s/(w_s+w_w) = 3/4 and w_w/(w_w+w_st) = 1/2 -> (3, 1, 1), scaled
    so the largest is 1."""
    rows, t = [], 0.0
    counts = {("awareness", "social"): 30, ("awareness", "website"): 10, ("interest", "website"): 20, ("interest", "store"): 20}
    for (stage, channel), n in counts.items():
        for i in range(n):
            rows.append((f"{stage}{channel}{i}", t, stage, channel, "touch", None))
    fit = fit_touch_log(log_of(rows), STAGES, end_days=1.0, bootstrap=0)
    weights = fit.affinity.set_index("channel")["weight"]
    assert weights.to_dict() == pytest.approx({"social": 1.0, "website": 1 / 3, "store": 1 / 3}, rel=1e-9)


# -- round trip through the simulator --------------------------------------------------

ROUND_TRIP_STAGES = ["discover", "explore", "decide", "buy"]


def round_trip_data() -> dict:
    """Not the default scenario: other stage names, five channels, three personas with their
    own maps, frictions, and a shortcut (discover -> decide through search)."""
    exp = lambda mean: {"dist": "exponential", "mean": mean}  # noqa: E731
    gamma = lambda mean, cv: {"dist": "gamma", "mean": mean, "cv": cv}  # noqa: E731
    return {
        "name": "round_trip",
        "stages": ROUND_TRIP_STAGES,
        "purchase_stage": "buy",
        "arrival_rate_per_day": 240.0,
        "channels": {
            "video": {"mode": "online"}, "search": {"mode": "online"},
            "site": {"mode": "online", "sells": True}, "app": {"mode": "online", "sells": True},
            "shop": {"mode": "offline", "sells": True},
        },
        "touchpoints": {
            "discover": {"video": {"delay_days": exp(1.0), "advance": 0.35, "drop": 0.3},
                         "search": {"delay_days": gamma(2.0, 0.5), "advance": 0.45, "drop": 0.15, "target": "decide"}},
            "explore": {"site": {"delay_days": exp(1.5), "advance": 0.5, "drop": 0.2},
                        "shop": {"delay_days": {"dist": "uniform", "low": 1.0, "high": 4.0}, "advance": 0.6, "drop": 0.1}},
            "decide": {"site": {"delay_days": exp(1.0), "advance": 0.45, "drop": 0.15, "friction": 0.2},
                       "app": {"delay_days": exp(0.8), "advance": 0.55, "drop": 0.1, "friction": 0.1},
                       "shop": {"delay_days": {"dist": "lognormal", "mean": 2.0, "cv": 0.6}, "advance": 0.6, "drop": 0.1}},
            "buy": {"site": {"delay_days": exp(0.5), "advance": 0.7, "drop": 0.1, "friction": 0.3},
                    "app": {"delay_days": exp(0.4), "advance": 0.75, "drop": 0.05, "friction": 0.15},
                    "shop": {"delay_days": {"dist": "lognormal", "mean": 1.0, "cv": 0.8}, "advance": 0.8, "drop": 0.05}},
        },
        "personas": {
            "scroller": {"share": 0.5, "affinity": {"video": 4, "search": 1, "site": 2, "app": 3, "shop": 0.5},
                         "order_value": {"dist": "lognormal", "mean": 35.0, "cv": 0.5}},
            "planner": {"share": 0.3, "affinity": {"video": 1, "search": 3, "site": 3, "app": 1, "shop": 1},
                        "order_value": {"dist": "gamma", "mean": 80.0, "cv": 0.4},
                        "touchpoints": {"buy": {"site": {"friction": 0.05}}}},
            "visitor": {"share": 0.2, "affinity": {"video": 1, "search": 1, "site": 1, "app": 0, "shop": 4},
                        "order_value": {"dist": "gamma", "mean": 120.0, "cv": 0.3},
                        "touchpoints": {"decide": {"shop": {"advance": 0.7, "drop": 0.05}}}},
        },
    }


def touch_log_of(result: js.SimulationResult) -> pd.DataFrame:
    """The events as a brand's touch log: touches and purchases, friction losses labelled."""
    return events_as_touch_log(result.events)


def true_cells(scenario: js.Scenario) -> dict[tuple[str, str, str], dict[str, float]]:
    cells = {}
    for persona, spec in scenario.personas.items():
        for (stage, channel), tp in scenario.persona_touchpoints(persona).items():
            if spec.affinity.get(channel, 0) > 0:
                cells[(persona, stage, channel)] = {"advance": tp.advance, "drop": tp.drop, "friction": tp.friction,
                                                    "stay": 1 - tp.advance - tp.drop, "mean": tp.delay_days.mean}
    return cells


@pytest.fixture(scope="module")
def round_trip():
    scenario = js.scenario_from_dict(round_trip_data())
    result = js.simulate(scenario, seed=5, horizon_days=150, arrival_days=60, engine="vectorised", progress=False)
    fit = fit_touch_log(touch_log_of(result), ROUND_TRIP_STAGES, end_days=150.0, bootstrap=100, seed=1)
    return scenario, result, fit


def test_the_fitted_scenario_converts_like_the_data(round_trip):
    """Per persona, the fitted scenario's exact conversion probability lies within the 99 %
    binomial interval of the conversion observed in the log (journeys had 90 days to end)."""
    scenario, result, fit = round_trip
    fitted = js.scenario_from_dict(fitted_scenario_data(fit))
    exact = solve(fitted).summary.set_index("persona")
    customers = result.customers
    assert (customers["outcome"] == "open").mean() < 0.001
    for persona in scenario.personas:
        mine = customers.loc[customers["persona"] == persona]
        observed, n = (mine["outcome"] == "converted").mean(), len(mine)
        p = exact.loc[persona, "conversion_probability"]
        assert abs(observed - p) <= 2.576 * np.sqrt(p * (1 - p) / n), (persona, observed, p, n)
        touches = mine["touches"].to_numpy(float)
        assert abs(touches.mean() - exact.loc[persona, "expected_touches"]) <= 2.576 * touches.std() / np.sqrt(n)
        # Time to convert (arrival to purchase; the first wait is the first stage's delays):
        # within the 99 % interval of the converters' mean.
        days = mine["time_to_convert_days"].dropna().to_numpy(float)
        expected = exact.loc[persona, "expected_time_to_convert_days"]
        assert abs(days.mean() - expected) <= 2.576 * days.std() / np.sqrt(days.size), (persona, days.mean(), expected)


def test_every_fitted_touchpoint_and_rate_is_near_the_truth(round_trip):
    scenario, _, fit = round_trip
    table = fit.touchpoints.set_index(["persona", "stage", "channel"])
    delays = fit.delays.set_index(["persona", "stage", "channel"])
    for key, truth in true_cells(scenario).items():
        for field in ("advance", "drop", "friction", "stay"):
            assert table.loc[key, field] == pytest.approx(truth[field], abs=0.06), (key, field)
        if key in delays.index:
            assert delays.loc[key, "mean"] == pytest.approx(truth["mean"], rel=0.15), key
    shortcut = table.loc[("planner", "discover", "search")]
    assert shortcut["target"] == "decide" and shortcut["target_share"] == 1.0
    # Arrivals stopped at day 60 of 150: the base rate is the rate while they came, and a
    # calendar period after it multiplies it by about 0.
    rates = fit.arrivals.set_index("persona")["rate_per_day"]
    for persona in scenario.personas:
        assert rates[persona] == pytest.approx(scenario.arrival_rate(persona), rel=0.05)
        mine = fit.calendar.loc[fit.calendar["persona"] == persona]
        quiet = mine.loc[(mine["from_day"] <= 100) & (mine["to_day"] > 100)]
        assert len(quiet) == 1 and quiet["multiplier"].item() < 0.01 and mine["from_day"].min() == pytest.approx(60, abs=2.5)


@pytest.mark.statistical
def test_the_95_percent_intervals_cover_the_truth_over_20_seeds():
    """A scenario with a hand-off (the scroller's). Every touchpoint probability and delay
    mean whose truth is inside (0, 1) or positive, and every affinity ratio that is
    estimated (not the 1 each group is scaled to) of the personas without a hand-off: over 20
    independent logs, the share of 95 % bootstrap intervals containing the truth lies in
    [0.88, 1] (the issue's bar; a correct interval gives 0.95 up to bootstrap noise)."""
    data = {**round_trip_data(), "arrival_rate_per_day": 120.0}
    data["personas"]["scroller"]["handoff"] = {"video": {"app": 4.0}, "search": {"site": 3.0}}  # the issue asks for one
    scenario = js.scenario_from_dict(data)
    truths = true_cells(scenario)
    hits = []
    for seed in range(20):
        result = js.simulate(scenario, seed=100 + seed, horizon_days=120, arrival_days=60, engine="vectorised", progress=False)
        fit = fit_touch_log(touch_log_of(result), ROUND_TRIP_STAGES, end_days=120.0, bootstrap=100, seed=seed)
        table = fit.touchpoints.set_index(["persona", "stage", "channel"])
        delays = fit.delays.set_index(["persona", "stage", "channel"])
        for key, truth in truths.items():
            for field in ("advance", "drop", "friction", "stay"):
                if 0 < truth[field] < 1 and key in table.index:
                    hits.append(table.loc[key, f"{field}_ci_low"] <= truth[field] <= table.loc[key, f"{field}_ci_high"])
            if key in delays.index:
                hits.append(delays.loc[key, "mean_ci_low"] <= truth["mean"] <= delays.loc[key, "mean_ci_high"])
        for persona, spec in scenario.personas.items():
            if spec.handoff:  # its choices are affinity x hand-off: the affinity alone is not the fit's
                continue
            weights = fit.affinity.loc[fit.affinity["persona"] == persona].set_index("channel")
            top = weights["weight"].idxmax()
            for channel, row in weights.iterrows():
                if row["weight"] < 1:  # the scale of its group comes from another channel of the group
                    anchor = weights.loc[weights["weight"] == 1].index
                    shared = [c for c in anchor if _same_group(scenario, persona, c, channel)]
                    truth = spec.affinity[channel] / spec.affinity[shared[0]]
                    hits.append(row["weight_ci_low"] <= truth <= row["weight_ci_high"])
        assert top in spec.affinity
    coverage = float(np.mean(hits))
    assert len(hits) > 1000
    print(f"coverage {coverage:.3f} over {len(hits)} intervals")
    assert 0.88 <= coverage <= 1.0, f"coverage {coverage:.3f} over {len(hits)} intervals"


def _same_group(scenario: js.Scenario, persona: str, a: str, b: str) -> bool:
    """Do channels a and b share a stage in the persona's map (directly: enough here)?"""
    table = scenario.persona_touchpoints(persona)
    return any((stage, a) in table and (stage, b) in table for stage in scenario.stages)


def test_a_channel_handoff_is_found_where_the_choices_show_one_and_only_there():
    """The scroller's next channel depends on the last (video -> app 4x, search -> site 3x);
    the others' does not. The AIC gives the scroller a hand-off and nobody else, and the
    fitted scenario's choice after each channel is within 0.03 of the true one."""
    data = round_trip_data()
    data["personas"]["scroller"]["handoff"] = {"video": {"app": 4.0}, "search": {"site": 3.0}}
    scenario = js.scenario_from_dict(data)
    result = js.simulate(scenario, seed=8, horizon_days=150, arrival_days=60, engine="vectorised", progress=False)
    fit = fit_touch_log(touch_log_of(result), ROUND_TRIP_STAGES, end_days=150.0, bootstrap=20, seed=2)
    tests = fit.handoff_test.set_index("persona")
    assert bool(tests.loc["scroller", "used"]) and not tests.drop(index="scroller")["used"].any(), tests
    fitted = js.scenario_from_dict(fitted_scenario_data(fit))
    from journeysim.model.compiled import compile_scenario

    truth, estimate = compile_scenario(scenario), compile_scenario(fitted)
    p_true, p_fit = truth.personas.index("scroller"), estimate.personas.index("scroller")
    # Where a customer can be after each channel: staying, or where its advances lead.
    for previous, stages in (("video", ("discover", "explore")), ("search", ("discover", "decide"))):
        k_true, k_fit = truth.channels.index(previous) + 1, estimate.channels.index(previous) + 1
        for stage in stages:
            s_true, s_fit = truth.stages.index(stage), estimate.stages.index(stage)
            for channel in estimate.channels:
                true = truth.choice_probability_after[p_true, k_true, s_true, truth.channels.index(channel)]
                fitted_p = estimate.choice_probability_after[p_fit, k_fit, s_fit, estimate.channels.index(channel)]
                assert fitted_p == pytest.approx(true, abs=0.03), (previous, stage, channel)
    exact = solve(fitted).summary.set_index("persona")
    mine = result.customers.loc[result.customers["persona"] == "scroller"]
    p = exact.loc["scroller", "conversion_probability"]
    assert abs((mine["outcome"] == "converted").mean() - p) <= 2.576 * np.sqrt(p * (1 - p) / len(mine))


def test_journeys_still_running_at_the_end_of_a_real_export_are_not_counted_as_lost():
    """Arrivals to the last day (as a real export is cut) and purchase-stage waits of 4 days
    on average: over 5 % of journeys are open at the end. The buy stage's drop and advance
    per persona and channel: at least 14 of their 16 bootstrap intervals (95 %) hold the
    truth, every estimate within 0.035 of it."""
    data = round_trip_data()
    for channel in data["touchpoints"]["buy"].values():
        channel["delay_days"] = {"dist": "exponential", "mean": 4.0}
    scenario = js.scenario_from_dict({**data, "arrival_rate_per_day": 300.0})
    result = js.simulate(scenario, seed=3, horizon_days=60, engine="vectorised", progress=False)
    assert (result.customers["outcome"] == "open").mean() > 0.05
    fit = fit_touch_log(touch_log_of(result), ROUND_TRIP_STAGES, end_days=60.0, bootstrap=100, seed=4)
    table = fit.touchpoints.set_index(["persona", "stage", "channel"])
    held = []
    for (persona, stage, channel), truth in true_cells(scenario).items():
        if stage == "buy":
            row = table.loc[(persona, stage, channel)]
            for field in ("drop", "advance"):
                assert row[field] == pytest.approx(truth[field], abs=0.035), (persona, channel, field)
                held.append(row[f"{field}_ci_low"] <= truth[field] <= row[f"{field}_ci_high"])
    assert len(held) == 16 and sum(held) >= 14, held
