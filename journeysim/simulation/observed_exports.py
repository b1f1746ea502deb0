"""The ``observed/`` folder of a run: what a brand's tools would see, and the truth beside it.

:class:`ObservedExport` receives a run a chunk of whole customers at a time (a replication of
an in-memory run, a chunk of a streamed one: :func:`journeysim.simulation.streaming.simulate_to_parquet`),
applies the observation model (:func:`journeysim.simulation.observation.observe`) and
appends to the files, so memory holds one chunk and a few small tables, never the whole log:

* ``event_log.csv`` (pm4py / XES attribute names; :mod:`journeysim.analysis.event_logs`) and
  ``event_log.xes`` through pm4py when it is installed and the log is small enough for its
  exporter (:data:`XES_MAX_EVENTS`);
* ``ga4_events.csv``: GA4-export-like rows;
* ``sessions.csv`` and ``sessions_summary.csv`` (:mod:`journeysim.analysis.sessions`), with the
  journey-level bounce of the truth beside the site bounce rate;
* ``paths.csv`` from the observed ids and ``paths_truth.csv`` from the true journeys, in
  ChannelAttribution's format (:func:`journeysim.analysis.path_files.write_path_table`);
* ``mmm_panel.csv`` (:mod:`journeysim.analysis.media_panel`).

``mmm_truth.csv`` needs simulations of its own (each paid channel switched off): the job adds
it (:func:`journeysim.studies.media_truth.media_incrementality`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pa_compute
import pyarrow.csv as pa_csv

from journeysim.analysis.event_logs import (
    DAY_ZERO,
    EVENT_LOG_COLUMNS,
    GA4_COLUMNS,
    event_log_table,
    ga4_event_names,
    ga4_events_table,
    write_xes,
)
from journeysim.analysis.media_panel import PART_COLUMNS, media_panel_table, panel_parts
from journeysim.analysis.path_files import write_path_table
from journeysim.analysis.paths import (
    PATH_TABLE_COLUMNS,
    aggregate_paths,
    customer_paths,
)
from journeysim.analysis.sessions import (
    SESSION_COLUMNS,
    session_counts,
    session_summary,
    web_sessions,
)
from journeysim.model.observation import FULL_VISIBILITY, Observation
from journeysim.model.scenario import ONLINE, Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import safe_cell
from journeysim.simulation.observation import observe

OBSERVED_FOLDER = "observed"
# pm4py's XES exporter writes some 20,000 events a second; beyond this the CSV (which pm4py
# reads with pandas) is the event log, and run.json says why there is no XES file.
XES_MAX_EVENTS = 200_000
EXPORT_FILES = ("event_log.csv", "ga4_events.csv", "sessions.csv", "sessions_summary.csv", "paths.csv", "paths_truth.csv", "mmm_panel.csv")


class CsvStream:
    """Appends DataFrames with one set of columns to a CSV file (pyarrow's writer: fast, and
    nothing but the current chunk in memory). Names taken from configs are spreadsheet-safe."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = list(columns)
        self.writer: pa_csv.CSVWriter | None = None
        self.schema: pa.Schema | None = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if list(frame.columns) != self.columns:
            raise ValueError(f"{self.path.name}: columns {list(frame.columns)}, expected {self.columns}")
        if not len(frame):
            return
        table = _arrow_table(frame)
        if self.writer is None:
            self.schema = table.schema
            self.writer = pa_csv.CSVWriter(str(self.path), self.schema, write_options=pa_csv.WriteOptions(quoting_style="needed"))
        self.writer.write_table(table.cast(self.schema))
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        else:  # nothing to write: a header, so readers find the columns
            pd.DataFrame(columns=self.columns).to_csv(self.path, index=False)


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table with text for categories (safe for spreadsheets) and
    microsecond timestamps."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype):  # written as its text, without decoding it first
            values = values.cat.rename_categories([safe_cell(str(c)) for c in values.cat.categories])
            columns[name] = pa.array(values).cast(pa.dictionary(pa.int32(), pa.string()))
        elif pd.api.types.is_datetime64_any_dtype(values):
            # As text, ISO 8601 with the offset: pyarrow formats a naive timestamp some 20 times
            # faster than a zoned one, and a time zone is all the difference.
            micros = values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]").to_numpy()
            text = pa.array(micros).cast(pa.string())
            columns[name] = pa_compute.binary_join_element_wise(text, "+00:00", "")
        else:
            columns[name] = pa.array(values)
    return pa.table(columns)


class ObservedExport:
    """The observed exports of one run, written chunk by chunk (see the module docstring).

    ``path_of(name)`` gives where a file of the folder goes (an :class:`~journeysim.outputs.AtomicOutput`'s
    staged ``observed/NAME``). Call :meth:`add` with each chunk of whole customers (a
    replication, or a streamed chunk) and :meth:`finish` once, with the run's KPI table.
    """

    def __init__(
        self,
        scenario: Scenario,
        settings: RunSettings,
        path_of: Callable[[str], Path],
        *,
        observation: Observation | None = None,
        period_days: int = 7,
        start_date: str = DAY_ZERO,
    ) -> None:
        self.scenario, self.settings, self.path_of = scenario, settings, path_of
        self.observation = observation if observation is not None else scenario.observation or FULL_VISIBILITY
        self.period_days, self.start_date = period_days, start_date
        self.online = [name for name, channel in scenario.channels.items() if channel.mode == ONLINE]
        self.stage_events = ga4_event_names(scenario.stages)
        self.event_log = CsvStream(self._path("event_log.csv"), EVENT_LOG_COLUMNS)
        self.ga4 = CsvStream(self._path("ga4_events.csv"), GA4_COLUMNS)
        self.sessions = CsvStream(self._path("sessions.csv"), SESSION_COLUMNS)
        self.parts: list[pd.DataFrame] = []
        self.observed_paths: list[pd.DataFrame] = []
        self.true_paths: list[pd.DataFrame] = []
        self.session_counts: list[pd.DataFrame] = []
        self.replications: set[int] = set()

    def _path(self, name: str) -> Path:
        path = Path(self.path_of(f"{OBSERVED_FOLDER}/{name}"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def add(self, events: pd.DataFrame, customers: pd.DataFrame) -> None:
        """Observe one chunk of whole customers (``events`` and ``customers`` of the same
        customers) and append what it gives to the files and tallies."""
        self.replications.update(int(r) for r in np.unique(customers["replication"].to_numpy()))
        observed = observe(self.scenario, events, customers, self.settings.seed, self.observation)
        self.event_log.write(event_log_table(observed, self.start_date))
        self.ga4.write(ga4_events_table(observed, self.online, self.stage_events, self.start_date))
        # By identity from here: what analytics groups by (each id's rows stay in time order).
        observed = observed.iloc[np.lexsort((observed["observed_id"].to_numpy(), observed["replication"].to_numpy()))]
        sessions = web_sessions(observed, self.online, self.observation.session_timeout_days)
        self.sessions.write(sessions)
        self.session_counts.append(session_counts(sessions))
        self.parts.append(panel_parts(events, observed, list(self.scenario.budget), self.period_days))
        self.observed_paths.append(_path_table(observed.assign(customer_id=observed["observed_id"], persona=pd.NA)))
        self.true_paths.append(_path_table(events))

    def add_run(self, events: pd.DataFrame, customers: pd.DataFrame) -> None:
        """:meth:`add` each replication of an in-memory run's tables (every replication's rows
        are together in them, as :func:`~journeysim.simulation.runner.simulate` gives them)."""
        for part, rows in _replication_blocks(events):
            owned = customers["replication"].to_numpy() == part
            self.add(events.iloc[rows], customers.loc[owned])

    def finish(self, kpis: pd.DataFrame) -> dict[str, Any]:
        """Close the streams and write the summed tables; ``kpis`` is the run's KPI table (its
        ``all`` row gives the journey-level bounce). Returns what ``run.json`` records of the
        export: rows per file, and the XES file written or why not."""
        for stream in (self.event_log, self.ga4, self.sessions):
            stream.close()
        write_path_table(_summed_paths(self.observed_paths), self._path("paths.csv"))
        write_path_table(_summed_paths(self.true_paths), self._path("paths_truth.csv"))
        counts = pd.concat(self.session_counts).groupby(level=0).sum() if self.session_counts else pd.DataFrame()
        summary = _with_journey_bounce(session_summary(counts), kpis)
        summary.to_csv(self._path("sessions_summary.csv"), index=False)
        parts = pd.concat(self.parts, ignore_index=True) if self.parts else pd.DataFrame(columns=list(PART_COLUMNS))
        replications = sorted(self.replications | set(range(self.settings.replications)))  # one without customers has its rows too
        panel = media_panel_table(parts, self.scenario, self.settings.horizon_days, replications, self.period_days, self.start_date)
        panel.to_csv(self._path("mmm_panel.csv"), index=False)
        return {
            "observation": "the scenario's" if self.scenario.observation is not None else "full visibility",
            "event_log_rows": self.event_log.rows,
            "ga4_rows": self.ga4.rows,
            "sessions": self.sessions.rows,
            "xes": self._write_xes(),
        }

    def _write_xes(self) -> str:
        if importlib.util.find_spec("pm4py") is None:
            return "not written: pm4py is not installed (pip install journeysim[process-mining])"
        if self.event_log.rows > XES_MAX_EVENTS:
            return f"not written: {self.event_log.rows:,} events is more than pm4py's exporter takes in reasonable time ({XES_MAX_EVENTS:,}); read event_log.csv"
        log = pd.read_csv(self._path("event_log.csv"), dtype={"case:concept:name": str})
        write_xes(log, self._path("event_log.xes"))
        return "event_log.xes"


def _replication_blocks(events: pd.DataFrame):
    """(replication, slice of its rows) of a table whose replications are contiguous."""
    replication = events["replication"].to_numpy()
    edges = np.flatnonzero(replication[1:] != replication[:-1]) + 1
    for start, stop in zip(np.r_[0, edges], np.r_[edges, len(replication)]):
        if stop > start:
            yield int(replication[start]), slice(int(start), int(stop))


def _path_table(events: pd.DataFrame) -> pd.DataFrame:
    columns = ["replication", "customer_id", "persona", "time_days", "channel", "event", "value"]
    return aggregate_paths(customer_paths(events[columns]))


def _summed_paths(tables: list[pd.DataFrame]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame({column: [] for column in PATH_TABLE_COLUMNS})
    table = pd.concat(tables, ignore_index=True).groupby("path", sort=True).sum().reset_index()
    return table[list(PATH_TABLE_COLUMNS)]


def _with_journey_bounce(summary: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """The session summary with the truth beside it on its ``all`` row: ``journeys``
    (arrivals) and ``journey_bounce_rate`` (lost at the first touch / arrivals, the KPI)."""
    pooled = kpis.loc[kpis["persona"] == "all"] if "persona" in kpis.columns else kpis.iloc[:0]
    every = (summary["source"] == "all").to_numpy()
    summary["journeys"] = np.where(every, float(pooled["arrivals"].sum()) if len(pooled) else np.nan, np.nan)
    summary["journey_bounce_rate"] = np.where(every, float(pooled["bounce_rate"].iloc[0]) if len(pooled) == 1 else np.nan, np.nan)
    return summary
