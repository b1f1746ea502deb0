"""What one state's batches of a comparison add up to.

:class:`Tallies` keeps, per batch of replications, the KPIs per replication and small
pooled tables (touchpoints, funnels, purchases, experiences, the per-channel budget table)
instead of the event logs; :mod:`journeysim.studies.comparison` fills one per state, in one process or
several, and the functions here turn them into the comparison's tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis import metrics as m
from journeysim.analysis.channels import channel_table
from journeysim.analysis.metrics import ALL
from journeysim.analysis.paired import (
    CURRENT,
    FUTURE,
    KEY_COLUMNS,
    channel_mix,
    dropoff_difference,
    emotion_lane,
    kpi_columns,
)
from journeysim.model.scenario import Scenario
from journeysim.simulation.runner import SimulationResult


def by_channel_table(tallies: Mapping[str, Tallies]) -> pd.DataFrame:
    """Both states' per-channel tables (``state`` column first); empty without a budget."""
    frames = [pd.concat(t.by_channel, ignore_index=True).assign(state=state) for state, t in tallies.items() if t.by_channel]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    return table[["state", *[c for c in table.columns if c != "state"]]]


def detail_tables(current: Tallies, future: Tallies, stages: Sequence[str]) -> dict[str, pd.DataFrame]:
    funnels = pd.concat([current.funnel().assign(state=CURRENT), future.funnel().assign(state=FUTURE)], ignore_index=True)
    return {
        "dropoff": dropoff_difference(current.touchpoints(), future.touchpoints(), current.arrivals(), future.arrivals(), stages),
        "channel_mix": channel_mix(current.touchpoints(), future.touchpoints(), current.purchases(), future.purchases()),
        "funnels": funnels[["state", "persona", "stage", "customers", "arrivals", "share_of_arrivals"]],
        "emotion": emotion_lane(current.experiences(), future.experiences(), stages),
    }


# -- what one state's runs add up to -------------------------------------------------------


class Tallies:
    """What one state's batches add up to: per-replication KPIs and pooled count tables."""

    def __init__(self, details: bool, channels: bool = False) -> None:
        self.details = details
        self.channels = channels  # keep journeysim.analysis.channels.channel_table of every batch
        self.kpis: list[pd.DataFrame] = []
        self._touchpoints: list[pd.DataFrame] = []
        self._funnels: list[pd.DataFrame] = []
        self._arrivals: list[pd.Series] = []
        self._purchases: list[pd.DataFrame] = []
        self._experiences: list[pd.DataFrame] = []
        self.by_channel: list[pd.DataFrame] = []

    def empty_like(self) -> Tallies:
        return Tallies(self.details, self.channels)

    def extend(self, other: Tallies) -> None:
        """Append another batch's tallies (in replication order)."""
        for name, value in vars(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)

    def add_run(self, result: SimulationResult, scenario: Scenario) -> None:
        """Tally a run of ``scenario`` (its event log is needed)."""
        events, customers, spend, staff = result.events, result.customers, result.spend, result.staff
        self.kpis.append(result.metrics(by=("replication",)))
        if self.channels:
            # Per channel that brought the customers (budget_by_channel.csv), from the same runs.
            self.by_channel.append(channel_table(customers, spend, scenario, events, staff))
        if not self.details:
            return
        touchpoints = m.touchpoint_table(events)
        touchpoints["emotion_sum"] = touchpoints["mean_emotion"].astype(np.float64) * touchpoints["touches"]
        columns = ["persona", "stage", "channel", "touches", "lost", "friction_drop", "emotion_sum"]
        self._touchpoints.append(touchpoints[columns])
        # A customer who gives up waiting in a capacity queue and leaves is lost to friction
        # at that stage and channel too, though no touch happened.
        gave_up = events.loc[(events["event"] == "renege") & (events["outcome"] == "friction_drop"), ["persona", "stage", "channel"]].astype(str)
        if len(gave_up):
            lost = pd.concat([gave_up, gave_up.assign(persona=ALL)]).value_counts().rename("lost").reset_index()
            self._touchpoints.append(lost.assign(touches=0, friction_drop=lost["lost"], emotion_sum=0.0)[columns])
        self._experiences.append(experiences_table(events, scenario))
        funnel = m.funnel(customers, events, scenario.stages)
        self._funnels.append(funnel[["persona", "stage", "customers"]])
        arrivals = customers.groupby("persona", observed=True).size()
        arrivals.index = arrivals.index.astype(str)
        self._arrivals.append(pd.concat([arrivals, pd.Series({ALL: len(customers)})]))
        bought = events.loc[events["event"] == "purchase", ["persona", "channel"]].astype(str)
        purchases = pd.concat([bought, bought.assign(persona=ALL)]).value_counts().rename("purchases").reset_index()
        self._purchases.append(purchases)

    def touchpoints(self) -> pd.DataFrame:
        table = pd.concat(self._touchpoints, ignore_index=True)
        return table.groupby(["persona", "stage", "channel"], as_index=False, sort=False).sum()

    def experiences(self) -> pd.DataFrame:
        return pd.concat(self._experiences, ignore_index=True).groupby(["persona", "stage"], as_index=False, sort=False).sum()

    def arrivals(self) -> pd.Series:
        return pd.concat(self._arrivals).groupby(level=0, sort=False).sum()

    def purchases(self) -> pd.DataFrame:
        table = pd.concat(self._purchases, ignore_index=True)
        if table.empty:
            return pd.DataFrame({"persona": pd.Series(dtype=str), "channel": pd.Series(dtype=str), "purchases": pd.Series(dtype=np.int64)})
        return table.groupby(["persona", "channel"], as_index=False, sort=False)["purchases"].sum()

    def funnel(self) -> pd.DataFrame:
        table = pd.concat(self._funnels, ignore_index=True).groupby(["persona", "stage"], as_index=False, sort=False)["customers"].sum()
        table["arrivals"] = table["persona"].map(self.arrivals()).fillna(0).astype(np.int64)
        table["share_of_arrivals"] = table["customers"] / table["arrivals"].where(table["arrivals"] > 0)
        return table


def experiences_table(events: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Per persona (and ``all``) and stage: experiences and their summed emotion. Experiences
    are what satisfaction averages: touches and queue abandonments at the stage where they
    happened, and repeat purchases, placed at the first post-purchase stage (loyalty). Rows
    by persona and stage (sorted: the same table whatever the order of the event rows)."""
    rows = events.loc[events["event"].isin(["touch", "renege", "repeat_purchase"]), ["persona", "stage", "event", "emotion"]]
    # Grouped by the categoricals' codes (names only for the few groups), each group summed
    # in row order: the numbers a grouping by the names would give. Text columns (a log read
    # from a file) become categoricals first.
    rows = rows.astype({name: "category" for name in ("persona", "stage") if not isinstance(rows[name].dtype, pd.CategoricalDtype)})
    stage = rows["stage"].astype(pd.CategoricalDtype([*rows["stage"].cat.categories, *_missing(scenario.loyalty_stage, rows["stage"])]))
    if scenario.loyalty_stage is not None:
        stage = stage.where(rows["event"] != "repeat_purchase", scenario.loyalty_stage)
    table = pd.DataFrame({"persona": rows["persona"], "stage": stage, "emotion_sum": rows["emotion"].astype(np.float64), "experiences": 1})
    per_persona = table.groupby(["persona", "stage"], observed=True)[["experiences", "emotion_sum"]].sum().reset_index()
    pooled = table.groupby("stage", observed=True)[["experiences", "emotion_sum"]].sum().reset_index().assign(persona=ALL)
    out = pd.concat([per_persona, pooled], ignore_index=True)
    out["persona"], out["stage"] = out["persona"].astype(str), out["stage"].astype(str)
    return out.sort_values(["persona", "stage"], ignore_index=True)[["persona", "stage", "experiences", "emotion_sum"]]


def _missing(stage: str | None, stages: pd.Series) -> list[str]:
    """``[stage]`` when it is not a category of ``stages`` yet, else none."""
    return [stage] if stage is not None and stage not in stages.cat.categories else []


def per_replication_table(tallies: Mapping[str, Tallies]) -> pd.DataFrame:
    """Every state's KPIs per replication and persona (``state`` column: the keys of
    ``tallies``, in their order)."""
    frames = [pd.concat(t.kpis, ignore_index=True).assign(state=state) for state, t in tallies.items()]
    table = pd.concat(frames, ignore_index=True)
    kpis = kpi_columns(table)
    return table[list(KEY_COLUMNS) + kpis]
