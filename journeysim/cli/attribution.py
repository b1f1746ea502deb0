"""The attribution-versus-truth command: ``journeysim-attribution``.

Parses arguments, runs :func:`journeysim.studies.incrementality.attribution_vs_truth`, writes its
tables and figure atomically and prints the summary. Bad arguments exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from journeysim.analysis.path_files import write_path_table
from journeysim.cli.arguments import whole_number
from journeysim.config import with_changes
from journeysim.errors import ConfigError, Problem
from journeysim.studies.incrementality import DEFAULT_HORIZON_DAYS, attribution_vs_truth

EXIT_INVALID = 2  # as for any invalid configuration


def _positive(kind: type, name: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a {'whole ' if kind is int else ''}number, got {text!r}") from None
        if not np.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be > 0, got {text!r}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journeysim-attribution",
        description="Compare attribution models with the simulated ground truth (channel removal with common random numbers).",
    )
    parser.add_argument("--scenario", default="retail_omnichannel", help="scenario name (configs/scenario/NAME.yaml) or a YAML file")
    parser.add_argument("--out", required=True, help="folder for the tables and the figure")
    parser.add_argument("--replications", type=_positive(int, "replications"), default=10)
    parser.add_argument("--seed", type=whole_number("seed"), default=0)
    parser.add_argument("--horizon-days", type=_positive(float, "horizon-days"), default=DEFAULT_HORIZON_DAYS)
    parser.add_argument("--arrival-days", type=_positive(float, "arrival-days"), default=None,
                        help="arrivals over [0, arrival-days); default: two thirds of the horizon")
    parser.add_argument("--arrival-rate", type=_positive(float, "arrival-rate"), default=None,
                        help="arrivals per day (replaces the scenario's arrival_rate_per_day)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    from journeysim.config import load_scenario
    from journeysim.outputs import AtomicOutput
    from journeysim.reporting.figures import save

    try:
        scenario = load_scenario(args.scenario)
        if args.arrival_rate is not None:
            if scenario.arrival_rate_per_day is None:
                raise ConfigError(Problem("--arrival-rate", f"scenario {scenario.name!r} has no scenario-level arrival_rate_per_day to replace"))
            scenario = with_changes(scenario, {"arrival_rate_per_day": args.arrival_rate})
        if args.arrival_days is not None and args.arrival_days > args.horizon_days:
            raise ConfigError(Problem("--arrival-days", f"must be <= --horizon-days ({args.horizon_days:g}), got {args.arrival_days:g}"))
    except ConfigError as error:
        print(f"{parser.prog}: error: {error.render()}", file=sys.stderr)
        return EXIT_INVALID
    log = None if args.quiet else (lambda message: print(f"simulating {message}", file=sys.stderr, flush=True))
    study = attribution_vs_truth(
        scenario, replications=args.replications, seed=args.seed, horizon_days=args.horizon_days,
        arrival_days=args.arrival_days, log=log,
    )
    folder = Path(args.out)
    text = study.summary()
    with AtomicOutput(folder) as out:
        out.write_csv(study.credits, "attribution_credits.csv")
        out.write_csv(study.scores, "attribution_scores.csv")
        out.write_csv(study.channels, "channel_incrementality.csv")
        out.write_csv(study.friction, "friction_incrementality.csv")
        write_path_table(study.paths, out.path("paths.csv"))
        save(study.figure(), out.path("attribution_vs_truth.png"))
        out.write_text(text, "summary.txt")
        out.finish({**study.metadata, "command": "journeysim-attribution"})
    print(text)
    print(f"Results written to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
