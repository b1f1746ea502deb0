"""Current state vs future state: paired replications with common random numbers.

:func:`compare` simulates both states for replications 0, 1, ... with the same seed, so
replication *i* of the future state meets the same customers with the same random numbers
as replication *i* of the current state (see :mod:`journeysim.simulation.random_streams`). A customer
whose situation the change does not touch behaves identically in both, so the paired
per-replication difference of a KPI varies far less than the difference of two independent
runs, and a future state equal to the current one differs by exactly zero.

Results are tables (:class:`Comparison`): per-replication KPIs of both states, the paired
comparison with t-intervals, where the change comes from (drop-off by stage x channel, the
channel mix) and what the journey looks like (funnels, emotion along the stages). Figures
are drawn from these tables by :mod:`journeysim.reporting.comparison_figures`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from journeysim.analysis.metrics import ALL
from journeysim.analysis.paired import (
    CURRENT,
    FUTURE,
    STATES,
    comparison_table,
    kpi_columns,
    paired_values,
)
from journeysim.config import (
    config_hash,
    plain_data,
    run_settings_from_dict,
    with_changes,
)
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import compile_scenario
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import package_version
from journeysim.simulation.engines import select_engine
from journeysim.simulation.progress_bars import progress_bar
from journeysim.simulation.replications import ReplicationRunner
from journeysim.studies.change_notes import change_notes
from journeysim.studies.paired_runs import Headline, run_states, state_engines
from journeysim.studies.precision import Precision
from journeysim.studies.tallies import (
    Tallies,
    by_channel_table,
    detail_tables,
    per_replication_table,
)


class ChangeWarning(UserWarning):
    """A study's change is shadowed, does nothing, or adds a channel nobody uses."""


# With ``independent=True`` the future state runs with seed + this offset: the benchmark of
# what common random numbers buy (the offset seed shares no stream with the run seed).
INDEPENDENT_SEED_OFFSET = 1_000_003


@dataclass
class Comparison:
    """The result of :func:`compare`. Tables:

    * ``per_replication``: KPIs per state, replication and persona (``state`` column);
    * ``table``: one row per KPI x persona: means of both states, the mean paired difference,
      its t-interval, whether that excludes zero, and the number of paired replications;
    * ``dropoff``: per persona, stage and channel, lost customers and touches per arrival in
      both states and their difference;
    * ``channel_mix``: per persona and channel, share of touches and of purchases;
    * ``funnels``: share of arrivals reaching each stage, per state and persona;
    * ``emotion``: mean emotion of experiences (touches, queue abandonments, repeat
      purchases) at each stage, per state and persona.
    """

    name: str
    question: str
    changes: dict[str, Any]
    current: Scenario = field(repr=False)
    future: Scenario = field(repr=False)
    settings: RunSettings
    independent: bool
    confidence: float
    per_replication: pd.DataFrame = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    dropoff: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    channel_mix: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    funnels: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    emotion: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    stopping: dict[str, Any] = field(default_factory=dict)
    # Changes applied to both states before the comparison (an experiment's assumptions).
    assumptions: dict[str, Any] = field(default_factory=dict)
    # What was asked for (an experiment's name, replications or precision rule, pairing,
    # confidence): with the config hashes, it tells whether a folder holds this study's result.
    request: dict[str, Any] = field(default_factory=dict)
    # Per state, replication and channel that brought the customers (paid channels,
    # organic, referral, all): journeysim.analysis.channels.channel_table of the same runs.
    by_channel: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    # Changes that are shadowed or do nothing, channels nobody uses (studies.change_notes).
    notes: list[str] = field(default_factory=list)
    # An experiment read from a study file: where each change comes from ("study file",
    # "command line", "caller"), the file's changes left out, and the title that says so
    # (studies.experiment.experiment_title; "" means the name's words).
    change_origins: dict[str, str] = field(default_factory=dict)
    removed_changes: dict[str, Any] = field(default_factory=dict)
    heading: str = ""
    # The engine each state ran on (``current``, ``future``: studies.paired_runs.state_engines)
    # and how long the study took, in seconds of wall-clock time.
    engines: dict[str, str] = field(default_factory=dict)
    elapsed_seconds: float = float("nan")

    @property
    def replications(self) -> int:
        return int(self.per_replication["replication"].nunique())

    @property
    def options(self) -> dict[str, Comparison]:
        """The futures compared with the current state, by name: here the one future state
        (``{"future": self}``). A study of several options
        (:class:`journeysim.studies.options.OptionsComparison`) has one per option, so a report
        can draw either kind the same way."""
        return {FUTURE: self}

    @property
    def kpis(self) -> list[str]:
        return kpi_columns(self.per_replication)

    def row(self, kpi: str, persona: str = ALL) -> pd.Series:
        """The comparison row of one KPI and persona."""
        rows = self.table.loc[(self.table["kpi"] == kpi) & (self.table["persona"] == persona)]
        if rows.empty:
            raise KeyError(f"no comparison row for kpi {kpi!r}, persona {persona!r}")
        return rows.iloc[0]

    def differences(self, kpi: str, persona: str = ALL) -> pd.Series:
        """Per-replication future - current of one KPI (index: replication)."""
        pairs = paired_values(self.per_replication, kpi, persona)
        return pairs[FUTURE] - pairs[CURRENT]

    def metadata(self) -> dict[str, Any]:
        """What ``run.json`` records: both config hashes, seed, replications, the changes."""
        return {
            "experiment": self.name,
            "title": self.title,
            "question": self.question,
            "scenario": self.current.name,
            "current_config_hash": config_hash(dict(self.current.source)),
            "future_config_hash": config_hash(dict(self.future.source)),
            "changes": self.changes,
            "change_origins": self.change_origins,
            "removed_changes": self.removed_changes,
            "assumptions": self.assumptions,
            "seed": self.settings.seed,
            "future_seed": future_seed(self.settings.seed, self.independent),
            "common_random_numbers": not self.independent,
            "replications": self.replications,
            "horizon_days": self.settings.horizon_days,
            "arrival_days": self.settings.arrival_window_days,
            "engine": self.settings.engine,
            "engines": self.engines,
            "confidence": self.confidence,
            "stopping": self.stopping,
            "request": self.request,
            "journeysim_version": package_version(),
        }

    def summary(self) -> str:
        from journeysim.reporting.comparison_summary import comparison_text

        return comparison_text(self)

    # Figures (drawn from the tables above only).
    def funnels_figure(self):
        from journeysim.reporting.comparison_figures import funnels_figure

        stages = [*self.future.journey_stages, "converted", *self.future.post_purchase_stages]
        return funnels_figure(self.funnels, title=self.title, stages=stages)

    def forest_figure(self, persona: str = ALL):
        from journeysim.reporting.comparison_figures import forest_figure

        return forest_figure(self.table, persona=persona, title=self.title, confidence=self.confidence)

    def dropoff_figure(self):
        from journeysim.reporting.comparison_figures import dropoff_figure

        return dropoff_figure(self.dropoff, self.future.stages, self.future.channel_names, title=self.title)

    def emotion_lane_figure(self):
        from journeysim.reporting.comparison_figures import emotion_lane_figure

        return emotion_lane_figure(self.emotion, self.future.stages, title=self.title)

    def figures(self) -> dict[str, Any]:
        """Every figure, keyed by its file name."""
        return {
            "funnels.png": self.funnels_figure(),
            "forest.png": self.forest_figure(),
            "dropoff_difference.png": self.dropoff_figure(),
            "emotion_lane.png": self.emotion_lane_figure(),
        }

    @property
    def title(self) -> str:
        return self.heading or (self.name or f"{self.current.name}: future state").replace("_", " ")


def future_state(current: Scenario, changes: Mapping[str, Any], path: str = "changes") -> Scenario:
    """The current scenario with ``changes`` deep-merged in, validated; problems are reported
    under ``path`` (``changes.touchpoints.purchase.website.friction: ...``). See
    :func:`journeysim.config.with_changes`."""
    return with_changes(current, changes, path=path)


def future_seed(seed: int, independent: bool) -> int:
    return seed + INDEPENDENT_SEED_OFFSET if independent else seed


def compare(
    current: Scenario,
    future: Scenario | Mapping[str, Any],
    *,
    replications: int | None = None,
    precision: Precision | Mapping[str, Any] | None = None,
    seed: int | None = None,
    horizon_days: float | None = None,
    arrival_days: float | None = None,
    settings: RunSettings | None = None,
    engine: str | None = None,
    independent: bool = False,
    confidence: float = 0.95,
    name: str = "",
    question: str = "",
    progress: bool = False,
    details: bool = True,
    changes: Mapping[str, Any] | None = None,
    headline: Headline | None = None,
) -> Comparison:
    """Simulate ``current`` and ``future`` (a scenario, or changes to ``current``) in paired
    replications and compare their KPIs.

    Both states of replication *i* use the same seed and replication number: common random
    numbers. ``independent=True`` gives the future state its own seed instead (a benchmark).
    ``replications`` runs exactly that many pairs; otherwise ``precision`` (default
    :class:`~journeysim.studies.precision.Precision`'s defaults: the conversion difference to
    +-0.5 pp) adds pairs in batches until the interval of its KPI is narrow enough;
    ``headline`` replaces that KPI with values of one's own (per replication, from the
    per-replication table: the budget optimiser's objective). With ``engine="auto"`` each
    state runs on the vectorised engine when it can (:func:`state_engines`).
    ``details=False`` skips the drop-off, channel-mix, funnel and emotion tables (faster).
    ``changes`` names the changes that made a ``future`` scenario (an experiment's): they are
    recorded, and a change that is shadowed or does nothing is warned about (ChangeWarning)
    and listed in ``notes``, as for changes given as ``future``.
    """
    started = time.perf_counter()
    if not isinstance(future, Scenario):
        changes = future
        future = future_state(current, future)
    changes = plain_data(changes or {})
    overrides = {"seed": seed, "horizon_days": horizon_days, "arrival_days": arrival_days, "engine": engine}
    run, precision = study_plan(current, settings, replications, precision, overrides, progress, custom_headline=headline is not None)
    scenarios = {CURRENT: current, FUTURE: future}
    engines = state_engines(run.engine, scenarios)
    seeds = {CURRENT: run.seed, FUTURE: future_seed(run.seed, independent)}
    runners = {state: ReplicationRunner(scenarios[state], replace(run, engine=engines[state]), seeds[state]) for state in STATES}
    tallies = {state: Tallies(details, channels=bool(current.budget or future.budget)) for state in STATES}
    watched = headline or kpi_headline(precision, [FUTURE])
    with progress_bar(total=0, unit=" runs", desc=f"comparing {name or future.name}", disable=not progress, delay=2.0, leave=False) as bar:
        stopping = run_states(runners, tallies, replications=replications, precision=precision, headline=watched, confidence=confidence,
                              settings=run, advance=bar.update, planned=lambda runs: setattr(bar, "total", bar.total + runs))
    notes = change_notes(current, future, changes)
    for note in notes:
        warnings.warn(f"journeysim: {note}", ChangeWarning, stacklevel=2)
    comparison = paired_comparison(tallies[CURRENT], tallies[FUTURE], current=current, future=future, run=run, engines=engines, stopping=stopping,
                                   confidence=confidence, details=details, name=name, question=question, changes=changes,
                                   independent=independent, notes=notes)
    comparison.elapsed_seconds = time.perf_counter() - started
    return comparison


def study_plan(
    current: Scenario,
    settings: RunSettings | None,
    replications: int | None,
    precision: Precision | Mapping[str, Any] | None,
    overrides: Mapping[str, Any],
    progress: bool,
    *,
    custom_headline: bool = False,
) -> tuple[RunSettings, Precision | None]:
    """A study's run settings (``settings`` with the non-None ``overrides``) and its stopping
    rule: None for a fixed number of ``replications`` (>= 2), else ``precision`` or, when
    neither is given, the default :class:`Precision`. Giving both is a mistake."""
    if replications is not None and precision is not None:
        raise ConfigError(Problem("replications", f"give replications (a fixed number, got {replications!r}) or precision (as many as it needs), not both"))
    if replications is not None and (isinstance(replications, bool) or not isinstance(replications, int) or replications < 2):
        raise ConfigError(Problem("replications", f"a comparison needs at least 2 replications for an interval, got {replications!r}"))
    if isinstance(precision, Mapping):
        precision = Precision.from_dict(precision, kpis=[precision.get("kpi", Precision.kpi)] if custom_headline else None)
    if replications is None and precision is None:
        precision = Precision()
    if precision is not None:
        precision.check("precision", scenario=current, kpis=[precision.kpi] if custom_headline else None)
    base = settings or RunSettings()
    planned = replications if precision is None else precision.max_replications
    run = run_settings_from_dict({**asdict(base), **{k: v for k, v in overrides.items() if v is not None}, "replications": planned, "progress": progress})
    return run, precision


def kpi_headline(precision: Precision | None, options: list[str]) -> Headline:
    """The precision rule's headline: ``precision.kpi`` of ``precision.persona``, the current
    state's and each option's per replication (NaN where a state has no row)."""
    if precision is None:
        return lambda table: []

    def headline(table: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
        rows = table.loc[table["persona"] == precision.persona]
        wide = rows.pivot(index="replication", columns="state", values=precision.kpi).reindex(columns=[CURRENT, *options]).astype(np.float64)
        return [(wide[CURRENT].to_numpy(), wide[option].to_numpy()) for option in options]

    return headline


def paired_comparison(current_tallies: Tallies, future_tallies: Tallies, *, current: Scenario, future: Scenario, run: RunSettings,
                      engines: Mapping[str, str], stopping: dict[str, Any], confidence: float, details: bool, **fields: Any) -> Comparison:
    """The :class:`Comparison` of two states' tallies (``fields``: its name, question, changes,
    independent, notes); a study of several options builds one per option so."""
    pair = {CURRENT: current_tallies, FUTURE: future_tallies}
    per_replication = per_replication_table(pair)
    return Comparison(
        current=current,
        future=future,
        settings=run_settings_from_dict({**asdict(run), "replications": stopping["replications"]}),
        confidence=confidence,
        per_replication=per_replication,
        table=comparison_table(per_replication, confidence),
        stopping=stopping,
        by_channel=by_channel_table(pair),
        engines={CURRENT: engines[CURRENT], FUTURE: engines[FUTURE]},
        **fields,
        **(detail_tables(current_tallies, future_tallies, current.stages) if details else {}),
    )


def paired_engine(engine: str, *scenarios: Scenario) -> str:
    """One engine for all of ``scenarios`` (for studies that want a single one; a comparison
    picks per state, :func:`journeysim.studies.paired_runs.state_engines`). ``auto`` resolves
    per scenario (the vectorised engine when it is exact); when they differ, SimPy."""
    if engine != "auto":
        return engine
    names = {select_engine("auto", compile_scenario(scenario)).name for scenario in scenarios}
    return names.pop() if len(names) == 1 else "simpy"
