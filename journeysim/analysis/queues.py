"""Capacity channels as a table: load, waiting, service level, abandonment and staffing.

Pure functions of a run's queue visits and event log; the exact solver values the customers
lost to waiting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeysim.analysis.exact import conversion_from_states
from journeysim.model.staffing import open_days, server_days, staffing_segments


def queue_table(
    queues: pd.DataFrame, events: pd.DataFrame, scenario, horizon_days: float, replications: int = 1, arrival_days: float | None = None
) -> pd.DataFrame:
    """Per capacity channel: offered load, waiting, service level, abandonment, utilisation,
    the customers (and expected conversions) lost to waiting, and the staff hours on duty and
    their cost (totals over the replications, as in the pooled KPI table).

    Rates are measured over the time the channel receives its visitors, not over the whole
    horizon: customers arrive during ``[0, arrival_days)`` (``run.arrival_days``; None: the
    whole horizon), and a touch that falls while the channel is closed moves into its next
    open stretch. So ``visits_per_day`` is the visits of those customers per day of the
    arrival window, and ``offered_load_erlangs`` is the work they bring per unit of time the
    channel is open: visits x mean service time / the time within the arrival window with
    servers on duty. For Poisson arrivals at rate lambda that is Erlang's lambda x E[S], the
    number to compare with ``servers`` (``utilisation`` is busy time over on-duty server
    time). Journeys still open at the horizon have not made all their visits yet, which
    lowers both; an arrival window well before the horizon lets them finish.

    Expected conversions lost weighs each customer lost after reneging by the probability
    that a customer in that stage, after that channel, would still have converted
    (the exact solver's chain, queues left out).
    """
    channels = [name for name, channel in scenario.channels.items() if channel.has_queue]
    if not channels:
        return pd.DataFrame(columns=["channel"])
    onward = conversion_from_states(scenario)
    lost = events.loc[(events["event"] == "renege") & (events["outcome"] == "friction_drop")]
    window = horizon_days if arrival_days is None else min(arrival_days, horizon_days)
    rows = []
    for name in channels:
        channel = scenario.channels[name]
        visits = queues.loc[queues["channel"] == name]
        served = visits.loc[visits["served"]]
        n = len(visits)
        available = server_days(staffing_segments(channel, horizon_days), horizon_days) * replications
        receiving = open_days(staffing_segments(channel, window), window) * replications
        start = served["arrival_days"] + served["wait_days"]
        busy = (np.minimum(start + served["service_days"], horizon_days) - start).clip(lower=0).sum()
        lost_here = lost.loc[lost["channel"] == name]
        expected_lost = sum(
            onward[(str(row.persona), str(row.stage), name)] for row in lost_here.itertuples()
        )
        target = channel.queue.target_wait_days
        rows.append(
            {
                "channel": name,
                "servers": channel.capacity,
                "visits": n,
                "visits_per_day": n / (window * replications) if window > 0 else np.nan,
                "offered_load_erlangs": n * channel.service_time_days.mean / receiving if receiving > 0 else np.nan,
                "utilisation": busy / available if available > 0 else np.nan,
                "probability_of_waiting": float((visits["wait_days"] > 1e-12).mean()) if n else np.nan,
                "mean_wait_minutes": served["wait_days"].mean() * 1440 if len(served) else np.nan,
                "p90_wait_minutes": served["wait_days"].quantile(0.9) * 1440 if len(served) else np.nan,
                "service_level": float((visits["served"] & (visits["wait_days"] <= target)).mean()) if n else np.nan,
                "target_wait_minutes": target * 1440,
                "abandonment_rate": float((~visits["served"]).mean()) if n else np.nan,
                "customers_lost_to_waiting": len(lost_here),
                "expected_conversions_lost": expected_lost,
                "staffed_hours": available * 24.0,
                "staff_cost": available * 24.0 * channel.staff_cost_per_hour,
            }
        )
    return pd.DataFrame(rows)
