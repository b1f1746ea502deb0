"""Running a scenario: replications, progress, and the tables that come out.

:func:`simulate` is the one call notebooks, the CLI and experiments use. Each replication
gets its own random streams spawned from the seed, so replication ``i`` of a run is the same
whatever the number of replications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from journeysim.analysis.metrics import kpi_table
from journeysim.config import config_hash, run_settings_from_dict
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import CompiledScenario, compile_scenario
from journeysim.model.media import budget_table
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.model.staffing import staff_table
from journeysim.outputs import package_version
from journeysim.simulation import random_streams as rs
from journeysim.simulation.arrivals import (
    Arrivals,
    arrivals_from_table,
    combine,
    draw_arrivals,
    market_entry_times,
    paid_arrivals,
)
from journeysim.simulation.engines import Engine, select_engine
from journeysim.simulation.footprint import check_footprint
from journeysim.simulation.processes import in_processes, portable, restore
from journeysim.simulation.records import (
    canonical_order,
    customers_table,
    events_table,
    queues_table,
)


@dataclass
class SimulationResult:
    """Tables of a run: ``events`` (one row per event), ``customers`` (one per customer),
    ``queues`` (one row per visit to a capacity channel) and ``metadata``."""

    events: pd.DataFrame
    customers: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = field(default=None, repr=False)
    queues: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Media spend of one replication per channel and persona (empty without a budget).
    spend: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Staff hours and cost of one replication per channel with staff (empty without one).
    staff: pd.DataFrame = field(default_factory=pd.DataFrame)

    def metrics(self, by: tuple[str, ...] = ()) -> pd.DataFrame:
        """The run's KPI table (:func:`journeysim.analysis.metrics.kpi_table`), media spend and
        staff costs included; ``by`` adds grouping columns such as ``("replication",)``."""
        return kpi_table(self.customers, self.events, by=by, spend=self.spend, staff=self.staff)


def simulate(
    scenario: Scenario,
    settings: RunSettings | None = None,
    *,
    seed: int | None = None,
    horizon_days: float | None = None,
    replications: int | None = None,
    arrival_days: float | None = None,
    arrivals: pd.DataFrame | None = None,
    progress: bool | None = None,
    engine: str | None = None,
    keep_events: bool = True,
    first_replication: int = 0,
) -> SimulationResult:
    """Simulate ``scenario``; keyword arguments override fields of ``settings``.

    ``arrivals`` (columns ``persona``, ``time_days``) replaces the Poisson arrivals with given
    ones, the same in every replication. ``engine`` is ``"simpy"``, ``"vectorised"`` or
    ``"auto"`` (the vectorised engine when the scenario allows it).

    Replications are numbered ``first_replication`` onwards, and replication *r* is the same
    whichever call runs it: ``simulate(s, seed=1, replications=5, first_replication=5)`` gives
    replications 5-9 of ``simulate(s, seed=1, replications=10)``, so a study can add
    replications later (adaptive stopping) or spread them over machines.
    """
    if isinstance(first_replication, bool) or not isinstance(first_replication, int) or first_replication < 0:
        raise ConfigError(Problem("first_replication", f"must be a whole number >= 0, got {first_replication!r}"))
    settings = _merge_settings(settings, seed, horizon_days, replications, arrival_days, progress, engine)
    compiled = compile_scenario(scenario)
    check_footprint(compiled, settings, keep_events)  # refuses what would not fit in memory
    engine_ = select_engine(settings.engine, compiled)
    given = arrivals_from_table(compiled, arrivals) if arrivals is not None else None
    numbers = range(first_replication, first_replication + settings.replications)
    plans = [(r, given or replication_arrivals(compiled, settings, r)) for r in numbers]
    total = sum(len(a) for _, a in plans)
    event_tables, customer_tables, queue_tables = [], [], []
    with tqdm(
        total=total,
        unit=" customers",
        unit_scale=True,
        desc=f"simulating {scenario.name}",
        disable=not settings.progress,
        delay=2.0,
        leave=False,
    ) as bar:
        for replication, (events, customers, queues) in zip(numbers, _replications(scenario, compiled, engine_, settings, plans, given, keep_events, bar.update)):
            if keep_events:
                event_tables.append(events)
            customer_tables.append(customers)
            queue_tables.append(queues)
    metadata_ = run_metadata(scenario, settings, engine_.name, first_replication=first_replication,
                             engine_choice=engine_.selection_note or f"{engine_.name} as asked")
    events = _concat(event_tables) if keep_events else _concat([])
    return SimulationResult(
        events=events, customers=_concat(customer_tables), metadata=metadata_, scenario=scenario, queues=_concat(queue_tables),
        spend=spend_table(scenario, settings.horizon_days), staff=staff_table(scenario, settings.horizon_days),
    )


def spend_table(scenario: Scenario, horizon_days: float) -> pd.DataFrame:
    """Media spend of ONE replication per channel and persona (empty without a budget)."""
    return budget_table(scenario, horizon_days) if scenario.budget else pd.DataFrame(columns=["channel", "persona", "spend"])


def run_metadata(scenario: Scenario, settings: RunSettings, engine: str, **extra: Any) -> dict[str, Any]:
    """What ``run.json`` records of a run: scenario, seed, horizon, engine, config hash, version."""
    return {
        "scenario": scenario.name,
        "seed": settings.seed,
        "replications": settings.replications,
        **({"first_replication": extra.pop("first_replication")} if "first_replication" in extra else {}),
        "horizon_days": settings.horizon_days,
        "arrival_days": settings.arrival_window_days,
        "engine": engine,
        **extra,
        "config_hash": config_hash(dict(scenario.source)),
        "journeysim_version": package_version(),
    }


def _replications(scenario, compiled, engine, settings: RunSettings, plans, given, keep_events: bool, advance):
    """(events, customers, queues) of each planned replication, in order: in this process, or
    with ``settings.workers > 1`` in that many worker processes (the same tables)."""
    if settings.workers <= 1 or len(plans) <= 1:
        for replication, plan in plans:
            yield _run_replication(engine, compiled, settings, replication, plan, advance)
        return
    source = portable(scenario)
    results = in_processes(_replication_in_worker, [(source, settings, replication, given, keep_events) for replication, _ in plans], settings.workers)
    for (_, plan), result in zip(plans, results):
        advance(len(plan))
        yield result


def _replication_in_worker(source, settings: RunSettings, replication: int, given: Arrivals | None, keep_events: bool):
    compiled = compile_scenario(restore(source))
    engine = select_engine(settings.engine, compiled)
    plan = given or replication_arrivals(compiled, settings, replication)
    events, customers, queues = _run_replication(engine, compiled, settings, replication, plan, lambda n: None)
    return (events if keep_events else pd.DataFrame()), customers, queues


def replication_arrivals(compiled: CompiledScenario, settings: RunSettings, replication: int) -> Arrivals:
    """Everyone who enters replication ``replication``: the market's entries or each persona's
    Poisson arrivals, plus the prospects paid media bring. Every way of running a replication
    (in memory, streamed in chunks, in a worker) draws them here."""
    window = settings.arrival_window_days
    if compiled.scenario.market is not None:
        free = market_entry_times(compiled, rs.replication_key(settings.seed, replication), window)
    else:
        free = draw_arrivals(compiled, settings.seed, replication, window)
    if compiled.scenario.budget:
        return combine(free, paid_arrivals(compiled, settings.seed, replication, window))
    return free


def _run_replication(
    engine: Engine,
    compiled: CompiledScenario,
    settings: RunSettings,
    replication: int,
    arrivals: Arrivals,
    on_customers,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    key = rs.replication_key(settings.seed, replication)
    run = engine.run(arrivals, key, settings.horizon_days, on_customers)
    labels = (compiled.stages, compiled.channels, compiled.personas)
    queues = queues_table(run.queues, replication, *labels)
    # Canonical order, whatever order an engine recorded in: by time, then customer, then the
    # customer's own order of recording (lexsort is stable).
    order = canonical_order(run.events["time_days"], run.events["customer_id"])
    events = events_table({name: column[order] for name, column in run.events.items()}, replication, *labels)
    return events, customers_table(run.customers, replication, *labels), queues


def _merge_settings(settings, seed, horizon_days, replications, arrival_days, progress, engine) -> RunSettings:
    base = settings or RunSettings()
    values = {
        "seed": base.seed if seed is None else seed,
        "horizon_days": base.horizon_days if horizon_days is None else horizon_days,
        "arrival_days": base.arrival_days if arrival_days is None else arrival_days,
        "replications": base.replications if replications is None else replications,
        "progress": base.progress if progress is None else progress,
        "engine": base.engine if engine is None else engine,
        "workers": base.workers,
        "force": base.force,
    }
    return run_settings_from_dict(values)


def _concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame()
    if len(tables) == 1:
        return tables[0]
    return pd.concat(tables, ignore_index=True)
