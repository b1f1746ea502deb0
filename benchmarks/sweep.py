"""Benchmark: one sweep of equal jobs on 1 worker, then on 2 (Hydra's joblib launcher).

    python -m benchmarks.sweep                 # 8 jobs, 1 vs 2 workers
    python -m benchmarks.sweep --jobs 4 --horizon-days 30

Each job simulates the default scenario with the same seed (``+bench_job=range(0,N)`` only
numbers them), so the jobs are equal and the speed-up is the launcher's alone. Times are
wall-clock times of the whole ``journeysim -m`` command, Hydra's start-up included; the
target on a 2-core machine is a speed-up of at least 1.7. Jobs are long (360 days, 500
arrivals a day: about 30 s each on one core of a 2-vCPU VM) because the parallel run pays a fixed cost of
a few seconds (worker processes start and import journeysim) that short jobs would not
amortise. The mean job time is printed too: when it grows with more workers, the cores
are shared with other processes and the speed-up says more about the machine than about
the launcher.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

TARGET_SPEEDUP = 1.7


def sweep_command(sweep_dir: Path, *, workers: int, jobs: int, horizon_days: float, arrival_rate: float) -> list[str]:
    return [
        sys.executable, "-m", "journeysim.cli.main", "-m",
        "hydra/launcher=joblib_local", f"hydra.launcher.n_jobs={workers}",
        f"+bench_job=range(0,{jobs})",
        f"run.horizon_days={horizon_days:g}", f"scenario.arrival_rate_per_day={arrival_rate:g}",
        "run.progress=false", "output.events=false", "output.figures=false",
        f"hydra.sweep.dir={sweep_dir}",
    ]  # fmt: skip


def time_sweep(sweep_dir: Path, **options: float) -> tuple[float, float]:
    """Wall time of one sweep and the mean time of its jobs (from job start to ``run.json``).

    Fails loudly if a job failed or the sweep table is short.
    """
    command = sweep_command(sweep_dir, **options)  # type: ignore[arg-type]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"sweep failed ({done.returncode}):\n{done.stderr[-3000:]}")
    jobs = pd.read_parquet(sweep_dir / "sweep.parquet")["job"].unique()
    if len(jobs) != options["jobs"]:
        raise RuntimeError(f"the sweep table holds {len(jobs)} jobs, expected {options['jobs']}")
    # A job that takes much longer with more workers shares its cores with something else.
    durations = [(sweep_dir / str(j) / "run.json").stat().st_mtime - (sweep_dir / str(j) / ".hydra" / "overrides.yaml").stat().st_mtime for j in jobs]
    return elapsed, sum(durations) / len(durations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--horizon-days", type=float, default=360.0)
    parser.add_argument("--arrival-rate", type=float, default=500.0, help="arrivals per day")
    args = parser.parse_args(argv)
    options = {"jobs": args.jobs, "horizon_days": args.horizon_days, "arrival_rate": args.arrival_rate}
    print(f"sweep of {args.jobs} equal jobs: retail_omnichannel, {args.horizon_days:g} days, {args.arrival_rate:g} arrivals/day, joblib launcher")
    with tempfile.TemporaryDirectory(prefix="bench_sweep-") as scratch:
        serial, serial_job = time_sweep(Path(scratch) / "serial", workers=1, **options)
        print(f"  1 worker : {serial:7.1f} s   (a job takes {serial_job:.1f} s)")
        parallel, parallel_job = time_sweep(Path(scratch) / "parallel", workers=args.workers, **options)
        print(f"  {args.workers} workers: {parallel:7.1f} s   (a job takes {parallel_job:.1f} s)")
    speedup = serial / parallel
    print(f"  speed-up : {speedup:7.2f}x  (target >= {TARGET_SPEEDUP}x with 2 workers on 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
