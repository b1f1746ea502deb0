"""Surveys of a simulated run: invitations, responses and answers, drawn after the journey.

:func:`survey_table` reads one replication's event log and customers table and returns one row
per survey invitation (see :mod:`journeysim.model.surveys` for the model). Surveys measure a
run without changing it: they draw from their own key
(:func:`journeysim.simulation.random_streams.measurement_key`), never from the journey's, so
the events and customers tables are the same with or without a ``surveys`` section.

Every number an invitation uses is a hash of (that key, the customer's persona and arrival
number, the trigger, the how-many-th such moment of the customer it is, the purpose): the
same customer at the same moment gets the same draws in any run with the same seed, whoever
else is in the run, and in both states of a comparison (common random numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from journeysim.analysis.experience import running_satisfaction
from journeysim.model.scenario import Scenario
from journeysim.model.surveys import QUESTIONS, TRIGGERS, answers
from journeysim.simulation import random_streams as rs
from journeysim.simulation.records import categorical, replication_dtype

# Purposes of an invitation's draws (each question has its own, asked or not, so changing
# the questions never moves the other draws).
INVITE, RESPOND = 0, 1
QUESTION_PURPOSE = {question: 2 + index for index, question in enumerate(QUESTIONS)}
SURVEY_COLUMNS = ("replication", "customer_id", "persona", "trigger", "time_days", "stage", "channel", "satisfaction",
                  "responded", *QUESTIONS)


def survey_table(scenario: Scenario, events: pd.DataFrame, customers: pd.DataFrame, seed: int, replication: int) -> pd.DataFrame:
    """The survey invitations of one replication: replication, customer_id, persona, trigger,
    time_days, stage, channel, satisfaction (the customer's true satisfaction right after
    the moment), responded, and the answers ``csat``, ``nps``, ``ces`` (nullable integers:
    missing for customers who did not respond, and for questions the survey does not ask).

    ``events`` and ``customers`` are that replication's tables (any row order). A moment
    before which the customer has experienced nothing (satisfaction NaN) sends no survey:
    there is nothing to rate yet. Empty (with these columns) for a scenario without surveys.
    """
    surveys = scenario.surveys
    if surveys is None or not len(events):
        return _table(scenario, replication, {}, events)
    if (events["replication"] != replication).any():
        raise ValueError(f"survey_table reads one replication's tables: replication {replication}, got events of {sorted(events['replication'].unique())}")
    satisfaction = running_satisfaction(
        events["replication"].to_numpy(), events["customer_id"].to_numpy(), events["time_days"].to_numpy(),
        events["experience"].to_numpy(), events["emotion"].to_numpy(), scenario.experience.peak_end_weight,
    )
    moments = _moments(scenario, events, surveys.after)
    moments = moments.loc[np.isfinite(satisfaction[moments["row"].to_numpy()])]
    rows = moments["row"].to_numpy()
    customer_id = events["customer_id"].to_numpy()[rows]
    persona = events["persona"].cat.codes.to_numpy()[rows]
    identity = customers.set_index("customer_id")["persona_customer"]
    keys = _customer_keys(rs.measurement_key(seed, replication, rs.SURVEY_MEASUREMENT), persona, identity.reindex(customer_id).to_numpy())
    # The counter of this moment: the n-th such moment of the customer, of this trigger.
    counter = moments["occurrence"].to_numpy(dtype=np.uint64) * np.uint64(len(TRIGGERS)) + moments["trigger"].to_numpy(dtype=np.uint64)
    invited = rs.touch_uniforms(keys, counter, INVITE) < surveys.invitation_probability
    rows, keys, counter = rows[invited], keys[invited], counter[invited]
    felt = satisfaction[rows]
    responded = rs.touch_uniforms(keys, counter, RESPOND) < surveys.response_probability.at(felt)
    columns: dict[str, np.ndarray] = {"row": rows, "trigger": moments["trigger"].to_numpy()[invited], "satisfaction": felt, "responded": responded}
    for question in QUESTIONS:
        answer = pd.array(np.full(len(rows), pd.NA), dtype="Int8")
        if question in surveys.questions and responded.any():
            normal = special.ndtri(rs.touch_uniforms(keys[responded], counter[responded], QUESTION_PURPOSE[question]))
            answer[responded] = answers(question, felt[responded], surveys.noise, normal)
        columns[question] = answer
    return _table(scenario, replication, columns, events)


def _moments(scenario: Scenario, events: pd.DataFrame, after: tuple[str, ...]) -> pd.DataFrame:
    """The rows of ``events`` that trigger a survey (``row``: position in ``events``), with
    the trigger's code and the occurrence (0, 1, ...) of that trigger for the customer, in
    time order (ties in row order)."""
    kind = events["event"].cat.codes.to_numpy()
    event_types = list(events["event"].cat.categories)
    channel = events["channel"].cat.codes.to_numpy()
    queues = [code for code, name in enumerate(events["channel"].cat.categories) if name in scenario.channels and scenario.channels[name].has_queue]
    code = np.full(len(events), -1, dtype=np.int8)  # a trigger per row, or -1
    for trigger in after:
        if trigger == "service":
            hit = np.isin(kind, [event_types.index(e) for e in ("touch", "renege") if e in event_types]) & np.isin(channel, queues)
        else:
            hit = kind == (event_types.index(trigger) if trigger in event_types else -2)
        code[hit] = TRIGGERS.index(trigger)
    rows = np.flatnonzero(code >= 0)
    customer, time, trigger = events["customer_id"].to_numpy()[rows], events["time_days"].to_numpy()[rows], code[rows]
    order = np.lexsort((rows, time, trigger, customer))  # each customer's moments of each trigger, in time order
    rows, customer, trigger = rows[order], customer[order], trigger[order]
    starts = np.ones(len(rows), dtype=bool)
    starts[1:] = (customer[1:] != customer[:-1]) | (trigger[1:] != trigger[:-1])
    first = np.flatnonzero(starts)[np.cumsum(starts) - 1]
    return pd.DataFrame({"row": rows, "trigger": trigger, "occurrence": np.arange(len(rows)) - first})


def _customer_keys(key: int, persona: np.ndarray, persona_customer: np.ndarray) -> np.ndarray:
    """Each row's customer's survey key, from (persona, arrival number within the persona)."""
    keys = np.zeros(len(persona), dtype=np.uint64)
    for code in np.unique(persona):
        mask = persona == code
        keys[mask] = rs.customer_keys(key, int(code), persona_customer[mask])
    return keys


_FROM_EVENTS = ("replication", "customer_id", "persona", "time_days", "stage", "channel")


def _table(scenario: Scenario, replication: int, columns: dict, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The surveys table from the invitations' columns (``row``: the moment's row of
    ``events``, whose columns it takes with their types), in time order, then customer."""
    rows = columns.get("row", np.zeros(0, dtype=np.int64))
    if events is not None and set(_FROM_EVENTS) <= set(events.columns):
        table = events.iloc[rows][list(_FROM_EVENTS)].reset_index(drop=True)
    else:  # no event log to take the types from: an empty table typed like one
        table = pd.DataFrame({
            "replication": np.zeros(0, dtype=replication_dtype(replication)), "customer_id": np.zeros(0, dtype=np.int32),
            "persona": categorical(np.zeros(0), scenario.persona_names), "time_days": np.zeros(0),
            "stage": categorical(np.zeros(0), scenario.stages), "channel": categorical(np.zeros(0), scenario.channel_names),
        })  # fmt: skip
    table["trigger"] = categorical(columns.get("trigger", np.zeros(0, dtype=np.int8)), TRIGGERS)
    table["satisfaction"] = np.asarray(columns.get("satisfaction", np.zeros(0)), dtype=np.float64)
    table["responded"] = np.asarray(columns.get("responded", np.zeros(0)), dtype=bool)
    for question in QUESTIONS:
        table[question] = columns.get(question, pd.array([], dtype="Int8"))
    order = np.lexsort((np.arange(len(table)), table["customer_id"].to_numpy(), table["time_days"].to_numpy()))
    return table.iloc[order][list(SURVEY_COLUMNS)].reset_index(drop=True)
