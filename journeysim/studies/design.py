"""Designs beyond the grid, and global sensitivity analysis of one KPI.

Parameters are ranges written as on the command line::

    KEY=LOW:HIGH        continuous, uniform           scenario.touchpoints.purchase.website.friction=0:0.6
    KEY=LOW:HIGH:log    continuous, log-uniform        scenario.arrival_rate_per_day=50:800:log
    KEY=LOW:HIGH:int    whole numbers LOW..HIGH        run.replications=1:5:int
    KEY=A,B,C           categorical (Hydra values)     scenario.touchpoints.purchase.website.delay_days.dist=exponential,gamma

``journeysim-design sample`` draws a random, Latin-hypercube or Sobol design
(:mod:`scipy.stats.qmc`) and writes it as a CSV of override values, which Hydra runs with
journeysim's design sweeper (``journeysim -m hydra/sweeper=design hydra.sweeper.design=FILE``;
see :mod:`hydra_plugins.journeysim_design_sweeper.design_sweeper`), on any launcher, into
one sweep table like any other sweep.

``journeysim-design sensitivity`` estimates how much each parameter drives a KPI: Sobol
indices from Saltelli sampling (first-order S1 and total ST, with confidence intervals) or
Morris elementary effects (mu*, sigma), computed by SALib. Each design point is simulated
through the Python API by :class:`ScenarioKpi`, with the same seed everywhere so points
share random numbers; :func:`sensitivity_analysis` takes any other function of a point.
"""

from __future__ import annotations

import io
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from journeysim.config import hydra_value, load_scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.processes import in_processes
from journeysim.simulation.replications import ReplicationRunner

METHODS = ("random", "lhs", "sobol")
SENSITIVITY_METHODS = ("sobol", "morris")


@dataclass(frozen=True)
class Parameter:
    """One dimension of a design: a range (linear, log or whole numbers) or a list of choices."""

    key: str
    low: float = float("nan")
    high: float = float("nan")
    scale: str = "linear"  # linear | log | int
    choices: tuple[str, ...] = ()  # categorical values as written on the command line

    @property
    def categorical(self) -> bool:
        return bool(self.choices)

    def values(self, unit: np.ndarray) -> list[Any]:
        """Values at points ``unit`` in [0, 1]: the same share of the range (or of the choices)."""
        unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
        if self.categorical:
            index = np.minimum((unit * len(self.choices)).astype(int), len(self.choices) - 1)
            typed = [hydra_value(choice) for choice in self.choices]
            return [typed[i] for i in index]
        if self.scale == "int":
            # Equal-width bins for LOW..HIGH inclusive, so every whole number is equally likely.
            count = int(self.high) - int(self.low) + 1
            return [int(self.low) + int(i) for i in np.minimum((unit * count).astype(int), count - 1)]
        if self.scale == "log":
            return [float(v) for v in np.exp(np.log(self.low) + unit * (np.log(self.high) - np.log(self.low)))]
        return [float(v) for v in self.low + unit * (self.high - self.low)]

    def token(self, value: Any) -> str:
        """``value`` as written in an override."""
        if self.categorical:
            return self.choices[[hydra_value(c) for c in self.choices].index(value)]
        if isinstance(value, float):
            return f"{value:.10g}"
        return str(value)


def parse_parameter(text: str) -> Parameter:
    """``KEY=LOW:HIGH[:log|:int]`` or ``KEY=A,B,C``; ValueError names the text and the problem."""
    key, sep, spec = text.partition("=")
    key, spec = key.strip(), spec.strip()
    if not sep or not key or not spec:
        raise ValueError(f"{text!r}: write KEY=LOW:HIGH, KEY=LOW:HIGH:log, KEY=LOW:HIGH:int or KEY=A,B,C")
    if "," in spec:
        choices = tuple(c.strip() for c in spec.split(","))
        if any(not c for c in choices) or len(set(choices)) != len(choices):
            raise ValueError(f"{text!r}: choices must be distinct and non-empty")
        return Parameter(key, choices=choices)
    parts = spec.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"{text!r}: a range is LOW:HIGH, optionally followed by :log or :int")
    scale = parts[2].strip() if len(parts) == 3 else "linear"
    if scale not in ("linear", "log", "int"):
        raise ValueError(f"{text!r}: the scale must be log or int, got {scale!r}")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"{text!r}: LOW and HIGH must be numbers") from None
    if not low < high:
        raise ValueError(f"{text!r}: LOW must be below HIGH")
    if scale == "log" and low <= 0:
        raise ValueError(f"{text!r}: a log range needs LOW > 0")
    if scale == "int" and not (low.is_integer() and high.is_integer()):
        raise ValueError(f"{text!r}: an int range needs whole-number bounds")
    return Parameter(key, low, high, scale)


def unit_sample(dimensions: int, n: int, method: str = "lhs", seed: int = 0) -> np.ndarray:
    """``n`` points in the unit cube [0, 1)^dimensions."""
    from scipy.stats import qmc

    if method == "random":
        return np.random.default_rng(seed).random((n, dimensions))
    if method == "lhs":
        return qmc.LatinHypercube(dimensions, seed=seed).random(n)
    if method == "sobol":
        return qmc.Sobol(dimensions, scramble=True, seed=seed).random(n)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def design_points(parameters: Sequence[Parameter], n: int, method: str = "lhs", seed: int = 0) -> pd.DataFrame:
    """One row per design point, one typed column per parameter key."""
    _check_keys(parameters)
    unit = unit_sample(len(parameters), n, method, seed)
    return pd.DataFrame({p.key: p.values(unit[:, j]) for j, p in enumerate(parameters)})


def design_csv(parameters: Sequence[Parameter], points: pd.DataFrame) -> str:
    """The design file the design sweeper reads: override keys, then one row of values per point."""
    tokens = pd.DataFrame({p.key: [p.token(v) for v in points[p.key]] for p in parameters})
    buffer = io.StringIO()
    tokens.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def override_lines(parameters: Sequence[Parameter], points: pd.DataFrame) -> list[str]:
    """One line of overrides per point, e.g. for ``journeysim $LINE hydra.run.dir=...``."""
    return [" ".join(f"{p.key}={p.token(row[p.key])}" for p in parameters) for _, row in points.iterrows()]


def multirun_command(design_file: str | Path, sweep_dir: str | Path | None = None, extra: Sequence[str] = ()) -> str:
    """The ``journeysim -m`` line that runs a design file (crossed with ``extra`` grid overrides)."""
    words = ["journeysim", "-m", "hydra/sweeper=design", f"hydra.sweeper.design={design_file}", *extra]
    if sweep_dir is not None:
        words.append(f"hydra.sweep.dir={sweep_dir}")
    return " ".join(shlex.quote(word) for word in words)


def _check_keys(parameters: Sequence[Parameter]) -> None:
    keys = [p.key for p in parameters]
    if not keys:
        raise ValueError("give at least one parameter")
    if len(set(keys)) != len(keys):
        raise ValueError(f"each parameter once, got {', '.join(keys)}")


# --- sensitivity ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioKpi:
    """A KPI of one simulated design point: the default model of :func:`sensitivity_analysis`.

    Point keys are scenario paths (``scenario.touchpoints.purchase.website.friction``);
    ``changes`` apply to every point (e.g. a smaller ``arrival_rate_per_day``). Every point
    uses the same seed, so points share random numbers and differences come from the
    parameters, not from noise. Picklable, so points can run in worker processes.
    """

    scenario: str = "retail_omnichannel"
    kpi: str = "conversion_rate"
    persona: str = "all"
    seed: int = 1
    horizon_days: float = 60.0
    replications: int = 1
    engine: str = "auto"
    changes: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, point: Mapping[str, Any]) -> float:
        changes = {**self.changes, **{scenario_path(key): value for key, value in point.items()}}
        scenario = load_scenario(self.scenario, changes=changes)
        settings = RunSettings(seed=self.seed, horizon_days=self.horizon_days, replications=self.replications, engine=self.engine)
        table = ReplicationRunner(scenario, settings).kpis(by=(), keep_events=False).set_index("persona")
        if self.kpi not in table.columns:
            raise ValueError(f"unknown KPI {self.kpi!r}; KPIs: {', '.join(c for c in table.columns if c != 'replication')}")
        return float(table.loc[self.persona, self.kpi])


def scenario_path(key: str) -> str:
    if not key.startswith("scenario."):
        raise ValueError(f"{key}: sensitivity parameters are scenario fields (scenario.PATH)")
    return key.removeprefix("scenario.")


@dataclass
class SensitivityResult:
    method: str  # sobol | morris
    kpi: str
    indices: pd.DataFrame  # one row per parameter, most influential first
    samples: pd.DataFrame  # every evaluated point: parameter values and the KPI
    parameters: list[Parameter]

    def figure(self):
        from journeysim.reporting.sweep_figures import sensitivity_figure

        return sensitivity_figure(self.indices, method=self.method, kpi=self.kpi)

    def text(self) -> str:
        header = f"Global sensitivity of {self.kpi} ({'Sobol indices, Saltelli sampling' if self.method == 'sobol' else 'Morris elementary effects'}; {len(self.samples)} evaluations)"
        return header + "\n" + self.indices.to_string(index=False, float_format=lambda v: f"{v:.4f}")


def sensitivity_analysis(
    parameters: Sequence[Parameter],
    run: Callable[[dict[str, Any]], float],
    *,
    n: int = 64,
    method: str = "sobol",
    seed: int = 0,
    kpi: str = "kpi",
    levels: int = 4,
    confidence: float = 0.95,
    workers: int = 1,
) -> SensitivityResult:
    """Rank ``parameters`` by their effect on ``run(point)``.

    ``sobol``: n * (d + 2) evaluations (n a power of 2); indices S1 and ST with confidence
    intervals (bootstrap). ``morris``: n trajectories of d + 1 evaluations on a ``levels``
    grid; mu* (mean absolute elementary effect, per whole range of a parameter), its
    confidence interval, mu and sigma. ``run`` must be picklable when ``workers > 1``.
    """
    # SALib pulls in scipy.stats and more: imported here so designs and sweeps stay light.
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    _check_keys(parameters)
    if method not in SENSITIVITY_METHODS:
        raise ValueError(f"method must be one of {', '.join(SENSITIVITY_METHODS)}, got {method!r}")
    keys = [p.key for p in parameters]
    # Every parameter is sampled on [0, 1] and mapped to its range (or choices): one scale
    # for ranges, log ranges, whole numbers and categories alike.
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    if method == "sobol":
        unit = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    else:
        unit = morris_sample.sample(problem, n, num_levels=levels, seed=seed)
    points = pd.DataFrame({p.key: p.values(unit[:, j]) for j, p in enumerate(parameters)})
    outputs = np.asarray(_evaluate(run, points.to_dict("records"), workers), dtype=float)
    undefined = np.flatnonzero(~np.isfinite(outputs))
    if len(undefined):
        example = points.iloc[undefined[0]].to_dict()
        raise ValueError(f"{kpi} is undefined at {len(undefined)} of {len(outputs)} points, e.g. {example}; choose a KPI defined everywhere or narrow the ranges")
    if method == "sobol":
        result = sobol_analyze.analyze(problem, outputs, calc_second_order=False, conf_level=confidence, seed=seed)
        indices = pd.DataFrame({"parameter": keys, "S1": result["S1"], "S1_conf": result["S1_conf"], "ST": result["ST"], "ST_conf": result["ST_conf"]})
        indices = indices.sort_values("ST", ascending=False, kind="stable", ignore_index=True)
    else:
        result = morris_analyze.analyze(problem, unit, outputs, conf_level=confidence, num_levels=levels, seed=seed)
        indices = pd.DataFrame({"parameter": keys, "mu_star": result["mu_star"], "mu_star_conf": result["mu_star_conf"], "mu": result["mu"], "sigma": result["sigma"]})
        indices = indices.sort_values("mu_star", ascending=False, kind="stable", ignore_index=True)
    indices.insert(0, "rank", np.arange(1, len(indices) + 1))
    return SensitivityResult(method, kpi, indices, points.assign(**{kpi: outputs}), list(parameters))


def _evaluate(run: Callable[[dict[str, Any]], float], points: list[dict[str, Any]], workers: int) -> list[float]:
    return list(in_processes(run, [(point,) for point in points], workers))
