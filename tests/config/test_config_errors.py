"""Every invalid configuration gets its own clear message naming the config path and value."""

import copy

import pytest

import journeysim as js
from journeysim.config import apply_changes, with_changes

BAD_SCENARIOS = [
    # (change, path named in the message, words in the message)
    ({"touchpoints.awareness.social.advance": -0.1}, "scenario.touchpoints.awareness.social.advance", "must be a probability in [0, 1], got -0.1"),
    ({"touchpoints.purchase.website.drop": 1.5}, "scenario.touchpoints.purchase.website.drop", "got 1.5"),
    ({"touchpoints.interest.website.advance": 0.7, "touchpoints.interest.website.drop": 0.5}, "scenario.touchpoints.interest.website", "advance + drop must be <= 1, got 0.7 + 0.5 = 1.2"),
    ({"touchpoints.awareness.social.emotion": 2.0}, "scenario.touchpoints.awareness.social.emotion", "must be in [-1, 1], got 2"),
    ({"touchpoints.purchase.website.friction": 1.2}, "scenario.touchpoints.purchase.website.friction", "got 1.2"),
    ({"touchpoints.awareness.tiktok": {"delay_days": {"dist": "fixed", "value": 1}, "advance": 0.5}}, "scenario.touchpoints.awareness.tiktok", "unknown channel 'tiktok'"),
    ({"touchpoints.evaluation": {"social": {"delay_days": {"dist": "fixed", "value": 1}, "advance": 0.5}}}, "scenario.touchpoints.evaluation.social", "unknown stage 'evaluation'"),
    ({"personas.buyer.affinity.tiktok": 1.0}, "scenario.personas.buyer.affinity.tiktok", "unknown channel 'tiktok'"),
    ({"personas.buyer.affinity.social": -1.0}, "scenario.personas.buyer.affinity.social", "must be >= 0, got -1"),
    ({"personas.buyer.share": 0.7}, "scenario.personas", "shares must sum to 1, got 1.2 (buyer=0.7, blocked=0.5)"),
    ({"stages": ["interest", "awareness", "purchase"]}, "scenario.stages", "stage order broken: interest > awareness > purchase should run awareness > interest > purchase"),
    ({"stages": ["awareness", "interest", "interest", "purchase"]}, "scenario.stages[2]", "stage 'interest' is listed twice"),
    ({"purchase_stage": "checkout"}, "scenario.purchase_stage", "must be one of the stages (awareness, interest, purchase), got 'checkout'"),
    ({"touchpoints.interest.website.available": False}, "scenario.touchpoints.interest", "stage 'interest' has no channel (no touchpoint) for persona 'buyer'"),
    ({"touchpoints.awareness.social.delay_days": {"dist": "fixed", "value": -2}}, "scenario.touchpoints.awareness.social.delay_days.value", "must be >= 0, got -2"),
    ({"touchpoints.awareness.social.delay_days": {"dist": "exponential", "mean": -1}}, "scenario.touchpoints.awareness.social.delay_days.mean", "must be > 0, got -1"),
    ({"touchpoints.awareness.social.delay_days": {"dist": "poisson", "mean": 1}}, "scenario.touchpoints.awareness.social.delay_days.dist", "unknown distribution 'poisson'"),
    ({"touchpoints.awareness.social.delay_days": {"dist": "exponential", "mean": 1, "cv": 0.5}}, "scenario.touchpoints.awareness.social.delay_days.cv", "is not a parameter of 'exponential'"),
    ({"touchpoints.awareness.social.delay_days": {"dist": "gamma", "mean": 1}}, "scenario.touchpoints.awareness.social.delay_days.cv", "is required by 'gamma'"),
    ({"touchpoints.awareness.social.advnce": 0.3}, "scenario.touchpoints.awareness.social.advnce", "unknown field 'advnce'"),
    ({"touchpoints.awareness.social.advance": "high"}, "scenario.touchpoints.awareness.social.advance", "must be a number, got 'high'"),
    ({"channels.social.mode": "hybrid"}, "scenario.channels.social.mode", "must be one of online, offline, got 'hybrid'"),
    ({"channels.social.cost_per_contact": -0.5}, "scenario.channels.social.cost_per_contact", "must be >= 0, got -0.5"),
    ({"channels.website.sells": False}, "scenario.touchpoints.purchase.website", "channel 'website' does not sell"),
    ({"channels.website.capacity": 0, "channels.website.service_time_days": {"dist": "fixed", "value": 0.1}}, "scenario.channels.website.capacity", "must be >= 1 server"),
    ({"channels.website.capacity": 3}, "scenario.channels.website.service_time_days", "is required when capacity is set (capacity=3)"),
    ({"personas.buyer.friction_sensitivity": -1.0}, "scenario.personas.buyer.friction_sensitivity", "must be >= 0, got -1"),
    ({"touchpoints.awareness.social.target": "awareness"}, "scenario.touchpoints.awareness.social.target", "must be a later stage than 'awareness', got 'awareness'"),
    ({"touchpoints.awareness.social.target": "nowhere"}, "scenario.touchpoints.awareness.social.target", "unknown stage 'nowhere'"),
    ({"touchpoints.awareness.social.advance": 0.0}, "scenario.touchpoints.awareness", "persona 'buyer' can never leave stage 'awareness'"),
    ({"personas.buyer.affinity.social": 0.0, "personas.blocked.affinity.social": 0.0}, "scenario.personas.buyer.affinity", "no channel serving stage 'awareness' (social) has positive affinity"),
    ({"personas.buyer.order_value": None}, "scenario.personas.buyer.order_value", "is required"),
    ({"arrival_rate_per_day": None}, "scenario.arrival_rate_per_day", "is required when personas arrive by share"),
    ({"personas.buyer.touchpoints.purchase.social": {"delay_days": {"dist": "fixed", "value": 1}, "advance": 0.5}}, "scenario.personas.buyer.touchpoints.purchase.social", "channel 'social' does not sell"),
    ({"personas.buyer.touchpoints.interest.social": {"friction": 0.2}}, "scenario.personas.buyer.touchpoints.interest.social.advance", "is required for a touchpoint that is not in the base map"),
    ({"channel_switch.friction": 2.0}, "scenario.channel_switch.friction", "got 2"),
    ({"stages": ["awareness", "interest", "purchase", "loyalty"], "touchpoints.loyalty": {"social": {"delay_days": {"dist": "fixed", "value": 1}, "advance": 0.5}}}, "scenario.touchpoints.loyalty.social", "post-purchase stages are reached by the loyalty"),
]


# The whole-journey fields (queues, loyalty, word of mouth, market, calendar).
CAPACITY = {"channels.website.capacity": 2, "channels.website.service_time_days": {"dist": "exponential", "mean": 0.01}}
BAD_SCENARIOS += [
    ({**CAPACITY, "channels.website.schedule": {"open_hours": [20, 9]}}, "scenario.channels.website.schedule.open_hours", "must satisfy 0 <= open < close <= 24, got [20.0, 9.0]"),
    ({**CAPACITY, "channels.website.schedule": {"closed_weekdays": [7]}}, "scenario.channels.website.schedule.closed_weekdays[0]", "must be a weekday 0 (Monday) to 6 (Sunday), got 7"),
    ({**CAPACITY, "channels.website.schedule": {"periods": [{"from_day": 5, "to_day": 2, "servers": 3}]}}, "scenario.channels.website.schedule.periods[0].to_day", "must be after from_day (5), got 2"),
    ({"channels.website.schedule": {"open_hours": [9, 17]}}, "scenario.channels.website.schedule", "a schedule needs capacity"),
    ({**CAPACITY, "channels.website.queue": {"renege_loss_probability": 1.5}}, "scenario.channels.website.queue.renege_loss_probability", "got 1.5"),
    ({"personas.buyer.patience_days": {"dist": "exponential", "mean": 0}}, "scenario.personas.buyer.patience_days.mean", "must be > 0, got 0"),
    ({"personas.buyer.loyalty": {"purchase_rate_per_day": -0.1, "churn_probability": 0.2}}, "scenario.personas.buyer.loyalty.purchase_rate_per_day", "must be >= 0, got -0.1"),
    ({"personas.buyer.loyalty": {"purchase_rate_per_day": 0.1, "churn_probability": 1.2}}, "scenario.personas.buyer.loyalty.churn_probability", "got 1.2"),
    ({"personas.buyer.loyalty": {"purchase_rate_per_day": 0.1, "churn_probability": 0.2, "rate_shape": 0}}, "scenario.personas.buyer.loyalty.rate_shape", "must be > 0, got 0"),
    ({"personas.buyer.loyalty": {"purchase_rate_per_day": 0.1, "churn_probability": 0.0, "churn_concentration": 3}}, "scenario.personas.buyer.loyalty.churn_concentration", "needs 0 < churn_probability < 1"),
    ({"personas.buyer.loyalty": {"purchase_rate_per_day": 0.1}}, "scenario.personas.buyer.loyalty.churn_probability", "is required but missing"),
    ({"personas.buyer.advocacy": {"probability": 0.5, "referral_rate_per_day": 0.1}}, "scenario.word_of_mouth_channel", "is required when personas recommend (advocacy set for buyer)"),
    ({"word_of_mouth_channel": "pigeon"}, "scenario.word_of_mouth_channel", "unknown channel 'pigeon'"),
    ({"word_of_mouth_channel": "website"}, "scenario.word_of_mouth_channel", "but there is no touchpoints.awareness.website"),
    ({"market": {"size": 0, "external_rate_per_day": 0.1}}, "scenario.market.size", "must be >= 1 potential customer, got 0"),
    ({"calendar": [{"name": "sale", "from_day": 10, "to_day": 5, "multiplier": 2}]}, "scenario.calendar[0].to_day", "must be after from_day (10), got 5"),
    ({"calendar": [{"name": "sale", "from_day": 1, "to_day": 5, "multiplier": -2}]}, "scenario.calendar[0].multiplier", "must be >= 0, got -2"),
    ({"calendar": [{"name": "sale", "from_day": 1, "to_day": 5, "multiplier": 2, "personas": ["ghost"]}]}, "scenario.calendar[0].personas", "unknown persona 'ghost'"),
]


@pytest.mark.parametrize("changes, path, words", BAD_SCENARIOS, ids=[p + ":" + w[:25] for _, p, w in BAD_SCENARIOS])
def test_bad_scenario_message(tiny_data, changes, path, words):
    data = apply_changes(tiny_data, changes)
    with pytest.raises(js.ConfigError) as info:
        js.scenario_from_dict(data)
    messages = [str(problem) for problem in info.value.problems]
    assert any(m.startswith(path + ":") and words in m for m in messages), messages


def test_every_problem_is_reported_at_once(tiny_data):
    data = apply_changes(tiny_data, {"touchpoints.awareness.social.emotion": 3.0, "channels.social.cost_per_contact": -1.0})
    with pytest.raises(js.ConfigError) as info:
        js.scenario_from_dict(data)
    assert sorted(info.value.paths) == ["scenario.channels.social.cost_per_contact", "scenario.touchpoints.awareness.social.emotion"]


def test_missing_required_section(tiny_data):
    del tiny_data["touchpoints"]
    with pytest.raises(js.ConfigError, match=r"^scenario.touchpoints: is required but missing$"):
        js.scenario_from_dict(tiny_data)


BAD_RUNS = [
    ({"horizon_days": 0}, "run.horizon_days", "must be > 0, got 0"),
    ({"replications": 0}, "run.replications", "must be >= 1, got 0"),
    ({"seed": -3}, "run.seed", "must be a whole number from 0 to 9223372036854775807, got -3"),
    ({"seed": 10**23}, "run.seed", "must be a whole number from 0 to 9223372036854775807, got 100000000000000000000000"),
    ({"arrival_days": 50, "horizon_days": 10}, "run.arrival_days", "must be <= horizon_days (10), got 50"),
    ({"seed": "abc"}, "run.seed", "must be a whole number, got 'abc'"),
    ({"engine": "turbo"}, "run.engine", "must be one of simpy, vectorised, auto, got 'turbo'"),
]


@pytest.mark.parametrize("values, path, words", BAD_RUNS)
def test_bad_run_settings(values, path, words):
    with pytest.raises(js.ConfigError) as info:
        js.run_settings_from_dict(values)
    assert any(str(p).startswith(path + ":") and words in str(p) for p in info.value.problems), info.value.problems


def test_valid_scenario_is_frozen(tiny_data):
    scenario = js.scenario_from_dict(copy.deepcopy(tiny_data))
    with pytest.raises(AttributeError):
        scenario.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        scenario.channels["social"] = None  # type: ignore[index]


def test_with_changes_validates(tiny_data):
    scenario = js.scenario_from_dict(tiny_data)
    changed = with_changes(scenario, {"touchpoints.purchase.website.friction": 0.5})
    assert changed.touchpoints[("purchase", "website")].friction == 0.5
    assert scenario.touchpoints[("purchase", "website")].friction == 0.0
    with pytest.raises(js.ConfigError, match="scenario.touchpoints.purchase.website.friction"):
        with_changes(scenario, {"touchpoints.purchase.website.friction": 5})


def test_unknown_scenario_name():
    with pytest.raises(js.ConfigError, match="no scenario file .*named scenarios: .*retail_omnichannel"):
        js.load_scenario("does_not_exist")
