"""The main job: simulate a scenario and write its tables, metrics, figures and summary.

:func:`run_job` is what ``journeysim`` (the CLI) calls; tests and notebooks call it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from journeysim.analysis import metrics as m
from journeysim.analysis.exact import solve
from journeysim.analysis.queues import queue_table
from journeysim.cli.report import write_run_report
from journeysim.config.durations import format_duration
from journeysim.model.media import budget_table
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import AtomicOutput
from journeysim.reporting.figures import (
    funnel_figure,
    journey_map_figure,
    loyalty_figure,
    queue_figure,
    save,
)
from journeysim.reporting.run_text import run_summary
from journeysim.simulation.runner import SimulationResult, simulate
from journeysim.studies.change_notes import chosen_closed_touchpoints, closure_note
from journeysim.studies.observed_run import write_observed_folder


def observed_note(record: dict) -> str:
    """The summary's lines on ``observed/``: what was written, and the XES file or why not."""
    return (
        f"\nObserved ({record['observation']}): observed/ holds paths.csv, paths_truth.csv, event_log.csv "
        f"({record['event_log_rows']:,} events), ga4_events.csv ({record['ga4_rows']:,} rows), sessions.csv "
        f"({record['sessions']:,} sessions), sessions_summary.csv, mmm_panel.csv and mmm_truth.csv; XES: {record['xes']}.\n"
    )


@dataclass
class JobResult:
    folder: Path
    result: SimulationResult
    metrics: pd.DataFrame
    summary: str


def run_job(scenario: Scenario, settings: RunSettings, folder: str | Path, *, write_events: bool = True, figures: bool = True, observed: bool = False,
            report: bool = True) -> JobResult:
    """Simulate and write everything into ``folder`` atomically (see :mod:`journeysim.outputs`);
    ``observed`` adds ``observed/``: what a brand's tools would see of the run, and the truth
    beside it (docs/observation.md); ``report`` adds ``report.html`` and its tables
    (``pain_points.csv`` and others, docs/report.md)."""
    result = simulate(scenario, settings)
    customers, events = result.customers, result.events
    metrics = result.metrics()
    per_replication = result.metrics(by=("replication",))
    funnel = m.funnel(customers, events, scenario.stages, scenario.purchase_stage)
    touchpoints = m.touchpoint_table(events)
    exact_chain = scenario.without_carryover() if scenario.has_carryover else scenario  # carry-over: no Markov chain
    exact = solve(exact_chain).summary
    queues = queue_table(result.queues, events, scenario, settings.horizon_days, settings.replications, settings.arrival_window_days)
    has_loyalty = any(p.loyalty is not None or p.advocacy is not None for p in scenario.personas.values())
    timeline = m.loyalty_timeline(events, settings.horizon_days, settings.replications) if has_loyalty else None
    notes = [
        f"Scenario {scenario.name!r}, seed {settings.seed}, {settings.replications} replication(s), "
        f"horizon {format_duration(settings.horizon_days)}; {len(customers):,} customers, {len(events):,} events; "
        f"engine: {result.metadata['engine_choice']}.",
        f"Exact (infinite-horizon{', queues left out' if any(c.has_queue for c in scenario.channels.values()) else ''}"
        f"{', emotion carry-over left out: the chain is a screen, not the journey' if scenario.has_carryover else ''}) conversion probability per persona: "
        + ", ".join(f"{row.persona} {row.conversion_probability:.1%}" for row in exact.itertuples()),
    ]
    closed = chosen_closed_touchpoints(scenario)
    if closed:
        note = closure_note(scenario, closed)
        notes.append(note[0].upper() + note[1:] + ".")
    summary = run_summary(f"journeysim - {scenario.name}", metrics, funnel, notes, queues=queues)
    with AtomicOutput(folder) as out:
        out.write_csv(metrics, "metrics.csv")
        out.write_csv(per_replication, "metrics_by_replication.csv")
        if settings.replications > 1:
            out.write_csv(m.replication_summary(per_replication), "metrics_intervals.csv")
        out.write_csv(funnel, "funnel.csv")
        out.write_csv(touchpoints, "touchpoints.csv")
        out.write_csv(m.dropoff_by_stage(customers), "dropoff.csv")
        out.write_csv(exact, "exact.csv")
        if len(queues):
            out.write_csv(queues, "queues.csv")
            out.write_parquet(result.queues, "queue_visits.parquet")
        if timeline is not None:
            out.write_csv(timeline, "loyalty_timeline.csv")
        if scenario.budget:
            out.write_csv(budget_table(scenario, settings.horizon_days, settings.replications), "budget.csv")
        out.write_parquet(customers, "customers.parquet")
        if scenario.surveys is not None:
            out.write_csv(result.surveys, "surveys.csv")  # one row per invitation: what a brand would collect
        if write_events:
            out.write_parquet(events, "events.parquet")
        if figures:
            save(funnel_figure(funnel, title=scenario.name.replace("_", " ")), out.path("funnel.png"))
            save(journey_map_figure(touchpoints, scenario.stages, scenario.channel_names), out.path("journey_map.png"))
            if len(queues):
                save(queue_figure(result.queues, queues), out.path("queues.png"))
            if timeline is not None:
                save(loyalty_figure(timeline), out.path("loyalty.png"))
        metadata = result.metadata
        if observed:
            record = write_observed_folder(out, scenario, settings, result, metrics)
            metadata = {**metadata, "observed": record}
            summary += observed_note(record)
        if report:  # report.html and its tables: journey maps, pain points, blueprint, a day in the life
            write_run_report(out, scenario, settings, result, metadata)
        out.write_text(summary, "summary.txt")
        out.finish(metadata)
    return JobResult(Path(folder), result, metrics, summary)
