"""Run settings (seed, horizon, arrival window, replications, engine) and what a job writes."""

from __future__ import annotations

from dataclasses import dataclass


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
    # Run even when the estimated memory exceeds what the machine has (the resource guard).
    force: bool = False

    @property
    def arrival_window_days(self) -> float:
        return self.horizon_days if self.arrival_days is None else self.arrival_days


@dataclass(frozen=True)
class OutputSettings:
    """What a command-line job writes besides its tables: the event log, the figures; and
    whether a job whose folder already holds its complete result is skipped (re-run sweeps)."""

    events: bool = True
    figures: bool = True
    resume: bool = False
    # A label for the default run folder (outputs/DATE/TIME-NAME-xxxxxx); empty: TIME-xxxxxx.
    name: str = ""
