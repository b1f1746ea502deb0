"""Ground truth for attribution: what each channel, and each stage's friction, really adds.

The simulator can answer what attribution models only estimate from paths: run the journey
without a channel and count the conversions that disappear. Every variant is simulated
with the same seed as the full scenario, so replication *i* of both runs has the same
arrivals and the same random numbers per customer, touch and purpose (common random
numbers, :mod:`journeysim.simulation.random_streams`); differences are taken replication by
replication and summarised by their mean and 95 % t-interval.

* :func:`channel_incrementality`: for each channel, the full run minus the run where the
  channel is unavailable at every stage (customers choose among the remaining channels by
  affinity). A channel whose removal leaves some persona without a usable channel at a
  stage is *essential* for that persona: all of its conversions count as incremental.
* :func:`friction_incrementality`: for each journey stage, the run with every touchpoint's
  friction at that stage set to 0 (persona overrides included) minus the full run.
* :func:`attribution_vs_truth`: every attribution model's credit next to the truth, with
  a misallocation score per model (:mod:`journeysim.analysis.attribution_scores`); the
  command ``journeysim-attribution`` (:mod:`journeysim.cli.attribution`) runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis import metrics as m
from journeysim.analysis.attribution import attribute_all
from journeysim.analysis.attribution_scores import compare_with_truth, positive_shares
from journeysim.analysis.intervals import t_half_width
from journeysim.analysis.paths import paths_from_events
from journeysim.config import with_changes
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import compile_scenario
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.engines import select_engine
from journeysim.simulation.replications import ReplicationRunner
from journeysim.simulation.runner import SimulationResult
from journeysim.studies.removal import (
    candidate_channels,
    channel_removal_changes,
    friction_removal_changes,
    frictions_at,
    removal_note,
    stranded_personas,
)

CONFIDENCE = 0.95
DEFAULT_HORIZON_DAYS = 90.0
# Arrivals stop before the horizon so that most journeys end (convert or drop) inside it.
DEFAULT_ARRIVAL_SHARE = 2.0 / 3.0
Log = Callable[[str], None]


# ---------------------------------------------------------------- paired runs


@dataclass(frozen=True)
class _Plan:
    """The run settings every variant of a study shares (same seed: common random numbers)."""

    replications: int
    seed: int
    horizon_days: float
    arrival_days: float
    engine: str | None = None

    def run(self, scenario: Scenario, keep_events: bool = False) -> SimulationResult:
        settings = RunSettings(seed=self.seed, horizon_days=self.horizon_days, arrival_days=self.arrival_days, engine=self.engine or "auto")
        return ReplicationRunner(scenario, settings).run(self.replications, keep_events=keep_events)

    def outcomes(self, scenario: Scenario, result: SimulationResult | None = None) -> pd.DataFrame:
        """Conversions, revenue (and loyal customers, when the scenario has a loyalty model) per
        (replication, persona), zero-filled for personas without arrivals."""
        result = result if result is not None else self.run(scenario)
        kpis = result.metrics(by=("replication",))
        kpis = kpis.loc[kpis["persona"] != m.ALL]
        kpis = kpis.set_index(["replication", "persona"])
        table = kpis[["converted", "revenue"]].rename(columns={"converted": "conversions"}).astype(float)
        if any(p.loyalty is not None for p in scenario.personas.values()):
            table["loyal"] = m.loyal_customers(kpis)
        grid = pd.MultiIndex.from_product([range(self.replications), scenario.persona_names], names=["replication", "persona"])
        return table.reindex(grid, fill_value=0.0)


def _plan(scenario: Scenario, replications: int, seed: int, horizon_days: float, arrival_days: float | None, engine: str | None) -> _Plan:
    arrival = horizon_days * DEFAULT_ARRIVAL_SHARE if arrival_days is None else arrival_days
    if engine is None:
        # Chosen once, on the full scenario, so that every variant runs on the same engine
        # (removing a channel or a friction never adds a feature the engine cannot run).
        engine = select_engine("auto", compile_scenario(scenario)).name
    return _Plan(int(replications), int(seed), float(horizon_days), float(arrival), engine)


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high): the t-interval of the mean of ``values`` (NaN bounds for one value)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean()) if len(values) else np.nan
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = t_half_width(values.std(ddof=1), len(values), confidence)
    return mean, mean - half, mean + half


def _differences(effect: pd.DataFrame) -> pd.DataFrame:
    """Per-replication totals over personas of a (replication, persona) difference table."""
    return effect.groupby(level="replication").sum()


def _summary(per_replication: pd.DataFrame) -> dict[str, float]:
    """incremental_<metric>, _ci_low, _ci_high for each metric column of a per-replication table."""
    row: dict[str, float] = {}
    for metric in per_replication.columns:
        mean, low, high = t_interval(per_replication[metric].to_numpy())
        row[f"incremental_{metric}"] = mean
        row[f"incremental_{metric}_ci_low"] = low
        row[f"incremental_{metric}_ci_high"] = high
    return row


def paired_differences(
    scenario: Scenario,
    variant: Scenario,
    replications: int = 10,
    seed: int = 0,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
    arrival_days: float | None = None,
    engine: str | None = None,
) -> pd.DataFrame:
    """One row per replication: conversions (and revenue, loyal) of ``scenario`` minus those of
    ``variant``, both run with the same seed. Columns ``replication``, ``conversions``,
    ``variant_conversions``, ``incremental_conversions``, ``incremental_revenue`` (and
    ``incremental_loyal``)."""
    plan = _plan(scenario, replications, seed, horizon_days, arrival_days, engine)
    full, changed = plan.outcomes(scenario), plan.outcomes(variant)
    difference = _differences(full - changed).add_prefix("incremental_")
    table = pd.concat(
        [_differences(full)[["conversions"]], _differences(changed)[["conversions"]].add_prefix("variant_"), difference], axis=1
    )
    return table.reset_index()


# ---------------------------------------------------------------- channel removal


def channel_incrementality(
    scenario: Scenario,
    replications: int = 10,
    seed: int = 0,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
    arrival_days: float | None = None,
    channels: Sequence[str] | None = None,
    *,
    engine: str | None = None,
    log: Log | None = None,
) -> pd.DataFrame:
    """Simulated incremental effect of each channel: the full run minus the run without it.

    One row per channel: ``baseline_conversions`` and ``removed_conversions`` (means per
    replication), ``incremental_conversions`` with its 95 % t-interval over paired
    replications (``_ci_low``, ``_ci_high``), ``removal_effect`` (incremental / baseline
    conversions), ``share_of_incremental`` (max(incremental, 0) over the sum of those of all
    channels), ``incremental_revenue`` (and ``incremental_loyal`` when the scenario has a
    loyalty model) with intervals, ``replications`` and ``note``. ``arrival_days`` defaults
    to two thirds of the horizon.
    """
    plan = _plan(scenario, replications, seed, horizon_days, arrival_days, engine)
    chosen = _check_names(candidate_channels(scenario) if channels is None else channels, scenario.channel_names, "channels")
    _log(log, f"{scenario.name}: full run ({plan.replications} replications)")
    return _channel_table(scenario, plan, plan.outcomes(scenario), chosen, log)


def _channel_table(scenario: Scenario, plan: _Plan, full: pd.DataFrame, channels: Sequence[str], log: Log | None) -> pd.DataFrame:
    rows = []
    baseline = _differences(full)
    for index, channel in enumerate(channels, start=1):
        _log(log, f"{scenario.name}: without {channel} ({index}/{len(channels)})")
        stranded = stranded_personas(scenario, channel)
        row = {"channel": channel, "baseline_conversions": baseline["conversions"].mean()}
        if len(stranded) == len(scenario.personas):
            effect = full.copy()  # essential for everyone: nothing left to simulate
        else:
            try:
                variant = with_changes(scenario, channel_removal_changes(scenario, channel, keep_for=tuple(stranded)))
            except ConfigError as error:  # a reason the essential-channel check does not cover
                rows.append({**row, "replications": plan.replications, "note": f"cannot be removed: {error.render()}"})
                continue
            effect = full - plan.outcomes(variant)
            lost_personas = effect.index.get_level_values("persona").isin(list(stranded))
            effect.loc[lost_personas] = full.loc[lost_personas]
        per_replication = _differences(effect)
        row.update(_summary(per_replication))
        row["removed_conversions"] = row["baseline_conversions"] - row["incremental_conversions"]
        row["replications"] = plan.replications
        row["note"] = removal_note(scenario, channel, stranded)
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["removal_effect"] = table["incremental_conversions"] / table["baseline_conversions"].where(table["baseline_conversions"] > 0)
    table["share_of_incremental"] = positive_shares(table["incremental_conversions"])
    leading = ["channel", "baseline_conversions", "removed_conversions", "incremental_conversions",
               "incremental_conversions_ci_low", "incremental_conversions_ci_high", "removal_effect", "share_of_incremental"]
    trailing = ["replications", "note"]
    return table[leading + [c for c in table.columns if c not in leading + trailing] + trailing]


def friction_incrementality(
    scenario: Scenario,
    replications: int = 10,
    seed: int = 0,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
    arrival_days: float | None = None,
    stages: Sequence[str] | None = None,
    *,
    engine: str | None = None,
    log: Log | None = None,
) -> pd.DataFrame:
    """Conversions gained by removing all friction at each journey stage (frictionless minus full).

    One row per stage: ``frictions_removed`` (touchpoints with friction > 0 there, over all
    personas' maps), ``baseline_conversions``, ``frictionless_conversions``,
    ``incremental_conversions`` (+ interval), ``incremental_revenue`` (+ interval), and for
    comparison with :func:`journeysim.analysis.metrics.dropoff_by_stage` of the full run: ``lost_at_stage``
    and ``lost_to_friction_at_stage`` (means per replication) and ``recovered_share``
    (incremental conversions / customers lost to friction there).
    """
    plan = _plan(scenario, replications, seed, horizon_days, arrival_days, engine)
    chosen = _check_names(scenario.journey_stages if stages is None else stages, scenario.journey_stages, "stages")
    _log(log, f"{scenario.name}: full run ({plan.replications} replications)")
    result = plan.run(scenario)
    return _friction_table(scenario, plan, plan.outcomes(scenario, result), result.customers, chosen, log)


def _friction_table(scenario, plan: _Plan, full: pd.DataFrame, customers: pd.DataFrame, stages: Sequence[str], log: Log | None) -> pd.DataFrame:
    dropoff = m.dropoff_by_stage(customers)
    dropoff = dropoff.loc[dropoff["persona"] == m.ALL].set_index("stage")
    baseline = _differences(full)
    rows = []
    for index, stage in enumerate(stages, start=1):
        count = frictions_at(scenario, stage)
        row: dict[str, Any] = {"stage": stage, "frictions_removed": count, "baseline_conversions": baseline["conversions"].mean()}
        if count == 0:
            row.update(_summary(_differences(full) * 0.0))  # the variant would be the same scenario: no change
            note = "no friction at this stage"
        else:
            _log(log, f"{scenario.name}: no friction at {stage} ({index}/{len(stages)})")
            variant = with_changes(scenario, friction_removal_changes(scenario, stage))
            row.update(_summary(_differences(plan.outcomes(variant) - full)))
            note = ""
        row["frictionless_conversions"] = row["baseline_conversions"] + row["incremental_conversions"]
        row["lost_at_stage"] = float(dropoff["lost"].get(stage, 0)) / plan.replications
        row["lost_to_friction_at_stage"] = float(dropoff["lost_to_friction"].get(stage, 0)) / plan.replications
        lost = row["lost_to_friction_at_stage"]
        row["recovered_share"] = row["incremental_conversions"] / lost if lost > 0 and count > 0 else np.nan
        if count == 0 and lost > 0:
            note += "; its friction losses come from channel switches or queues, not from touchpoints"
        row["replications"] = plan.replications
        row["note"] = note
        rows.append(row)
    table = pd.DataFrame(rows)
    leading = ["stage", "frictions_removed", "baseline_conversions", "frictionless_conversions", "incremental_conversions",
               "incremental_conversions_ci_low", "incremental_conversions_ci_high"]
    trailing = ["lost_at_stage", "lost_to_friction_at_stage", "recovered_share", "replications", "note"]
    return table[leading + [c for c in table.columns if c not in leading + trailing] + trailing] if rows else table


# ---------------------------------------------------------------- attribution against the truth


@dataclass
class AttributionStudy:
    """Attribution models against simulated ground truth.

    ``credits``: one row per (channel, model): ``credited_conversions`` (per replication),
    ``credit_share``, ``true_incremental_conversions`` with ``truth_ci_low``/``truth_ci_high``
    and ``truth_share``. ``scores``: one row per model, ``misallocated_share`` and
    ``spearman``. ``channels`` and ``friction``: the incrementality tables. ``paths``: the
    full run's path table (all replications pooled).
    """

    credits: pd.DataFrame
    scores: pd.DataFrame
    channels: pd.DataFrame
    friction: pd.DataFrame | None
    paths: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    def figure(self):
        from journeysim.reporting.attribution_figures import attribution_truth_figure

        return attribution_truth_figure(self.credits, self.scores, title=f"Attribution versus simulated truth: {self.metadata.get('scenario', '')}")

    def summary(self) -> str:
        """The readable text report: truth, credit shares, scores, friction."""
        from journeysim.reporting.attribution_figures import study_text

        return study_text(self.credits, self.scores, self.channels, self.friction, self.metadata)


def attribution_vs_truth(
    scenario: Scenario,
    replications: int = 10,
    seed: int = 0,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
    arrival_days: float | None = None,
    *,
    include_friction: bool = True,
    engine: str | None = None,
    log: Log | None = None,
) -> AttributionStudy:
    """Simulate ``scenario``, attribute its paths with every model, and compare with the truth
    (:func:`channel_incrementality` over every channel a persona can choose)."""
    plan = _plan(scenario, replications, seed, horizon_days, arrival_days, engine)
    _log(log, f"{scenario.name}: full run ({plan.replications} replications)")
    result = plan.run(scenario, keep_events=True)
    full = plan.outcomes(scenario, result)
    paths = paths_from_events(result.events)
    # Shapley values are sampled beyond 15 channels; a fixed generator keeps the study reproducible.
    credits = attribute_all(paths, rng=np.random.default_rng(plan.seed))
    truth = _channel_table(scenario, plan, full, candidate_channels(scenario), log)
    friction = _friction_table(scenario, plan, full, result.customers, scenario.journey_stages, log) if include_friction else None
    comparison, scores = compare_with_truth(credits, truth, plan.replications)
    metadata = {
        **result.metadata,
        "arrival_days": plan.arrival_days,
        "customers_per_replication": len(result.customers) / plan.replications,
        "conversions_per_replication": float(_differences(full)["conversions"].mean()),
    }
    return AttributionStudy(comparison, scores, truth, friction, paths, metadata)


# ---------------------------------------------------------------- helpers


def _check_names(names: Sequence[str], known: Sequence[str], what: str) -> tuple[str, ...]:
    names = tuple(names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(Problem(what, f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(known)}"))
    return names


def _log(log: Log | None, message: str) -> None:
    if log is not None:
        log(message)
