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

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from journeysim.analysis import metrics as m
from journeysim.analysis.metrics import ALL
from journeysim.analysis.paired import (
    CURRENT,
    FUTURE,
    STATES,
    comparison_table,
    kpi_columns,
    paired_statistics,
    paired_values,
)
from journeysim.config import (
    config_hash,
    plain_data,
    run_settings_from_dict,
    with_changes,
)
from journeysim.config.schemas import AdaptiveSchema
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import compile_scenario
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import package_version
from journeysim.simulation.engines import select_engine
from journeysim.simulation.processes import in_processes, portable, restore
from journeysim.simulation.replications import ReplicationRunner
from journeysim.studies.change_notes import change_notes
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
REPLICATIONS_PER_CHUNK = 4


@dataclass(frozen=True)
class Adaptive:
    """Add ``batch`` replications at a time until the confidence interval of the paired
    difference of ``kpi`` (for ``persona``) has a half-width of at most ``target_half_width``,
    or ``max_replications`` is reached."""

    kpi: str = AdaptiveSchema.kpi
    persona: str = AdaptiveSchema.persona
    target_half_width: float = AdaptiveSchema.target_half_width
    max_replications: int = AdaptiveSchema.max_replications
    batch: int = AdaptiveSchema.batch

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "adaptive") -> Adaptive:
        known = set(cls.__dataclass_fields__)
        problems = [Problem(f"{path}.{k}", f"unknown field {k!r} (known fields: {', '.join(known)})") for k in data if k not in known]
        if problems:
            raise ConfigError(problems)
        return cls(**dict(data))

    def check(self, path: str = "adaptive", scenario: Scenario | None = None) -> None:
        """Raise a :class:`ConfigError` naming ``path`` for each bad setting."""
        problems = []
        if self.kpi not in m.KPI_DESCRIPTIONS:
            problems.append(Problem(f"{path}.kpi", f"unknown KPI {self.kpi!r}; KPIs are {', '.join(m.KPI_DESCRIPTIONS)}"))
        if scenario is not None and self.persona != ALL and self.persona not in scenario.personas:
            problems.append(Problem(f"{path}.persona", f"unknown persona {self.persona!r}; personas are {', '.join(scenario.persona_names)}, {ALL}"))
        if not isinstance(self.target_half_width, (int, float)) or not self.target_half_width > 0:
            problems.append(Problem(f"{path}.target_half_width", f"must be a number > 0, got {self.target_half_width!r}"))
        for name, low in (("max_replications", 2), ("batch", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                problems.append(Problem(f"{path}.{name}", f"must be a whole number >= {low}, got {value!r}"))
        if problems:
            raise ConfigError(problems)


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
    # What was asked for (an experiment's name, replications, adaptive rule, pairing,
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

    @property
    def replications(self) -> int:
        return int(self.per_replication["replication"].nunique())

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
    replications: int = 20,
    seed: int | None = None,
    horizon_days: float | None = None,
    arrival_days: float | None = None,
    settings: RunSettings | None = None,
    engine: str | None = None,
    independent: bool = False,
    adaptive: Adaptive | Mapping[str, Any] | None = None,
    confidence: float = 0.95,
    name: str = "",
    question: str = "",
    progress: bool = False,
    details: bool = True,
    changes: Mapping[str, Any] | None = None,
) -> Comparison:
    """Simulate ``current`` and ``future`` (a scenario, or changes to ``current``) in paired
    replications and compare their KPIs.

    Both states of replication *i* use the same seed and replication number: common random
    numbers. ``independent=True`` gives the future state its own seed instead (a benchmark).
    ``adaptive`` adds replications in batches until the interval of one KPI is narrow enough.
    ``details=False`` skips the drop-off, channel-mix, funnel and emotion tables (faster).
    ``changes`` names the changes that made a ``future`` scenario (an experiment's): they are
    recorded, and a change that is shadowed or does nothing is warned about (ChangeWarning)
    and listed in ``notes``, as for changes given as ``future``.
    """
    if not isinstance(future, Scenario):
        changes = future
        future = future_state(current, future)
    changes = plain_data(changes or {})
    if replications < 2:
        raise ConfigError(Problem("replications", f"a comparison needs at least 2 replications for an interval, got {replications}"))
    base = settings or RunSettings()
    overrides = {"seed": seed, "horizon_days": horizon_days, "arrival_days": arrival_days, "engine": engine}
    run = run_settings_from_dict(
        {**asdict(base), **{k: v for k, v in overrides.items() if v is not None}, "replications": replications, "progress": progress}
    )
    if isinstance(adaptive, Mapping):
        adaptive = Adaptive.from_dict(adaptive)
    if adaptive is not None:
        adaptive.check(scenario=current)

    run = replace(run, engine=paired_engine(run.engine, current, future))
    runners = {CURRENT: ReplicationRunner(current, run), FUTURE: ReplicationRunner(future, run, future_seed(run.seed, independent))}
    with_budget = bool(current.budget or future.budget)
    tallies = {state: Tallies(details, channels=with_budget) for state in STATES}
    with tqdm(total=2 * (adaptive.max_replications if adaptive else replications), unit=" runs", desc=f"comparing {name or future.name}",
              disable=not progress, delay=2.0, leave=False) as bar:
        stopping = _run_pairs(runners, tallies, replications, adaptive, confidence, run.workers, bar.update)
    per_replication = per_replication_table(tallies)
    notes = change_notes(current, future, changes)
    for note in notes:
        warnings.warn(f"journeysim: {note}", ChangeWarning, stacklevel=2)
    return Comparison(
        name=name,
        question=question,
        changes=changes,
        current=current,
        future=future,
        settings=run_settings_from_dict({**asdict(run), "replications": stopping["replications"]}),
        independent=independent,
        confidence=confidence,
        per_replication=per_replication,
        table=comparison_table(per_replication, confidence),
        stopping=stopping,
        by_channel=by_channel_table(tallies),
        notes=notes,
        **(detail_tables(tallies[CURRENT], tallies[FUTURE], current.stages) if details else {}),
    )


def _run_pairs(runners, tallies, replications: int, adaptive: Adaptive | None, confidence: float, workers: int, advance) -> dict[str, Any]:
    """Run both states for replications 0, 1, ...: ``replications`` of them, then (adaptive)
    ``batch`` more at a time until the target or the maximum. Returns how it stopped."""
    done = 0
    size = min(replications, adaptive.max_replications) if adaptive else replications
    while True:
        # A few replications at a time: only their tallies are kept, not their event logs.
        chunks = [range(start, min(start + REPLICATIONS_PER_CHUNK, done + size)) for start in range(done, done + size, REPLICATIONS_PER_CHUNK)]
        _run_chunks(runners, tallies, chunks, workers, advance)
        done += size
        if adaptive is None:
            return {"mode": "fixed", "replications": done}
        pairs = paired_values(per_replication_table(tallies), adaptive.kpi, adaptive.persona)
        half_width = paired_statistics(pairs[CURRENT].to_numpy(), pairs[FUTURE].to_numpy(), confidence)["half_width"]
        reached = bool(np.isfinite(half_width) and half_width <= adaptive.target_half_width)
        if reached or done >= adaptive.max_replications:
            return {
                "mode": "adaptive",
                **asdict(adaptive),
                "half_width": float(half_width),
                "replications": done,
                "target_reached": reached,
                "stopped_because": "target half-width reached" if reached else "max_replications reached",
            }
        size = min(adaptive.batch, adaptive.max_replications - done)


def _run_chunks(runners: Mapping[str, ReplicationRunner], tallies: Mapping[str, Tallies], chunks: Sequence[range], workers: int, advance) -> None:
    """Run both states over ``chunks`` of replication numbers into ``tallies``.

    With ``workers > 1`` the (state, chunk) tasks run in that many processes; each returns
    its chunk's small tables (not its event log), merged in task order, so the result is the
    same table for any number of workers.
    """
    tasks = [(state, chunk) for chunk in chunks for state in STATES]
    if workers <= 1:
        for state, chunk in tasks:
            tallies[state].add_run(runners[state].run(chunk), runners[state].scenario)
            advance(len(chunk))
        return
    sources = {state: portable(runners[state].scenario) for state in STATES}
    arguments = [(sources[state], runners[state].settings, chunk, tallies[state].empty_like()) for state, chunk in tasks]
    for (state, chunk), partial in zip(tasks, in_processes(_chunk_tallies, arguments, workers)):
        tallies[state].extend(partial)
        advance(len(chunk))


def _chunk_tallies(source: Mapping[str, Any], settings: RunSettings, chunk: range, tallies: Tallies) -> Tallies:
    """One state's chunk in a worker process: its tallies (small tables), not its event log."""
    scenario = restore(source)
    tallies.add_run(ReplicationRunner(scenario, settings).run(chunk), scenario)
    return tallies


def paired_engine(engine: str, *scenarios: Scenario) -> str:
    """The one engine every state of a comparison runs on. ``auto`` resolves per scenario
    (the vectorised engine when it is exact), so a change that adds or removes a queue could
    put the two states on different engines; then all of them use SimPy."""
    if engine != "auto":
        return engine
    names = {select_engine("auto", compile_scenario(scenario)).name for scenario in scenarios}
    return names.pop() if len(names) == 1 else "simpy"
