"""Benchmark: one comparison with its replications in 1 process, then in N (``run.workers``).

    python -m benchmarks.workers                       # one_click_checkout, 8 replications, 1 vs 2
    python -m benchmarks.workers --experiment more_store_staff --replications 12 --workers 2

Both runs must give the same comparison table (replication r draws from its own random
streams whichever process runs it); the benchmark checks that and prints the wall-clock
times and their ratio. Worker processes start and import journeysim once per run (a second
or two), which short studies do not amortise.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd


def time_comparison(experiment_name: str, replications: int, workers: int, horizon_days: float | None) -> tuple[float, pd.DataFrame]:
    """Wall time of ``run_experiment`` and its comparison table."""
    import journeysim as js
    from journeysim.studies.experiment import load_experiment, run_experiment

    run = {"progress": False, "workers": workers, **({} if horizon_days is None else {"horizon_days": horizon_days})}
    experiment, settings = load_experiment(experiment_name, run=run)
    start = time.perf_counter()
    comparison = run_experiment(js.load_scenario(), settings, replace(experiment, replications=replications))
    return time.perf_counter() - start, comparison.table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workers", description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="one_click_checkout")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--horizon-days", type=float, default=None, help="default: configs/config.yaml run.horizon_days")
    args = parser.parse_args(argv)
    print(f"comparison {args.experiment}: {args.replications} paired replications of the default scenario")
    serial, one = time_comparison(args.experiment, args.replications, 1, args.horizon_days)
    print(f"  1 process  : {serial:7.1f} s")
    parallel, many = time_comparison(args.experiment, args.replications, args.workers, args.horizon_days)
    print(f"  {args.workers} processes: {parallel:7.1f} s")
    pd.testing.assert_frame_equal(one, many)
    print(f"  speed-up   : {serial / parallel:7.2f}x  (the same comparison table)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
