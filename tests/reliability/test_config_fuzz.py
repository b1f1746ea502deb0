"""Fuzz: whatever is done to the default scenario, the answer is a scenario or one ConfigError.

Hypothesis mutates the default scenario's plain data (configs/scenario/retail_omnichannel.yaml
as read): it deletes keys, misspells them, scales numbers, and puts floats (nan, inf, -1, 1e308, the smallest
subnormal), huge integers, strings (durations with units among them), null, booleans, nested
lists and mappings and distributions in their place, at random paths. Building the scenario
must then either succeed or raise :class:`ConfigError` whose problems each name a dotted
``scenario.`` path; never TypeError, KeyError, AttributeError and the like. A scenario that is
built compiles and the exact solver answers it, with each persona's conversion and loss
probabilities summing to 1.

A second fuzz does the same to the command line's overrides through Hydra's composition and
the job's validation: either a job, or a ConfigError (composing, or validating).

Each crash these found is kept as an ``@example`` (and its message checked below).
"""

from __future__ import annotations

import copy
import math

import pytest
from hydra import compose, initialize_config_dir
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from journeysim.analysis.exact import NotApplicable, solve
from journeysim.cli.resume import load_job
from journeysim.config import (
    composition_error,
    config_dir,
    read_mapping,
    register_resolvers,
    register_schemas,
    scenario_from_dict,
)
from journeysim.errors import ConfigError
from journeysim.model.compiled import compile_scenario

DEFAULT = read_mapping(config_dir() / "scenario" / "retail_omnichannel.yaml", resolve=True, what="scenario")


def _paths(node, prefix=()):
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def _at(data, path):
    for key in path:
        data = data[key]
    return data


PATHS = sorted(_paths(DEFAULT), key=str)
DELETE = ("delete",)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -1, -1.0, 0, 1, 0.5, 1e308, -1e308, 5e-324, 2**63, 10**30]),
    st.integers(min_value=-(2**70), max_value=2**70),
)
leaves = st.one_of(
    numbers,
    st.text(max_size=6),
    st.sampled_from(["10min", "2h", "-3d", "3m", "1e3", "nan", "true", "${oops}", "website", "purchase"]),
    st.none(),
    st.booleans(),
)
distributions = st.fixed_dictionaries(
    {"dist": st.sampled_from(["fixed", "exponential", "uniform", "triangular", "gamma", "lognormal", "weibull", "nosuch"])},
    optional={name: numbers for name in ("value", "mean", "cv", "low", "mode", "high", "shape", "scale")},
)
values = st.recursive(
    st.one_of(leaves, distributions),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
actions = st.one_of(st.just(DELETE), st.tuples(st.just("rename"), st.sampled_from(["x", "_", "s"])), st.tuples(st.just("set"), values))
# A number scaled keeps its type, so more mutants are valid and reach the solver.
NUMBER_PATHS = [path for path in PATHS if type(_at(DEFAULT, path)) in (int, float)]
scalings = st.tuples(st.just("scale"), st.sampled_from([0, 5e-324, 1e-9, 0.5, 2, 1e6, 1e300, -1]))
mutations = st.lists(st.tuples(st.sampled_from(PATHS), actions) | st.tuples(st.sampled_from(NUMBER_PATHS), scalings), min_size=1, max_size=3)


def mutated(data, changes):
    """A deep copy of ``data`` with each (path, action) done where the path still leads."""
    data = copy.deepcopy(data)
    for path, action in changes:
        parent = data
        for key in path[:-1]:
            parent = parent[key] if isinstance(parent, (dict, list)) and _holds(parent, key) else None
        last = path[-1]
        if parent is None or not _holds(parent, last):
            continue
        if action == DELETE:
            del parent[last]
        elif action[0] == "rename" and isinstance(parent, dict):
            parent[f"{last}{action[1]}"] = parent.pop(last)
        elif action[0] == "set":
            parent[last] = copy.deepcopy(action[1])
        elif action[0] == "scale" and type(parent[last]) in (int, float):
            parent[last] = parent[last] * action[1]
    return data


def _holds(node, key):
    return key in node if isinstance(node, dict) else isinstance(node, list) and isinstance(key, int) and key < len(node)


# The crashes this fuzz found, kept: mappings and lists that OmegaConf's merge let into typed
# containers of numbers; values that are no number in duration fields (typed Any), which the
# model objects were built from after the check had reported them; a Weibull whose mean
# overflows (the exact solver's OverflowError).
FOUND = [
    ([(("budget", "social", "audience", "store_loyal"), ("set", {}))], "scenario.budget.social.audience.store_loyal: must be a number, got {}"),
    ([(("channels", "call_centre", "schedule", "open_hours", 0), ("set", {}))], "scenario.channels.call_centre.schedule.open_hours[0]: must be a number, got {}"),
    ([(("channels", "call_centre", "schedule", "closed_weekdays", 0), ("set", [1]))], "scenario.channels.call_centre.schedule.closed_weekdays[0]: must be a whole number, got [1]"),
    ([(("channels", "store", "queue", "target_wait_days"), ("set", {}))], "scenario.channels.store.queue.target_wait_days: must be a finite number, got {}"),
    ([(("channels", "store", "schedule", "periods", 0, "from_day"), ("set", {}))], "scenario.channels.store.schedule.periods[0].from_day: must be a finite number, got {}"),
    ([(("calendar", 0, "from_day"), ("set", None))], "scenario.calendar[0].from_day: must be a finite number, got None"),
    ([(("budget", "social"), ("set", {"spend_per_day": 1, "max_arrivals_per_day": 1, "half_saturation": 1, "plan": [{"from_day": None, "to_day": 5, "spend_per_day": 1}]}))],
     "scenario.budget.social.plan[0].from_day: must be a finite number, got None"),
    ([(("touchpoints", "consideration", "mobile_app", "delay_days"), ("set", {"dist": "weibull", "shape": 1e-5, "scale": 1}))],
     "scenario.touchpoints.consideration.mobile_app.delay_days.shape: gives an infinite mean, weibull(shape=1e-05, scale=1); got 1e-05"),
]


def _fuzz_examples(test):
    for changes, _ in FOUND:
        test = example(changes=changes)(test)
    return test


@pytest.mark.slow  # 500 scenarios of about 0.1 s each (OmegaConf's typing): about a minute
@_fuzz_examples
@settings(max_examples=500, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(changes=mutations)
def test_a_mutated_default_scenario_is_a_scenario_or_one_config_error(changes):
    data = mutated(DEFAULT, changes)
    try:
        scenario = scenario_from_dict(data)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path.startswith("scenario") and problem.message, problem
        return
    if scenario.has_carryover:  # path-dependent: the solver says so, and answers the chain without it
        with pytest.raises(NotApplicable):
            solve(scenario)
        scenario = scenario.without_carryover()
    solution = solve(compile_scenario(scenario))
    for row in solution.summary.itertuples():
        assert 0 <= row.conversion_probability <= 1 and 0 <= row.loss_probability <= 1, row
        assert row.conversion_probability + row.loss_probability == pytest.approx(1.0, abs=1e-9), row


@pytest.mark.parametrize("changes, message", FOUND, ids=[m.split(":")[0] for _, m in FOUND])
def test_what_the_fuzz_found_is_one_clear_problem(changes, message):
    with pytest.raises(ConfigError) as info:
        scenario_from_dict(mutated(DEFAULT, changes))
    assert [str(p) for p in info.value.problems] == [message]


# Overrides as a person types them on the command line: a key of the default config
# (scenario paths and run/output settings), misspelt or not, prefixed or not, with a value.
OVERRIDE_KEYS = sorted({".".join(map(str, ("scenario",) + path)) for path in PATHS if not any(isinstance(k, int) for k in path)}) + [
    "run.seed", "run.horizon_days", "run.replications", "run.engine", "output.events", "scenario", "experiment", "run", "hydra.job.chdir",
]
override_values = st.one_of(
    st.sampled_from(["0", "-1", "1e308", "nan", "inf", "abc", "null", "true", "[]", "[1,[2]]", "{a: 1}", "${oops", "${nosuch}", "2h", "'x'", "", "retail_omnichannel", "nosuch"]),
    st.text(alphabet="abc01.,=[]{}$'\" +~:", max_size=6),
)
overrides = st.lists(
    st.builds(
        lambda prefix, key, typo, value: f"{prefix}{key}{typo}={value}" if prefix != "~" else f"~{key}{typo}",
        st.sampled_from(["", "", "+", "++", "~"]),
        st.sampled_from(OVERRIDE_KEYS),
        st.sampled_from(["", "", "", "x"]),
        override_values,
    ),
    min_size=1,
    max_size=2,
)


@settings(max_examples=50, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(arguments=overrides)
def test_overrides_compose_into_a_job_or_one_config_error(arguments):
    register_schemas()
    register_resolvers()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = compose("config", overrides=["run.horizon_days=5", *arguments])
    except Exception as error:  # the command line reports these as composition_error says
        mistake = composition_error(error)
        assert mistake is not None, f"{type(error).__name__}: {error}"
        assert all(p.path and p.message for p in mistake.problems)
        return
    try:
        load_job(cfg)
    except ConfigError as error:
        assert all(p.path and p.message for p in error.problems)
