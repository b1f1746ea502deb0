"""Running a scenario: replications, progress, and the tables that come out.

:func:`simulate` is the one call notebooks, the CLI and experiments use. Each replication
gets its own random streams spawned from the seed, so replication ``i`` of a run is the same
whatever the number of replications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

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
from journeysim.simulation.progress_bars import progress_bar
from journeysim.simulation.records import (
    canonical_order,
    customers_table,
    events_table,
    queues_table,
)
from journeysim.simulation.surveys import survey_table
from journeysim.simulation.tables import concat_tables, customer_order


@dataclass
class SimulationResult:
    """Tables of a run: ``events`` (one row per event), ``customers`` (one per customer),
    ``queues`` (one row per visit to a capacity channel), ``surveys`` (one row per survey
    invitation; empty without a ``surveys`` section) and ``metadata``."""

    events: pd.DataFrame
    customers: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = field(default=None, repr=False)
    queues: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Media spend of one replication per channel and persona (empty without a budget).
    spend: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Staff hours and cost of one replication per channel with staff (empty without one).
    staff: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Survey invitations, responses and answers (journeysim.simulation.surveys).
    surveys: pd.DataFrame = field(default_factory=pd.DataFrame)

    def metrics(self, by: tuple[str, ...] = ()) -> pd.DataFrame:
        """The run's KPI table (:func:`journeysim.analysis.metrics.kpi_table`), media spend,
        staff costs and survey KPIs included; ``by`` adds grouping columns such as ``("replication",)``."""
        surveys = self.surveys if self.scenario is not None and self.scenario.surveys is not None else None
        return kpi_table(self.customers, self.events, by=by, spend=self.spend, staff=self.staff, surveys=surveys)


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
    sort_by_time: bool | None = None,
) -> SimulationResult:
    """Simulate ``scenario``; keyword arguments override fields of ``settings``.

    ``arrivals`` (columns ``persona``, ``time_days``) replaces the Poisson arrivals with given
    ones, the same in every replication. ``engine`` is ``"simpy"``, ``"vectorised"`` or
    ``"auto"`` (the vectorised engine when the scenario allows it).

    Events come grouped by replication and customer, each customer's in time order;
    ``sort_by_time=True`` (``run.sort_by_time``) orders each replication's by time instead
    (:mod:`journeysim.simulation.tables`): the same rows, sorted at some cost.

    Replications are numbered ``first_replication`` onwards, and replication *r* is the same
    whichever call runs it: ``simulate(s, seed=1, replications=5, first_replication=5)`` gives
    replications 5-9 of ``simulate(s, seed=1, replications=10)``, so a study can add
    replications later (adaptive stopping) or spread them over machines.
    """
    if isinstance(first_replication, bool) or not isinstance(first_replication, int) or first_replication < 0:
        raise ConfigError(Problem("first_replication", f"must be a whole number >= 0, got {first_replication!r}"))
    settings = _merge_settings(settings, seed, horizon_days, replications, arrival_days, progress, engine, sort_by_time)
    compiled = compile_scenario(scenario)
    engine_ = select_engine(settings.engine, compiled)
    check_footprint(compiled, settings, keep_events, engine=engine_.name)  # refuses what would not fit in memory
    given = arrivals_from_table(compiled, arrivals) if arrivals is not None else None
    numbers = range(first_replication, first_replication + settings.replications)
    plans = [(r, given or replication_arrivals(compiled, settings, r)) for r in numbers]
    total = sum(len(a) for _, a in plans)
    event_tables, customer_tables, queue_tables, survey_tables = [], [], [], []
    with progress_bar(
        total=total,
        unit=" customers",
        unit_scale=True,
        desc=f"simulating {scenario.name}",
        disable=not settings.progress,
        delay=2.0,
        leave=False,
    ) as bar:
        for replication, (events, customers, queues, surveys) in zip(numbers, _replications(scenario, compiled, engine_, settings, plans, given, keep_events, bar.update)):
            if keep_events:
                event_tables.append(events)
            customer_tables.append(customers)
            queue_tables.append(queues)
            survey_tables.append(surveys)
    metadata_ = run_metadata(scenario, settings, engine_.name, first_replication=first_replication,
                             engine_choice=engine_.selection_note or f"{engine_.name} as asked")
    events = concat_tables(event_tables) if keep_events else concat_tables([])
    return SimulationResult(
        events=events, customers=concat_tables(customer_tables), metadata=metadata_, scenario=scenario, queues=concat_tables(queue_tables),
        spend=spend_table(scenario, settings.horizon_days), staff=staff_table(scenario, settings.horizon_days),
        surveys=concat_tables(survey_tables),
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
        "sort_by_time": settings.sort_by_time,  # the order of the event rows
        **extra,
        "config_hash": config_hash(dict(scenario.source)),
        "journeysim_version": package_version(),
    }


def _replications(scenario, compiled, engine, settings: RunSettings, plans, given, keep_events: bool, advance):
    """(events, customers, queues, surveys) of each planned replication, in order: in this process, or
    with ``settings.workers > 1`` in that many worker processes, or on the cluster of
    ``settings.backend`` (the same tables)."""
    if (settings.workers <= 1 and settings.backend == "local") or len(plans) <= 1:
        for replication, plan in plans:
            yield _run_replication(engine, compiled, settings, replication, plan, advance)
        return
    source = portable(scenario)
    arguments = [(source, settings, replication, given, keep_events) for replication, _ in plans]
    results = in_processes(_replication_in_worker, arguments, settings.workers, settings.backend)
    for (_, plan), result in zip(plans, results):
        advance(len(plan))
        yield result


def _replication_in_worker(source, settings: RunSettings, replication: int, given: Arrivals | None, keep_events: bool):
    compiled = compile_scenario(restore(source))
    engine = select_engine(settings.engine, compiled)
    plan = given or replication_arrivals(compiled, settings, replication)
    events, customers, queues, surveys = _run_replication(engine, compiled, settings, replication, plan, lambda n: None)
    return (events if keep_events else pd.DataFrame()), customers, queues, surveys


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
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    key = rs.replication_key(settings.seed, replication)
    run = engine.run(arrivals, key, settings.horizon_days, on_customers)
    labels = (compiled.stages, compiled.channels, compiled.personas)
    queues = queues_table(run.queues, replication, *labels)
    # One order whatever order an engine recorded in (journeysim.simulation.tables): by
    # customer or by time, then the customer's own order of recording (stable sorts).
    columns = run.events
    if settings.sort_by_time:
        order = canonical_order(columns["time_days"], columns["customer_id"])
    else:
        order = customer_order(columns["customer_id"], columns["time_days"])  # None: in order already
    if order is not None:
        columns = {name: column[order] for name, column in columns.items()}
    events = events_table(columns, replication, *labels)
    customers = customers_table(run.customers, replication, *labels)
    # Surveys measure the replication after it ran, with their own random numbers.
    return events, customers, queues, survey_table(compiled.scenario, events, customers, settings.seed, replication)


def _merge_settings(settings, seed, horizon_days, replications, arrival_days, progress, engine, sort_by_time=None) -> RunSettings:
    base = settings or RunSettings()
    values = {
        "seed": base.seed if seed is None else seed,
        "horizon_days": base.horizon_days if horizon_days is None else horizon_days,
        "arrival_days": base.arrival_days if arrival_days is None else arrival_days,
        "replications": base.replications if replications is None else replications,
        "progress": base.progress if progress is None else progress,
        "engine": base.engine if engine is None else engine,
        "workers": base.workers,
        "backend": base.backend,
        "force": base.force,
        "sort_by_time": base.sort_by_time if sort_by_time is None else sort_by_time,
    }
    return run_settings_from_dict(values)
