"""Configuration: Hydra structured-config schemas, YAML loading, and conversion to frozen objects.

This is the only module that imports OmegaConf or Hydra's compose API. YAML (or a Python
dict) is merged onto the dataclass schemas below, which catches unknown fields, wrong types
and missing values; :mod:`journeysim.validation` then checks the meaning (ranges,
references, shares) and builds the frozen :class:`~journeysim.scenario.Scenario`.
Every error names its dotted config path and the bad value.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf import errors as oc_errors

from journeysim.errors import ConfigError, Problem
from journeysim.scenario import Scenario
from journeysim.settings import RunSettings
from journeysim.validation import build_run_settings, build_scenario


@dataclass
class DistributionSchema:
    dist: str = MISSING
    value: Optional[float] = None
    mean: Optional[float] = None
    cv: Optional[float] = None
    low: Optional[float] = None
    mode: Optional[float] = None
    high: Optional[float] = None
    shape: Optional[float] = None
    scale: Optional[float] = None


@dataclass
class StaffingPeriodSchema:
    from_day: float = MISSING
    to_day: float = MISSING
    servers: int = MISSING


@dataclass
class ScheduleSchema:
    open_hours: Optional[List[float]] = None  # [opening hour, closing hour] of each day
    closed_weekdays: List[int] = field(default_factory=list)  # day 0 of the horizon is a Monday (0)
    periods: List[StaffingPeriodSchema] = field(default_factory=list)


@dataclass
class QueueSchema:
    renege_loss_probability: float = 0.5
    renege_emotion: float = -0.5
    target_wait_days: float = 20 / 1440


@dataclass
class ChannelSchema:
    mode: str = "online"
    cost_per_contact: float = 0.0
    sells: bool = False
    capacity: Optional[int] = None
    service_time_days: Optional[DistributionSchema] = None
    schedule: Optional[ScheduleSchema] = None
    queue: QueueSchema = field(default_factory=QueueSchema)
    staff_cost_per_hour: float = 0.0
    label: str = ""


@dataclass
class TouchpointSchema:
    delay_days: DistributionSchema = MISSING
    advance: float = MISSING
    drop: float = 0.0
    target: Optional[str] = None
    emotion: float = 0.0
    friction: float = 0.0
    available: bool = True


@dataclass
class TouchpointOverrideSchema:
    """A persona's change to one touchpoint: only the fields it sets differ from the base map."""

    delay_days: Optional[DistributionSchema] = None
    advance: Optional[float] = None
    drop: Optional[float] = None
    target: Optional[str] = None
    emotion: Optional[float] = None
    friction: Optional[float] = None
    available: Optional[bool] = None


@dataclass
class LoyaltySchema:
    purchase_rate_per_day: float = MISSING
    rate_shape: Optional[float] = None
    churn_probability: float = MISSING
    churn_concentration: Optional[float] = None
    satisfaction_churn_slope: float = 0.0
    loyal_after_repeats: int = 2


@dataclass
class AdvocacySchema:
    probability: float = MISSING
    referral_rate_per_day: float = MISSING
    satisfaction_threshold: float = 0.0


@dataclass
class PersonaSchema:
    share: Optional[float] = None
    arrival_rate_per_day: Optional[float] = None
    affinity: Dict[str, float] = field(default_factory=dict)
    friction_sensitivity: float = 1.0
    patience_days: Optional[DistributionSchema] = None
    order_value: DistributionSchema = MISSING
    # stage -> channel -> TouchpointOverrideSchema (OmegaConf cannot type nested dicts of
    # dataclasses, so cells are typed one by one in ``_type_touchpoint_table``).
    touchpoints: Dict[str, Any] = field(default_factory=dict)
    loyalty: Optional[LoyaltySchema] = None
    advocacy: Optional[AdvocacySchema] = None
    description: str = ""


@dataclass
class ChannelSwitchSchema:
    friction: float = 0.0
    between_modes_only: bool = False


@dataclass
class MarketSchema:
    size: int = MISSING
    external_rate_per_day: float = MISSING


@dataclass
class CampaignSchema:
    name: str = MISSING
    from_day: float = MISSING
    to_day: float = MISSING
    multiplier: float = MISSING
    personas: List[str] = field(default_factory=list)


@dataclass
class SpendPeriodSchema:
    from_day: float = MISSING
    to_day: float = MISSING
    spend_per_day: float = MISSING


@dataclass
class ChannelBudgetSchema:
    spend_per_day: float = MISSING
    max_arrivals_per_day: float = MISSING
    half_saturation: float = MISSING
    hill_shape: float = 1.0
    adstock_decay: float = 0.0
    retargeting_lift: float = 0.0
    audience: Dict[str, float] = field(default_factory=dict)
    plan: List[SpendPeriodSchema] = field(default_factory=list)
    saturation: bool = True


@dataclass
class ScenarioSchema:
    name: str = MISSING
    description: str = ""
    stages: List[str] = MISSING
    purchase_stage: str = "purchase"
    arrival_rate_per_day: Optional[float] = None
    channels: Dict[str, ChannelSchema] = MISSING
    personas: Dict[str, PersonaSchema] = MISSING
    touchpoints: Dict[str, Any] = MISSING  # stage -> channel -> TouchpointSchema
    channel_switch: ChannelSwitchSchema = field(default_factory=ChannelSwitchSchema)
    word_of_mouth_channel: Optional[str] = None
    market: Optional[MarketSchema] = None
    calendar: List[CampaignSchema] = field(default_factory=list)
    budget: Dict[str, ChannelBudgetSchema] = field(default_factory=dict)


@dataclass
class RunSchema:
    seed: int = 42
    horizon_days: float = 90.0
    arrival_days: Optional[float] = None
    replications: int = 1
    progress: bool = True
    engine: str = "auto"
    workers: int = 1


def config_dir() -> Path:
    """The folder of Hydra configs: packaged inside a wheel, or the repository's ``configs/``."""
    packaged = Path(__file__).resolve().parent / "configs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "configs"


def scenario_from_dict(data: Mapping[str, Any], path: str = "scenario") -> Scenario:
    """Validate plain data (as in the YAML files) into a frozen :class:`Scenario`."""
    normalised = _typed_container(ScenarioSchema, data, path)
    normalised["touchpoints"] = _type_touchpoint_table(TouchpointSchema, normalised["touchpoints"], f"{path}.touchpoints")
    for name, persona in normalised["personas"].items():
        persona["touchpoints"] = _type_touchpoint_table(
            TouchpointOverrideSchema, persona["touchpoints"], f"{path}.personas.{name}.touchpoints"
        )
    return build_scenario(normalised, path=path)


def _type_touchpoint_table(schema: type, table: Any, path: str) -> dict[str, dict[str, Any]]:
    if not isinstance(table, Mapping):
        raise ConfigError(Problem(path, f"must map stages to channels, got {table!r}"))
    typed: dict[str, dict[str, Any]] = {}
    for stage, row in table.items():
        if not isinstance(row, Mapping):
            raise ConfigError(Problem(f"{path}.{stage}", f"must map channels to touchpoints, got {row!r}"))
        typed[str(stage)] = {str(channel): _typed_container(schema, cell, f"{path}.{stage}.{channel}") for channel, cell in row.items()}
    return typed


def run_settings_from_dict(data: Mapping[str, Any] | None = None, path: str = "run") -> RunSettings:
    normalised = _typed_container(RunSchema, dict(data or {}), path)
    return build_run_settings(normalised, path=path)


def load_scenario(name_or_path: str | Path = "retail_omnichannel", changes: Mapping[str, Any] | None = None) -> Scenario:
    """Load a scenario by name (``configs/scenario/NAME.yaml``) or from a YAML file path.

    ``changes`` maps dotted paths inside the scenario to new values, e.g.
    ``{"personas.digital_native.share": 0.5}``.
    """
    candidate = Path(name_or_path)
    if candidate.suffix not in (".yaml", ".yml"):
        candidate = config_dir() / "scenario" / f"{name_or_path}.yaml"
    if not candidate.is_file():
        available = sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))
        raise ConfigError(
            Problem("scenario", f"no scenario file {str(candidate)!r}; named scenarios: {', '.join(available)}")
        )
    try:
        loaded = OmegaConf.to_container(OmegaConf.load(candidate), resolve=True)
    except Exception as error:  # YAML syntax errors come in many types
        raise ConfigError(Problem("scenario", f"cannot read {candidate}: {error}")) from None
    if not isinstance(loaded, dict):
        raise ConfigError(Problem("scenario", f"{candidate} must hold a mapping, got {type(loaded).__name__}"))
    if changes:
        loaded = apply_changes(loaded, changes)
    return scenario_from_dict(loaded)


def load_config(cfg: DictConfig | Mapping[str, Any]) -> tuple[Scenario, RunSettings]:
    """Validate a composed Hydra config (with ``scenario`` and ``run`` nodes)."""
    container = cfg if isinstance(cfg, Mapping) and not isinstance(cfg, DictConfig) else OmegaConf.to_container(cfg, resolve=True)
    problems: list[Problem] = []
    scenario = settings = None
    try:
        scenario = scenario_from_dict(container.get("scenario") or {}, path="scenario")
    except ConfigError as error:
        problems += error.problems
    try:
        settings = run_settings_from_dict(container.get("run") or {}, path="run")
    except ConfigError as error:
        problems += error.problems
    if problems:
        raise ConfigError(problems)
    assert scenario is not None and settings is not None
    return scenario, settings


def apply_changes(data: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data`` with each dotted path set.

    Mappings merge into mappings, except a distribution of another kind (a mapping with a
    different ``dist``), which replaces the old one so stale parameters do not linger.
    """
    result = copy.deepcopy(dict(data))
    for dotted, value in changes.items():
        keys = dotted.split(".")
        node = result
        for depth, key in enumerate(keys[:-1]):
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            if not isinstance(child, dict):
                raise ConfigError(Problem(".".join(keys[: depth + 1]), f"is a value, not a section; cannot set {dotted!r}"))
            node = child
        last = keys[-1]
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            node[last] = _deep_merge(node[last], value)
        else:
            node[last] = copy.deepcopy(value)
    return result


def config_hash(data: Mapping[str, Any]) -> str:
    """A short stable fingerprint of a configuration (sorted-key JSON, SHA-256)."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    if "dist" in update and update["dist"] != base.get("dist"):
        return copy.deepcopy(dict(update))
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _typed_container(schema: type, data: Any, path: str) -> dict[str, Any]:
    """Merge ``data`` onto ``schema`` and return plain containers, translating OmegaConf errors."""
    if isinstance(data, DictConfig):
        data = OmegaConf.to_container(data, resolve=True)
    if not isinstance(data, Mapping):
        raise ConfigError(Problem(path, f"must be a mapping of fields, got {data!r}"))
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), data)
        return OmegaConf.to_container(merged, resolve=True, throw_on_missing=True)
    except oc_errors.OmegaConfBaseException as error:
        raise ConfigError(_problem_from_omegaconf(error, path)) from None


_CONVERSION = re.compile(r"Value '(?P<value>.*?)'(?: of type '\w+')? could not be converted to (?P<type>\w+)")
_NOT_IN = re.compile(r"Key '(?P<key>[^']*)' not in '(?P<schema>\w+)'")


def _problem_from_omegaconf(error: oc_errors.OmegaConfBaseException, path: str) -> Problem:
    full_key = getattr(error, "full_key", None) or ""
    where = f"{path}.{full_key}" if full_key else path
    text = str(getattr(error, "msg", None) or error).splitlines()[0]
    if isinstance(error, oc_errors.MissingMandatoryValue):
        return Problem(where, "is required but missing")
    if "is not Optional" in text:
        return Problem(where, "is required and cannot be null")
    match = _CONVERSION.search(text)
    if match:
        wanted = {"Float": "a number", "Integer": "a whole number", "Boolean": "true or false", "String": "text"}
        return Problem(where, f"must be {wanted.get(match['type'], match['type'])}, got {match['value']!r}")
    match = _NOT_IN.search(text)
    if match:
        schema = {cls.__name__: cls for cls in _SCHEMAS}.get(match["schema"])
        known = f" (known fields: {', '.join(schema.__dataclass_fields__)})" if schema else ""
        return Problem(where, f"unknown field {match['key']!r}{known}")
    if "Cannot assign" in text or "is not a subclass" in text or "Invalid type" in text:
        return Problem(where, f"has the wrong kind of value: {text}")
    return Problem(where, text)


_SCHEMAS = (
    DistributionSchema,
    ChannelSchema,
    ChannelSwitchSchema,
    StaffingPeriodSchema,
    ScheduleSchema,
    QueueSchema,
    LoyaltySchema,
    AdvocacySchema,
    MarketSchema,
    CampaignSchema,
    SpendPeriodSchema,
    ChannelBudgetSchema,
    TouchpointSchema,
    TouchpointOverrideSchema,
    PersonaSchema,
    ScenarioSchema,
    RunSchema,
)


def register_schemas() -> None:
    """Register the schemas in Hydra's ConfigStore (``journeysim_schema/scenario``, ``.../run``)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(group="journeysim_schema", name="scenario", node=ScenarioSchema)
    store.store(group="journeysim_schema", name="run", node=RunSchema)


def plain_data(value: Any) -> Any:
    """Changes as plain dicts and lists (for run.json and deep copies)."""
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    return value
