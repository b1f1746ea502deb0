"""Durations take units wherever a duration goes (``10min``, ``2h``, ``3d``, ``2w``), mean exactly
the days they name, fail with one message naming the path and the value, and come back in
the reports in the unit a person would use (issue 15)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import typing
from pathlib import Path

import pandas as pd
import pytest

import journeysim as js
from journeysim.config import config_hash, load_scenario, run_settings_from_dict
from journeysim.config.durations import (
    duration_days,
    format_duration,
    is_duration_path,
    parse_duration,
)
from journeysim.config.schemas import SCHEMAS, Duration, DurationDistributionSchema
from journeysim.reporting.comparison_summary import change_lines
from journeysim.reporting.run_text import queue_text

HOUR, MINUTE = 1 / 24, 1 / 1440


@pytest.mark.parametrize(
    "written, days, shown",
    [
        ("10min", 10 / 1440, "10 min"),
        ("10 min", 10 / 1440, "10 min"),
        ("10MIN", 10 / 1440, "10 min"),
        ("2h", 2 / 24, "2 h"),
        ("1.5 Hours", 1.5 / 24, "1.5 h"),
        ("30s", 30 / 86400, "30 s"),
        ("3d", 3.0, "3 days"),
        ("1 day", 1.0, "1 day"),
        ("2w", 14.0, "2 weeks"),
        ("1e-3d", 0.001, "1.44 min"),
        (5, 5.0, "5 days"),  # plain numbers are days, as before
        ("2", 2.0, "2 days"),
    ],
)
def test_a_duration_means_the_days_it_names_and_reads_back_in_its_unit(written, days, shown):
    assert duration_days(written) == days
    assert format_duration(days) == shown
    assert duration_days(shown) == pytest.approx(days, rel=1e-2)  # what the reports print parses back


@pytest.mark.parametrize(
    "days, shown",
    [
        (0.0, "0 min"),
        (45 / 86400, "45 s"),
        (0.0069, "9.94 min"),  # the default scenario's "10 minutes"
        (59.6 / 1440, "59.6 min"),
        (2.5 / 24, "2.5 h"),
        (3.2, "3.2 days"),
        (7.0, "1 week"),
        (28.0, "4 weeks"),
        (30.0, "30 days"),  # weeks only when whole
        (180.0, "180 days"),
        (1234.0, "1,234 days"),
        (float("nan"), "-"),
    ],
)
def test_format_duration_picks_the_unit_a_person_would_use(days, shown):
    assert format_duration(days) == shown


def test_a_signed_duration_is_a_difference():
    assert format_duration(-0.25, signed=True) == "-6 h"
    assert format_duration(0.5 / 24, signed=True) == "+30 min"
    assert format_duration(-0.25) == "-6 h"


@pytest.mark.parametrize(
    "written, message",
    [
        ("10 parsecs", "unknown unit 'parsecs': use s, min, h, d or w (e.g. 10min, 2h, 3d); got '10 parsecs'"),
        ("90m", "unit 'm' could mean minutes or months: write min for minutes (e.g. 90min), or the days for months; got '90m'"),
        ("3 months", "months and years differ in length, so they are not a unit: write days or weeks (e.g. 30d, 52w); got '3 months'"),
        ("-2h", "must not be negative, got '-2h'"),
        ("two hours", "must be a duration: a number of days, or a number with a unit (s, min, h, d, w) such as 10min, 2h, 3d; got 'two hours'"),
        ([1, 2], "must be a duration: a number of days, or a number with a unit (s, min, h, d, w) such as 10min, 2h, 3d; got [1, 2]"),
        (True, "must be a duration: a number of days, or a number with a unit (s, min, h, d, w) such as 10min, 2h, 3d; got True"),
    ],
)
def test_parse_duration_names_the_path_and_the_value(written, message):
    with pytest.raises(js.ConfigError) as caught:
        parse_duration(written, "run.horizon_days")
    assert [(p.path, p.message) for p in caught.value.problems] == [("run.horizon_days", message)]


# The retail scenario with every kind of duration it holds written with units, and the same
# written in days (the arithmetic a person would otherwise do by hand).
WITH_UNITS = {
    "channels.store.service_time_days": {"dist": "lognormal", "mean": "15min", "cv": 0.8},
    "channels.store.queue.target_wait_days": "10 min",
    "channels.store.schedule.periods": [{"from_day": "1w", "to_day": "2w", "servers": 10}],
    "touchpoints.awareness.social.delay_days": {"dist": "exponential", "mean": "2h"},
    "touchpoints.awareness.search.delay_days": {"dist": "weibull", "shape": 1.5, "scale": "36h"},
    "touchpoints.interest.social.delay_days": {"dist": "triangular", "low": "30min", "mode": "2h", "high": "1d"},
    "touchpoints.interest.email.delay_days": {"dist": "fixed", "value": "90s"},
    "personas.digital_native.patience_days": {"dist": "exponential", "mean": "5min"},
    "personas.time_poor_professional.touchpoints.purchase.mobile_app.delay_days": {"dist": "uniform", "low": "1h", "high": "1d"},
    "calendar": [{"name": "sale", "from_day": "3d", "to_day": "10d", "multiplier": 1.8}],
    "budget.search.plan": [{"from_day": "2d", "to_day": "1w", "spend_per_day": 900}],
    "arrival_rate_per_day": 20,
}
IN_DAYS = {
    "channels.store.service_time_days": {"dist": "lognormal", "mean": 15 / 1440, "cv": 0.8},
    "channels.store.queue.target_wait_days": 10 / 1440,
    "channels.store.schedule.periods": [{"from_day": 7, "to_day": 14, "servers": 10}],
    "touchpoints.awareness.social.delay_days": {"dist": "exponential", "mean": 2 / 24},
    "touchpoints.awareness.search.delay_days": {"dist": "weibull", "shape": 1.5, "scale": 1.5},
    "touchpoints.interest.social.delay_days": {"dist": "triangular", "low": 30 / 1440, "mode": 2 / 24, "high": 1},
    "touchpoints.interest.email.delay_days": {"dist": "fixed", "value": 90 / 86400},
    "personas.digital_native.patience_days": {"dist": "exponential", "mean": 5 / 1440},
    "personas.time_poor_professional.touchpoints.purchase.mobile_app.delay_days": {"dist": "uniform", "low": 1 / 24, "high": 1},
    "calendar": [{"name": "sale", "from_day": 3, "to_day": 10, "multiplier": 1.8}],
    "budget.search.plan": [{"from_day": 2, "to_day": 7, "spend_per_day": 900}],
    "arrival_rate_per_day": 20,
}


def test_every_duration_of_a_scenario_takes_units_and_is_the_same_scenario_in_days():
    units, days = load_scenario(changes=WITH_UNITS), load_scenario(changes=IN_DAYS)
    # The source keeps days: same fingerprint, and with_changes/sweeps read numbers.
    assert dict(units.source) == dict(days.source)
    assert config_hash(dict(units.source)) == config_hash(dict(days.source))
    assert units.touchpoints[("awareness", "social")].delay_days == js.Distribution("exponential", (2 / 24,))
    assert units.channels["store"].queue.target_wait_days == 10 / 1440
    assert units.channels["store"].schedule.periods[0].from_day == 7.0
    assert units.calendar[0].to_day == 10.0
    assert units.personas["digital_native"].patience_days.mean == 5 / 1440
    assert units == days


def test_a_scenario_written_with_units_simulates_exactly_as_in_days():
    units, days = load_scenario(changes=WITH_UNITS), load_scenario(changes=IN_DAYS)
    a = js.simulate(units, seed=3, horizon_days="12d", progress=False)
    b = js.simulate(days, seed=3, horizon_days=12, progress=False)
    assert len(a.events) > 1000
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.customers, b.customers)


def test_with_changes_takes_units_onto_a_scenario_held_in_days():
    base = load_scenario(changes={"arrival_rate_per_day": 20})
    changed = js.with_changes(base, {"touchpoints.awareness.social.delay_days.mean": "2h"})
    assert changed.source["touchpoints"]["awareness"]["social"]["delay_days"]["mean"] == 2 / 24
    assert changed.touchpoints[("awareness", "social")].delay_days.mean == 2 / 24


@pytest.mark.parametrize(
    "changes, path, message",
    [
        ({"touchpoints.awareness.social.delay_days.mean": "10 parsecs"}, "scenario.touchpoints.awareness.social.delay_days.mean", "unknown unit 'parsecs'"),
        ({"channels.store.queue.target_wait_days": "-2h"}, "scenario.channels.store.queue.target_wait_days", "must not be negative, got '-2h'"),
        ({"calendar": [{"name": "sale", "from_day": "1w", "to_day": "90m", "multiplier": 2}]}, "scenario.calendar[0].to_day", "could mean minutes or months"),
        ({"personas.store_loyal.patience_days.mean": [1, 2]}, "scenario.personas.store_loyal.patience_days.mean", "must be a duration"),
        # a ratio and an amount of money are not durations
        ({"channels.store.service_time_days.cv": "2h"}, "scenario.channels.store.service_time_days.cv", "must be a number, got '2h'"),
        ({"personas.store_loyal.order_value.mean": "80h"}, "scenario.personas.store_loyal.order_value.mean", "must be a number, got '80h'"),
    ],
)
def test_a_bad_duration_is_one_problem_naming_its_path_and_value(changes, path, message):
    with pytest.raises(js.ConfigError) as caught:
        load_scenario(changes=changes)
    here = [p.message for p in caught.value.problems if p.path == path]
    assert len(here) == 1 and message in here[0], caught.value.problems


def test_run_durations_take_units():
    settings = run_settings_from_dict({"horizon_days": "2w", "arrival_days": "10d"})
    assert (settings.horizon_days, settings.arrival_days) == (14.0, 10.0)
    with pytest.raises(js.ConfigError) as caught:
        run_settings_from_dict({"horizon_days": "2w", "arrival_days": "3w"})
    assert [(p.path, p.message) for p in caught.value.problems] == [("run.arrival_days", "must be <= horizon_days (14), got 21")]
    with pytest.raises(js.ConfigError) as caught:
        run_settings_from_dict({"horizon_days": "2 fortnights", "arrival_days": "1w"})
    assert [p.path for p in caught.value.problems] == ["run.horizon_days"]  # one message, not a second "must be a finite number"


def test_every_duration_field_of_the_schemas_accepts_a_unit():
    """A new ``*_days`` / ``from_day`` / ``to_day`` field typed float would refuse ``2h`` before
    validation could convert it."""
    durations = []
    for schema in SCHEMAS:
        hints = typing.get_type_hints(schema)
        for field in dataclasses.fields(schema):
            if field.name.endswith("_days") or field.name in ("from_day", "to_day"):
                durations.append(f"{schema.__name__}.{field.name}")
                assert hints[field.name] in (Duration, typing.Optional[Duration], DurationDistributionSchema, typing.Optional[DurationDistributionSchema]), field.name
    assert len(durations) >= 12


def test_scenario_paths_know_which_values_are_durations():
    assert is_duration_path("touchpoints.purchase.website.delay_days.mean")
    assert is_duration_path("channels.store.schedule.periods[0].from_day")
    assert is_duration_path("personas.store_loyal.touchpoints.purchase.store.delay_days.scale")
    assert not is_duration_path("touchpoints.purchase.website.delay_days.cv")
    assert not is_duration_path("personas.store_loyal.order_value.mean")
    assert not is_duration_path("arrival_rate_per_day")


def test_reports_print_durations_in_their_unit():
    base = load_scenario()
    assert change_lines(base, {"channels.store.queue.target_wait_days": "5min", "touchpoints.purchase.website.friction": 0.1}) == [
        "channels.store.queue.target_wait_days: 9.94 min -> 5 min",
        "touchpoints.purchase.website.friction: 0.3 -> 0.1",
    ]
    queues = pd.DataFrame({"channel": ["store", "call_centre"], "mean_wait_minutes": [0.5, 95.0], "p90_wait_minutes": [3.25, 240.0]})
    text = queue_text(queues)
    assert "30 s" in text and "1.58 h" in text and "3.25 min" in text and "4 h" in text


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journeysim.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


QUICK = ["scenario.arrival_rate_per_day=20", "run.progress=false", "output.events=false", "output.figures=false", "output.report=false"]


def test_the_command_line_takes_a_horizon_in_weeks(tmp_path):
    run_dir = tmp_path / "run"
    done = run_cli("run.horizon_days=2w", "scenario.channels.store.queue.target_wait_days=5min", *QUICK, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((run_dir / "run.json").read_text())["horizon_days"] == 14.0
    assert "horizon 2 weeks;" in (run_dir / "summary.txt").read_text()
    same = run_cli("run.horizon_days=14", f"scenario.channels.store.queue.target_wait_days={5 / 1440!r}", *QUICK, f"hydra.run.dir={tmp_path / 'days'}", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(run_dir / "customers.parquet"), pd.read_parquet(tmp_path / "days" / "customers.parquet"))


def test_a_bad_unit_on_the_command_line_exits_2_with_one_line_naming_the_path(tmp_path):
    done = run_cli("run.horizon_days=2parsecs", *QUICK, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    named = [line for line in done.stderr.splitlines() if "run.horizon_days" in line]
    assert len(named) == 1 and named[0].endswith("run.horizon_days: unknown unit 'parsecs': use s, min, h, d or w (e.g. 10min, 2h, 3d); got '2parsecs'")
    assert not (tmp_path / "run" / "metrics.csv").exists()


def test_a_sweep_over_horizons_with_units_collects_every_job(tmp_path):
    """The sweep collector compares each job's recorded horizon (``1w``) with run.json's days."""
    done = run_cli("-m", "run.horizon_days=1w,10d", *QUICK, f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "sweep" / "sweep.csv")
    assert sorted(table["run.horizon_days"].unique()) == ["10d", "1w"]
    assert table["job"].nunique() == 2
