"""Meaning checks on configuration data and construction of the frozen scenario objects.

Input is plain data already shaped by the schemas in :mod:`journeysim.config.loading` (right field
names and types). Here we check ranges, references between sections and whole-model
properties (shares sum to one, every stage can be left), collecting every problem with its
dotted path before raising one :class:`~journeysim.errors.ConfigError`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from journeysim.config.durations import (
    RUN_DURATIONS,
    SCENARIO_DURATIONS,
    with_durations_in_days,
)
from journeysim.config.names import unknown_name
from journeysim.config.time_progress import check_time_progress
from journeysim.config.validation_experience import (
    build_carryover,
    build_detraction,
    build_experience,
)
from journeysim.config.validation_observation import build_observation
from journeysim.config.validation_rules import (
    Collector,
    build_advocacy,
    build_budget,
    build_feedback,
    build_loyalty,
    build_queue,
    build_schedule,
)
from journeysim.config.validation_surveys import build_surveys
from journeysim.model.scenario import (
    CHANNEL_MODES,
    REMOVAL_POLICIES,
    Channel,
    ChannelSwitch,
    Persona,
    Removal,
    Scenario,
    Touchpoint,
)
from journeysim.model.settings import BACKENDS, RunSettings

# The customer-journey stages practitioners name, in their natural order; a scenario may use
# other names too, but those it shares with this list must keep this order.
CANONICAL_STAGE_ORDER = ("awareness", "interest", "consideration", "intent", "evaluation", "purchase", "retention", "loyalty", "advocacy")
SHARE_TOLERANCE = 1e-6
MAX_SEED = 2**63 - 1


def build_scenario(data: Mapping[str, Any], path: str = "scenario") -> Scenario:
    check = Collector()
    # Durations in days first ("2h" -> 0.0833...): the checks below, the model and the
    # scenario's source (its config hash, with_changes) all see days.
    data = with_durations_in_days(data, SCENARIO_DURATIONS, check.duration, path)
    name = data["name"]
    if not str(name).strip():
        check.add(f"{path}.name", "must not be empty")

    stages = _check_stages(check, data, path)
    purchase_stage = data["purchase_stage"]
    journey = stages[: stages.index(purchase_stage) + 1] if purchase_stage in stages else stages

    rate = data.get("arrival_rate_per_day")
    if rate is not None:
        check.number(f"{path}.arrival_rate_per_day", rate, 0.0)

    channels = _build_channels(check, data["channels"], path)
    touchpoints, closed = {}, {}
    for stage, row in data["touchpoints"].items():
        for channel, spec in row.items():
            where = f"{path}.touchpoints.{stage}.{channel}"
            touchpoint = _build_touchpoint(check, where, stage, channel, spec, stages, journey, channels, purchase_stage)
            if touchpoint is None:
                continue
            if spec.get("available", True):
                touchpoints[(stage, channel)] = touchpoint
            elif stage != purchase_stage or channels[channel].sells:  # a closed way to go on
                closed[(stage, channel)] = touchpoint

    personas = {}
    for persona_name, spec in data["personas"].items():
        where = f"{path}.personas.{persona_name}"
        persona = _build_persona(check, where, persona_name, spec, stages, journey, channels, purchase_stage, touchpoints)
        if persona is not None:
            personas[persona_name] = persona
    if not data["personas"]:
        check.add(f"{path}.personas", "must define at least one persona")
    _check_arrivals(check, data, path)
    switch = data["channel_switch"]
    check.probability(f"{path}.channel_switch.friction", switch["friction"])
    removal = _build_removal(check, data.get("removal") or {}, path)
    experience = build_experience(check, f"{path}.experience", data["experience"])
    surveys = build_surveys(check, f"{path}.surveys", data.get("surveys"))
    observation = build_observation(check, f"{path}.observation", data.get("observation"), channels)
    word_of_mouth, market, calendar = build_feedback(check, data, path, channels, stages, touchpoints, data["personas"])
    budget = build_budget(check, data["budget"], path, channels, stages, touchpoints, data["personas"])
    check.raise_if_any()

    scenario = Scenario(
        name=str(name),
        description=data.get("description", ""),
        stages=stages,
        purchase_stage=purchase_stage,
        channels=MappingProxyType(channels),
        touchpoints=MappingProxyType(touchpoints),
        personas=MappingProxyType(personas),
        arrival_rate_per_day=rate,
        channel_switch=ChannelSwitch(float(switch["friction"]), bool(switch["between_modes_only"])),
        removal=removal,
        closed_touchpoints=MappingProxyType(closed),
        word_of_mouth_channel=word_of_mouth,
        market=market,
        calendar=calendar,
        budget=MappingProxyType(budget),
        experience=experience,
        surveys=surveys,
        observation=observation,
        source=MappingProxyType(dict(data)),
    )
    _check_journeys(check, scenario, path)
    check_time_progress(check, scenario, path)
    check.raise_if_any()
    return scenario


def _build_removal(check: Collector, spec: Mapping[str, Any], path: str) -> Removal:
    policy = spec.get("policy", Removal.policy)
    emotion = spec.get("emotion", Removal.emotion)
    if policy not in REMOVAL_POLICIES:
        check.add(f"{path}.removal.policy", f"must be one of {', '.join(REMOVAL_POLICIES)}, got {policy!r}")
    if check.number(f"{path}.removal.emotion", emotion) and not -1 <= emotion <= 1:
        check.add(f"{path}.removal.emotion", f"must be in [-1, 1], got {emotion:g}")
    return Removal(str(policy), float(emotion) if isinstance(emotion, (int, float)) else Removal.emotion)


def build_run_settings(data: Mapping[str, Any], path: str = "run") -> RunSettings:
    check = Collector()
    data = with_durations_in_days(data, RUN_DURATIONS, check.duration, path)
    if not 0 <= data["seed"] <= MAX_SEED:
        # Every result table carries the seed in a 64-bit column.
        check.add(f"{path}.seed", f"must be a whole number from 0 to {MAX_SEED}, got {data['seed']}")
    check.number(f"{path}.horizon_days", data["horizon_days"], 0.0, low_open=True)
    if data["arrival_days"] is not None and check.number(f"{path}.arrival_days", data["arrival_days"], 0.0, low_open=True):
        if data["arrival_days"] > data["horizon_days"]:
            check.add(f"{path}.arrival_days", f"must be <= horizon_days ({data['horizon_days']:g}), got {data['arrival_days']:g}")
    if data["engine"] not in ("simpy", "vectorised", "auto"):
        check.add(f"{path}.engine", f"must be one of simpy, vectorised, auto, got {data['engine']!r}")
    if data["replications"] < 1:
        check.add(f"{path}.replications", f"must be >= 1, got {data['replications']}")
    workers = data.get("workers", 1)
    if workers < 1:
        check.add(f"{path}.workers", f"must be >= 1 process, got {workers}")
    backend = data.get("backend", RunSettings.backend)
    if backend not in BACKENDS:
        check.add(f"{path}.backend", f"must be one of {', '.join(BACKENDS)}, got {backend!r}")
    check.raise_if_any()
    return RunSettings(
        seed=int(data["seed"]),
        horizon_days=float(data["horizon_days"]),
        arrival_days=None if data["arrival_days"] is None else float(data["arrival_days"]),
        replications=int(data["replications"]),
        progress=bool(data["progress"]),
        engine=str(data["engine"]),
        workers=int(workers),
        backend=str(backend),
        force=bool(data.get("force", False)),
        sort_by_time=bool(data.get("sort_by_time", False)),
    )


def _check_stages(check: Collector, data: Mapping[str, Any], path: str) -> tuple[str, ...]:
    stages = tuple(str(s) for s in data["stages"])
    where = f"{path}.stages"
    if not stages:
        check.add(where, "must list at least one stage")
        return stages
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if not stage.strip():
            check.add(f"{where}[{index}]", "must not be empty")
        if stage in seen:
            check.add(f"{where}[{index}]", f"stage {stage!r} is listed twice")
        seen.add(stage)
    known = [s for s in stages if s in CANONICAL_STAGE_ORDER]
    expected = sorted(known, key=CANONICAL_STAGE_ORDER.index)
    if known != expected:
        check.add(where, f"stage order broken: {' > '.join(known)} should run {' > '.join(expected)}")
    purchase = data["purchase_stage"]
    if purchase not in stages:
        check.add(f"{path}.purchase_stage", f"must be one of the stages ({', '.join(stages)}), got {purchase!r}")
    elif stages.index(purchase) == 0:
        check.add(f"{path}.purchase_stage", f"cannot be the first stage, got {purchase!r}")
    return stages


def _build_channels(check: Collector, specs: Mapping[str, Any], path: str) -> dict[str, Channel]:
    channels = {}
    if not specs:
        check.add(f"{path}.channels", "must define at least one channel")
    for name, spec in specs.items():
        where = f"{path}.channels.{name}"
        if spec["mode"] not in CHANNEL_MODES:
            check.add(f"{where}.mode", f"must be one of {', '.join(CHANNEL_MODES)}, got {spec['mode']!r}")
        check.money(f"{where}.cost_per_contact", spec["cost_per_contact"])
        capacity = spec.get("capacity")
        if capacity is not None and capacity < 1:
            check.add(f"{where}.capacity", f"must be >= 1 server (or null for unlimited), got {capacity}")
        service = check.distribution(f"{where}.service_time_days", spec.get("service_time_days"))
        if capacity is not None and spec.get("service_time_days") is None:
            check.add(f"{where}.service_time_days", f"is required when capacity is set (capacity={capacity})")
        staff_cost = spec.get("staff_cost_per_hour", 0.0)
        if not check.money(f"{where}.staff_cost_per_hour", staff_cost):
            staff_cost = 0.0
        elif capacity is None and staff_cost > 0:
            check.add(f"{where}.staff_cost_per_hour", f"needs staff: set capacity (servers) on the channel, or remove the cost; got {staff_cost:g} with no capacity")
        channels[name] = Channel(
            name=name,
            mode=spec["mode"],
            cost_per_contact=float(spec["cost_per_contact"]),
            sells=bool(spec["sells"]),
            capacity=capacity,
            service_time_days=service,
            label=spec.get("label", ""),
            schedule=build_schedule(check, f"{where}.schedule", spec.get("schedule"), capacity),
            queue=build_queue(check, f"{where}.queue", spec["queue"]),
            staff_cost_per_hour=float(staff_cost),
            experience=bool(spec.get("experience", True)),
        )
    return channels


def _build_touchpoint(check, where, stage, channel, spec, stages, journey, channels, purchase_stage, base=None):
    """Validate one touchpoint (a full spec, or an override merged onto ``base``)."""
    problems_before = len(check.problems)
    if stage not in stages:
        check.add(where, unknown_name("stage", stage, stages))
        return None
    if stage not in journey:
        check.add(
            where,
            f"stage {stage!r} comes after {purchase_stage!r}: post-purchase stages are reached by the loyalty "
            "and advocacy processes, not by touchpoints",
        )
        return None
    if channel not in channels:
        check.add(where, unknown_name("channel", channel, channels))
        return None

    def pick(field: str) -> Any:
        value = spec.get(field)
        if value is None and base is not None:
            return getattr(base, field)
        return value

    if base is None or spec.get("delay_days") is not None:
        delay = check.distribution(f"{where}.delay_days", spec.get("delay_days"))
    else:
        delay = base.delay_days
    advance, drop = pick("advance"), pick("drop")
    if advance is None:
        check.add(f"{where}.advance", "is required for a touchpoint that is not in the base map")
        return None
    if drop is None:
        drop = 0.0
    emotion, friction = pick("emotion") or 0.0, pick("friction") or 0.0
    target = spec.get("target") if spec.get("target") is not None else (base.target if base is not None else None)
    ok = check.probability(f"{where}.advance", advance) & check.probability(f"{where}.drop", drop)
    if ok and advance + drop > 1 + 1e-12:
        check.add(where, f"advance + drop must be <= 1, got {advance:g} + {drop:g} = {advance + drop:g}")
    if check.number(f"{where}.emotion", emotion) and not -1 <= emotion <= 1:
        check.add(f"{where}.emotion", f"must be in [-1, 1], got {emotion:g}")
    check.probability(f"{where}.friction", friction)
    if target is not None:
        if target not in stages:
            check.add(f"{where}.target", unknown_name("stage", target, stages))
        elif stage == purchase_stage:
            check.add(f"{where}.target", f"advancing from {purchase_stage!r} is buying; a target is not allowed there, got {target!r}")
        elif target not in journey:
            check.add(f"{where}.target", f"must be a stage up to {purchase_stage!r}, got {target!r}")
        elif stages.index(target) <= stages.index(stage):
            check.add(f"{where}.target", f"must be a later stage than {stage!r}, got {target!r}")
    available = spec.get("available")
    if stage == purchase_stage and not channels[channel].sells and available is not False:
        check.add(
            where,
            f"channel {channel!r} does not sell (channels.{channel}.sells is false), so it cannot carry a "
            f"{purchase_stage!r} touchpoint",
        )
    if len(check.problems) > problems_before or delay is None:
        return None
    experience = spec.get("experience") if spec.get("experience") is not None else (base.experience if base is not None else None)
    return Touchpoint(stage, channel, delay, float(advance), float(drop), target, float(emotion), float(friction),
                      None if experience is None else bool(experience))


def _build_persona(check, where, name, spec, stages, journey, channels, purchase_stage, touchpoints):
    problems_before = len(check.problems)
    if spec.get("share") is not None:
        check.probability(f"{where}.share", spec["share"])
    if spec.get("arrival_rate_per_day") is not None:
        check.number(f"{where}.arrival_rate_per_day", spec["arrival_rate_per_day"], 0.0)
    for channel, weight in spec["affinity"].items():
        if channel not in channels:
            check.add(f"{where}.affinity.{channel}", unknown_name("channel", channel, channels))
        else:
            check.number(f"{where}.affinity.{channel}", weight, 0.0)
    handoff = _build_handoff(check, f"{where}.handoff", spec.get("handoff") or {}, channels)
    check.number(f"{where}.friction_sensitivity", spec["friction_sensitivity"], 0.0)
    order_value = check.distribution(f"{where}.order_value", spec["order_value"], money=True)
    patience = check.distribution(f"{where}.patience_days", spec.get("patience_days"))
    overrides: dict[tuple[str, str], Touchpoint | None] = {}
    for stage, row in spec["touchpoints"].items():
        for channel, override in row.items():
            cell = f"{where}.touchpoints.{stage}.{channel}"
            base = touchpoints.get((stage, channel))
            if override.get("available") is False:
                if stage not in stages or channel not in channels:
                    check.add(cell, unknown_name("stage", stage, stages) if stage not in stages else unknown_name("channel", channel, channels))
                overrides[(stage, channel)] = None
                continue
            touchpoint = _build_touchpoint(check, cell, stage, channel, override, stages, journey, channels, purchase_stage, base)
            if touchpoint is not None:
                overrides[(stage, channel)] = touchpoint
    loyalty = build_loyalty(check, f"{where}.loyalty", spec.get("loyalty"))
    advocacy = build_advocacy(check, f"{where}.advocacy", spec.get("advocacy"))
    carryover = build_carryover(check, f"{where}.emotion_carryover", spec["emotion_carryover"])
    detraction = build_detraction(check, f"{where}.detraction", spec.get("detraction"))
    if len(check.problems) > problems_before or order_value is None:
        return None
    return Persona(
        name=name,
        share=spec.get("share"),
        arrival_rate_per_day=spec.get("arrival_rate_per_day"),
        affinity=MappingProxyType({c: float(w) for c, w in spec["affinity"].items()}),
        handoff=handoff,
        friction_sensitivity=float(spec["friction_sensitivity"]),
        order_value=order_value,
        patience_days=patience,
        description=spec.get("description", ""),
        touchpoint_overrides=MappingProxyType(overrides),
        loyalty=loyalty,
        advocacy=advocacy,
        emotion_carryover=carryover,
        detraction=detraction,
    )


def _build_handoff(check: Collector, where: str, spec: Mapping[str, Any], channels: Mapping[str, Channel]) -> Mapping[str, Mapping[str, float]]:
    """previous channel -> channel -> weight (>= 0) multiplying affinity after a touch there."""
    handoff = {}
    for previous, row in spec.items():
        if previous not in channels:
            check.add(f"{where}.{previous}", unknown_name("channel", previous, channels))
            continue
        if not isinstance(row, Mapping):
            check.add(f"{where}.{previous}", f"must map channels to weights, got {row!r}")
            continue
        for channel, weight in row.items():
            if channel not in channels:
                check.add(f"{where}.{previous}.{channel}", unknown_name("channel", channel, channels))
            elif check.number(f"{where}.{previous}.{channel}", weight, 0.0):
                handoff.setdefault(previous, {})[channel] = float(weight)
    return MappingProxyType({k: MappingProxyType(v) for k, v in handoff.items()})


def _check_arrivals(check: Collector, data: Mapping[str, Any], path: str) -> None:
    by_share = {n: p for n, p in data["personas"].items() if p.get("arrival_rate_per_day") is None}
    for name, persona in by_share.items():
        if persona.get("share") is None:
            check.add(f"{path}.personas.{name}.share", "is required unless the persona sets its own arrival_rate_per_day")
    shares = [p["share"] for p in by_share.values() if isinstance(p.get("share"), (int, float))]
    if by_share and len(shares) == len(by_share):
        total = sum(shares)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            listing = ", ".join(f"{n}={p['share']:g}" for n, p in by_share.items())
            check.add(f"{path}.personas", f"shares must sum to 1, got {total:g} ({listing})")
        if data.get("arrival_rate_per_day") is None and data.get("market") is None:
            check.add(f"{path}.arrival_rate_per_day", "is required when personas arrive by share (or give a finite market)")


def _check_journeys(check: Collector, scenario: Scenario, path: str) -> None:
    """Every persona must find a channel at each journey stage and be able to leave it."""
    for persona_name, persona in scenario.personas.items():
        table = scenario.persona_touchpoints(persona_name)
        for stage in scenario.journey_stages:
            cells = [tp for (s, _), tp in table.items() if s == stage]
            if not cells:
                check.add(f"{path}.touchpoints.{stage}", f"stage {stage!r} has no channel (no touchpoint) for persona {persona_name!r}")
                continue
            weights = {tp.channel: persona.affinity.get(tp.channel, 0.0) for tp in cells}
            total = sum(weights.values())
            if total <= 0:
                check.add(
                    f"{path}.personas.{persona_name}.affinity",
                    f"no channel serving stage {stage!r} ({', '.join(weights)}) has positive affinity",
                )
                continue
            leave = sum(w / total * (tp.advance + tp.drop) for tp, w in zip(cells, weights.values()))
            if leave <= 0:
                check.add(
                    f"{path}.touchpoints.{stage}",
                    f"persona {persona_name!r} can never leave stage {stage!r}: advance and drop are 0 on every channel it uses",
                )
