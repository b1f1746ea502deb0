"""Several options in one study: a list of future states against one current state.

:func:`compare_options` simulates the current state once and every option beside it, in
paired replications with common random numbers: replication *i* of every option meets the
customers of replication *i* of the current state with the same random numbers, as in
:func:`journeysim.studies.comparison.compare`. Each option's difference from the current
state gets its paired t-interval and test, adjusted for the number of options *m*, so that a
study of five options does not find a winner by chance more often than one of one:

* **intervals: Bonferroni.** Each option's interval of a KPI difference is taken at
  confidence ``1 - (1 - confidence) / m``, so the *m* intervals of a KPI hold together with
  at least ``confidence``, whatever the dependence between the options (they share the
  current state's runs).
* **tests: Holm.** Whether an option's difference is non-zero is decided by Holm's
  step-down procedure on the *m* paired t-tests' p-values (``p_value_holm``,
  ``significant``): the same family-wise error rate as Bonferroni, and never less power.
  An interval that excludes zero is always significant; Holm may also find a difference
  whose Bonferroni interval just touches zero.

The family is the options of one KPI and persona; the study's precision rule watches every
option's headline interval at the adjusted confidence.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from journeysim.analysis.metrics import ALL
from journeysim.analysis.paired import CURRENT, FUTURE, kpi_columns
from journeysim.config import config_hash, plain_data
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import package_version
from journeysim.simulation.progress_bars import progress_bar
from journeysim.simulation.replications import ReplicationRunner
from journeysim.studies.change_notes import change_notes
from journeysim.studies.comparison import (
    ChangeWarning,
    Comparison,
    future_state,
    kpi_headline,
    paired_comparison,
    study_plan,
)
from journeysim.studies.paired_runs import run_states, state_engines
from journeysim.studies.precision import Precision
from journeysim.studies.tallies import Tallies, per_replication_table

INTERVAL_METHOD = "bonferroni"
TEST_METHOD = "holm"
# Names an option may not take: they are the current state's, or every persona's.
RESERVED_NAMES = (CURRENT, FUTURE, ALL)
OPTION_COLUMNS = [
    "option", "kpi", "persona", "current", "future", "difference", "relative_change", "ci_low", "ci_high", "half_width",
    "excludes_zero", "p_value", "p_value_holm", "significant", "replications", "options", "interval_confidence",
    "interval_method", "test_method",
]  # fmt: skip


@dataclass
class OptionsComparison:
    """The result of :func:`compare_options`: the current state against several options.

    * ``options``: option name -> its :class:`~journeysim.studies.comparison.Comparison` with
      the current state (every table of a single comparison: ``table``, ``per_replication``,
      ``dropoff``, ``channel_mix``, ``funnels``, ``emotion``, ``by_channel``; figures), built
      from the shared runs at the Bonferroni-adjusted confidence, so its intervals are this
      study's;
    * ``table``: tidy, one row per option x KPI x persona: the paired difference, its
      Bonferroni interval, the paired t-test's p-value and Holm's adjusted one, and whether
      the difference is significant (Holm) (columns :data:`OPTION_COLUMNS`);
    * ``per_replication``: KPIs per state (``current`` and each option's name), replication
      and persona.
    """

    name: str
    question: str
    current: Scenario = field(repr=False)
    options: dict[str, Comparison] = field(repr=False)
    settings: RunSettings
    confidence: float
    table: pd.DataFrame = field(repr=False)
    per_replication: pd.DataFrame = field(repr=False)
    stopping: dict[str, Any] = field(default_factory=dict)
    engines: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elapsed_seconds: float = float("nan")
    # As Comparison's: an experiment's assumptions, request, where changes come from, title.
    assumptions: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    change_origins: dict[str, str] = field(default_factory=dict)
    removed_changes: dict[str, Any] = field(default_factory=dict)
    heading: str = ""

    interval_method = INTERVAL_METHOD
    test_method = TEST_METHOD

    @property
    def title(self) -> str:
        return self.heading or (self.name or f"{self.current.name}: options").replace("_", " ")

    @property
    def replications(self) -> int:
        return int(self.per_replication["replication"].nunique())

    @property
    def kpis(self) -> list[str]:
        return kpi_columns(self.per_replication)

    @property
    def interval_confidence(self) -> float:
        """The confidence of each option's interval: Bonferroni's ``1 - (1 - confidence) / m``."""
        return adjusted_confidence(self.confidence, len(self.options))

    def row(self, option: str, kpi: str, persona: str = ALL) -> pd.Series:
        """The row of one option, KPI and persona."""
        rows = self.table.loc[(self.table["option"] == option) & (self.table["kpi"] == kpi) & (self.table["persona"] == persona)]
        if rows.empty:
            raise KeyError(f"no row for option {option!r}, kpi {kpi!r}, persona {persona!r}")
        return rows.iloc[0]

    def metadata(self) -> dict[str, Any]:
        """What ``run.json`` records: every state's config hash and changes, the adjustment."""
        return {
            "experiment": self.name,
            "title": self.title,
            "question": self.question,
            "scenario": self.current.name,
            "current_config_hash": config_hash(dict(self.current.source)),
            "option_config_hashes": {name: config_hash(dict(c.future.source)) for name, c in self.options.items()},
            "options": {name: c.changes for name, c in self.options.items()},
            "change_origins": self.change_origins,
            "removed_changes": self.removed_changes,
            "assumptions": self.assumptions,
            "seed": self.settings.seed,
            "common_random_numbers": True,
            "replications": self.replications,
            "horizon_days": self.settings.horizon_days,
            "arrival_days": self.settings.arrival_window_days,
            "engine": self.settings.engine,
            "engines": self.engines,
            "confidence": self.confidence,
            "interval_confidence": self.interval_confidence,
            "interval_method": INTERVAL_METHOD,
            "test_method": TEST_METHOD,
            "stopping": self.stopping,
            "request": self.request,
            "journeysim_version": package_version(),
        }

    def summary(self) -> str:
        from journeysim.reporting.options_summary import options_text

        return options_text(self)

    def forest_figure(self, persona: str = ALL):
        from journeysim.reporting.options_figures import options_forest_figure

        return options_forest_figure(self.table, persona=persona, title=self.title, confidence=self.confidence)

    def figures(self) -> dict[str, Any]:
        """Every figure, keyed by its file name."""
        return {"forest.png": self.forest_figure()}


def compare_options(
    current: Scenario,
    futures: Mapping[str, Scenario | Mapping[str, Any]],
    *,
    replications: int | None = None,
    precision: Precision | Mapping[str, Any] | None = None,
    settings: RunSettings | None = None,
    seed: int | None = None,
    horizon_days: float | None = None,
    arrival_days: float | None = None,
    engine: str | None = None,
    confidence: float = 0.95,
    name: str = "",
    question: str = "",
    progress: bool = False,
    details: bool = True,
    path: str = "futures",
) -> OptionsComparison:
    """Simulate ``current`` and every option of ``futures`` (name -> a scenario, or changes
    to ``current``) in paired replications, and compare each option with ``current``,
    intervals and tests adjusted for the number of options (see the module's docstring).
    ``replications`` and ``precision`` as in :func:`~journeysim.studies.comparison.compare`
    (the precision rule watches every option's headline interval at the adjusted
    confidence). Problems in an option's changes are named ``{path}.NAME.*``."""
    started = time.perf_counter()
    scenarios, changes = option_states(current, futures, path)
    overrides = {"seed": seed, "horizon_days": horizon_days, "arrival_days": arrival_days, "engine": engine}
    run, precision = study_plan(current, settings, replications, precision, overrides, progress)
    names = list(scenarios)
    states = {CURRENT: current, **scenarios}
    engines = state_engines(run.engine, states)
    runners = {state: ReplicationRunner(scenario, replace(run, engine=engines[state])) for state, scenario in states.items()}
    with_budget = any(scenario.budget for scenario in states.values())
    tallies = {state: Tallies(details, channels=with_budget) for state in states}
    interval_confidence = adjusted_confidence(confidence, len(names))
    with progress_bar(total=0, unit=" runs", desc=f"comparing {len(names)} options", disable=not progress, delay=2.0, leave=False) as bar:
        stopping = run_states(runners, tallies, replications=replications, precision=precision, headline=kpi_headline(precision, names),
                              confidence=interval_confidence, settings=run, advance=bar.update,
                              planned=lambda runs: setattr(bar, "total", bar.total + runs))
    notes = []
    options = {}
    for option in names:
        option_notes = [f"{option}: {note}" for note in change_notes(current, scenarios[option], changes[option])]
        notes += option_notes
        options[option] = paired_comparison(
            tallies[CURRENT], tallies[option], current=current, future=scenarios[option], run=run,
            engines={CURRENT: engines[CURRENT], FUTURE: engines[option]}, stopping=stopping, confidence=interval_confidence,
            details=details, name=option, question=question, changes=changes[option], independent=False, notes=option_notes,
        )
    for note in notes:
        warnings.warn(f"journeysim: {note}", ChangeWarning, stacklevel=2)
    study = OptionsComparison(
        name=name, question=question, current=current, options=options, settings=options[names[0]].settings, confidence=confidence,
        table=options_table(options, confidence), per_replication=per_replication_table(tallies), stopping=stopping,
        engines=engines, notes=notes,
    )
    study.elapsed_seconds = time.perf_counter() - started
    return study


def option_states(current: Scenario, futures: Mapping[str, Scenario | Mapping[str, Any]], path: str = "futures") -> tuple[dict[str, Scenario], dict[str, dict]]:
    """Every option's validated scenario and its changes (empty for one given as a scenario);
    names must be text other than :data:`RESERVED_NAMES`, and there must be at least one."""
    if not isinstance(futures, Mapping) or not futures:
        raise ConfigError(Problem(path, f"must map option names to their changes (at least one option), got {futures!r}"))
    problems = [Problem(f"{path}.{name}", f"an option may not be called {name!r} (reserved: {', '.join(RESERVED_NAMES)})")
                for name in futures if not isinstance(name, str) or not name.strip() or name in RESERVED_NAMES]
    if problems:
        raise ConfigError(problems)
    scenarios, changes, problems = {}, {}, []
    for name, option in futures.items():
        if isinstance(option, Scenario):
            scenarios[name], changes[name] = option, {}
            continue
        if not isinstance(option, Mapping):
            problems.append(Problem(f"{path}.{name}", f"must map scenario fields to new values, got {option!r}"))
            continue
        try:
            scenarios[name], changes[name] = future_state(current, option, path=f"{path}.{name}"), plain_data(option)
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    return scenarios, changes


def adjusted_confidence(confidence: float, options: int) -> float:
    """Bonferroni: the confidence of each of ``options`` intervals that hold together with
    at least ``confidence``."""
    return 1.0 - (1.0 - confidence) / max(options, 1)


def options_table(options: Mapping[str, Comparison], confidence: float) -> pd.DataFrame:
    """The tidy table of a study of several options (:data:`OPTION_COLUMNS`): each option's
    comparison rows (already at the Bonferroni-adjusted confidence), with the paired t-test's
    p-value and Holm's adjustment over the options of each KPI and persona."""
    frames = [comparison.table.assign(option=name) for name, comparison in options.items()]
    table = pd.concat(frames, ignore_index=True)
    table["p_value"] = paired_p_values(table)
    table["p_value_holm"] = table.groupby(["kpi", "persona"], sort=False)["p_value"].transform(holm)
    table["significant"] = (table["p_value_holm"] < 1.0 - confidence).fillna(False).astype(bool)
    table["options"] = len(options)
    table["interval_confidence"] = adjusted_confidence(confidence, len(options))
    table["interval_method"] = INTERVAL_METHOD
    table["test_method"] = TEST_METHOD
    return table[OPTION_COLUMNS]


def paired_p_values(table: pd.DataFrame) -> pd.Series:
    """Two-sided p-values of the paired t-tests of "no difference", from a comparison table's
    mean difference, its standard deviation and the number of pairs: 1 for a difference of
    exactly zero in every pair, 0 for a constant non-zero one, NaN with fewer than two pairs."""
    n = table["replications"].astype(np.float64)
    difference, sd = table["difference"].astype(np.float64), table["difference_sd"].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(difference) / (sd / np.sqrt(n))
        p = 2.0 * special.stdtr(np.maximum(n - 1.0, 1.0), -t)
    p = np.where(sd == 0, np.where(difference == 0, 1.0, 0.0), p)
    return pd.Series(np.where(n >= 2, p, np.nan), index=table.index)


def holm(p_values: pd.Series) -> pd.Series:
    """Holm's step-down adjustment of a family of p-values (NaN ones are left out of it):
    the i-th smallest of m becomes max over j <= i of min(1, (m - j + 1) p_(j))."""
    valid = p_values.dropna().sort_values(kind="stable")
    m = len(valid)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * valid.to_numpy()))
    return pd.Series(adjusted, index=valid.index).reindex(p_values.index)


__all__ = ["OptionsComparison", "adjusted_confidence", "compare_options", "holm", "option_states", "options_table", "paired_p_values"]
