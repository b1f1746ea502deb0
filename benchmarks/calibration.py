"""How fast a touch log is fitted: ``python -m benchmarks.calibration [--touches N]``.

Simulates a five-channel, three-persona journey (the round-trip scenario of the tests) until
its touch log holds about ``--touches`` rows (default one million), then times, on one core
(no worker processes): reading the log into arrays, the point estimate, and the bootstrap
(``--bootstrap`` resamples of customers, default the command's 200). Prints one line per
step and the total, the figure the calibration's speed target (under 30 s for a million
touches) is read from. Nothing is asserted here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

import journeysim as js
from journeysim.analysis.fit_touches import fit_touch_log
from journeysim.analysis.touch_arrays import log_arrays

ROOT = Path(__file__).resolve().parents[1]
TOUCHES_PER_ARRIVAL = 3.4  # of the round-trip scenario, measured


def simulated_log(touches: int, seed: int = 1) -> tuple[pd.DataFrame, list[str], float]:
    sys.path.insert(0, str(ROOT / "tests" / "analysis"))
    from test_fit_touches import ROUND_TRIP_STAGES, round_trip_data, touch_log_of

    days = 365.0
    rate = touches / TOUCHES_PER_ARRIVAL / days
    scenario = js.scenario_from_dict({**round_trip_data(), "arrival_rate_per_day": rate})
    result = js.simulate(scenario, seed=seed, horizon_days=days, engine="vectorised", progress=False)
    return touch_log_of(result), ROUND_TRIP_STAGES, days


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("--touches", type=int, default=1_000_000)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args(argv)
    log, stages, days = simulated_log(args.touches)
    rows = []
    started = time.perf_counter()
    log_arrays(log, stages, days)
    rows.append(("read the log into arrays", time.perf_counter() - started))
    started = time.perf_counter()
    fit_touch_log(log, stages, end_days=days, bootstrap=0)
    rows.append(("point estimate (arrays included)", time.perf_counter() - started))
    started = time.perf_counter()
    fit = fit_touch_log(log, stages, end_days=days, bootstrap=args.bootstrap)
    total = time.perf_counter() - started
    rows.append((f"fit with {args.bootstrap} bootstrap resamples", total))
    table = pd.DataFrame(rows, columns=["step", "seconds"])
    customers = log["customer_id"].nunique()
    print(f"touch log: {len(log):,} rows, {customers:,} customers, {days:g} days; numpy {np.__version__}, one process")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    print(f"per bootstrap resample: {(total - rows[1][1]) / max(args.bootstrap, 1):.3f} s; "
          f"{len(fit.touchpoints)} touchpoints, {len(fit.delays)} delays fitted")
    return table


if __name__ == "__main__":
    main()
