"""Pain points ranked by their worth: every friction of a scenario, valued by what removing it gains.

A pain point is one friction a strategist could take away:

* a touchpoint's friction for one persona (``friction`` > 0 where the persona can touch it,
  and friction sensitivity > 0, so the effective friction 1 - (1 - f)^k is > 0);
* the channel-switch friction (``channel_switch.friction`` > 0), for every persona;
* giving up in a capacity channel's queue (reneging): a customer who waits longer than their
  patience is lost with ``queue.renege_loss_probability`` and feels ``queue.renege_emotion``.
  Removing it means giving up neither loses the customer nor hurts (both set to 0).

Each is valued in two steps:

1. **Screen** (exact, instant): the pre-purchase journey's absorbing chain
   (:func:`journeysim.analysis.exact.solve`) with and without the friction gives each persona's
   gain in conversion probability and in expected first-purchase revenue per arrival;
   times the run's arrivals per replication, the conversions and revenue gained. A queue is
   left out of the chain, so its value is that of the customers the run lost to waiting,
   each weighed by the chain's probability that they would still have bought
   (:func:`journeysim.analysis.exact.conversion_from_states`). With emotion carry-over the
   journey is path-dependent and the chain does not apply: the screen then uses the scenario
   with carry-over removed (:meth:`~journeysim.model.scenario.Scenario.without_carryover`)
   and its ``screen`` column says so.
2. **Confirm** (paired simulation): the top ones by worth, each simulated on the real
   scenario against the current state with the same seed (common random numbers) over a
   cohort of arrivals, for several replications; the paired differences of conversion rate
   and revenue per arrival (:func:`journeysim.analysis.paired.comparison_table`), times the
   run's arrivals, give the simulated gains with t-intervals.

:func:`pain_point_table` does both for a run; the main job writes it as ``pain_points.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from journeysim.analysis.exact import (
    ExactSolution,
    NotApplicable,
    conversion_from_states,
    solve,
)
from journeysim.analysis.metrics import ALL
from journeysim.analysis.paired import CURRENT, FUTURE, comparison_table
from journeysim.config import apply_changes, run_settings_from_dict
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.progress_bars import progress_bar
from journeysim.simulation.replications import ReplicationRunner
from journeysim.simulation.runner import SimulationResult
from journeysim.studies.comparison import paired_engine

TOUCHPOINT, SWITCH, QUEUE = "touchpoint", "channel switch", "queue"
EXACT = "exact"
EXACT_WITHOUT_CARRYOVER = "exact, emotion carry-over removed"
EXACT_QUEUE = "exact chain x customers lost waiting"
# The confirmation: how many of the top pain points, over how many paired replications of a
# cohort of about how many arrivals each. Sized so that the default run's report stays cheap;
# an experiment with a pain point's `changes` measures one with any precision.
CONFIRM_TOP = 3
CONFIRM_REPLICATIONS = 4
CONFIRM_ARRIVALS = 800
# The cohort is followed this long after its arrival window (at most to the run's horizon):
# long enough for nearly every journey to end, as the exact chain's infinite horizon assumes.
CONFIRM_FOLLOW_DAYS = 90.0
CONFIDENCE = 0.95
PAIN_POINT_COLUMNS = [
    "rank", "pain_point", "kind", "persona", "stage", "channel", "friction",
    "conversion_probability_gain", "conversions_gained", "revenue_gained", "screen",
    "confirmed", "simulated_conversions_gained", "simulated_conversions_gained_ci_low", "simulated_conversions_gained_ci_high",
    "simulated_revenue_gained", "simulated_revenue_gained_ci_low", "simulated_revenue_gained_ci_high",
    "confirmation_replications", "confirmation_arrivals", "changes",
]  # fmt: skip


@dataclass(frozen=True)
class PainPoint:
    """One friction that could be removed: a touchpoint's for a persona, the channel switch's
    (``persona`` is ``all``), or giving up in a capacity channel's queue (``all``)."""

    kind: str
    persona: str
    stage: str = ""
    channel: str = ""
    friction: float = 0.0

    @property
    def label(self) -> str:
        if self.kind == TOUCHPOINT:
            return f"friction at {self.stage} / {self.channel} for {self.persona}"
        if self.kind == SWITCH:
            return "channel-switch friction"
        return f"giving up in the {self.channel} queue"

    def changes(self) -> dict[str, Any]:
        """The change that removes it, for :func:`journeysim.with_changes` or an experiment."""
        if self.kind == TOUCHPOINT:
            return {"personas": {self.persona: {"touchpoints": {self.stage: {self.channel: {"friction": 0.0}}}}}}
        if self.kind == SWITCH:
            return {"channel_switch": {"friction": 0.0}}
        return {"channels": {self.channel: {"queue": {"renege_loss_probability": 0.0, "renege_emotion": 0.0}}}}


def find_pain_points(scenario: Scenario) -> list[PainPoint]:
    """Every pain point of ``scenario``: touchpoint frictions per persona (journey stages,
    channels the persona can choose or the word-of-mouth channel, effective friction > 0),
    the channel-switch friction, and each capacity channel some persona may give up at."""
    points = []
    for name, persona in scenario.personas.items():
        table = scenario.persona_touchpoints(name)
        for stage in scenario.journey_stages:
            for channel in scenario.channel_names:
                touchpoint = table.get((stage, channel))
                reachable = persona.affinity.get(channel, 0.0) > 0 or channel == scenario.word_of_mouth_channel
                if touchpoint is not None and reachable and touchpoint.effective(persona.friction_sensitivity).effective_friction > 0:
                    points.append(PainPoint(TOUCHPOINT, name, stage, channel, touchpoint.friction))
    sensitive = any(p.friction_sensitivity > 0 for p in scenario.personas.values())
    if scenario.channel_switch.friction > 0 and sensitive:
        points.append(PainPoint(SWITCH, ALL, friction=scenario.channel_switch.friction))
    impatient = any(p.patience_days is not None for p in scenario.personas.values())
    for name, channel in scenario.channels.items():
        if channel.has_queue and impatient and (channel.queue.renege_loss_probability > 0 or channel.queue.renege_emotion < 0):
            points.append(PainPoint(QUEUE, ALL, channel=name, friction=channel.queue.renege_loss_probability))
    return points


def screen_pain_points(scenario: Scenario, arrivals: Mapping[str, float], lost_waiting: pd.DataFrame | None = None, replications: int = 1) -> pd.DataFrame:
    """Every pain point valued exactly, ranked by worth (first-purchase revenue gained, then
    conversions gained).

    ``arrivals``: the run's arrivals per persona per replication, which the per-arrival gains
    are scaled by. ``lost_waiting``: one row (persona, stage, channel) per customer the run
    lost after giving up in a queue, over ``replications`` replications (queues are valued
    from them). Columns: those of :data:`PAIN_POINT_COLUMNS` up to ``screen``, and
    ``changes`` (JSON). ``conversion_probability_gain`` is per arrival of the persona
    concerned (of every persona for ``all``).
    """
    points = find_pain_points(scenario)
    chain, base, screen = _exact(scenario)
    before = base.summary.set_index("persona")
    personas = list(scenario.persona_names)
    weights = pd.Series({p: float(arrivals.get(p, 0.0)) for p in personas})
    order_value = {name: persona.order_value.mean for name, persona in scenario.personas.items()}
    onward = conversion_from_states(chain) if any(p.kind == QUEUE for p in points) else {}
    rows = []
    for point in points:
        if point.kind == QUEUE:
            lost = lost_waiting.loc[lost_waiting["channel"].astype(str) == point.channel] if lost_waiting is not None else pd.DataFrame()
            chances = [(str(r.persona), onward[(str(r.persona), str(r.stage), point.channel)]) for r in lost.itertuples()]
            conversions = sum(c for _, c in chances) / max(replications, 1)
            revenue = sum(c * order_value[p] for p, c in chances) / max(replications, 1)
            per_arrival = conversions / weights.sum() if weights.sum() > 0 else np.nan
            method = EXACT_QUEUE if screen == EXACT else f"{EXACT_QUEUE} ({screen})"
        else:
            after = solve(without_pain_point(chain, point)).summary.set_index("persona")
            gain = (after.loc[personas] - before.loc[personas])
            conversions = float(gain["conversion_probability"] @ weights)
            revenue = float(gain["expected_revenue_per_arrival"] @ weights)
            per_arrival = float(gain.loc[point.persona, "conversion_probability"]) if point.persona != ALL else (
                conversions / weights.sum() if weights.sum() > 0 else np.nan)
            method = screen
        rows.append({
            "pain_point": point.label, "kind": point.kind, "persona": point.persona, "stage": point.stage, "channel": point.channel,
            "friction": point.friction, "conversion_probability_gain": per_arrival, "conversions_gained": conversions,
            "revenue_gained": revenue, "screen": method, "changes": json.dumps(point.changes(), sort_keys=True),
        })  # fmt: skip
    table = pd.DataFrame(rows, columns=[c for c in PAIN_POINT_COLUMNS if c != "rank" and not c.startswith(("confirm", "simulated"))])
    table = table.sort_values(["revenue_gained", "conversions_gained"], ascending=False, kind="stable", ignore_index=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def confirm_pain_points(
    scenario: Scenario,
    settings: RunSettings,
    screened: pd.DataFrame,
    run_arrivals: float,
    arrivals_per_day: float,
    *,
    top: int = CONFIRM_TOP,
    replications: int = CONFIRM_REPLICATIONS,
    cohort_arrivals: float = CONFIRM_ARRIVALS,
    confidence: float = CONFIDENCE,
    progress: bool = False,
) -> pd.DataFrame:
    """``screened`` (:func:`screen_pain_points`) with its ``top`` rows that gain conversions
    confirmed by paired simulation of the real scenario.

    The cohort: ``settings``' seed, horizon and engine, arrivals during the first
    ``cohort_arrivals / arrivals_per_day`` days (at most the run's arrival window), followed
    to the horizon; ``replications`` replications of the current state and of each pain
    point removed (the same seed: common random numbers). The paired difference of the
    conversion rate and of revenue per arrival (all personas) and its t-interval, times
    ``run_arrivals`` (the run's arrivals per replication), are the simulated gains. Simulated
    revenue is what the cohort spent within the horizon, repeat purchases included.
    """
    table = screened.copy()
    for column in PAIN_POINT_COLUMNS:
        if column not in table:
            table[column] = False if column == "confirmed" else np.nan
    chosen = table.index[table["conversions_gained"] > 0][: max(int(top), 0)]
    if not len(chosen):
        return table[PAIN_POINT_COLUMNS]
    futures = [without_pain_point(scenario, _point(table.loc[i])) for i in chosen]
    window = min(settings.arrival_window_days, cohort_arrivals / arrivals_per_day) if arrivals_per_day > 0 else settings.arrival_window_days
    cohort = run_settings_from_dict({
        "seed": settings.seed, "horizon_days": min(settings.horizon_days, window + CONFIRM_FOLLOW_DAYS), "arrival_days": window,
        "replications": replications,
        "engine": paired_engine(settings.engine, scenario, *futures), "progress": False, "force": settings.force,
    })  # fmt: skip
    with progress_bar(total=len(futures) + 1, unit=" states", desc="confirming pain points", disable=not progress, delay=2.0, leave=False) as bar:
        current = ReplicationRunner(scenario, cohort).kpis(replications, keep_events=False).assign(state=CURRENT)
        bar.update()
        for index, future in zip(chosen, futures):
            kpis = ReplicationRunner(future, cohort).kpis(replications, keep_events=False).assign(state=FUTURE)
            per_replication = pd.concat([current, kpis], ignore_index=True)
            paired = comparison_table(per_replication, confidence)
            paired = paired.loc[paired["persona"] == ALL].set_index("kpi")
            for name, kpi in (("conversions", "conversion_rate"), ("revenue", "revenue_per_arrival")):
                row = paired.loc[kpi]
                table.at[index, f"simulated_{name}_gained"] = row["difference"] * run_arrivals
                table.at[index, f"simulated_{name}_gained_ci_low"] = row["ci_low"] * run_arrivals
                table.at[index, f"simulated_{name}_gained_ci_high"] = row["ci_high"] * run_arrivals
            table.at[index, "confirmed"] = True
            table.at[index, "confirmation_replications"] = replications
            table.at[index, "confirmation_arrivals"] = float(current.loc[current["persona"] == ALL, "arrivals"].mean())
            bar.update()
    return table[PAIN_POINT_COLUMNS]


def pain_point_table(
    scenario: Scenario,
    settings: RunSettings,
    result: SimulationResult,
    *,
    top: int = CONFIRM_TOP,
    replications: int = CONFIRM_REPLICATIONS,
    cohort_arrivals: float = CONFIRM_ARRIVALS,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """A run's pain points, screened exactly and the top ``top`` confirmed by paired
    simulation (see the module's docstring): the table the main job writes as
    ``pain_points.csv``, one row per pain point, ranked by worth."""
    customers, runs = result.customers, max(settings.replications, 1)
    counts = customers["persona"].astype(str).value_counts()
    arrivals = {persona: counts.get(persona, 0) / runs for persona in scenario.persona_names}
    events = result.events
    lost = events.loc[(events["event"] == "renege") & (events["outcome"] == "friction_drop"), ["persona", "stage", "channel"]]
    screened = screen_pain_points(scenario, arrivals, lost, runs)
    total = len(customers) / runs
    window = settings.arrival_window_days
    return confirm_pain_points(scenario, settings, screened, total, total / window if window > 0 else 0.0, top=top,
                               replications=replications, cohort_arrivals=cohort_arrivals, confidence=confidence, progress=settings.progress)


def _exact(scenario: Scenario) -> tuple[Scenario, ExactSolution, str]:
    """The scenario the exact chain answers, its solution, and how the screen is made: the
    scenario itself, or (emotion carry-over on: the chain does not apply) without carry-over."""
    try:
        return scenario, solve(scenario), EXACT
    except NotApplicable:
        plain = scenario.without_carryover()
        return plain, solve(plain), EXACT_WITHOUT_CARRYOVER


def without_pain_point(scenario: Scenario, point: PainPoint) -> Scenario:
    """``scenario`` with ``point`` removed: what ``with_changes(scenario, point.changes())``
    builds (the tests compare them field by field), made by replacing the frozen model
    objects directly instead of validating the whole scenario again (about 0.3 s a variant;
    setting a friction or a queue's loss and emotion to 0 keeps a valid scenario valid).
    Its ``source`` is the plain data with the change merged in, so it hashes, travels to
    worker processes and takes further changes like any scenario."""
    source = MappingProxyType(apply_changes(scenario.source, point.changes()))
    if point.kind == SWITCH:
        return replace(scenario, channel_switch=replace(scenario.channel_switch, friction=0.0), source=source)
    if point.kind == QUEUE:
        channel = scenario.channels[point.channel]
        queue = replace(channel.queue, renege_loss_probability=0.0, renege_emotion=0.0)
        channels = {**scenario.channels, point.channel: replace(channel, queue=queue)}
        return replace(scenario, channels=MappingProxyType(channels), source=source)
    persona = scenario.personas[point.persona]
    key = (point.stage, point.channel)
    touchpoint = scenario.persona_touchpoints(point.persona)[key]
    overrides = {**persona.touchpoint_overrides, key: replace(touchpoint, friction=0.0)}
    personas = {**scenario.personas, point.persona: replace(persona, touchpoint_overrides=MappingProxyType(overrides))}
    return replace(scenario, personas=MappingProxyType(personas), source=source)


def _point(row: pd.Series) -> PainPoint:
    """The pain point of a row of the table."""
    return PainPoint(str(row["kind"]), str(row["persona"]), str(row["stage"]), str(row["channel"]), float(row["friction"]))
