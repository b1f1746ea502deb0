"""Attribution as tracking degrades: every model's error against the truth, by consent rate.

Attribution models read the paths a brand records. :func:`attribution_under_tracking`
simulates a scenario once, measures each channel's true incremental conversions by removing
it (:func:`journeysim.studies.incrementality.channel_incrementality`, common random numbers),
then observes the same run at each consent rate (:func:`journeysim.simulation.observation.observe`,
with the rest of the observation model as given) and scores every attribution model on the
observed paths against that one truth (:func:`journeysim.analysis.attribution_scores.compare_with_truth`):
the misallocated share of credit and the rank correlation. The run and the truth are the
same at every rate, and a customer who refuses at one rate refuses at every lower one, so
the curves differ by tracking alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.attribution import attribute_all
from journeysim.analysis.attribution_scores import compare_with_truth
from journeysim.analysis.paths import paths_from_events
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import compile_scenario
from journeysim.model.observation import FULL_VISIBILITY, Observation
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.engines import select_engine
from journeysim.simulation.observation import observe
from journeysim.simulation.replications import ReplicationRunner
from journeysim.studies.incrementality import (
    DEFAULT_ARRIVAL_SHARE,
    DEFAULT_HORIZON_DAYS,
    channel_incrementality,
)

CONSENT_RATES = (1.0, 0.8, 0.6, 0.4, 0.2, 0.0)


@dataclass
class TrackingStudy:
    """What :func:`attribution_under_tracking` found. ``scores``: one row per (consent rate,
    model) with ``misallocated_share`` (0.5 x sum |credit share - true share|), ``spearman``,
    ``observed_conversions`` (conversions the observed paths show, per replication) and
    ``true_conversions``; ``credits``: every model's credit per channel at each rate beside
    the truth; ``truth``: the channel incrementality table."""

    scores: pd.DataFrame
    credits: pd.DataFrame
    truth: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def attribution_under_tracking(
    scenario: Scenario,
    consent_rates: Sequence[float] = CONSENT_RATES,
    replications: int = 5,
    seed: int = 0,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
    arrival_days: float | None = None,
    *,
    observation: Observation | None = None,
    engine: str | None = None,
    log: Callable[[str], None] | None = None,
) -> TrackingStudy:
    """Score every attribution model on the paths observed at each consent rate against the
    simulated truth (see the module docstring). ``observation`` gives the rest of the
    observation model (default: the scenario's, else full visibility); its consent rate is
    replaced by each of ``consent_rates``. ``arrival_days`` defaults to two thirds of the
    horizon, as for the incrementality study."""
    rates = [float(rate) for rate in consent_rates]
    bad = [rate for rate in rates if not 0.0 <= rate <= 1.0]
    if not rates or bad:
        raise ConfigError(Problem("consent_rates", f"must be probabilities in [0, 1], got {list(consent_rates)!r}"))
    arrival = horizon_days * DEFAULT_ARRIVAL_SHARE if arrival_days is None else arrival_days
    engine = engine or select_engine("auto", compile_scenario(scenario)).name
    truth = channel_incrementality(scenario, replications, seed, horizon_days, arrival, engine=engine, log=log)
    settings = RunSettings(seed=seed, horizon_days=horizon_days, arrival_days=arrival, engine=engine, progress=False)
    result = ReplicationRunner(scenario, settings).run(replications, keep_events=True)
    base = observation if observation is not None else scenario.observation or FULL_VISIBILITY
    true_conversions = float((result.customers["outcome"] == "converted").sum()) / replications
    score_tables, credit_tables = [], []
    for rate in rates:
        if log is not None:
            log(f"{scenario.name}: attribution at consent rate {rate:g}")
        observed = observe(scenario, result.events, result.customers, seed, replace(base, consent_rate=rate))
        paths = paths_from_events(observed.assign(customer_id=observed["observed_id"], persona=pd.NA))
        seen = float(paths["total_conversions"].sum()) / replications
        if not len(paths) or seen == 0:
            score_tables.append(pd.DataFrame({"model": [], "misallocated_share": [], "spearman": []}).assign(consent_rate=rate, observed_conversions=seen))
            continue
        credits = attribute_all(paths, rng=np.random.default_rng(seed))
        comparison, scores = compare_with_truth(credits, truth, replications)
        credit_tables.append(comparison.assign(consent_rate=rate))
        score_tables.append(scores.assign(consent_rate=rate, observed_conversions=seen))
    scores = pd.concat(score_tables, ignore_index=True).assign(true_conversions=true_conversions)
    scores = scores[["consent_rate", "model", "misallocated_share", "spearman", "observed_conversions", "true_conversions"]]
    credits = pd.concat(credit_tables, ignore_index=True) if credit_tables else pd.DataFrame()
    metadata = {"scenario": scenario.name, "seed": seed, "replications": replications, "horizon_days": horizon_days,
                "arrival_days": arrival, "engine": engine, "observation": base}  # fmt: skip
    return TrackingStudy(scores, credits, truth, metadata)
