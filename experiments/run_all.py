"""Run the shipped current-vs-future studies through the Python API, at a size you choose.

    python experiments/run_all.py                                   # every study, full size (as the CLI)
    python experiments/run_all.py one_click_checkout --replications 5 --arrival-rate 50 --horizon-days 60

Each study writes the same files as ``journeysim experiment=NAME`` into ``--out/NAME``
(default ``experiments/results/NAME``) and prints its summary and the time it took.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import journeysim as js
from journeysim.cli.experiment_job import timing_line, write_comparison, write_options
from journeysim.config import experiment_names
from journeysim.studies.experiment import load_experiment, run_experiment
from journeysim.studies.options import OptionsComparison


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="*", help=f"default: all of {', '.join(experiment_names())}")
    parser.add_argument("--replications", type=int, default=None, help="a fixed number (default: as many as experiment.precision needs)")
    parser.add_argument("--arrival-rate", type=float, default=None, help="arrivals per day (default: the scenario's)")
    parser.add_argument("--horizon-days", type=float, default=None, help="default: configs/config.yaml run.horizon_days")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the study file's run.workers)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args(argv)

    current = js.load_scenario(changes={} if args.arrival_rate is None else {"arrival_rate_per_day": args.arrival_rate})
    run = {key: value for key, value in (("horizon_days", args.horizon_days), ("seed", args.seed), ("workers", args.workers)) if value is not None}
    started = time.perf_counter()
    for name in args.experiments or experiment_names():
        experiment, settings = load_experiment(name, run={**run, "progress": True})
        if args.replications is not None:
            experiment = replace(experiment, replications=args.replications)
        comparison = run_experiment(current, settings, experiment)
        write = write_options if isinstance(comparison, OptionsComparison) else write_comparison
        write(comparison, args.out / name, figures=not args.no_figures)
        print(comparison.summary())
        print(timing_line(comparison))
        print(f"Results written to {args.out / name}\n")
    print(f"All studies took {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
