"""The survey KPIs of the KPI table: CSAT, NPS, CES, responses, and the truth beside them.

A run's ``surveys`` table has one row per invitation (:mod:`journeysim.simulation.surveys`):
the customer's true satisfaction at that moment, whether they responded, and their answers.
These KPIs are what a brand would report from it, and, beside them, the true satisfaction of
everyone invited and of the respondents only: when unhappy and delighted customers answer
more often than indifferent ones, the two differ, and the gap is the non-response bias.
:func:`journeysim.analysis.metrics.kpi_table` adds them to every KPI table; they are NaN
for a run without surveys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from journeysim.model.surveys import CSAT_SATISFIED, NPS_DETRACTOR, NPS_PROMOTER

# KPI name -> short description, in report order (metrics.KPI_DESCRIPTIONS ends with these).
SURVEY_KPI_DESCRIPTIONS: dict[str, str] = {
    "survey_invitations": "survey invitations sent (moments listed in surveys.after, sampled)",
    "survey_responses": "invitations answered",
    "response_rate": "survey responses / invitations",
    "csat": "CSAT, % of respondents answering 4-5 on the 1-5 scale",
    "nps": "NPS, % promoters (9-10) - % detractors (0-6) among respondents (-100..100)",
    "ces": "CES, mean answer on the 1-7 ease scale (7: very easy) among respondents",
    "invited_satisfaction": "true satisfaction of the invited at the survey moment (what everyone's answers would reflect)",
    "respondent_satisfaction": "true satisfaction of the respondents; minus invited_satisfaction: the non-response bias",
}
_COUNTS = ("survey_invitations", "survey_responses")


def with_survey_kpis(table: pd.DataFrame, surveys: pd.DataFrame | None, keys: Sequence[str], persona_all: str,
                     customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """``table`` (KPI rows by ``keys`` and ``persona``, with a ``persona_all`` row pooling the
    personas) with the survey KPIs added: NaN everywhere when ``surveys`` is None (a run
    without surveys), else the KPIs of each row's invitations (counts 0 and the rest NaN for a
    row without any). Grouping keys the surveys table lacks are looked up in ``customers``."""
    table = table.drop(columns=list(SURVEY_KPI_DESCRIPTIONS), errors="ignore")
    if surveys is None:
        return table.assign(**{kpi: np.nan for kpi in SURVEY_KPI_DESCRIPTIONS})
    keys = list(keys)
    frame = _per_invitation(surveys, keys, customers)
    rows = pd.concat([_aggregate(frame, keys + ["persona"]), _aggregate(frame, keys).assign(persona=persona_all)], ignore_index=True)
    # Match rows on the keys' values as text, whatever dtype each side keeps them in
    # (categories, integer widths); a left merge keeps the table's rows in order.
    on = keys + ["persona"]
    found = table[on].astype(str).merge(rows.astype({key: str for key in on}), on=on, how="left", validate="many_to_one")
    out = table.copy()
    for kpi in SURVEY_KPI_DESCRIPTIONS:
        out[kpi] = found[kpi].fillna(0).astype(np.int64).to_numpy() if kpi in _COUNTS else found[kpi].to_numpy(dtype=np.float64)
    return out


def _per_invitation(surveys: pd.DataFrame, keys: list[str], customers: pd.DataFrame | None) -> pd.DataFrame:
    """One row per invitation with the grouping keys and what the KPIs add up."""
    responded = surveys["responded"].to_numpy(dtype=bool)
    satisfaction = surveys["satisfaction"].to_numpy(dtype=np.float64)
    csat = surveys["csat"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    nps = surveys["nps"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    frame = pd.DataFrame(
        {
            "persona": surveys["persona"].astype(str).to_numpy(),
            "survey_invitations": 1,
            "survey_responses": responded.astype(np.int64),
            "csat_answers": np.isfinite(csat).astype(np.int64),
            "csat_satisfied": (csat >= CSAT_SATISFIED).astype(np.int64),
            "nps_answers": np.isfinite(nps).astype(np.int64),
            "nps_net": (nps >= NPS_PROMOTER).astype(np.int64) - (nps <= NPS_DETRACTOR).astype(np.int64),
            "ces": surveys["ces"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan),
            "invited_satisfaction": satisfaction,
            "respondent_satisfaction": np.where(responded, satisfaction, np.nan),
        }
    )
    missing = [key for key in keys if key not in surveys]
    if missing:
        if customers is None:
            raise KeyError(f"the surveys table has no column {missing[0]!r} and no customers table was given to look it up")
        lookup = customers.set_index(["replication", "customer_id"])[missing]
        found = lookup.reindex(pd.MultiIndex.from_arrays([surveys["replication"], surveys["customer_id"]])).reset_index(drop=True)
        surveys = surveys.assign(**{key: found[key].to_numpy() for key in missing})
    for key in keys:
        frame[key] = surveys[key].to_numpy()
    return frame


def _aggregate(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The survey KPIs of each ``keys`` group of :func:`_per_invitation` rows."""
    grouped = frame.assign(_all=0).groupby(keys or ["_all"], sort=False)
    sums = grouped[["survey_invitations", "survey_responses", "csat_answers", "csat_satisfied", "nps_answers", "nps_net"]].sum()
    means = grouped[["ces", "invited_satisfaction", "respondent_satisfaction"]].mean()
    out = pd.DataFrame(index=sums.index)
    out["survey_invitations"] = sums["survey_invitations"]
    out["survey_responses"] = sums["survey_responses"]
    out["response_rate"] = _share(sums["survey_responses"], sums["survey_invitations"])
    out["csat"] = 100.0 * _share(sums["csat_satisfied"], sums["csat_answers"])
    out["nps"] = 100.0 * _share(sums["nps_net"], sums["nps_answers"])
    out["ces"] = means["ces"]
    out["invited_satisfaction"] = means["invited_satisfaction"]
    out["respondent_satisfaction"] = means["respondent_satisfaction"]
    out = out.reset_index()
    return out.drop(columns="_all", errors="ignore")


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    denominator = denominator.astype(np.float64)
    return numerator.astype(np.float64).div(denominator.where(denominator != 0))
