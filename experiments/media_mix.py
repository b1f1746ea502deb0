"""A media-mix regression fitted on a simulated panel, scored against the simulated truth.

    python experiments/media_mix.py                        # 52 weeks, 4 replications: a minute or two
    python experiments/media_mix.py --weeks 104 --replications 8 --target revenue

Simulates the default scenario's journey (its paid search, social and video, no queues or
post-purchase life, on the vectorised engine) with flighted spend: every channel's weekly
spend drawn from off / half / normal / double its daily budget, so that a regression can
tell the channels apart. The run is written as ``journeysim output.observed=true`` writes
it (``observed/mmm_panel.csv`` and ``observed/mmm_truth.csv`` among the rest). Then the
regression of :mod:`journeysim.analysis.media_mix` (adstock and Hill saturation per channel,
fitted by scipy's least squares; once with geometric carry-over, once delayed) is fitted to
the weekly panel, and each channel's contribution is set beside its true incremental effect, measured by the runs with
that channel's spend switched off (common random numbers). Writes into ``--out`` (default
``experiments/results/media_mix``): the run folder ``run/``, ``media_mix_fit.csv`` (the
fitted parameters), ``media_mix_vs_truth.csv`` and ``media_mix_vs_truth.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import journeysim as js
from journeysim.analysis.media_mix import ADSTOCKS, fit_media_mix
from journeysim.cli.job import run_job
from journeysim.outputs import write_text_atomically
from journeysim.reporting.figures import save
from journeysim.reporting.observation_figures import media_mix_figure
from journeysim.simulation.engines.vectorised import journey_only

LEVELS = (0.0, 0.5, 1.0, 2.0)  # weekly spend as multiples of the channel's daily budget


def flighted(scenario: js.Scenario, weeks: int, rng: np.random.Generator) -> js.Scenario:
    """The scenario with every paid channel's spend varying week by week (a plan of weeks)."""
    changes = {}
    for name, budget in scenario.budget.items():
        levels = rng.choice(LEVELS, size=weeks)
        changes[f"budget.{name}.plan"] = [{"from_day": 7 * w, "to_day": 7 * (w + 1), "spend_per_day": float(level * budget.spend_per_day)} for w, level in enumerate(levels)]
    return js.with_changes(scenario, changes)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--target", choices=("conversions", "revenue"), default="conversions")
    parser.add_argument("--warm-up", type=int, default=4, help="first weeks left out of the fit: the run starts empty (default: %(default)s)")
    parser.add_argument("--arrival-rate", type=float, default=None, help="organic arrivals per day (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "media_mix")
    args = parser.parse_args(argv)

    changes = {} if args.arrival_rate is None else {"arrival_rate_per_day": args.arrival_rate}
    scenario = flighted(journey_only(js.load_scenario(changes=changes)), args.weeks, np.random.default_rng(args.seed))
    settings = js.RunSettings(seed=args.seed, horizon_days=7.0 * args.weeks, replications=args.replications, engine="vectorised")
    run_job(scenario, settings, args.out / "run", write_events=False, figures=False, observed=True)
    panel = pd.read_csv(args.out / "run" / "observed" / "mmm_panel.csv")
    truth = pd.read_csv(args.out / "run" / "observed" / "mmm_truth.csv")
    controls = [c for c in panel.columns if c.startswith("campaign_")]
    measure = f"incremental_{args.target}"
    table = truth[["channel", measure, f"{measure}_ci_low", f"{measure}_ci_high"]].copy()
    fits, parameters = {}, []
    for adstock in ADSTOCKS:
        fits[adstock] = fit = fit_media_mix(panel, target=args.target, channels=list(scenario.budget), controls=controls,
                                            adstock=adstock, warm_up=args.warm_up, seed=args.seed)  # fmt: skip
        contributions = fit.contributions(panel).set_index("channel")["contribution"]
        table[f"contribution_{adstock}"] = table["channel"].map(contributions)
        table[f"error_{adstock}"] = table[f"contribution_{adstock}"] / table[measure] - 1.0
        fields = {name: getattr(fit, name) for name in ("effect", "half_saturation", "hill_shape", "adstock_decay", "adstock_peak")}
        parameters.append(pd.DataFrame({name: pd.Series(values, dtype=float) for name, values in fields.items()}).rename_axis("channel").reset_index().assign(adstock=adstock))
    args.out.mkdir(parents=True, exist_ok=True)
    pd.concat(parameters, ignore_index=True).to_csv(args.out / "media_mix_fit.csv", index=False)
    table.to_csv(args.out / "media_mix_vs_truth.csv", index=False)
    save(media_mix_figure(table, title=f"Media-mix regression ({args.target}) versus the simulated truth"), args.out / "media_mix_vs_truth.png")
    lines = [f"{args.weeks} weeks x {args.replications} replications, the first {args.warm_up} left out of the fit"]
    lines += [f"{name} adstock: base {fit.base:.1f} {args.target} per week, residual sd {fit.residual_sd:.1f} ({fit.message})" for name, fit in fits.items()]
    lines.append(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    write_text_atomically(args.out / "summary.txt", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return table


if __name__ == "__main__":
    main()
