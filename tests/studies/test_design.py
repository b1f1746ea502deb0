"""Designs beyond the grid (random, Latin hypercube, Sobol) and global sensitivity analysis."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hydra_plugins.journeysim_design_sweeper.design_sweeper import (
    design_job_overrides,
    read_design,
)
from journeysim.cli.design import main
from journeysim.studies.design import (
    Parameter,
    ScenarioKpi,
    design_csv,
    design_points,
    multirun_command,
    override_lines,
    parse_parameter,
    sensitivity_analysis,
)

FRICTION = "scenario.touchpoints.purchase.website.friction"


def test_parameters_are_read_as_written_on_the_command_line():
    assert parse_parameter(f"{FRICTION}=0:0.6") == Parameter(FRICTION, 0.0, 0.6, "linear")
    assert parse_parameter("scenario.arrival_rate_per_day=50:800:log") == Parameter("scenario.arrival_rate_per_day", 50.0, 800.0, "log")
    assert parse_parameter("run.replications=1:4:int").scale == "int"
    dist = parse_parameter("scenario.touchpoints.purchase.website.delay_days.dist=exponential,gamma")
    assert dist.choices == ("exponential", "gamma")
    for bad, message in [
        ("friction", "write KEY=LOW:HIGH"),
        ("f=0.6:0", "LOW must be below HIGH"),
        ("f=0:x", "must be numbers"),
        ("f=0:10:log", "LOW > 0"),
        ("f=0.5:3:int", "whole-number"),
        ("f=0:1:cubic", "log or int"),
        ("f=a,a", "distinct"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_parameter(bad)


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_designs_stay_in_range_and_are_reproducible(method):
    parameters = [parse_parameter(f"{FRICTION}=0:0.6"), parse_parameter("x=10:1000:log"), parse_parameter("k=1:3:int"), parse_parameter("c=a,b,0.5")]
    points = design_points(parameters, 16, method, seed=3)
    assert len(points) == 16 and list(points.columns) == [p.key for p in parameters]
    assert points[FRICTION].between(0, 0.6).all() and points["x"].between(10, 1000).all()
    assert set(points["k"]) <= {1, 2, 3} and points["k"].dtype == "int64"
    assert set(points["c"]) <= {"a", "b", 0.5}
    pd.testing.assert_frame_equal(points, design_points(parameters, 16, method, seed=3))
    assert not points.equals(design_points(parameters, 16, method, seed=4))


def test_latin_hypercube_hits_every_stratum_of_every_parameter_once():
    parameters = [parse_parameter("a=0:1"), parse_parameter("b=-5:5")]
    points = design_points(parameters, 10, "lhs", seed=0)
    assert sorted((points["a"] * 10).astype(int)) == list(range(10))
    assert sorted(((points["b"] + 5)).astype(int)) == list(range(10))


def test_sobol_points_fill_the_square_more_evenly_than_random_points():
    from scipy.stats import qmc

    parameters = [parse_parameter("a=0:1"), parse_parameter("b=0:1")]
    discrepancy = {m: qmc.discrepancy(design_points(parameters, 64, m, seed=1).to_numpy()) for m in ("sobol", "random")}
    assert discrepancy["sobol"] < discrepancy["random"] / 2


def test_log_ranges_spread_evenly_over_orders_of_magnitude():
    points = design_points([parse_parameter("x=1:10000:log")], 400, "lhs", seed=0)
    decades = np.floor(np.log10(points["x"])).value_counts()
    assert set(decades.index) == {0, 1, 2, 3} and decades.min() == decades.max() == 100


def test_design_file_round_trips_through_the_design_sweeper(tmp_path):
    parameters = [parse_parameter(f"{FRICTION}=0:0.6"), parse_parameter("scenario.touchpoints.purchase.website.delay_days.dist=exponential,gamma")]
    points = design_points(parameters, 4, "lhs", seed=0)
    path = tmp_path / "design.csv"
    path.write_text(design_csv(parameters, points))
    rows = read_design(path)
    assert rows == [line.split(" ") for line in override_lines(parameters, points)]
    assert rows[0][0].startswith(f"{FRICTION}=") and float(rows[0][0].split("=")[1]) == pytest.approx(points[FRICTION][0])
    jobs = design_job_overrides(rows, [["run.seed=1"], ["run.seed=2"]])
    assert len(jobs) == 8 and jobs[0] == [*rows[0], "run.seed=1"] and jobs[1] == [*rows[0], "run.seed=2"]
    command = multirun_command(path, "multirun/lhs", ["run.seed=1,2"])
    assert command.startswith("journeysim -m hydra/sweeper=design hydra.sweeper.design=") and command.endswith("run.seed=1,2 hydra.sweep.dir=multirun/lhs")


def test_design_sweeper_rejects_a_key_set_twice_and_a_ragged_file(tmp_path):
    from hydra.errors import HydraException

    with pytest.raises(HydraException, match="run.seed: set both"):
        design_job_overrides([["run.seed=1"]], [["run.seed=2"]])
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n")
    with pytest.raises(HydraException, match="line 3: 1 values for 2 keys"):
        read_design(ragged)


def test_sample_command_writes_the_design_and_prints_the_multirun_line(tmp_path, capsys):
    out = tmp_path / "designs" / "lhs.csv"
    assert main(["sample", "--param", f"{FRICTION}=0:0.6", "--param", "run.seed=1,2,3", "--n", "6", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "6 design points (lhs)" in printed and f"hydra.sweeper.design={out}" in printed
    design = pd.read_csv(out)
    assert list(design.columns) == [FRICTION, "run.seed"] and len(design) == 6 and set(design["run.seed"]) <= {1, 2, 3}
    assert main(["sample", "--param", "a=1:0"]) == 2
    assert "LOW must be below HIGH" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_ranks_the_dominant_parameter_first(method):
    parameters = [parse_parameter("weak=0:1"), parse_parameter("strong=0:1"), parse_parameter("inert=0:1"), parse_parameter("mode=a,b")]

    def model(point):  # strong dominates; inert does nothing; mode shifts a little
        return 10 * point["strong"] + 1.0 * point["weak"] ** 2 + (0.5 if point["mode"] == "b" else 0.0)

    result = sensitivity_analysis(parameters, model, n=64, method=method, seed=2, kpi="y")
    table = result.indices.set_index("parameter")
    assert result.indices["parameter"].iloc[0] == "strong" and result.indices["rank"].tolist() == [1, 2, 3, 4]
    if method == "sobol":
        assert len(result.samples) == 64 * (4 + 2)
        assert table.loc["strong", "ST"] > 0.9 and table.loc["strong", "S1"] > 0.8
        assert abs(table.loc["inert", "ST"]) < 0.01 and table.loc["weak", "ST"] < 0.1
    else:
        assert len(result.samples) == 64 * (4 + 1)
        assert table.loc["strong", "mu_star"] == pytest.approx(10, rel=1e-6) and table.loc["inert", "mu_star"] == 0
        assert table.loc["strong", "sigma"] == pytest.approx(0, abs=1e-9)  # linear: every effect the same
    assert result.samples["y"].tolist() == [model(p) for p in result.samples.drop(columns="y").to_dict("records")]


def test_sensitivity_of_the_exact_conversion_probability_finds_the_checkout_friction():
    """A real model, without simulation noise: the exact solver's conversion probability."""
    from journeysim.analysis.exact import solve
    from journeysim.config import load_scenario

    def conversion(point):
        scenario = load_scenario("retail_omnichannel", changes={key.removeprefix("scenario."): value for key, value in point.items()})
        summary = solve(scenario.without_carryover()).summary.set_index("persona")  # the chain: carry-over left out
        return float(summary.loc["all", "conversion_probability"])

    parameters = [
        parse_parameter("scenario.channels.email.cost_per_contact=0:1"),  # no bearing on conversion
        parse_parameter("scenario.touchpoints.interest.email.emotion=-0.5:0.5"),  # none either
        parse_parameter(f"{FRICTION}=0:0.9"),
        parse_parameter("scenario.touchpoints.consideration.email.advance=0.2:0.3"),  # a small one
    ]
    result = sensitivity_analysis(parameters, conversion, n=4, method="morris", seed=0, kpi="conversion_probability")
    ranking = result.indices["parameter"].tolist()
    assert ranking[0] == FRICTION and ranking[1] == "scenario.touchpoints.consideration.email.advance"
    assert result.indices.set_index("parameter").loc["scenario.channels.email.cost_per_contact", "mu_star"] == 0


def test_sensitivity_command_simulates_and_writes_indices_samples_and_chart(tmp_path, capsys):
    out = tmp_path / "sens"
    code = main([
        "sensitivity", "--kpi", "friction_loss_rate", "--method", "morris", "--n", "3",
        "--param", f"{FRICTION}=0:0.9", "--param", "scenario.channels.email.cost_per_contact=0:1",
        "--horizon-days", "15", "--arrival-rate", "60", "--out", str(out),
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    indices = pd.read_csv(out / "sensitivity_indices.csv")
    assert indices["parameter"].iloc[0] == FRICTION and indices["mu_star"].iloc[0] > 0
    samples = pd.read_csv(out / "sensitivity_samples.csv")
    assert len(samples) == 3 * (2 + 1) and list(samples.columns) == [FRICTION, "scenario.channels.email.cost_per_contact", "friction_loss_rate"]
    assert (out / "sensitivity.png").stat().st_size > 10_000
    meta = json.loads((out / "run.json").read_text())
    assert meta["method"] == "morris" and meta["evaluations"] == 9 and "Morris" in capsys.readouterr().out


def test_scenario_kpi_is_the_simulated_kpi_with_the_point_applied():
    import journeysim as js

    model = ScenarioKpi(kpi="arrivals", horizon_days=5, changes={"arrival_rate_per_day": 40})
    point = {"scenario.personas.digital_native.share": 0.7, "scenario.personas.store_loyal.share": 0.05}
    scenario = js.load_scenario("retail_omnichannel", changes={"arrival_rate_per_day": 40, "personas.digital_native.share": 0.7, "personas.store_loyal.share": 0.05})
    expected = js.simulate(scenario, seed=1, horizon_days=5, progress=False).metrics().set_index("persona").loc["all", "arrivals"]
    assert model(point) == expected
    with pytest.raises(ValueError, match="sensitivity parameters are scenario fields"):
        model({"run.seed": 3})
