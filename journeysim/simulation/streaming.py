"""Runs larger than memory: customers simulated in chunks, tables streamed to Parquet.

:func:`simulate_to_parquet` draws each replication's arrivals, cuts them into contiguous
chunks of customers (in arrival order) and runs the vectorised engine on one chunk at a
time. A customer's random numbers depend only on (replication, persona, customer number),
so the tables do not depend on the chunk size. Each chunk's events and customers are
appended to ``events.parquet`` and ``customers.parquet`` as row groups, so memory holds
one chunk's event log plus the customers table (kept for the KPIs), never the whole log.

The events file is in customer order, as :func:`journeysim.simulate` gives by default (each
customer's rows together, in time order: :mod:`journeysim.simulation.tables`); sort it by
``time_days`` when reading it for a global timeline (``run.sort_by_time`` cannot apply to a
file written chunk by chunk). Files are staged in a
hidden folder and moved into place when the run has succeeded (:mod:`journeysim.outputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from journeysim.analysis.metrics import kpi_table
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import compile_scenario
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.model.staffing import staff_table
from journeysim.outputs import AtomicOutput
from journeysim.simulation import random_streams as rs
from journeysim.simulation.engines import select_engine
from journeysim.simulation.observed_exports import ObservedExport
from journeysim.simulation.progress_bars import progress_bar
from journeysim.simulation.records import customers_table, events_table
from journeysim.simulation.runner import replication_arrivals, run_metadata, spend_table
from journeysim.simulation.surveys import survey_table
from journeysim.simulation.tables import customer_order


@dataclass
class StreamedRun:
    """What stays in memory after :func:`simulate_to_parquet`: the customers table, the KPI
    table, the surveys table (empty without surveys) and the paths of the written files."""

    folder: Path
    customers: pd.DataFrame
    metrics: pd.DataFrame
    events_rows: int
    metadata: dict[str, Any] = field(default_factory=dict)
    surveys: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def events_path(self) -> Path | None:
        path = self.folder / "events.parquet"
        return path if path.exists() else None

    @property
    def customers_path(self) -> Path:
        return self.folder / "customers.parquet"


class _TableStream:
    """Appends DataFrames with one schema to a Parquet file, one row group per chunk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table, row_group_size=max(1, len(table)))
        self.rows += len(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def simulate_to_parquet(
    scenario: Scenario,
    settings: RunSettings | None,
    folder: str | Path,
    chunk_customers: int = 1_000_000,
    keep_events: bool = True,
    *,
    progress: bool | None = None,
    observed: bool = False,
) -> StreamedRun:
    """Simulate with the vectorised engine chunk by chunk, writing ``customers.parquet``,
    ``events.parquet`` (unless ``keep_events`` is false), ``surveys.parquet`` (when the
    scenario runs surveys), ``metrics.csv`` and ``run.json`` into ``folder``. Raises
    :class:`journeysim.ConfigError` if the scenario needs the SimPy engine (capacity queues,
    post-purchase life) or ``settings.sort_by_time`` is set. ``observed`` also writes
    ``observed/`` (:mod:`journeysim.simulation.observed_exports`) chunk by chunk like the
    tables: every file but ``mmm_truth.csv``, which needs runs of its own
    (:func:`journeysim.studies.media_truth.media_incrementality`)."""
    if chunk_customers < 1:
        raise ValueError(f"chunk_customers must be >= 1, got {chunk_customers}")
    settings = settings or RunSettings()
    if settings.sort_by_time:
        raise ConfigError(Problem("run.sort_by_time", "a streamed run writes its events chunk by chunk, grouped by customer: "
                                  "sort events.parquet by time_days when reading it, or run without sort_by_time"))
    compiled = compile_scenario(scenario)
    engine = select_engine("vectorised", compiled)
    labels = (compiled.stages, compiled.channels, compiled.personas)
    show = settings.progress if progress is None else progress
    customer_tables, survey_tables = [], []
    with AtomicOutput(folder) as out, progress_bar(
        total=0, unit=" customers", unit_scale=True, desc=f"simulating {scenario.name}", disable=not show, leave=False
    ) as bar:
        events_file = _TableStream(out.path("events.parquet")) if keep_events else None
        customers_file = _TableStream(out.path("customers.parquet"))
        export = ObservedExport(scenario, settings, out.path) if observed else None
        try:
            for replication in range(settings.replications):
                arrivals = replication_arrivals(compiled, settings, replication)
                key = rs.replication_key(settings.seed, replication)
                bar.total += len(arrivals)
                bar.refresh()
                for start in range(0, len(arrivals), chunk_customers):
                    stop = min(len(arrivals), start + chunk_customers)
                    chunk = arrivals.slice(start, stop)
                    run = engine.run(chunk, key, settings.horizon_days, bar.update)
                    event_columns, customer_columns = run.events, run.customers
                    customers = customers_table(customer_columns, replication, *labels)
                    customers["customer_id"] += start
                    customers_file.write(customers)
                    customer_tables.append(customers)
                    if events_file is not None or scenario.surveys is not None or export is not None:
                        order = customer_order(event_columns["customer_id"], event_columns["time_days"])
                        if order is not None:  # the engine records in customer order: a check, no sort
                            event_columns = {name: column[order] for name, column in event_columns.items()}
                        event_columns["customer_id"] += start
                        events = events_table(event_columns, replication, *labels)
                        if events_file is not None:
                            events_file.write(events)
                        if scenario.surveys is not None:  # a chunk holds whole customers: their surveys
                            survey_tables.append(survey_table(scenario, events, customers, settings.seed, replication))
                        if export is not None:  # likewise their observed exports
                            export.add(events, customers)
                        del events
                    del event_columns
                del arrivals
            if customers_file.rows == 0:  # no arrivals at all: still write well-formed empty files
                empty = {"persona": [], "arrival_days": [], "final_stage": [], "final_channel": []}
                customers_file.write(customers_table(empty, 0, *labels))
                if events_file is not None:
                    events_file.write(events_table({name: np.zeros(0, dtype=np.int8) for name in _EVENT_COLUMNS}, 0, *labels))
        finally:
            customers_file.close()
            if events_file is not None:
                events_file.close()
        customers = pd.concat(customer_tables, ignore_index=True) if customer_tables else pd.read_parquet(customers_file.path)
        customer_tables.clear()  # the chunks' copies
        surveys = pd.concat(survey_tables, ignore_index=True) if survey_tables else survey_table(scenario, pd.DataFrame(), customers, settings.seed, 0)
        # The same KPI table as simulate's (media spend and surveys included); this engine runs no staffed channel.
        metrics = kpi_table(customers, spend=spend_table(scenario, settings.horizon_days), staff=staff_table(scenario, settings.horizon_days),
                            surveys=surveys if scenario.surveys is not None else None)
        out.write_csv(metrics, "metrics.csv")
        if scenario.surveys is not None:
            out.write_parquet(surveys, "surveys.parquet")
        metadata = run_metadata(
            scenario, settings, engine.name, chunk_customers=chunk_customers, customers=len(customers),
            events=events_file.rows if events_file is not None else None,
            **({"observed": export.finish(metrics)} if export is not None else {}),
        )
        out.finish(metadata)
    return StreamedRun(Path(folder), customers, metrics, events_file.rows if events_file is not None else 0, metadata, surveys)


_EVENT_COLUMNS = ("customer_id", "persona", "time_days", "stage", "channel", "event", "outcome", "emotion", "value", "cost")
