"""Run settings (seed, horizon, arrival window, replications, engine) and what a job writes."""

from __future__ import annotations

from dataclasses import dataclass

# Where a run's or a study's replications can run: processes on this machine, or a Ray or
# Dask cluster (journeysim.simulation.processes).
BACKENDS = ("local", "ray", "dask")


@dataclass(frozen=True)
class RunSettings:
    """How long and how often to simulate.

    ``arrival_days`` limits arrivals to ``[0, arrival_days)`` while journeys are followed to
    ``horizon_days`` (a cohort study); ``None`` means arrivals over the whole horizon.
    """

    seed: int = 42
    horizon_days: float = 90.0
    arrival_days: float | None = None
    replications: int = 1
    progress: bool = True
    engine: str = "auto"
    # Processes that run independent replications side by side (a run's, a comparison's);
    # the results do not depend on it: replication r draws from its own random streams.
    workers: int = 1
    # Where those processes run (BACKENDS): "local" (this machine, capped at its cores), "ray"
    # or "dask" (a cluster's workers, through joblib's backends); the same tables either way.
    backend: str = "local"
    # Run even when the estimated memory exceeds what the machine has (the resource guard).
    force: bool = False
    # Events in time order (per replication) instead of grouped by customer, each customer's
    # in time order: the same rows, sorted at some cost (journeysim.simulation.tables).
    sort_by_time: bool = False

    @property
    def arrival_window_days(self) -> float:
        return self.horizon_days if self.arrival_days is None else self.arrival_days


@dataclass(frozen=True)
class OutputSettings:
    """What a command-line job writes besides its tables: the event log, the figures, the
    observed exports; and whether a job whose folder already holds its complete result is
    skipped (re-run sweeps)."""

    events: bool = True
    figures: bool = True
    resume: bool = False
    # A label for the default run folder (outputs/DATE/TIME-NAME-xxxxxx); empty: TIME-xxxxxx.
    name: str = ""
    # Write observed/: the run as a brand's analytics would record it (the scenario's
    # observation model, or full visibility), in the formats attribution, process-mining and
    # media-mix tools read, with the truth beside it (docs/observation.md).
    observed: bool = False
    # Write report.html (journey maps, pain points ranked by worth, KPIs, service blueprint,
    # a day in the life) and its tables; false: the folder holds the tables above only.
    report: bool = True
