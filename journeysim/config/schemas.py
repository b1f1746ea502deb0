"""The structured-config schemas: what fields each config node has, their types and defaults.

YAML (or a Python dict) is merged onto these dataclasses, which catches unknown fields, wrong
types and missing values before any meaning check (:mod:`journeysim.config.validation`).
They are registered in Hydra's ConfigStore (:func:`register_schemas`) so the composed
``config.yaml`` is typed too. The defaults here are the ones documented in
docs/configuration.md (a test checks them against each other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from omegaconf import MISSING

from journeysim.model.experience import Detraction, EmotionCarryover, Experience
from journeysim.model.observation import Observation
from journeysim.model.scenario import (
    Advocacy,
    ChannelSwitch,
    Loyalty,
    QueuePolicy,
    Removal,
)
from journeysim.model.settings import OutputSettings, RunSettings
from journeysim.model.surveys import ResponseProbability, Surveys


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


# A duration: a number of days, or a string with a unit ("10min", "2h", "3d", "2w"). OmegaConf
# cannot type "a float or such a string", so these fields take any value at this stage and
# validation converts them to days (journeysim.config.durations), with its own messages.
Duration = Any


@dataclass
class DurationDistributionSchema:
    """A distribution of durations (delays, service times, patience): its time-valued
    parameters take units; ``cv`` and a Weibull ``shape`` are ratios."""

    dist: str = MISSING
    value: Optional[Duration] = None
    mean: Optional[Duration] = None
    cv: Optional[float] = None
    low: Optional[Duration] = None
    mode: Optional[Duration] = None
    high: Optional[Duration] = None
    shape: Optional[float] = None
    scale: Optional[Duration] = None


@dataclass
class StaffingPeriodSchema:
    from_day: Duration = MISSING
    to_day: Duration = MISSING
    servers: int = MISSING


@dataclass
class ScheduleSchema:
    open_hours: Optional[List[float]] = None  # [opening hour, closing hour] of each day
    closed_weekdays: List[int] = field(default_factory=list)  # day 0 of the horizon is a Monday (0)
    periods: List[StaffingPeriodSchema] = field(default_factory=list)


@dataclass
class QueueSchema:
    renege_loss_probability: float = QueuePolicy.renege_loss_probability
    renege_emotion: float = QueuePolicy.renege_emotion
    target_wait_days: Duration = QueuePolicy.target_wait_days


@dataclass
class ChannelSchema:
    mode: str = "online"
    cost_per_contact: float = 0.0
    sells: bool = False
    capacity: Optional[int] = None
    service_time_days: Optional[DurationDistributionSchema] = None
    schedule: Optional[ScheduleSchema] = None
    queue: QueueSchema = field(default_factory=QueueSchema)
    staff_cost_per_hour: float = 0.0
    label: str = ""
    experience: bool = True  # touches are experienced moments (false: exposure, e.g. ads seen)


@dataclass
class TouchpointSchema:
    delay_days: DurationDistributionSchema = MISSING
    advance: float = MISSING
    drop: float = 0.0
    target: Optional[str] = None
    emotion: float = 0.0
    friction: float = 0.0
    available: bool = True
    experience: Optional[bool] = None  # None: the channel's (always true at the purchase stage)


@dataclass
class TouchpointOverrideSchema:
    """A persona's change to one touchpoint: only the fields it sets differ from the base map."""

    delay_days: Optional[DurationDistributionSchema] = None
    advance: Optional[float] = None
    drop: Optional[float] = None
    target: Optional[str] = None
    emotion: Optional[float] = None
    friction: Optional[float] = None
    available: Optional[bool] = None
    experience: Optional[bool] = None


@dataclass
class LoyaltySchema:
    purchase_rate_per_day: float = MISSING
    rate_shape: Optional[float] = None
    churn_probability: float = MISSING
    churn_concentration: Optional[float] = None
    satisfaction_churn_slope: float = Loyalty.satisfaction_churn_slope
    loyal_after_repeats: int = Loyalty.loyal_after_repeats


@dataclass
class AdvocacySchema:
    probability: float = MISSING
    referral_rate_per_day: float = MISSING
    satisfaction_threshold: float = Advocacy.satisfaction_threshold


@dataclass
class EmotionCarryoverSchema:
    strength: float = EmotionCarryover.strength  # logit shift of the drop probability per unit of mood; 0: off
    decay: float = EmotionCarryover.decay  # share of the mood kept from one touch to the next


@dataclass
class DetractionSchema:
    probability: float = MISSING
    referral_rate_per_day: float = MISSING
    satisfaction_threshold: float = Detraction.satisfaction_threshold
    strength: float = Detraction.strength
    talk_days: Duration = Detraction.talk_days


@dataclass
class ExperienceSchema:
    peak_end_weight: float = Experience.peak_end_weight
    purchase_emotion: float = Experience.purchase_emotion
    friction_loss_emotion: float = Experience.friction_loss_emotion


@dataclass
class PersonaSchema:
    share: Optional[float] = None
    arrival_rate_per_day: Optional[float] = None
    affinity: Dict[str, float] = field(default_factory=dict)
    # previous channel -> channel -> weight multiplying affinity for the next touch (1 if absent)
    handoff: Dict[str, Dict[str, float]] = field(default_factory=dict)
    friction_sensitivity: float = 1.0
    patience_days: Optional[DurationDistributionSchema] = None
    order_value: DistributionSchema = MISSING
    # stage -> channel -> TouchpointOverrideSchema (OmegaConf cannot type nested dicts of
    # dataclasses, so cells are typed one by one in ``_type_touchpoint_table``).
    touchpoints: Dict[str, Any] = field(default_factory=dict)
    loyalty: Optional[LoyaltySchema] = None
    advocacy: Optional[AdvocacySchema] = None
    emotion_carryover: EmotionCarryoverSchema = field(default_factory=EmotionCarryoverSchema)
    detraction: Optional[DetractionSchema] = None
    description: str = ""


@dataclass
class ChannelSwitchSchema:
    friction: float = ChannelSwitch.friction
    between_modes_only: bool = ChannelSwitch.between_modes_only


@dataclass
class RemovalSchema:
    policy: str = Removal.policy  # reroute | lose: customers who would have chosen a closed touchpoint
    emotion: float = Removal.emotion  # lose: how finding it closed feels


@dataclass
class MarketSchema:
    size: int = MISSING
    external_rate_per_day: float = MISSING


@dataclass
class CampaignSchema:
    name: str = MISSING
    from_day: Duration = MISSING
    to_day: Duration = MISSING
    multiplier: float = MISSING
    personas: List[str] = field(default_factory=list)


@dataclass
class SpendPeriodSchema:
    from_day: Duration = MISSING
    to_day: Duration = MISSING
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
class SurveyResponseSchema:
    neutral: float = ResponseProbability.neutral  # response probability at satisfaction 0
    extreme: float = ResponseProbability.extreme  # at satisfaction -1 or +1 (linear in |s| between)


@dataclass
class SurveysSchema:
    # moments that send a survey: purchase, repeat_purchase, service, churn, friction_loss
    after: List[str] = field(default_factory=lambda: list(Surveys.after))
    invitation_probability: float = Surveys.invitation_probability  # share of those moments invited
    response_probability: SurveyResponseSchema = field(default_factory=SurveyResponseSchema)
    noise: float = Surveys.noise  # sd of the answers' noise, on the satisfaction scale
    questions: List[str] = field(default_factory=lambda: list(Surveys.questions))  # csat, nps, ces


@dataclass
class ObservationSchema:
    """What a brand records of the truth (:mod:`journeysim.model.observation`); every default
    is full visibility."""

    consent_rate: float = Observation.consent_rate  # share of customers who accept tracking
    recorded_share: Dict[str, float] = field(default_factory=dict)  # channel -> share of its touches recorded (absent: 1)
    identity_loss_per_day: float = Observation.identity_loss_per_day  # cookie resets / device switches per day
    offline_purchase_match: float = Observation.offline_purchase_match  # probability a till sale is tied to its journey
    session_timeout_days: Duration = "30min"  # inactivity that ends an analytics session (Observation's default)


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
    removal: RemovalSchema = field(default_factory=RemovalSchema)
    word_of_mouth_channel: Optional[str] = None
    market: Optional[MarketSchema] = None
    calendar: List[CampaignSchema] = field(default_factory=list)
    budget: Dict[str, ChannelBudgetSchema] = field(default_factory=dict)
    experience: ExperienceSchema = field(default_factory=ExperienceSchema)
    surveys: Optional[SurveysSchema] = None  # CSAT / NPS / CES surveys; null: none
    observation: Optional[ObservationSchema] = None  # what a brand records of the truth; null: everything


@dataclass
class RunSchema:
    # The defaults are the model's own (RunSettings): one source for the Python API, the
    # schema and docs/configuration.md. configs/config.yaml sets the command line's.
    seed: int = RunSettings.seed
    horizon_days: Duration = RunSettings.horizon_days
    arrival_days: Optional[Duration] = RunSettings.arrival_days
    replications: int = RunSettings.replications
    progress: bool = RunSettings.progress
    engine: str = RunSettings.engine
    workers: int = RunSettings.workers
    backend: str = RunSettings.backend
    force: bool = RunSettings.force
    sort_by_time: bool = RunSettings.sort_by_time


@dataclass
class PrecisionSchema:
    """How many paired replications a study runs (:mod:`journeysim.studies.precision`): first
    ``min_replications``, then ``batch`` more at a time until the interval of ``kpi``'s
    difference (for ``persona``) is at most ``half_width`` wide on each side (a share of the
    current mean when ``relative``), at most ``max_replications``."""

    kpi: str = "conversion_rate"
    persona: str = "all"
    half_width: float = 0.005  # 0.5 percentage points of conversion
    relative: bool = False
    min_replications: int = 5
    batch: int = 2
    max_replications: int = 100


@dataclass
class ExperimentSchema:
    """A named current-vs-future study (``configs/experiment/NAME.yaml``)."""

    name: str = MISSING
    title: str = ""  # the report's title; "": the name's words. Changes beyond the study file's are named in it
    question: str = ""
    changes: Dict[str, Any] = field(default_factory=dict)  # a partial scenario: the future state
    assumptions: Dict[str, Any] = field(default_factory=dict)  # applied to both states first
    # null: as many as `precision` needs; a number: exactly that many paired replications
    replications: Optional[int] = None
    precision: Optional[PrecisionSchema] = None  # null: PrecisionSchema's defaults
    futures: Dict[str, Any] = field(default_factory=dict)  # several options instead of `changes`: NAME -> changes
    independent: bool = False  # True: the future state gets its own seed (no common random numbers)
    confidence: float = 0.95


@dataclass
class OutputSchema:
    events: bool = OutputSettings.events  # write events.parquet (the full event log)
    figures: bool = OutputSettings.figures  # write the figures (PNG)
    resume: bool = OutputSettings.resume  # skip a job whose folder already holds its complete result
    name: str = OutputSettings.name  # a label in the default run folder's name
    observed: bool = OutputSettings.observed  # write observed/: what a brand's tools would see, and the truth beside it
    report: bool = OutputSettings.report  # write report.html and its tables (pain_points.csv, journey_map.csv, ...)


SCHEMAS = (
    DistributionSchema,
    DurationDistributionSchema,
    ChannelSchema,
    ChannelSwitchSchema,
    RemovalSchema,
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
    SurveyResponseSchema,
    SurveysSchema,
    ObservationSchema,
    ScenarioSchema,
    RunSchema,
    OutputSchema,
    PrecisionSchema,
    ExperimentSchema,
)


def register_schemas() -> None:
    """Register the schemas in Hydra's ConfigStore: ``journeysim_schema/scenario``, ``run``,
    ``output`` and ``experiment``.

    The ``journeysim`` command registers them before composing, so a config of one's own
    (``--config-path``) can type its nodes with them (``- journeysim_schema/run@run`` in its
    defaults list). journeysim's own jobs are checked by :func:`journeysim.cli.resume.load_job`
    against the same schemas, with messages that name each path and value."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(group="journeysim_schema", name="scenario", node=ScenarioSchema)
    store.store(group="journeysim_schema", name="run", node=RunSchema)
    store.store(group="journeysim_schema", name="output", node=OutputSchema)
    store.store(group="journeysim_schema", name="experiment", node=ExperimentSchema)
