"""The touchpoint and experience tallies: hand-counted on a tiny log, typed the same with
nothing to count, and the same whatever the event columns' types."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.metrics import ALL, touchpoint_table
from journeysim.studies.tallies import experiences_table

COLUMNS = ["persona", "stage", "channel", "touches", "advance", "stay", "drop", "friction_drop", "lost", "drop_rate",
           "friction_share_of_loss", "mean_emotion", "contact_cost"]


@pytest.fixture(scope="module")
def log() -> tuple[js.Scenario, pd.DataFrame]:
    """Two personas, three customers: (a, web, advance, +0.5), (a, web, drop, -0.5), (a, store,
    friction_drop, -1), (b, web, stay, 0.25) at awareness; a repeat purchase by b (-0.5) and an
    arrival, which are not touches."""
    scenario = js.load_scenario()
    personas = list(scenario.persona_names[:2])
    rows = [(personas[0], "awareness", "website", "touch", "advance", 0.5, 1.0), (personas[0], "awareness", "website", "touch", "drop", -0.5, 1.0),
            (personas[0], "awareness", "store", "touch", "friction_drop", -1.0, 4.0), (personas[1], "awareness", "website", "touch", "stay", 0.25, 1.0),
            (personas[1], "purchase", "website", "repeat_purchase", None, -0.5, 0.0), (personas[1], "awareness", None, "arrival", None, np.nan, np.nan)]
    frame = pd.DataFrame(rows, columns=["persona", "stage", "channel", "event", "outcome", "emotion", "cost"])
    for column, categories in (("persona", scenario.persona_names), ("stage", scenario.stages), ("channel", scenario.channel_names),
                               ("event", ["arrival", "touch", "purchase", "repeat_purchase"]), ("outcome", ["advance", "stay", "drop", "friction_drop"])):
        frame[column] = pd.Categorical(frame[column], categories=list(categories))
    frame["emotion"] = frame["emotion"].astype(np.float32)
    return scenario, frame


def test_touchpoints_are_counted_per_persona_and_pooled(log):
    scenario, events = log
    a, b = scenario.persona_names[:2]
    table = touchpoint_table(events).set_index(["persona", "stage", "channel"])
    assert list(table.reset_index().columns) == COLUMNS
    web = table.loc[(ALL, "awareness", "website")]
    assert (web["touches"], web["advance"], web["stay"], web["drop"], web["lost"]) == (3, 1, 1, 1, 1)
    assert web["mean_emotion"] == pytest.approx((0.5 - 0.5 + 0.25) / 3)
    store = table.loc[(a, "awareness", "store")]
    assert (store["friction_drop"], store["friction_share_of_loss"], store["contact_cost"]) == (1, 1.0, 4.0)
    assert table.loc[(b, "awareness", "website"), "drop_rate"] == 0.0


@pytest.mark.parametrize("keep", ["nothing", "no touches"])
def test_with_nothing_to_count_the_tables_keep_their_columns_and_types(log, keep):
    _, events = log
    some = events.iloc[:0] if keep == "nothing" else events.loc[events["event"] != "touch"]
    table = touchpoint_table(some)
    assert list(table.columns) == COLUMNS and len(table) == 0
    experiences = experiences_table(events.iloc[:0], log[0])
    assert list(experiences.columns) == ["persona", "stage", "experiences", "emotion_sum"] and len(experiences) == 0


def test_experiences_put_repeat_purchases_at_the_loyalty_stage_and_take_text_columns_too(log):
    scenario, events = log
    b = scenario.persona_names[1]
    table = experiences_table(events, scenario).set_index(["persona", "stage"])
    assert table.loc[(b, scenario.loyalty_stage), "experiences"] == 1
    assert table.loc[(ALL, "awareness"), "experiences"] == 4
    assert table.loc[(ALL, "awareness"), "emotion_sum"] == pytest.approx(0.5 - 0.5 - 1.0 + 0.25)
    as_text = events.astype({"persona": str, "stage": str, "channel": str, "event": str, "outcome": str})
    pd.testing.assert_frame_equal(experiences_table(as_text, scenario), experiences_table(events, scenario))
