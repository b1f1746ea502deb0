"""What common random numbers buy: variance of the paired difference, CRN vs independent.

``python -m benchmarks.crn`` runs, for each shipped experiment, the current state and
the future state at the same replications twice: once with the run seed (common random
numbers, as :func:`journeysim.studies.comparison.compare` does) and once with an offset seed
(independent streams). For each main KPI it prints the variance over replications of the
per-replication difference future - current under both designs and their ratio: how many
times more replications independent runs would need for the same interval width.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from journeysim.analysis.metrics import ALL
from journeysim.config import experiment_names, load_scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation import ReplicationRunner
from journeysim.studies.comparison import future_seed, future_state, paired_engine
from journeysim.studies.experiment import load_experiment

MAIN_KPIS = (
    "conversion_rate", "friction_loss_rate", "satisfaction", "revenue_per_arrival",
    "cost_per_acquisition", "return_on_spend", "touches_to_convert", "time_to_convert_days",
)  # fmt: skip
TARGET_RATIO = 3.0


def difference_variances(current: pd.DataFrame, crn: pd.DataFrame, independent: pd.DataFrame, kpis: Sequence[str], persona: str = ALL) -> pd.DataFrame:
    """Variance over replications of future - current, with CRN and with independent streams."""
    rows = []
    pick = lambda table, kpi: table.loc[table["persona"] == persona].set_index("replication")[kpi].astype(float)
    for kpi in kpis:
        base = pick(current, kpi)
        var_crn = (pick(crn, kpi) - base).var(ddof=1)
        var_independent = (pick(independent, kpi) - base).var(ddof=1)
        ratio = var_independent / var_crn if var_crn > 0 else np.inf
        rows.append((kpi, var_crn, var_independent, ratio))
    return pd.DataFrame(rows, columns=["kpi", "variance_crn", "variance_independent", "ratio"])


def benchmark(replications: int = 20, seed: int = 42, horizon_days: float | None = None, arrival_rate_per_day: float | None = None,
              experiments: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per experiment and main KPI: variance of the paired difference under CRN and
    with independent streams, and their ratio. Run settings are those of ``journeysim
    experiment=NAME`` (``horizon_days`` overrides them)."""
    current = load_scenario(changes={} if arrival_rate_per_day is None else {"arrival_rate_per_day": arrival_rate_per_day})
    run = {"seed": seed, "progress": False, **({} if horizon_days is None else {"horizon_days": horizon_days})}
    current_runs: dict[RunSettings, pd.DataFrame] = {}
    frames = []
    for name in experiments or experiment_names():
        experiment, settings = load_experiment(name, run=run)
        future = future_state(current, experiment.changes, path=f"{name}.changes")
        settings = replace(settings, engine=paired_engine(settings.engine, current, future))
        if settings not in current_runs:  # experiments with the same run settings share the current state's runs
            current_runs[settings] = ReplicationRunner(current, settings).kpis(replications)
        crn = ReplicationRunner(future, settings, future_seed(seed, False)).kpis(replications)
        independent = ReplicationRunner(future, settings, future_seed(seed, True)).kpis(replications)
        kpis = [k for k in MAIN_KPIS if k in crn]
        frames.append(difference_variances(current_runs[settings], crn, independent, kpis).assign(experiment=name))
    table = pd.concat(frames, ignore_index=True)
    return table[["experiment", "kpi", "variance_crn", "variance_independent", "ratio"]]


def render(table: pd.DataFrame, replications: int) -> str:
    lines = [
        f"Variance of the per-replication difference (future - current, all personas), {replications} replications each;",
        f"ratio = independent / CRN (target >= {TARGET_RATIO:g}x less variance with common random numbers).",
        "",
    ]
    shown = table.copy()
    shown["variance_crn"] = shown["variance_crn"].map(lambda v: f"{v:.3e}")
    shown["variance_independent"] = shown["variance_independent"].map(lambda v: f"{v:.3e}")
    shown["ratio"] = table["ratio"].map(lambda r: "inf (CRN difference is exactly 0)" if np.isinf(r) else f"{r:,.1f}x")
    shown["meets target"] = np.where(table["ratio"] >= TARGET_RATIO, "yes", "no")
    lines.append(shown.to_string(index=False))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crn", description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizon-days", type=float, default=None, help="default: the experiment's (configs/config.yaml run.horizon_days)")
    parser.add_argument("--arrival-rate", type=float, default=None, help="arrivals per day (default: the scenario's, 200)")
    parser.add_argument("--experiments", nargs="*", default=None, help="default: every configs/experiment/*.yaml")
    args = parser.parse_args(argv)
    table = benchmark(args.replications, args.seed, args.horizon_days, args.arrival_rate, args.experiments)
    print(render(table, args.replications))
    return 0


if __name__ == "__main__":
    sys.exit(main())
