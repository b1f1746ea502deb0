"""The service blueprint of capacity channels: what customers meet and what staff do, by hour.

A service blueprint puts the customer's side (front stage: when they come, how long they
wait, how often they give up, how the moment feels) above the organisation's (back stage:
servers on duty, how busy they are). :func:`blueprint_table` gives both per capacity
channel, weekday and hour of day, from a run's queue visits and event log; pure function of
tables and the channel's schedule (day 0 of the horizon is a Monday at midnight).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeysim.model.scenario import Scenario
from journeysim.model.staffing import segments_table, staffing_segments

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BLUEPRINT_COLUMNS = [
    "channel", "weekday", "hour", "hours_in_horizon", "servers_on_duty", "visits", "visits_per_hour",
    "mean_wait_minutes", "abandonment_rate", "utilisation", "mean_emotion",
]  # fmt: skip
HOURS_PER_DAY = 24


def blueprint_table(scenario: Scenario, visits: pd.DataFrame, events: pd.DataFrame, horizon_days: float, replications: int = 1) -> pd.DataFrame:
    """Per capacity channel, weekday (0 = Monday) and hour of day: the back stage, the
    ``servers_on_duty`` (mean over the horizon's hours of that weekday and hour) and their
    ``utilisation`` (busy server time / server time on duty, each service split exactly over
    the hours it spans); the front stage, ``visits`` (queue arrivals, totals over the
    replications) and ``visits_per_hour`` (per replication), ``mean_wait_minutes`` of those
    served, ``abandonment_rate`` (visits that gave up waiting / visits) and ``mean_emotion``
    of the experiences there (touches and give-ups at the channel, friction included).
    ``hours_in_horizon`` counts that weekday and hour within the horizon."""
    hours = int(np.ceil(horizon_days * HOURS_PER_DAY))
    slot = np.arange(hours)
    weekday, hour = (slot // HOURS_PER_DAY) % 7, slot % HOURS_PER_DAY
    grid = pd.MultiIndex.from_product([range(7), range(HOURS_PER_DAY)], names=["weekday", "hour"])
    occurrences = pd.Series(1, index=pd.MultiIndex.from_arrays([weekday, hour])).groupby(level=[0, 1]).sum().reindex(grid, fill_value=0)
    frames = []
    for name, channel in scenario.channels.items():
        if not channel.has_queue:
            continue
        on_duty = _server_hours(staffing_segments(channel, horizon_days), horizon_days, hours)
        here = visits.loc[visits["channel"].astype(str) == name]
        busy = _busy_hours(here.loc[here["served"]], hours) / max(replications, 1)
        per_slot = pd.DataFrame({"weekday": weekday, "hour": hour, "on_duty": on_duty, "busy": busy}).groupby(["weekday", "hour"]).sum()
        at = _hour_of_week(here["arrival_days"].to_numpy())
        frame = pd.DataFrame({"weekday": at[0], "hour": at[1], "wait": here["wait_days"].to_numpy() * 1440,
                              "served": here["served"].to_numpy(dtype=bool)})
        waits = frame.loc[frame["served"]].groupby(["weekday", "hour"])["wait"].mean()
        counts = frame.groupby(["weekday", "hour"]).agg(visits=("served", "size"), abandoned=("served", lambda s: int((~s).sum())))
        moments = events.loc[events["event"].isin(["touch", "renege"]) & (events["channel"].astype(str) == name), ["time_days", "emotion"]]
        when = _hour_of_week(moments["time_days"].to_numpy())
        emotion = pd.Series(moments["emotion"].to_numpy(dtype=float)).groupby([when[0], when[1]]).mean()
        table = pd.DataFrame(index=grid)
        table["hours_in_horizon"] = occurrences
        table["servers_on_duty"] = per_slot["on_duty"].reindex(grid).fillna(0.0) / occurrences.where(occurrences > 0)
        table["visits"] = counts["visits"].astype(np.int64).reindex(grid, fill_value=0)  # int64 also when nobody visited
        table["visits_per_hour"] = table["visits"] / (occurrences.where(occurrences > 0) * max(replications, 1))
        table["mean_wait_minutes"] = waits.reindex(grid)
        table["abandonment_rate"] = counts["abandoned"].astype(np.int64).reindex(grid, fill_value=0) / table["visits"].where(table["visits"] > 0)
        server_time = per_slot["on_duty"].reindex(grid).fillna(0.0)
        table["utilisation"] = per_slot["busy"].reindex(grid).fillna(0.0) / server_time.where(server_time > 0)
        table["mean_emotion"] = emotion.reindex(grid).to_numpy()
        frames.append(table.reset_index().assign(channel=name))
    if not frames:
        return pd.DataFrame(columns=BLUEPRINT_COLUMNS)
    return pd.concat(frames, ignore_index=True)[BLUEPRINT_COLUMNS]


def _hour_of_week(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weekday, hour of day) of times in days (day 0 a Monday at midnight)."""
    slot = np.floor(np.asarray(days, dtype=float) * HOURS_PER_DAY).astype(np.int64)
    return (slot // HOURS_PER_DAY) % 7, slot % HOURS_PER_DAY


def _server_hours(segments: list[tuple[float, int]], horizon_days: float, hours: int) -> np.ndarray:
    """Server hours on duty in each hour of the horizon: the integral of the piecewise-constant
    staffing, which is linear between the segments' starts, read at every hour's edge."""
    table = segments_table(segments, horizon_days)
    boundaries = np.append(table[:, 0], table[-1, 1]) * HOURS_PER_DAY
    cumulative = np.concatenate([[0.0], np.cumsum((table[:, 1] - table[:, 0]) * HOURS_PER_DAY * table[:, 2])])
    edges = np.minimum(np.arange(hours + 1, dtype=float), boundaries[-1])
    return np.diff(np.interp(edges, boundaries, cumulative))


def _busy_hours(served: pd.DataFrame, hours: int) -> np.ndarray:
    """Busy server hours in each hour of the horizon (totals over the visits given): every
    service from its start (arrival + wait) to its end, split over the hours it spans."""
    start = (served["arrival_days"].to_numpy() + served["wait_days"].to_numpy()) * HOURS_PER_DAY
    end = start + served["service_days"].to_numpy() * HOURS_PER_DAY
    busy = np.zeros(hours)
    if not len(start):
        return busy
    first = np.floor(start).astype(np.int64)
    for step in range(int(np.ceil((end - first).max())) + 1):
        slot = first + step
        overlap = np.clip(np.minimum(end, slot + 1) - np.maximum(start, slot), 0.0, None)
        inside = (slot < hours) & (overlap > 0)
        np.add.at(busy, slot[inside], overlap[inside])
    return busy
