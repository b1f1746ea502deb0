"""How big a run will be, known before it starts: customers, events and memory.

:func:`check_footprint` refuses, with one clear error, a run that would not fit in this
machine's memory (``scenario.arrival_rate_per_day=1e9``, ``run.horizon_days=1e9``,
``run.replications=1e9``): the estimate comes from the arrival rates, the exact solver's
expected touches and the staffing schedules, in well under a second. ``run.force=true``
runs it anyway.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from journeysim.analysis.exact import solve
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import CompiledScenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.arrivals import rate_multipliers
from journeysim.simulation.processes import worker_processes

# Bytes a logged event and a customer take in the tables (32 per event, as
# ``python -m benchmarks.funnel`` prints them), and what each engine needs beyond them while it
# builds one replication, per event (its arrays, Python objects and the tables' temporaries;
# ``peak_bytes_per_event`` of the same benchmark less the tables, with a margin: the SimPy
# engine's default scenario peaks at about 320 bytes per event in all, the vectorised
# engine's funnel at about 70).
TABLE_BYTES_PER_EVENT, TABLE_BYTES_PER_CUSTOMER = 32, 120
WORKING_BYTES_PER_EVENT = {"simpy": 300, "vectorised": 48}
BYTES_PER_STAFFING_SEGMENT = 200
# A worker process's own interpreter and imports (measured: ~150 MiB before its first task).
WORKER_PROCESS_BYTES = 150 * 2**20
# The share of the available memory a run may plan to use.
MEMORY_SHARE = 0.8


@dataclass(frozen=True)
class Footprint:
    """A run's expected size: customers and events per replication and over the run, and
    the peak memory it needs (bytes)."""

    customers_per_replication: float
    events_per_replication: float
    replications: int
    peak_bytes: float

    @property
    def customers(self) -> float:
        return self.customers_per_replication * self.replications

    @property
    def events(self) -> float:
        return self.events_per_replication * self.replications


def estimate_footprint(compiled: CompiledScenario, settings: RunSettings, keep_events: bool = True, engine: str = "simpy") -> Footprint:
    """The expected customers and events of a run and the memory it needs at its peak on
    ``engine`` (``simpy`` or ``vectorised``)."""
    scenario = compiled.scenario
    window = settings.arrival_window_days
    customers = 0.0
    if scenario.market is not None:
        customers += scenario.market.size
    for p, persona in enumerate(compiled.personas):
        starts, multipliers = rate_multipliers(compiled, p, window)
        lengths = np.diff(np.append(starts, window))
        customers += scenario.arrival_rate(persona) * float(np.dot(lengths, multipliers))
    customers += sum(budget.max_arrivals_per_day for budget in scenario.budget.values()) * window  # exposure < 1: an upper bound
    chain = compiled.scenario.without_carryover() if compiled.has_carryover else compiled  # an estimate: carry-over left out
    summary = solve(chain).summary.set_index("persona")
    pooled = summary.loc["all"] if "all" in summary.index else summary.mean(numeric_only=True)
    touches = float(np.nan_to_num(pooled["expected_touches"], nan=1.0))
    converting = float(np.nan_to_num(pooled["conversion_probability"], nan=0.0))
    repeats = max(
        (min(p.loyalty.purchase_rate_per_day * settings.horizon_days, 1.0 / max(p.loyalty.churn_probability, 1e-9))
         for p in scenario.personas.values() if p.loyalty is not None),
        default=0.0,
    )
    events = customers * (2.0 + touches + converting * (1.0 + repeats))  # arrival, touches, outcome, purchases
    segments = sum(3.0 * settings.horizon_days for channel in scenario.channels.values() if channel.schedule is not None)
    replications = settings.replications
    kept = replications * customers * TABLE_BYTES_PER_CUSTOMER + (replications * events * TABLE_BYTES_PER_EVENT if keep_events else 0.0)
    processes = worker_processes(settings.workers, replications)
    working = processes * events * WORKING_BYTES_PER_EVENT[engine] + (processes * WORKER_PROCESS_BYTES if processes > 1 else 0.0)
    return Footprint(customers, events, replications, kept + working + segments * BYTES_PER_STAFFING_SEGMENT)


def available_memory_bytes() -> float:
    """Memory this process can still use: MemAvailable of /proc/meminfo, else the physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def check_footprint(compiled: CompiledScenario, settings: RunSettings, keep_events: bool = True, available: float | None = None,
                    engine: str = "simpy") -> Footprint:
    """The run's footprint on ``engine``, or a :class:`ConfigError` (path ``run``) when it would
    need more than :data:`MEMORY_SHARE` of the available memory, naming the estimate and the way out."""
    footprint = estimate_footprint(compiled, settings, keep_events, engine)
    available = available_memory_bytes() if available is None else available
    if not settings.force and footprint.peak_bytes > MEMORY_SHARE * available:
        raise ConfigError(Problem("run", (
            f"this run would simulate about {_count(footprint.customers)} customers and {_count(footprint.events)} events "
            f"({settings.replications:,} replication(s) of {settings.horizon_days:g} days) and need about "
            f"{_gib(footprint.peak_bytes)} of memory; {_gib(available)} is available. Lower scenario.arrival_rate_per_day, "
            "run.horizon_days, run.replications or run.workers (or output.events=false), "
            "or set run.force=true to run it anyway"
        )))
    return footprint


def _count(value: float) -> str:
    return f"{value:,.0f}" if value < 1e9 else f"{value:.2g}"


def _gib(value: float) -> str:
    return f"{value / 2**30:,.1f} GiB" if math.isfinite(value) else "unlimited"
