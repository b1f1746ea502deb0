"""Web and app sessions: a visitor's online contacts grouped as analytics tools group them.

Analytics counts visits, not journeys. A session is a visitor's run of online contacts (each
a page or screen viewed, arriving through the channel of the contact) with no gap longer than
the inactivity timeout (30 minutes by default, as in Google Analytics); the next contact after
a longer gap opens a new session. A session's source is the channel of its first contact. A
**bounce** is a single-page session: one contact and no purchase, the site bounce rate that
analytics reports. It is not the journey's bounce (a customer lost at the first touch, a KPI
of the truth: :func:`journeysim.analysis.metrics.kpi_table`'s ``bounce_rate``): with days
between contacts, most sessions are one page long even in journeys that end in a purchase.

:func:`web_sessions` builds the sessions of observed events (one visitor is one observed id,
so identity loss splits visitors and consent removes them); :func:`session_summary` counts
them by source.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

SESSION_COLUMNS = ("replication", "user_id", "session_number", "start_days", "end_days", "source", "pages", "purchases", "bounce")
SUMMARY_COLUMNS = ("source", "sessions", "pages", "purchases", "bounces", "site_bounce_rate", "pages_per_session")
ALL_SOURCES = "all"


def web_sessions(observed: pd.DataFrame, online_channels: Sequence[str], timeout_days: float) -> pd.DataFrame:
    """One row per session of the observed events' online contacts (touches and purchases on
    ``online_channels``): ``replication``, ``user_id`` (the observed id), ``session_number``
    (1, 2, ... per user), ``start_days``, ``end_days``, ``source`` (channel of its first
    contact), ``pages`` (touches), ``purchases`` and ``bounce`` (one page, no purchase).

    Each observed id's rows must be together and in time order, as
    :func:`~journeysim.simulation.observation.observe` gives them."""
    online = observed["channel"].isin(list(online_channels)).to_numpy(dtype=bool)
    rows = np.flatnonzero(online)
    user = observed["observed_id"].to_numpy()[rows]
    replication = observed["replication"].to_numpy()[rows]
    time = observed["time_days"].to_numpy(dtype=np.float64)[rows]
    is_touch = (observed["event"] == "touch").to_numpy(dtype=bool)[rows]
    new_user = np.ones(len(rows), dtype=bool)
    new_user[1:] = (user[1:] != user[:-1]) | (replication[1:] != replication[:-1])
    new_session = new_user.copy()
    new_session[1:] |= (time[1:] - time[:-1]) > timeout_days
    starts = np.flatnonzero(new_session)
    ends = np.append(starts[1:], len(rows)) - 1
    pages = np.add.reduceat(is_touch.astype(np.int64), starts) if len(starts) else np.zeros(0, dtype=np.int64)
    purchases = (ends - starts + 1) - pages
    session_index = np.cumsum(new_session) - 1
    user_start = np.flatnonzero(new_user)
    number = np.arange(len(starts)) - session_index[user_start][np.cumsum(new_user)[starts] - 1] + 1
    return pd.DataFrame({
        "replication": replication[starts],
        "user_id": user[starts],
        "session_number": number.astype(np.int32),
        "start_days": time[starts],
        "end_days": time[ends],
        "source": observed["channel"].array.take(rows[starts]),
        "pages": pages.astype(np.int32),
        "purchases": purchases.astype(np.int32),
        "bounce": (pages == 1) & (purchases == 0),
    })


def session_counts(sessions: pd.DataFrame) -> pd.DataFrame:
    """Sessions, pages, purchases and bounces per source: the additive parts of
    :func:`session_summary`, which chunks of a streamed run add up."""
    frame = pd.DataFrame({
        "source": sessions["source"].astype(str).to_numpy(),
        "sessions": 1, "pages": sessions["pages"].to_numpy(np.int64),
        "purchases": sessions["purchases"].to_numpy(np.int64), "bounces": sessions["bounce"].to_numpy(np.int64),
    })  # fmt: skip
    return frame.groupby("source", sort=True).sum()


def session_summary(counts: pd.DataFrame) -> pd.DataFrame:
    """Per source and for all sources: sessions, pages, purchases, bounces, ``site_bounce_rate``
    (single-page sessions / sessions) and ``pages_per_session``, from :func:`session_counts`
    (summed over chunks if need be)."""
    columns = ["sessions", "pages", "purchases", "bounces"]
    counts = counts.reindex(columns=columns).fillna(0).astype(np.int64)
    table = pd.concat([counts, counts.sum().to_frame(ALL_SOURCES).T]).rename_axis("source").reset_index()
    sessions = table["sessions"].where(table["sessions"] > 0)
    table["site_bounce_rate"] = table["bounces"] / sessions
    table["pages_per_session"] = table["pages"] / sessions
    return table[list(SUMMARY_COLUMNS)]
