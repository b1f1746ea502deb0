"""Optimise the default scenario's daily spend split (search, social, video) at the same total.

    python experiments/budget_optimiser.py                               # conversions, small and quick
    python experiments/budget_optimiser.py --objective profit --replications 5 --horizon-days 90
    python experiments/budget_optimiser.py --bounds search=300:900 --fixed video

The search simulates the journey-only scenario (no queues, no advocacy) on the vectorised
engine with common random numbers; the answer is re-checked on the full scenario by a paired
comparison, current vs recommended. Writes into ``--out`` (default
``experiments/results/budget_optimiser``): ``budget_split.csv``, ``budget_marginal_return.csv``,
``budget_response.csv``, ``budget_trace.csv``, ``budget_by_channel.csv`` (the per-channel
report of the re-check), ``summary.txt`` and three figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import journeysim as js
from journeysim.outputs import AtomicOutput
from journeysim.reporting.figures import save
from journeysim.studies.budget import OBJECTIVES, optimise_budget
from journeysim.studies.budget.by_channel import channel_comparison


def parse_bounds(items: list[str]) -> dict[str, tuple[float, float | None]]:
    """``search=300:900`` -> {"search": (300, 900)}; ``social=100:`` has no maximum."""
    bounds = {}
    for item in items:
        channel, _, span = item.partition("=")
        low, _, high = span.partition(":")
        bounds[channel] = (float(low or 0), float(high) if high else None)
    return bounds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objective", choices=list(OBJECTIVES), default="conversions")
    parser.add_argument("--scenario", default="retail_omnichannel")
    parser.add_argument("--total", type=float, default=None, help="total EUR/day to split (default: the current total)")
    parser.add_argument("--bounds", nargs="*", default=[], metavar="CHANNEL=MIN:MAX", help="EUR/day bounds per channel")
    parser.add_argument("--fixed", nargs="*", default=[], metavar="CHANNEL", help="channels held at their current spend")
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--check-replications", type=int, default=None,
                        help="paired replications of the re-check (default: as many as needed for the gain to +-0.5%% of the objective)")
    parser.add_argument("--horizon-days", type=float, default=60.0)
    parser.add_argument("--arrival-rate", type=float, default=None, help="organic arrivals per day (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2, help="processes for the re-check's pairs (never more than the cores)")
    parser.add_argument("--full", action="store_true", help="search on the full scenario (SimPy, queues): slower")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "budget_optimiser")
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    changes = {} if args.arrival_rate is None else {"arrival_rate_per_day": args.arrival_rate}
    scenario = js.load_scenario(args.scenario, changes=changes)
    result = optimise_budget(
        scenario, args.objective, total_spend_per_day=args.total, bounds=parse_bounds(args.bounds), fixed=args.fixed,
        seed=args.seed, replications=args.replications, horizon_days=args.horizon_days, fast=not args.full,
        check_replications=args.check_replications, workers=args.workers,
    )
    summary = result.summary()
    with AtomicOutput(args.out) as out:
        out.write_csv(result.split, "budget_split.csv")
        out.write_csv(result.marginal, "budget_marginal_return.csv")
        out.write_csv(result.response, "budget_response.csv")
        out.write_csv(result.trace, "budget_trace.csv")
        if result.comparison is not None:
            out.write_csv(channel_comparison(result.comparison), "budget_by_channel.csv")
        if not args.no_figures:
            for name, figure in result.figures().items():
                save(figure, out.path(name))
        out.write_text(summary, "summary.txt")
        out.finish({"objective": args.objective, "scenario": scenario.name, "seed": args.seed, "replications": args.replications,
                    "horizon_days": args.horizon_days, "current": result.current, "recommended": result.recommended, "gain": result.gain})
    print(summary)
    print(f"Took {time.perf_counter() - started:.1f} s.")
    print(f"Results written to {args.out}")


if __name__ == "__main__":
    main()
