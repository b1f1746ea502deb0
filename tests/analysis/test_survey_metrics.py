"""The survey KPIs of the KPI table, exactly, on a hand-built surveys table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journeysim.analysis.metrics import KPI_DESCRIPTIONS, kpi_table
from journeysim.analysis.survey_metrics import SURVEY_KPI_DESCRIPTIONS
from journeysim.simulation.records import customers_table

PERSONAS = ("fan", "quiet")
NA = pd.NA


def customers(replications=(0, 1)):
    frames = [
        customers_table({"persona": np.array([0, 0, 1], dtype=np.int8), "arrival_days": np.zeros(3),
                         "final_stage": np.zeros(3, dtype=np.int8), "final_channel": np.zeros(3, dtype=np.int8)},
                        replication, ("awareness", "purchase"), ("website",), PERSONAS)
        for replication in replications
    ]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def surveys():
    """Replication 0: four invitations of the fans, three answered; replication 1: one, unanswered.
    The quiet persona is never invited."""
    return pd.DataFrame(
        {
            "replication": np.array([0, 0, 0, 0, 1], dtype=np.int16),
            "customer_id": np.array([0, 0, 1, 1, 0], dtype=np.int32),
            "persona": pd.Categorical(["fan"] * 5, categories=PERSONAS),
            "satisfaction": [0.8, 0.2, -0.6, 0.0, 0.4],
            "responded": [True, True, True, False, False],
            "csat": pd.array([5, 4, 2, NA, NA], dtype="Int8"),
            "nps": pd.array([10, 7, 3, NA, NA], dtype="Int8"),
            "ces": pd.array([6, 4, 2, NA, NA], dtype="Int8"),
        }
    )


def test_survey_kpis_are_every_kpi_tables_last_columns():
    assert list(KPI_DESCRIPTIONS)[-len(SURVEY_KPI_DESCRIPTIONS):] == list(SURVEY_KPI_DESCRIPTIONS)
    assert list(kpi_table(customers()).columns[-len(SURVEY_KPI_DESCRIPTIONS):]) == list(SURVEY_KPI_DESCRIPTIONS)


def test_exact_values_pooled_and_per_persona():
    table = kpi_table(customers(), surveys=surveys()).set_index("persona")
    fan = table.loc["fan"]
    assert fan["survey_invitations"] == 5 and fan["survey_responses"] == 3
    assert fan["response_rate"] == pytest.approx(3 / 5)
    assert fan["csat"] == pytest.approx(100 * 2 / 3)  # 5 and 4 of 5, 4, 2
    assert fan["nps"] == pytest.approx(0.0)  # one promoter (10), one passive (7), one detractor (3)
    assert fan["ces"] == pytest.approx(4.0)
    assert fan["invited_satisfaction"] == pytest.approx(0.16)
    assert fan["respondent_satisfaction"] == pytest.approx(0.4 / 3)
    pd.testing.assert_series_equal(table.loc["all", list(SURVEY_KPI_DESCRIPTIONS)], fan[list(SURVEY_KPI_DESCRIPTIONS)], check_names=False)
    # Nobody asked: no invitations, no responses, and nothing to measure.
    quiet = table.loc["quiet"]
    assert quiet["survey_invitations"] == 0 and quiet["survey_responses"] == 0
    assert quiet[["response_rate", "csat", "nps", "ces", "invited_satisfaction", "respondent_satisfaction"]].isna().all()


def test_by_replication_and_by_a_customer_column_the_surveys_table_lacks():
    table = kpi_table(customers(), surveys=surveys(), by=("replication",))
    fans = table.loc[table["persona"] == "fan"].set_index("replication")
    assert fans["survey_invitations"].tolist() == [4, 1]
    assert fans.at[0, "nps"] == pytest.approx(0.0) and np.isnan(fans.at[1, "nps"])
    assert fans.at[1, "response_rate"] == 0.0 and fans.at[1, "invited_satisfaction"] == pytest.approx(0.4)
    by_source = kpi_table(customers(), surveys=surveys(), by=("source",))
    organic = by_source.loc[(by_source["source"] == "organic") & (by_source["persona"] == "all")].iloc[0]
    assert organic["survey_invitations"] == 5 and organic["survey_responses"] == 3


def test_without_surveys_every_survey_kpi_is_nan():
    table = kpi_table(customers())
    assert table[list(SURVEY_KPI_DESCRIPTIONS)].isna().all().all()
    empty = surveys().iloc[:0]
    counted = kpi_table(customers(), surveys=empty)
    assert (counted["survey_invitations"] == 0).all() and counted["csat"].isna().all()
