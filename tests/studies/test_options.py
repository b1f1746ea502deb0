"""Several options in one study: paired replications shared with one current state,
intervals adjusted by Bonferroni, tests by Holm, one tidy table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import journeysim as js
from journeysim.studies.comparison import compare, future_state
from journeysim.studies.experiment import experiment_from_dict, run_experiment
from journeysim.studies.options import (
    OPTION_COLUMNS,
    OptionsComparison,
    adjusted_confidence,
    compare_options,
    holm,
    paired_p_values,
)
from tests.studies.test_compare import (
    NO_WEBSITE_FRICTION,
    checkout_data,
    exact_conversion_difference,
)

OPTIONS = {
    "no_friction": NO_WEBSITE_FRICTION,
    "less_friction": {"touchpoints": {"purchase": {"website": {"friction": 0.2}}}},
    "unchanged": {},
}
RUN = dict(seed=8, horizon_days=60.0, arrival_days=5.0, details=False)


@pytest.fixture(scope="module")
def checkout() -> js.Scenario:
    return js.scenario_from_dict(checkout_data())


@pytest.fixture(scope="module")
def study(checkout) -> OptionsComparison:
    return compare_options(checkout, OPTIONS, replications=6, **RUN)


def test_each_option_is_its_own_paired_comparison_at_the_bonferroni_confidence(checkout, study):
    """The current state is simulated once and shared: each option's tables are exactly those
    of a two-state comparison with the same seed, at confidence 1 - 0.05 / 3."""
    assert list(study.options) == list(OPTIONS) and study.interval_confidence == pytest.approx(1 - 0.05 / 3)
    assert sorted(study.per_replication["state"].unique()) == sorted(["current", *OPTIONS])
    for name, changes in OPTIONS.items():
        alone = compare(checkout, changes, replications=6, confidence=adjusted_confidence(0.95, 3), **RUN)
        option = study.options[name]
        pd.testing.assert_frame_equal(option.per_replication, alone.per_replication)
        pd.testing.assert_frame_equal(option.table, alone.table)
        assert option.confidence == alone.confidence and option.changes == changes
        rows = study.table.loc[study.table["option"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows[["kpi", "persona", "ci_low", "ci_high"]], alone.table[["kpi", "persona", "ci_low", "ci_high"]])


def test_the_tidy_table_has_one_row_per_option_kpi_and_persona(study):
    table = study.table
    assert list(table.columns) == OPTION_COLUMNS
    assert len(table) == len(OPTIONS) * len(study.kpis) * 2  # the persona and "all"
    assert not table.duplicated(["option", "kpi", "persona"]).any()
    assert (table["interval_method"] == "bonferroni").all() and (table["test_method"] == "holm").all() and (table["options"] == 3).all()


def test_the_known_answer_lies_in_the_adjusted_interval_and_an_unchanged_option_differs_by_nothing(checkout, study):
    truth = exact_conversion_difference(checkout, future_state(checkout, NO_WEBSITE_FRICTION))
    row = study.row("no_friction", "conversion_rate")
    assert row["ci_low"] <= truth <= row["ci_high"] and row["significant"] and row["excludes_zero"]
    unchanged = study.table.loc[study.table["option"] == "unchanged"].dropna(subset=["difference"])  # KPIs it measures
    assert len(unchanged) and (unchanged["difference"] == 0).all() and (unchanged["p_value"] == 1).all() and not unchanged["significant"].any()
    # Less friction helps less than none, customer by customer (common random numbers).
    assert (study.options["less_friction"].differences("conversion_rate") <= study.options["no_friction"].differences("conversion_rate")).all()


def test_p_values_are_the_paired_t_tests_and_holm_adjusts_them_step_down(study):
    per_replication = study.per_replication.loc[study.per_replication["persona"] == "all"].pivot(index="replication", columns="state", values="conversion_rate")
    for name in ("no_friction", "less_friction"):
        expected = stats.ttest_rel(per_replication[name], per_replication["current"]).pvalue
        assert study.row(name, "conversion_rate")["p_value"] == pytest.approx(expected, rel=1e-9)
    p = pd.Series([0.01, 0.04, 0.03, np.nan, 0.005])
    # sorted: 0.005 (x4), 0.01 (x3), 0.03 (x2), 0.04 (x1), running maximum; NaN left out.
    assert holm(p).tolist()[:3] == pytest.approx([0.03, 0.06, 0.06]) and np.isnan(holm(p)[3]) and holm(p)[4] == pytest.approx(0.02)
    assert holm(pd.Series([0.02, 0.9])).tolist() == pytest.approx([0.04, 0.9]) and holm(pd.Series([0.5, 0.9])).tolist() == [1.0, 1.0]
    constant = pd.DataFrame({"difference": [0.0, 2.0, 1.0], "difference_sd": [0.0, 0.0, np.nan], "replications": [5, 5, 1]})
    assert paired_p_values(constant).tolist()[:2] == [1.0, 0.0] and np.isnan(paired_p_values(constant)[2])


def test_the_precision_rule_waits_for_every_option(checkout):
    precision = {"half_width": 0.04, "min_replications": 3, "batch": 1, "max_replications": 30}
    study = compare_options(checkout, OPTIONS, precision=precision, **RUN)
    stop = study.stopping
    assert stop["mode"] == "precision" and stop["target_reached"]
    assert max(c.row("conversion_rate")["half_width"] for c in study.options.values()) == pytest.approx(stop["reached_half_width"])
    assert stop["reached_half_width"] <= 0.04
    earlier = compare_options(checkout, OPTIONS, replications=stop["replications"] - 1, **RUN)  # one look before: still too wide
    assert max(c.row("conversion_rate")["half_width"] for c in earlier.options.values()) > 0.04


def test_options_are_named_and_validated(checkout):
    with pytest.raises(js.ConfigError, match=r"futures.current: an option may not be called 'current'"):
        compare_options(checkout, {"current": {}}, replications=2, **RUN)
    with pytest.raises(js.ConfigError, match=r"futures.bad.touchpoints.purchase.website.friction: must be a probability in \[0, 1\], got 2"):
        compare_options(checkout, {"ok": {}, "bad": {"touchpoints": {"purchase": {"website": {"friction": 2}}}}}, replications=2, **RUN)
    with pytest.raises(js.ConfigError, match=r"futures: must map option names to their changes"):
        compare_options(checkout, {}, replications=2, **RUN)
    with pytest.raises(js.ConfigError, match=r"experiment.futures: give changes \(one future state\) or futures \(several options\), not both"):
        experiment_from_dict({"name": "x", "changes": {"arrival_rate_per_day": 3}, "futures": {"a": {}}})


def test_an_experiment_with_futures_runs_them_all_and_draws_the_forest(checkout):
    experiment = experiment_from_dict({"name": "checkout_options", "replications": 3, "futures": {"a": NO_WEBSITE_FRICTION, "b": {}}})
    study = run_experiment(checkout, js.RunSettings(seed=8, horizon_days=60.0, arrival_days=5.0, progress=False), experiment)
    assert isinstance(study, OptionsComparison) and list(study.options) == ["a", "b"]
    meta = study.metadata()
    assert meta["interval_method"] == "bonferroni" and meta["test_method"] == "holm" and set(meta["option_config_hashes"]) == {"a", "b"}
    assert study.request["options"] == ["a", "b"]
    summary = study.summary()
    assert "Bonferroni" in summary and "Holm" in summary and "Option a" in summary
    figure = study.forest_figure()
    assert len(figure.axes) == 1 and figure.axes[0].get_legend() is not None
