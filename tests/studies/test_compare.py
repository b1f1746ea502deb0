"""Current vs future state: common random numbers, paired intervals, the precision rule, engines, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.exact import solve
from journeysim.analysis.paired import (
    CURRENT,
    FUTURE,
    KEY_COLUMNS,
    comparison_table,
    paired_values,
)
from journeysim.config import with_changes
from journeysim.simulation import ReplicationRunner
from journeysim.studies.comparison import compare, future_state, paired_engine
from journeysim.studies.paired_runs import state_engines
from journeysim.studies.precision import Precision

SMALL_RETAIL = {"arrival_rate_per_day": 30.0}
EXP = lambda mean: {"dist": "exponential", "mean": mean}
NO_WEBSITE_FRICTION = {"touchpoints": {"purchase": {"website": {"friction": 0.0}}}}


def checkout_data() -> dict:
    """Two stages and one persona: small enough for hundreds of runs, with the exact solver's
    answer for what removing the checkout friction does."""
    return {
        "name": "checkout",
        "stages": ["awareness", "purchase"],
        "arrival_rate_per_day": 20.0,
        "channels": {
            "social": {"cost_per_contact": 0.3},
            "website": {"sells": True, "cost_per_contact": 0.02},
            "store": {"mode": "offline", "sells": True, "cost_per_contact": 4.0},
        },
        "touchpoints": {
            "awareness": {"social": {"delay_days": EXP(1.0), "advance": 0.6, "drop": 0.2}},
            "purchase": {
                "website": {"delay_days": EXP(0.5), "advance": 0.6, "drop": 0.1, "friction": 0.4},
                "store": {"delay_days": EXP(1.0), "advance": 0.5, "drop": 0.2},
            },
        },
        "personas": {"shopper": {"share": 1.0, "affinity": {"social": 1.0, "website": 2.0, "store": 1.0}, "order_value": {"dist": "fixed", "value": 50.0}}},
    }


def exact_conversion_difference(current: js.Scenario, future: js.Scenario, persona: str = "all") -> float:
    exact = lambda s: solve(s).summary.set_index("persona").loc[persona, "conversion_probability"]
    return float(exact(future) - exact(current))


@pytest.fixture(scope="module")
def retail() -> js.Scenario:
    return js.load_scenario(changes=SMALL_RETAIL)


# -- common random numbers -----------------------------------------------------------------


def test_identical_future_differs_by_exactly_zero_in_every_replication(retail):
    comparison = compare(retail, {}, replications=3, seed=5, horizon_days=20)
    per_replication = comparison.per_replication
    kpis = comparison.kpis
    assert {"conversion_rate", "bounce_rate", "satisfaction", "revenue", "cost_per_acquisition", "time_to_convert_days"} <= set(kpis)
    current = per_replication.loc[per_replication["state"] == CURRENT].set_index(["replication", "persona"])[kpis]
    future = per_replication.loc[per_replication["state"] == FUTURE].set_index(["replication", "persona"])[kpis]
    assert len(current) == 3 * 4 and current.index.equals(future.index)
    assert current.isna().equals(future.isna())  # undefined in the same places (e.g. no conversion)
    difference = (future - current).to_numpy()
    defined = ~np.isnan(difference)
    assert defined.sum() > 0.8 * difference.size
    assert (difference[defined] == 0.0).all()
    table = comparison.table
    assert set(table["kpi"]) == set(kpis) and set(table["persona"]) == {*retail.persona_names, "all"}
    defined_rows = table["replications"] >= 2
    assert (table.loc[defined_rows, ["difference", "ci_low", "ci_high"]] == 0.0).all().all()
    assert not table["excludes_zero"].any()
    assert (comparison.dropoff.filter(like="difference") == 0.0).all().all()
    assert (comparison.channel_mix["share_difference"] == 0.0).all()


def test_independent_streams_do_not_share_random_numbers(retail):
    comparison = compare(retail, {}, replications=3, seed=5, horizon_days=20, independent=True, details=False)
    assert (comparison.differences("arrivals") != 0).all()
    assert comparison.metadata()["future_seed"] != comparison.metadata()["seed"]


def test_replication_i_is_the_same_as_in_simulate(retail):
    """The comparison's replication 2 is simulate's replication 2 (same seed), for both states."""
    comparison = compare(retail, NO_WEBSITE_FRICTION, replications=3, seed=9, horizon_days=20, details=False)
    for state, scenario in ((CURRENT, retail), (FUTURE, comparison.future)):
        result = js.simulate(scenario, seed=9, horizon_days=20, replications=3, progress=False)
        expected = result.metrics(by=("replication",))  # media spend included, as in the comparison
        mine = comparison.per_replication.loc[comparison.per_replication["state"] == state].drop(columns="state").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, expected[mine.columns].reset_index(drop=True), check_dtype=False)


# -- a change with a known effect ---------------------------------------------------------


def test_removing_friction_moves_conversion_by_the_exact_amount(funnel_data):
    """The exact solver predicts the effect; the paired 95% interval must contain it (and be
    narrow enough that this means something)."""
    current = js.scenario_from_dict(funnel_data)
    comparison = compare(current, NO_WEBSITE_FRICTION, replications=12, seed=2024, arrival_days=4, horizon_days=120, details=False)
    truth = exact_conversion_difference(current, comparison.future)
    assert truth > 0.03  # the friction is worth removing
    row = comparison.row("conversion_rate")
    assert row["ci_low"] <= truth <= row["ci_high"], (truth, row.to_dict())
    assert row["half_width"] < 0.2 * truth
    assert row["excludes_zero"]
    assert comparison.row("open_share")["current"] == 0  # journeys ended: the exact value applies
    # The exact levels too (paired differences are sharp, levels are not: a wider check).
    exact_current = solve(current).summary.set_index("persona").loc["all", "conversion_probability"]
    assert abs(row["current"] - exact_current) < 0.03


@pytest.mark.statistical
def test_intervals_cover_the_true_difference_about_95_percent_of_the_time():
    """200 independent experiments of 5 paired replications each (disjoint replication
    numbers are independent streams, like different seeds); their 95% t-intervals of the
    conversion difference must cover the exact difference about 95% of the time."""
    current = js.scenario_from_dict(checkout_data())
    future = future_state(current, NO_WEBSITE_FRICTION)
    truth = exact_conversion_difference(current, future)
    experiments, size = 200, 5
    settings = js.RunSettings(seed=11, horizon_days=60.0, arrival_days=5.0, progress=False)
    runs = pd.concat(
        [ReplicationRunner(s, settings).kpis(experiments * size).assign(state=state) for state, s in ((CURRENT, current), (FUTURE, future))],
        ignore_index=True,
    )[list(KEY_COLUMNS) + ["conversion_rate"]]
    assert (runs.groupby("state")["conversion_rate"].count() == 2 * experiments * size).all()  # persona + all rows
    covered = []
    for experiment in range(experiments):
        block = runs.loc[runs["replication"] // size == experiment]
        row = comparison_table(block).set_index(["kpi", "persona"]).loc[("conversion_rate", "all")]
        assert row["replications"] == size
        covered.append(row["ci_low"] <= truth <= row["ci_high"])
    coverage = float(np.mean(covered))
    assert 0.90 <= coverage <= 0.99, coverage


# -- the precision rule -----------------------------------------------------------------------


def _half_width(per_replication: pd.DataFrame, kpi: str, upto: int) -> float:
    block = per_replication.loc[per_replication["replication"] < upto]
    return float(comparison_table(block).set_index(["kpi", "persona"]).loc[(kpi, "all"), "half_width"])


def test_precision_stops_as_soon_as_the_target_half_width_is_reached():
    current = js.scenario_from_dict(checkout_data())
    settings = js.RunSettings(horizon_days=60.0, arrival_days=5.0, progress=False)
    reference = compare(current, NO_WEBSITE_FRICTION, replications=16, seed=3, settings=settings, details=False)
    target = _half_width(reference.per_replication, "conversion_rate", 12)
    assert _half_width(reference.per_replication, "conversion_rate", 4) > target
    precision = Precision(kpi="conversion_rate", persona="all", half_width=target, min_replications=4, batch=2, max_replications=40)
    comparison = compare(current, NO_WEBSITE_FRICTION, precision=precision, seed=3, settings=settings, details=False)
    stop = comparison.stopping
    done = stop["replications"]
    assert stop["mode"] == "precision" and stop["target_reached"] and stop["stopped_because"] == "target half-width reached"
    assert 4 < done <= 12 and done % 2 == 0 and comparison.replications == done
    assert stop["reached_half_width"] <= target == stop["target_half_width"]
    assert comparison.row("conversion_rate")["half_width"] == pytest.approx(stop["reached_half_width"])
    assert f"Precision: target half-width reached after {done} replications" in comparison.summary()
    # It did not stop late: every earlier checkpoint was still too wide.
    for checkpoint in range(4, done, 2):
        assert _half_width(comparison.per_replication, "conversion_rate", checkpoint) > target
    # Batches continue the same replications a fixed run uses.
    pd.testing.assert_frame_equal(
        comparison.per_replication.reset_index(drop=True),
        reference.per_replication.loc[reference.per_replication["replication"] < done].reset_index(drop=True),
    )


def test_precision_stops_at_the_maximum_when_the_target_is_out_of_reach():
    current = js.scenario_from_dict(checkout_data())
    precision = {"kpi": "conversion_rate", "half_width": 1e-9, "min_replications": 4, "max_replications": 9, "batch": 3}
    comparison = compare(current, NO_WEBSITE_FRICTION, seed=3, horizon_days=60, arrival_days=5, precision=precision, details=False)
    stop = comparison.stopping
    assert stop["replications"] == 9 == comparison.replications  # 4 + 3 + 2: the last batch is cut to the maximum
    assert not stop["target_reached"] and stop["stopped_because"] == "max_replications reached"
    assert stop["reached_half_width"] > 1e-9


def test_the_precision_rule_is_the_default_and_a_fixed_number_replaces_it():
    current = js.scenario_from_dict(checkout_data())
    run = dict(seed=3, horizon_days=60, arrival_days=5, details=False)
    default = compare(current, NO_WEBSITE_FRICTION, **run)
    assert default.stopping["mode"] == "precision" and default.stopping["half_width"] == Precision().half_width == 0.005
    assert default.replications >= Precision().min_replications == 5
    fixed = compare(current, NO_WEBSITE_FRICTION, replications=3, **run)
    assert fixed.stopping == {"mode": "fixed", "replications": 3} and fixed.replications == 3
    with pytest.raises(js.ConfigError, match=r"replications: give replications .* or precision .*, not both"):
        compare(current, NO_WEBSITE_FRICTION, replications=3, precision={"half_width": 0.01}, **run)


def test_a_relative_half_width_is_a_share_of_the_current_mean():
    current = js.scenario_from_dict(checkout_data())
    precision = Precision(kpi="revenue_per_arrival", half_width=0.05, relative=True, min_replications=3, batch=1, max_replications=30)
    comparison = compare(current, NO_WEBSITE_FRICTION, precision=precision, seed=5, horizon_days=60, arrival_days=5, details=False)
    row = comparison.row("revenue_per_arrival")
    assert comparison.stopping["target_half_width"] == pytest.approx(0.05 * row["current"])
    assert comparison.stopping["target_reached"] and row["half_width"] <= comparison.stopping["target_half_width"]


def test_precision_settings_are_checked(retail):
    with pytest.raises(js.ConfigError, match=r"precision.kpi: unknown KPI 'conversion'"):
        compare(retail, {}, horizon_days=5, precision={"kpi": "conversion"}, details=False)
    with pytest.raises(js.ConfigError, match=r"precision.batch: must be a whole number >= 1, got 0"):
        compare(retail, {}, horizon_days=5, precision={"batch": 0})
    with pytest.raises(js.ConfigError, match=r"precision.persona: unknown persona 'nobody'"):
        compare(retail, {}, horizon_days=5, precision={"persona": "nobody"})
    with pytest.raises(js.ConfigError, match=r"precision.max_replications: must be >= min_replications \(5\), got 3"):
        compare(retail, {}, horizon_days=5, precision={"max_replications": 3})
    with pytest.raises(js.ConfigError, match=r"precision.half_width: must be a number > 0, got -1"):
        compare(retail, {}, horizon_days=5, precision={"half_width": -1})


# -- future states and bad changes --------------------------------------------------------


def test_changes_deep_merge_onto_the_current_state(retail):
    future = future_state(retail, {"touchpoints": {"purchase": {"website": {"friction": 0.05}}}, "channel_switch.friction": 0.0})
    website = future.touchpoints[("purchase", "website")]
    assert website.friction == 0.05 and website.advance == retail.touchpoints[("purchase", "website")].advance
    assert future.channel_switch.friction == 0.0 and future.channel_switch.between_modes_only
    assert future.personas == retail.personas and future.channels == retail.channels


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"touchpoints": {"purchase": {"website": {"friction": 1.5}}}}, "changes.touchpoints.purchase.website.friction: must be a probability in [0, 1], got 1.5"),
        ({"touchpoints": {"purchase": {"website": {"frixion": 0.1}}}}, "changes.touchpoints.purchase.website.frixion: unknown field 'frixion'"),
        ({"touchpoints": {"purchase": {"social": {"delay_days": EXP(1.0), "advance": 0.5}}}}, "changes.touchpoints.purchase.social: channel 'social' does not sell"),
    ],
)
def test_bad_changes_name_their_path(retail, changes, message):
    with pytest.raises(js.ConfigError) as error:
        compare(retail, changes, replications=2, horizon_days=5)
    assert message in str(error.value)


# -- where the change comes from ------------------------------------------------------------


def test_dropoff_and_channel_mix_tables_add_up():
    # One overworked assistant in the store and one call-centre agent: some customers give up waiting.
    queues = {"channels.store.capacity": 1, "channels.call_centre.capacity": 1, "channels.store.service_time_days.mean": 0.05}
    current = js.load_scenario(changes={**SMALL_RETAIL, **queues})
    social_commerce = {
        "channels": {"social": {"sells": True}},
        "touchpoints": {"purchase": {"social": {"delay_days": EXP(0.5), "advance": 0.55, "drop": 0.15, "friction": 0.1}}},
    }
    comparison = compare(current, social_commerce, replications=2, seed=1, horizon_days=20)
    per_replication = comparison.per_replication.loc[comparison.per_replication["persona"] == "all"]
    assert (per_replication["renege_rate"] > 0).all()
    runs = per_replication.groupby("state")[["lost", "arrivals"]].sum()
    dropoff = comparison.dropoff.loc[comparison.dropoff["persona"] == "all"]
    for state in (CURRENT, FUTURE):
        # Every lost customer is lost once, at a touch or in a queue: the cells add up to the loss rate.
        assert dropoff[f"{state}_lost_per_arrival"].sum() == pytest.approx(runs.loc[state, "lost"] / runs.loc[state, "arrivals"])
    mix = comparison.channel_mix.set_index(["measure", "persona", "channel"])
    assert mix.loc[("purchases", "all", "social"), "current_share"] == 0
    assert mix.loc[("purchases", "all", "social"), "future_share"] > 0.02
    assert mix.groupby(level=["measure", "persona"])["future_share"].sum().to_numpy() == pytest.approx(1.0)
    assert mix.loc[("purchases", "all", "social"), "share_difference"] == pytest.approx(mix.loc[("purchases", "all", "social"), "future_share"])
    # The emotion lane averages the same experiences as satisfaction: weighted by experiences,
    # its stages give back the mean emotion of all experiences.
    lane = comparison.emotion.set_index(["state", "persona", "stage"])
    assert lane.loc[(CURRENT, "all", "purchase"), "mean_emotion"] < lane.loc[(CURRENT, "all", "awareness"), "mean_emotion"]
    pooled = comparison.emotion.query("state == 'current' and persona == 'all'")
    events = js.simulate(current, seed=1, horizon_days=20, replications=2, progress=False).events
    experienced = events.loc[events["event"].isin(["touch", "renege", "repeat_purchase"]), "emotion"]
    assert pooled["experiences"].sum() == len(experienced)
    assert (pooled["mean_emotion"] * pooled["experiences"]).sum() / pooled["experiences"].sum() == pytest.approx(experienced.astype(float).mean())
    funnels = comparison.funnels.set_index(["state", "persona", "stage"])
    assert funnels.loc[(CURRENT, "all", "awareness"), "share_of_arrivals"] == 1.0
    assert funnels.loc[(FUTURE, "all", "converted"), "customers"] / funnels.loc[(FUTURE, "all", "awareness"), "customers"] == pytest.approx(
        comparison.per_replication.query("state == 'future' and persona == 'all'")["converted"].sum()
        / comparison.per_replication.query("state == 'future' and persona == 'all'")["arrivals"].sum()
    )


def test_comparison_table_columns_and_paired_difference(retail):
    comparison = compare(retail, NO_WEBSITE_FRICTION, replications=3, seed=4, horizon_days=20, details=False)
    table = comparison.table
    required = ["kpi", "persona", "current", "future", "difference", "relative_change", "ci_low", "ci_high", "excludes_zero", "replications"]
    assert list(table.columns[: len(required)]) == required
    pairs = paired_values(comparison.per_replication, "revenue_per_arrival")
    row = comparison.row("revenue_per_arrival")
    assert row["difference"] == pytest.approx((pairs[FUTURE] - pairs[CURRENT]).mean())
    assert row["current"] == pytest.approx(pairs[CURRENT].mean())
    assert row["relative_change"] == pytest.approx(row["difference"] / row["current"])
    assert row["ci_low"] < row["difference"] < row["ci_high"]
    assert comparison.row("conversion_rate")["difference"] > 0 > comparison.row("friction_loss_rate")["difference"]
    assert "conversion rate" in comparison.summary() and "*" in comparison.summary()
    # Without emotion carry-over and detraction, removing a friction only turns friction drops
    # into purchases (common random numbers): conversion never falls, and what it gains is
    # exactly what friction no longer loses.
    plain = retail.without_carryover()
    plain = with_changes(plain, {f"personas.{name}.detraction": None for name in plain.personas})
    mirror = compare(plain, NO_WEBSITE_FRICTION, replications=3, seed=4, horizon_days=20, details=False)
    assert (mirror.differences("conversion_rate") >= 0).all()
    assert mirror.row("friction_loss_rate")["difference"] == pytest.approx(-mirror.row("conversion_rate")["difference"])


def test_each_state_runs_on_the_engine_it_allows_and_they_still_share_random_numbers():
    """``auto`` picks per state: a change that adds a queue puts only the future state on
    SimPy. Both engines draw the same numbers, so the pair is what two SimPy runs give."""
    current = js.scenario_from_dict(checkout_data())
    queued = future_state(current, {"channels": {"store": {"capacity": 1, "service_time_days": {"dist": "fixed", "value": 0.01}}}})
    assert state_engines("auto", {"current": current, "future": queued}) == {"current": "vectorised", "future": "simpy"}
    assert state_engines("simpy", {"current": current, "future": queued}) == {"current": "simpy", "future": "simpy"}
    assert paired_engine("auto", current, queued) == "simpy"  # one engine for all, for studies that want one
    run = dict(replications=2, seed=1, horizon_days=20, details=False)
    mixed = compare(current, queued, engine="auto", **run)
    assert mixed.engines == {"current": "vectorised", "future": "simpy"} and mixed.metadata()["engines"] == mixed.engines
    assert "Engines: current vectorised, future simpy." in mixed.summary()
    simpy = compare(current, queued, engine="simpy", **run)
    pd.testing.assert_frame_equal(mixed.per_replication, simpy.per_replication, check_exact=False, rtol=1e-9)


def test_workers_give_the_same_comparison_as_one_process(retail):
    """Replications run in two worker processes: every table equals the one-process run
    (same replications, same random numbers, merged in replication order)."""
    priced = with_changes(retail, {"channels.store.staff_cost_per_hour": 24.0})
    future = {"touchpoints": {"purchase": {"website": {"friction": 0.1}}}, "channels": {"store": {"capacity": 7}}}
    one = compare(priced, future, replications=6, seed=3, horizon_days=12)
    two = compare(priced, future, replications=6, seed=3, horizon_days=12, settings=js.RunSettings(workers=2))
    assert two.settings.workers == 2
    for name in ("per_replication", "table", "dropoff", "channel_mix", "funnels", "emotion", "by_channel"):
        pd.testing.assert_frame_equal(getattr(two, name), getattr(one, name), obj=name)
    assert len(one.by_channel) and sorted(one.per_replication["replication"].unique()) == list(range(6))


def test_workers_must_be_at_least_one():
    from journeysim.errors import ConfigError

    with pytest.raises(ConfigError, match=r"run\.workers: must be >= 1 process, got 0"):
        js.run_settings_from_dict({"workers": 0})
