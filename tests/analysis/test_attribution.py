"""Attribution models on path tables: hand-computed cases, exact Markov results, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_paths import reference_paths_file  # noqa: F401  (the shared reference-file fixture)

from journeysim.analysis.attribution import MODEL_NAMES, attribute_all
from journeysim.analysis.attribution_markov import markov_removal_effects
from journeysim.analysis.attribution_rules import (
    first_touch,
    last_non_direct,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from journeysim.analysis.attribution_shapley import shapley
from journeysim.analysis.path_files import read_path_table
from journeysim.analysis.paths import PathDataError


def path_table(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"])


def credits_by_channel(credits: pd.DataFrame, column: str = "conversions") -> dict[str, float]:
    return dict(zip(credits["channel"], credits[column]))


@pytest.fixture(scope="module")
def reference_table(reference_paths_file) -> pd.DataFrame:  # noqa: F811 (the fixture imported above)
    return read_path_table(reference_paths_file)


# Random path tables: channels from a small alphabet so that paths overlap and repeat.
path_rows = st.tuples(
    st.lists(st.sampled_from(["a", "b", "c", "d", "direct"]), min_size=1, max_size=6).map(" > ".join),
    st.integers(0, 5),
    st.floats(0, 100, allow_nan=False, allow_infinity=False),
    st.integers(0, 5),
).map(lambda row: (row[0], float(row[1]), row[2] if row[1] > 0 else 0.0, float(row[3])))
path_tables = st.lists(path_rows, min_size=1, max_size=12).map(path_table)


# ---------------------------------------------------------------- heuristics, by hand

THREE_ROWS = path_table([
    ("a > b > c", 2.0, 20.0, 1.0),
    ("b", 1.0, 5.0, 0.0),
    ("c > a", 1.0, 10.0, 3.0),
])


@pytest.mark.parametrize("model, conversions, value", [
    (first_touch, {"a": 2, "b": 1, "c": 1}, {"a": 20, "b": 5, "c": 10}),
    (last_touch, {"a": 1, "b": 1, "c": 2}, {"a": 10, "b": 5, "c": 20}),
    (linear, {"a": 2 / 3 + 1 / 2, "b": 2 / 3 + 1, "c": 2 / 3 + 1 / 2}, {"a": 20 / 3 + 5, "b": 20 / 3 + 5, "c": 20 / 3 + 5}),
    # U shape on a > b > c: 0.4 / 0.2 / 0.4; the two-touch path c > a splits 50/50.
    (position_based, {"a": 0.8 + 0.5, "b": 0.4 + 1, "c": 0.8 + 0.5}, {"a": 8 + 5, "b": 4 + 5, "c": 8 + 5}),
    # Half-life of one touch: weights 1/4, 1/2, 1 on a > b > c, and 1/2, 1 on c > a.
    (time_decay, {"a": 2 / 7 + 2 / 3, "b": 4 / 7 + 1, "c": 8 / 7 + 1 / 3}, {"a": 20 / 7 + 20 / 3, "b": 40 / 7 + 5, "c": 80 / 7 + 10 / 3}),
])
def test_heuristic_models_on_a_hand_computed_table(model, conversions, value):
    credits = model(THREE_ROWS)
    assert credits["channel"].tolist() == ["a", "b", "c"]
    assert (credits["model"] == model.__name__).all()
    assert credits_by_channel(credits) == pytest.approx(conversions)
    assert credits_by_channel(credits, "value") == pytest.approx(value)


def test_last_non_direct_skips_direct_unless_the_path_is_all_direct():
    table = pd.concat([THREE_ROWS, path_table([("direct > direct", 1.0, 7.0, 0.0), ("b > direct", 1.0, 1.0, 0.0)])])
    credits = last_non_direct(table, direct_channels=("c", "direct"))
    # a > b > c -> b; b -> b; c > a -> a; direct > direct -> direct; b > direct -> b.
    assert credits_by_channel(credits) == pytest.approx({"a": 1, "b": 4, "c": 0, "direct": 1})
    assert credits_by_channel(credits, "value") == pytest.approx({"a": 10, "b": 26, "c": 0, "direct": 7})


def test_position_based_two_touch_split_follows_first_to_last_ratio():
    table = path_table([("x > y", 4.0, 8.0, 0.0), ("x > m > n > y", 1.0, 0.0, 0.0)])
    credits = credits_by_channel(position_based(table, first=0.3, last=0.1))
    assert credits == pytest.approx({"x": 3 + 0.3, "y": 1 + 0.1, "m": 0.3, "n": 0.3})


def test_time_decay_half_life_changes_the_weights():
    table = path_table([("a > b", 1.0, 0.0, 0.0)])
    assert credits_by_channel(time_decay(table, half_life_touches=2.0))["a"] == pytest.approx(2 ** -0.5 / (1 + 2 ** -0.5))
    with pytest.raises(ValueError, match="half_life_touches"):
        time_decay(table, half_life_touches=0)


@settings(max_examples=60, deadline=None)
@given(table=path_tables)
def test_every_model_hands_out_exactly_the_total_conversions_and_value(table):
    combined = attribute_all(table, direct_channels=("direct",), half_life_touches=1.5, first=0.3, last=0.5)
    assert set(combined["model"]) == set(MODEL_NAMES)
    totals = combined.groupby("model")[["conversions", "value"]].sum()
    assert np.allclose(totals["conversions"], table["total_conversions"].sum(), rtol=1e-9, atol=1e-9)
    assert np.allclose(totals["value"], table["total_conversion_value"].sum(), rtol=1e-9, atol=1e-7)
    assert (combined[["conversions", "value"]] >= -1e-12).all().all()


# ---------------------------------------------------------------- Markov removal effects

TEXTBOOK = path_table([
    ("C1 > C2 > C3", 1.0, 1.0, 0.0),
    ("C1", 0.0, 0.0, 1.0),
    ("C2 > C3", 0.0, 0.0, 1.0),
])


def test_markov_textbook_three_paths():
    result = markov_removal_effects(TEXTBOOK)
    assert result.conversion_probability == pytest.approx(1 / 3)
    effects = dict(zip(result.removal_effects["channel"], result.removal_effects["removal_effect"]))
    assert effects == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    assert result.removal_effects["share"].tolist() == pytest.approx([0.2, 0.4, 0.4])
    assert credits_by_channel(result.credits) == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    matrix = result.transition_matrix
    assert list(matrix.index) == ["(start)", "C1", "C2", "C3", "(conversion)", "(null)"]
    assert matrix.loc["(start)", "C1"] == pytest.approx(2 / 3)
    assert matrix.loc["C1", "(null)"] == pytest.approx(1 / 2)
    assert matrix.loc["C3", "(conversion)"] == pytest.approx(1 / 2)
    assert np.allclose(matrix.sum(axis=1), 1.0)


def test_second_order_markov_tells_apart_what_first_order_mixes():
    # Both paths pass through c; only the one that came from a converts.
    table = path_table([("a > c", 1.0, 1.0, 0.0), ("b > c", 0.0, 0.0, 1.0)])
    first_order = markov_removal_effects(table, order=1).removal_effects
    assert first_order["removal_effect"].tolist() == pytest.approx([0.5, 0.5, 1.0])
    second_order = markov_removal_effects(table, order=2)
    assert second_order.conversion_probability == pytest.approx(0.5)
    assert second_order.removal_effects["removal_effect"].tolist() == pytest.approx([1.0, 0.0, 1.0])
    assert credits_by_channel(second_order.credits) == pytest.approx({"a": 0.5, "b": 0.0, "c": 0.5})
    assert {"a", "a > c", "b", "b > c"} <= set(second_order.transition_matrix.index)


def test_markov_value_credit_uses_value_removal_effects():
    table = path_table([("a", 1.0, 10.0, 0.0), ("b", 1.0, 30.0, 0.0)])
    result = markov_removal_effects(table)
    effects = result.removal_effects.set_index("channel")
    assert effects["removal_effect"].tolist() == pytest.approx([0.5, 0.5])
    # Expected value 20; without a it is 30 / 2 = 15, without b it is 10 / 2 = 5.
    assert effects["value_removal_effect"].tolist() == pytest.approx([0.25, 0.75])
    assert credits_by_channel(result.credits) == pytest.approx({"a": 1.0, "b": 1.0})
    assert credits_by_channel(result.credits, "value") == pytest.approx({"a": 10.0, "b": 30.0})


def test_collapse_repeats_removes_self_loops():
    table = path_table([("a > a > b", 1.0, 1.0, 1.0), ("b > b", 0.0, 0.0, 2.0)])
    collapsed = markov_removal_effects(table, collapse_repeats=True).transition_matrix
    kept = markov_removal_effects(table, collapse_repeats=False).transition_matrix
    assert collapsed.loc["a", "a"] == 0.0 and collapsed.loc["a", "b"] == 1.0
    assert kept.loc["a", "a"] == pytest.approx(0.5) and kept.loc["b", "b"] == pytest.approx(2 / 6)


def test_without_null_paths_conversion_is_certain():
    result = markov_removal_effects(TEXTBOOK, include_null=False)
    assert result.conversion_probability == pytest.approx(1.0)
    assert "C1" in result.transition_matrix.index
    assert result.transition_matrix.loc["C3", "(null)"] == 0.0
    assert result.removal_effects["removal_effect"].tolist() == pytest.approx([1.0, 1.0, 1.0])


def observed_conversion_share(table: pd.DataFrame) -> float:
    conversions = table["total_conversions"].sum()
    return conversions / (conversions + table["total_null"].sum())


@pytest.mark.parametrize("order, collapse_repeats", [(1, True), (1, False), (2, True), (3, False)])
def test_markov_conversion_probability_equals_observed_share_on_the_reference_paths(reference_table, order, collapse_repeats):
    # Each path is one walk of the fitted chain, so expected visits equal observed visits
    # per journey and the chain reproduces the observed conversion rate exactly.
    result = markov_removal_effects(reference_table, order=order, collapse_repeats=collapse_repeats)
    assert result.conversion_probability == pytest.approx(observed_conversion_share(reference_table), rel=1e-10)
    assert result.credits["conversions"].sum() == pytest.approx(reference_table["total_conversions"].sum())
    assert result.removal_effects["removal_effect"].between(0, 1).all()


@settings(max_examples=60, deadline=None)
@given(table=path_tables, order=st.integers(1, 3), collapse_repeats=st.booleans())
def test_markov_conversion_probability_equals_observed_share(table, order, collapse_repeats):
    journeys = table["total_conversions"].sum() + table["total_null"].sum()
    result = markov_removal_effects(table, order=order, collapse_repeats=collapse_repeats)
    if journeys == 0:
        assert result.conversion_probability == 0.0
    else:
        assert result.conversion_probability == pytest.approx(observed_conversion_share(table), rel=1e-9, abs=1e-12)
    assert result.removal_effects["removal_effect"].between(-1e-12, 1 + 1e-12).all()


def test_markov_rejects_invalid_tables_with_a_clear_message():
    with pytest.raises(PathDataError, match=r"row 2: column 'total_null'"):
        markov_removal_effects(path_table([("a", 1.0, 0.0, 0.0), ("b", 1.0, 0.0, -1.0)]))
    with pytest.raises(ValueError, match="order"):
        markov_removal_effects(TEXTBOOK, order=0)


# ---------------------------------------------------------------- Shapley values

SHAPLEY_TABLE = path_table([
    ("a > b", 3.0, 30.0, 0.0),
    ("b > a > c", 2.0, 10.0, 1.0),
    ("c", 1.0, 4.0, 0.0),
    ("c > d", 0.0, 0.0, 5.0),  # d is on no converting path
])


def closed_form_shapley(table: pd.DataFrame) -> dict[str, float]:
    # v is a sum of unanimity games over the converting channel sets, so each set's
    # conversions are split equally among its channels (Harsanyi dividends).
    credit: dict[str, float] = {}
    for path, conversions in zip(table["path"], table["total_conversions"]):
        channels = set(path.split(" > "))
        for channel in channels:
            credit[channel] = credit.get(channel, 0.0) + conversions / len(channels)
    return credit


def test_shapley_axioms_efficiency_symmetry_dummy():
    credits = credits_by_channel(shapley(SHAPLEY_TABLE))
    assert sum(credits.values()) == pytest.approx(6.0)
    assert credits["a"] == pytest.approx(credits["b"])  # always together
    assert credits["d"] == 0.0
    # v({c}) = 1, v({a,b}) = 3, v({a,b,c}) = 6: c gets 1 + 2/3, a and b 1.5 + 2/3 each.
    assert credits == pytest.approx({"a": 1.5 + 2 / 3, "b": 1.5 + 2 / 3, "c": 1 + 2 / 3, "d": 0.0})
    values = credits_by_channel(shapley(SHAPLEY_TABLE), "value")
    assert values == pytest.approx({"a": 15 + 10 / 3, "b": 15 + 10 / 3, "c": 4 + 10 / 3, "d": 0.0})


@settings(max_examples=40, deadline=None)
@given(table=path_tables)
def test_exact_shapley_enumeration_matches_the_dividend_closed_form(table):
    credits = credits_by_channel(shapley(table))
    expected = closed_form_shapley(table)
    assert credits == pytest.approx({channel: expected.get(channel, 0.0) for channel in credits}, abs=1e-9)


def test_sampled_shapley_is_close_to_exact_and_reproducible():
    exact = shapley(SHAPLEY_TABLE)
    sampled = shapley(SHAPLEY_TABLE, max_exact_channels=2, samples=20_000, rng=np.random.default_rng(42))
    again = shapley(SHAPLEY_TABLE, max_exact_channels=2, samples=20_000, rng=np.random.default_rng(42))
    pd.testing.assert_frame_equal(sampled, again)
    assert sampled["conversions"].sum() == pytest.approx(6.0)  # efficiency holds per ordering
    # Each credit is a mean of 20 000 orderings, each worth at most 6: standard error < 0.05.
    assert sampled["conversions"].to_numpy() == pytest.approx(exact["conversions"].to_numpy(), abs=0.1)
    assert not np.allclose(sampled["conversions"], exact["conversions"], atol=1e-9)  # really sampled


def test_sampled_shapley_requires_an_explicit_generator():
    with pytest.raises(ValueError, match="rng=numpy.random.Generator"):
        shapley(SHAPLEY_TABLE, max_exact_channels=2)


# ---------------------------------------------------------------- all models side by side


def test_attribute_all_lines_up_every_model(reference_table):
    combined = attribute_all(reference_table, rng=np.random.default_rng(0))
    channels = sorted(set(" > ".join(reference_table["path"]).split(" > ")))
    assert list(combined.columns) == ["channel", "model", "conversions", "value", "share"]
    assert combined["model"].unique().tolist() == list(MODEL_NAMES)
    assert combined.groupby("model", sort=False)["channel"].apply(list).map(lambda names: names == channels).all()
    assert np.allclose(combined.groupby("model")["share"].sum(), 1.0)
    last = combined[combined["model"] == "last_touch"].reset_index(drop=True)
    pd.testing.assert_frame_equal(last.drop(columns="share"), last_touch(reference_table))


@pytest.mark.parametrize("options, model, direct_call", [
    ({"half_life_touches": 2.0}, "time_decay", lambda table: time_decay(table, half_life_touches=2.0)),
    ({"first": 0.1, "last": 0.7}, "position_based", lambda table: position_based(table, first=0.1, last=0.7)),
    ({"direct_channels": ("c",)}, "last_non_direct", lambda table: last_non_direct(table, direct_channels=("c",))),
    ({"order": 2, "include_null": False}, "markov", lambda table: markov_removal_effects(table, order=2, include_null=False).credits),
])
def test_attribute_all_passes_each_option_to_its_model(options, model, direct_call):
    combined = attribute_all(THREE_ROWS, **options)
    rows = combined[combined["model"] == model].drop(columns="share").reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, direct_call(THREE_ROWS))
    default = attribute_all(THREE_ROWS)
    assert not np.allclose(default.loc[default["model"] == model, "conversions"], rows["conversions"])
