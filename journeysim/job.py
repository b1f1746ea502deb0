"""The main job: simulate a scenario and write its tables, metrics, figures and summary.

:func:`run_job` is what ``journeysim`` (the CLI) calls; tests and notebooks call it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from journeysim import metrics as m
from journeysim.exact import solve
from journeysim.outputs import AtomicOutput
from journeysim.plots import funnel_figure, journey_map_figure, save
from journeysim.report import run_summary
from journeysim.scenario import Scenario
from journeysim.settings import RunSettings
from journeysim.simulation import SimulationResult, simulate


@dataclass
class JobResult:
    folder: Path
    result: SimulationResult
    metrics: pd.DataFrame
    summary: str


def run_job(scenario: Scenario, settings: RunSettings, folder: str | Path, *, write_events: bool = True, figures: bool = True) -> JobResult:
    """Simulate and write everything into ``folder`` atomically (see :mod:`journeysim.outputs`)."""
    result = simulate(scenario, settings)
    customers, events = result.customers, result.events
    metrics = m.kpi_table(customers, events)
    per_replication = m.kpi_table(customers, events, by=("replication",))
    funnel = m.funnel(customers, events, scenario.stages)
    touchpoints = m.touchpoint_table(events)
    exact = solve(scenario).summary
    notes = [
        f"Scenario {scenario.name!r}, seed {settings.seed}, {settings.replications} replication(s), "
        f"horizon {settings.horizon_days:g} days; {len(customers):,} customers, {len(events):,} events.",
        "Exact (infinite-horizon) conversion probability per persona: "
        + ", ".join(f"{row.persona} {row.conversion_probability:.1%}" for row in exact.itertuples()),
    ]
    summary = run_summary(f"journeysim - {scenario.name}", metrics, funnel, notes)
    with AtomicOutput(folder) as out:
        out.write_csv(metrics, "metrics.csv")
        out.write_csv(per_replication, "metrics_by_replication.csv")
        if settings.replications > 1:
            out.write_csv(m.replication_summary(per_replication), "metrics_intervals.csv")
        out.write_csv(funnel, "funnel.csv")
        out.write_csv(touchpoints, "touchpoints.csv")
        out.write_csv(m.dropoff_by_stage(customers), "dropoff.csv")
        out.write_csv(exact, "exact.csv")
        out.write_parquet(customers, "customers.parquet")
        if write_events:
            out.write_parquet(events, "events.parquet")
        if figures:
            save(funnel_figure(funnel, title=scenario.name.replace("_", " ")), out.path("funnel.png"))
            save(journey_map_figure(touchpoints, scenario.stages, scenario.channel_names), out.path("journey_map.png"))
        out.write_text(summary, "summary.txt")
        out.finish(result.metadata)
    return JobResult(Path(folder), result, metrics, summary)
