"""Path tables come from other people's data: a huge one is refused with its cost, absurd
counts with the column, and no name reaches a spreadsheet as a formula. (Issue 15.)"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from journeysim.analysis.attribution import attribute_all
from journeysim.analysis.attribution_markov import markov
from journeysim.analysis.path_files import write_path_table
from journeysim.analysis.paths import PathDataError
from journeysim.outputs import AtomicOutput, spreadsheet_safe


def random_paths(channels: int, rng: np.random.Generator) -> pd.DataFrame:
    paths = [" > ".join(f"c{j}" for j in rng.integers(0, channels, 3)) for _ in range(3 * channels)]
    table = pd.DataFrame({"path": paths, "total_conversions": 1.0, "total_conversion_value": 10.0, "total_null": 2.0})
    return table.groupby("path", as_index=False).sum()


def test_a_markov_chain_too_large_to_solve_is_refused_at_once_with_its_cost():
    table = random_paths(2000, np.random.default_rng(1))
    started = time.monotonic()
    with pytest.raises(PathDataError, match=r"2,001 states \(2,000 channels, order 1\).*operations.*GiB matrix.*max_operations="):
        attribute_all(table)
    assert time.monotonic() - started < 5
    small = random_paths(40, np.random.default_rng(2))
    assert markov(small)["conversions"].sum() == pytest.approx(small["total_conversions"].sum())
    with pytest.raises(PathDataError, match="beyond max_operations=1e\\+03"):
        markov(small, max_operations=1e3)


def test_counts_too_large_to_add_up_are_refused_naming_the_column():
    table = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [1e308, 1e308], "total_conversion_value": [1.0, 1.0], "total_null": [0.0, 1.0]})
    with pytest.raises(PathDataError, match="column 'total_conversions' adds up to more than a number can hold"):
        attribute_all(table)


FORMULA = "=HYPERLINK(\"http://example.invalid\",\"click\")"


def test_no_cell_reaches_a_spreadsheet_as_a_formula(tmp_path):
    table = pd.DataFrame({"path": [f"{FORMULA} > b", "+cmd > @x", "ordinary > b"], "total_conversions": [1.0, 2.0, 3.0],
                          "total_conversion_value": [1.0, 1.0, 1.0], "total_null": [0.0, 1.0, 2.0]})
    write_path_table(table, tmp_path / "paths.csv")
    lines = (tmp_path / "paths.csv").read_text().splitlines()
    assert all(not line.startswith(("=", "+", "-", "@")) for line in lines)
    assert lines[3].startswith("ordinary > b;")

    frame = pd.DataFrame({"persona": pd.Categorical([FORMULA, "-5 segment", "normal"]), "channel": ["@social", "web", None], "value": [-1.5, 2.0, 3.0]})
    with AtomicOutput(tmp_path / "run") as out:
        out.write_csv(frame, "metrics.csv")
        out.finish({})
    written = pd.read_csv(tmp_path / "run" / "metrics.csv")
    assert written["persona"].tolist() == [f"'{FORMULA}", "'-5 segment", "normal"]
    assert written["channel"].tolist()[:2] == ["'@social", "web"]
    assert written["value"].tolist() == [-1.5, 2.0, 3.0]  # numbers are not text
    untouched = pd.DataFrame({"persona": ["a", "b"], "x": [1, 2]})
    assert spreadsheet_safe(untouched) is untouched
