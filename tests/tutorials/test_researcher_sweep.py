"""docs/tutorials/researcher_sweep.py, run as a script at small sizes (see tests/conftest.py)."""

import itertools


def test_researcher_sweep(run_tutorial, tmp_path):
    output, values = run_tutorial(
        "researcher_sweep.py",
        {
            "rows": "len(table)",
            "jobs": "int(table['job'].nunique())",
            "frictions": "FRICTIONS",
            "seeds": "SEEDS",
            "simulated": "summary['mean'].tolist()",
            "exact": "exact.tolist()",
            "paired_gain": "gain.tolist()",
            "lines": "[len(curve.axes[0].lines), len(curves.axes[0].lines)]",
        },
    )
    points = len(values["frictions"]) * len(values["seeds"])
    assert values["jobs"] == points
    assert values["rows"] == points * 4                      # three personas and "all" per job
    assert f"Sweep table: {values['rows']} rows from {points} jobs" in output
    # Conversion falls as checkout friction rises, in the simulation and in the exact solver.
    for curve in (values["simulated"], values["exact"]):
        assert all(a > b for a, b in itertools.pairwise(curve)), curve
    # Paired by seed (common random numbers): every seed converts more at the lowest friction.
    assert len(values["paired_gain"]) == len(values["seeds"]) and min(values["paired_gain"]) > 0
    assert min(values["lines"]) >= 1
    assert not any(tmp_path.glob("multirun")), "the sweep goes into a temporary folder"
