"""The one t-interval: its half-width against tabulated t quantiles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from journeysim.analysis.intervals import t_half_width


def test_half_width_against_the_t_table():
    # t(0.975, 3) = 3.182446 (any t table): sd 2 over n = 4 gives 3.182446 x 2 / 2.
    assert t_half_width(2.0, 4) == pytest.approx(3.182446305, rel=1e-9)
    assert t_half_width(1.0, 10, confidence=0.99) == pytest.approx(3.249835542 / math.sqrt(10), rel=1e-9)
    assert math.isnan(t_half_width(np.nan, 1)) and math.isnan(t_half_width(5.0, 1))


def test_arrays_and_series_keep_their_shape():
    series = t_half_width(pd.Series([2.0, 1.0, 3.0], index=list("abc")), pd.Series([4, 1, 4], index=list("abc")))
    assert list(series.index) == ["a", "b", "c"] and math.isnan(series["b"])
    assert series["c"] == pytest.approx(1.5 * series["a"])
    array = t_half_width(np.array([2.0, 2.0]), np.array([4, 4]))
    assert array.shape == (2,) and array[0] == pytest.approx(3.182446305)
