"""A brand's touch log, read and checked for the fitter (:mod:`journeysim.analysis.fit_touches`).

One row per touch: ``customer_id``, ``timestamp`` (dates and times, or numbers meaning days),
``channel``, and ``stage`` or an ``event`` name that ``events`` maps to a stage
(GA4-style ``view_item -> interest``, ``add_to_cart -> consideration``). Optional:
``persona`` (a segment), ``value`` (of a purchase), ``reason`` (why a customer was lost:
``payment_failed``...). Rows whose event is one of ``purchase_events`` (``purchase``) are
purchases; a purchase made without a purchase-stage touch at the same instant gets one, on
the same channel, as the engines record a sale. Column names of an export map to ours with
``columns`` (``{"customer_id": "user_pseudo_id"}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.data_tables import ID, NUMBER, TEXT, TIME, error_at, read_table
from journeysim.errors import DataError

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class JourneyLog:
    """A checked touch log: ``frame`` has customer_id, time_days (days since ``start``),
    stage, channel, persona, event (``touch`` or ``purchase``), value, reason; ``start`` is
    the first timestamp (None when times were given in days) and ``end_days`` the last."""

    frame: pd.DataFrame
    start: pd.Timestamp | None
    end_days: float
    stages: tuple[str, ...]


def read_journey_log(
    source: str | Path | pd.DataFrame,
    stages: Sequence[str],
    *,
    columns: Mapping[str, str] | None = None,
    events: Mapping[str, str] | None = None,
    purchase_events: Sequence[str] = ("purchase",),
    name: str | None = None,
) -> JourneyLog:
    """Read a touch log (see the module docstring) whose journey stages are ``stages``, the
    purchase stage last. Raises :class:`~journeysim.errors.DataError` naming the file, line,
    column and value of the first problem found."""
    optional = {"persona": TEXT, "event": TEXT, "value": NUMBER, "reason": TEXT}
    required = {"customer_id": ID, "timestamp": TIME, "channel": TEXT}
    if events is None:
        required["stage"] = TEXT
    else:
        required["event"] = TEXT
        optional.pop("event")
        optional["stage"] = TEXT
    table = read_table(source, required=required, optional=optional, columns=columns, name=name)
    label = table.attrs["source"]
    event = table["event"].fillna("touch").astype(str) if "event" in table else pd.Series("touch", index=table.index)
    is_purchase = event.isin(list(purchase_events))
    theirs = dict(columns or {})
    stage = _stages(table, event, is_purchase, stages, events, label, theirs)
    time = table["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(time):
        start = time.min()
        days = (time - start) / DAY
    else:
        start, days = None, time.astype(np.float64)
    frame = pd.DataFrame({
        "customer_id": table["customer_id"].astype(str),
        "time_days": days.to_numpy(np.float64),
        "stage": stage,
        "channel": table["channel"].astype(str),
        "persona": table["persona"].fillna("all_customers").astype(str) if "persona" in table else "all_customers",
        "event": np.where(is_purchase, "purchase", "touch"),
        "value": table["value"].to_numpy(np.float64) if "value" in table else np.nan,
        "reason": table["reason"].fillna("").astype(str) if "reason" in table else "",
    }, index=table.index)
    _check_one_persona_per_customer(frame, table, theirs.get("persona", "persona"))
    frame = _with_purchase_touches(frame, stages[-1])
    return JourneyLog(frame=frame, start=start, end_days=float(frame["time_days"].max()), stages=tuple(stages))


def _stages(table: pd.DataFrame, event: pd.Series, is_purchase: pd.Series, stages: Sequence[str], events: Mapping[str, str] | None, label: str,
            theirs: Mapping[str, str]) -> pd.Series:
    """Each row's stage: its ``stage`` column, else its event through ``events``; a purchase
    is at the purchase stage."""
    known = set(stages)
    if events is not None:
        unknown_targets = sorted({s for s in events.values() if s not in known})
        if unknown_targets:
            raise DataError("event mapping", f"maps events to {', '.join(map(repr, unknown_targets))}, which are not stages; stages are {', '.join(stages)}")
    given = table["stage"] if "stage" in table else pd.Series(np.nan, index=table.index, dtype=object)
    mapped = event.map(dict(events or {}))
    stage = given.where(given.notna(), mapped).where(~is_purchase, stages[-1])
    missing = stage.isna()
    if missing.any():
        line = missing.idxmax()
        raise error_at(table, line, f"event {event[line]!r} has no stage: add it to the event mapping (it maps {', '.join(sorted(events or {})) or 'nothing'})",
                       column=theirs.get("event", "event"))
    bad = ~stage.isin(list(stages))
    if bad.any():
        line = bad.idxmax()
        raise error_at(table, line, f"unknown stage {stage[line]!r}; the journey's stages are {', '.join(stages)}", column=theirs.get("stage", "stage"))
    return stage.astype(str)


def _check_one_persona_per_customer(frame: pd.DataFrame, table: pd.DataFrame, column: str) -> None:
    counts = frame.groupby("customer_id")["persona"].nunique()
    if (counts > 1).any():
        customer = counts.index[counts > 1][0]
        line = frame.index[(frame["customer_id"] == customer).to_numpy()][1]
        raise error_at(table, line, f"customer {customer!r} appears in several personas ({', '.join(sorted(frame.loc[frame['customer_id'] == customer, 'persona'].unique()))}); a customer belongs to one", column=column)


def _with_purchase_touches(frame: pd.DataFrame, purchase_stage: str) -> pd.DataFrame:
    """A purchase-stage touch, on the purchase's channel, at each purchase that has none at the
    same instant (same customer and time), placed just before the purchase."""
    purchases = frame.loc[frame["event"] == "purchase"]
    touches = frame.loc[(frame["event"] == "touch") & (frame["stage"] == purchase_stage), ["customer_id", "time_days"]]
    present = pd.MultiIndex.from_frame(touches)
    lacking = purchases.loc[~pd.MultiIndex.from_frame(purchases[["customer_id", "time_days"]]).isin(present)]
    if lacking.empty:
        return frame.reset_index(drop=True)
    added = lacking.assign(event="touch", value=np.nan, reason="")
    order = np.concatenate([np.arange(len(frame)), np.searchsorted(frame.index, lacking.index) - 0.5])
    combined = pd.concat([frame, added])
    return combined.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
