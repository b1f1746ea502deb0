"""Observed events in the formats process-mining and web-analytics tools read.

Both tables are built from observed events (:func:`journeysim.simulation.observation.observe`):
one row per recorded touch or purchase, under the id the brand sees.

* :func:`event_log_table`: the XES standard's attribute names, as pm4py reads a DataFrame or a
  CSV: ``case:concept:name`` (the observed id, a number), ``concept:name`` (the activity: the channel of
  a touch, ``purchase`` or ``repeat_purchase`` for a sale), ``time:timestamp`` (UTC),
  ``org:resource`` (the channel), ``lifecycle:transition`` (``complete``: a contact is an
  instant) and ``value`` (order value of sales). Its directly-follows graph over
  ``concept:name`` is the channel sequence of the journeys. :func:`write_xes` writes it as
  an XES file through pm4py (an optional dependency: ``pip install journeysim[process-mining]``).
* :func:`ga4_events_table`: rows shaped like Google Analytics 4's BigQuery export, so a
  calibration's column mapping reads them as it reads a brand's: ``event_date``
  (``yyyymmdd``), ``event_timestamp`` (microseconds since 1970, UTC), ``event_name``,
  ``user_pseudo_id`` (the observed id), ``traffic_source`` (the channel the contact came through) and
  ``purchase_revenue``. Only what the analytics tag sees: online contacts and online
  purchases of customers who accepted tracking.

Day 0 of a run is a Monday; the tables put it on :data:`DAY_ZERO` unless told otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.outputs import replacing

DAY_ZERO = "2024-01-01"  # a Monday, as day 0 of every run is
EVENT_LOG_COLUMNS = ("case:concept:name", "concept:name", "time:timestamp", "org:resource", "lifecycle:transition", "value")
GA4_COLUMNS = ("event_date", "event_timestamp", "event_name", "user_pseudo_id", "traffic_source", "purchase_revenue")
# GA4's recommended e-commerce events for the customer-journey stages practitioners name; a
# stage of another name keeps its own. Every sale is GA4's ``purchase``.
GA4_STAGE_EVENTS = {
    "awareness": "page_view", "interest": "view_item", "consideration": "add_to_cart", "intent": "add_to_wishlist",
    "evaluation": "view_cart", "purchase": "begin_checkout",
}  # fmt: skip
GA4_PURCHASE = "purchase"
MICROSECONDS_PER_DAY = 86_400_000_000


def epoch_microseconds(time_days: np.ndarray, start_date: str = DAY_ZERO) -> np.ndarray:
    """Microseconds since 1970-01-01 UTC of times in days after ``start_date`` (midnight UTC)."""
    start = pd.Timestamp(start_date, tz="UTC").value // 1000
    return start + np.rint(np.asarray(time_days, dtype=np.float64) * MICROSECONDS_PER_DAY).astype(np.int64)


def utc_timestamps(time_days: np.ndarray, start_date: str = DAY_ZERO) -> pd.DatetimeIndex:
    """Times in days after ``start_date`` as UTC timestamps to the microsecond."""
    return pd.to_datetime(epoch_microseconds(time_days, start_date), unit="us", utc=True)


def activities(observed: pd.DataFrame) -> pd.Categorical:
    """Each observed event's activity: the channel of a touch, the event's name for a sale
    (worked on the categories' codes: no text per row)."""
    channels = [str(c) for c in observed["channel"].cat.categories]
    events = [str(e) for e in observed["event"].cat.categories]
    names = list(dict.fromkeys([*channels, *(e for e in events if e != "touch")]))
    channel_code = np.array([names.index(c) for c in channels], dtype=np.int32)[observed["channel"].cat.codes.to_numpy()]
    event_code = np.array([names.index(e) if e != "touch" else -1 for e in events], dtype=np.int32)[observed["event"].cat.codes.to_numpy()]
    return pd.Categorical.from_codes(np.where(event_code < 0, channel_code, event_code), categories=names)


def event_log_table(observed: pd.DataFrame, start_date: str = DAY_ZERO) -> pd.DataFrame:
    """The observed events with the XES attribute names pm4py reads (see the module docstring),
    in the observed table's order (each case's events in time order)."""
    is_sale = (observed["event"] != "touch").to_numpy(dtype=bool)
    return pd.DataFrame({
        "case:concept:name": observed["observed_id"].to_numpy(),
        "concept:name": activities(observed),
        "time:timestamp": utc_timestamps(observed["time_days"].to_numpy(), start_date),
        "org:resource": observed["channel"].to_numpy(),
        "lifecycle:transition": pd.Categorical(np.full(len(observed), "complete")),
        "value": np.where(is_sale, observed["value"].to_numpy(dtype=np.float64), np.nan),
    })


def ga4_event_names(stages: Sequence[str], names: Mapping[str, str] | None = None) -> dict[str, str]:
    """The GA4 event name of a touch at each stage: ``names`` where given, else GA4's e-commerce
    event for a stage practitioners name (:data:`GA4_STAGE_EVENTS`), else the stage's own name."""
    given = dict(names or {})
    return {stage: given.get(stage, GA4_STAGE_EVENTS.get(stage, stage)) for stage in stages}


def ga4_events_table(observed: pd.DataFrame, online_channels: Sequence[str], stage_events: Mapping[str, str], start_date: str = DAY_ZERO) -> pd.DataFrame:
    """GA4-export-like rows of the observed events (see the module docstring): touches on
    ``online_channels`` and purchases there, of customers who accepted tracking (the observed
    table's ``consent`` column; all when it has none), named by ``stage_events``."""
    online = observed["channel"].isin(list(online_channels)).to_numpy(dtype=bool)
    if "consent" in observed.columns:
        online = online & observed["consent"].to_numpy(dtype=bool)
    rows = observed.loc[online]
    is_sale = (rows["event"] != "touch").to_numpy(dtype=bool)
    stages = [str(s) for s in rows["stage"].cat.categories]
    names = list(dict.fromkeys([*(stage_events.get(s, s) for s in stages), GA4_PURCHASE]))
    stage_code = np.array([names.index(stage_events.get(s, s)) for s in stages], dtype=np.int32)[rows["stage"].cat.codes.to_numpy()]
    micros = epoch_microseconds(rows["time_days"].to_numpy(), start_date)
    day = micros // MICROSECONDS_PER_DAY  # days since 1970: few distinct ones, each formatted once
    distinct, which = np.unique(day, return_inverse=True)
    dates = pd.Categorical.from_codes(which, categories=list(pd.to_datetime(distinct, unit="D").strftime("%Y%m%d")))
    return pd.DataFrame({
        "event_date": dates,
        "event_timestamp": micros,
        "event_name": pd.Categorical.from_codes(np.where(is_sale, names.index(GA4_PURCHASE), stage_code), categories=names),
        "user_pseudo_id": rows["observed_id"].to_numpy(),
        "traffic_source": rows["channel"].to_numpy(),
        "purchase_revenue": np.where(is_sale, rows["value"].to_numpy(dtype=np.float64), np.nan),
    })


def write_xes(event_log: pd.DataFrame, path: str | Path) -> None:
    """Write an :func:`event_log_table` as an XES file through pm4py, atomically. Raises
    ImportError when pm4py is not installed (``pip install journeysim[process-mining]``)."""
    import importlib
    import warnings

    pm4py = importlib.import_module("pm4py")  # optional (AGPL): loaded only when asked for
    frame = event_log.assign(**{
        "case:concept:name": event_log["case:concept:name"].astype(str),  # XES ids are text
        "time:timestamp": pd.to_datetime(event_log["time:timestamp"], utc=True),
    })
    with replacing(path) as staged, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pm4py's advice to install its Rust exporter
        target = staged.with_suffix(".xes")  # pm4py adds .xes to a name without it
        try:
            pm4py.write_xes(frame, str(target), case_id_key="case:concept:name", show_progress_bar=False)
            target.replace(staged)
        finally:
            target.unlink(missing_ok=True)
