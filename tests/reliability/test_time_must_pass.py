"""A run reaches its horizon: configurations whose steps take no time either finish with the
right tables or stop at once with one message naming the cause. (Issue 15: "a scenario whose
delays are all zero never ends, memory growing ~6 MB/s": customers who give up in a queue
with zero patience came back at the same instant forever.)"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import journeysim as js
from journeysim.analysis.exact import solve
from journeysim.errors import ConfigError
from journeysim.simulation.engines.vectorised import journey_only

FIXED = lambda days: {"dist": "fixed", "value": days}  # noqa: E731
# A guard case must stop within this, the command's start (~3 s) included.
STOP_SECONDS = 10.0


def call_scenario(patience=None, renege_loss=0.0, service=FIXED(0.02), web_at_awareness=False) -> dict:
    """Everyone calls at once (one agent, zero delay), then buys on the web a day later."""
    persona = {"share": 1.0, "affinity": {"call": 1.0, "web": 1.0}, "order_value": FIXED(10.0)}
    if patience is not None:
        persona["patience_days"] = patience
    awareness = {"call": {"delay_days": FIXED(0.0), "advance": 1.0}}
    if web_at_awareness:
        awareness["web"] = {"delay_days": FIXED(0.0), "advance": 1.0}
    return {
        "name": "calls",
        "stages": ["awareness", "purchase"],
        "arrival_rate_per_day": 40.0,
        "channels": {
            "call": {"mode": "offline", "capacity": 1, "service_time_days": service, "queue": {"renege_loss_probability": renege_loss}},
            "web": {"sells": True},
        },
        "touchpoints": {"awareness": awareness, "purchase": {"web": {"delay_days": FIXED(1.0), "advance": 1.0}}},
        "personas": {"caller": persona},
    }


def web_scenario(persona_extra: dict, advance: float = 1.0) -> dict:
    """One web touch to buy, zero delays; buyers live on (loyalty) or recommend (advocacy)."""
    stages = ["awareness", "purchase", "loyalty", "advocacy"]
    return {
        "name": "web",
        "stages": stages,
        "arrival_rate_per_day": 2.0,
        "channels": {"web": {"sells": True}, "word_of_mouth": {"mode": "offline"}},
        "word_of_mouth_channel": "word_of_mouth",
        "touchpoints": {
            "awareness": {"web": {"delay_days": FIXED(0.0), "advance": advance}, "word_of_mouth": {"delay_days": FIXED(0.0), "advance": 1.0}},
            "purchase": {"web": {"delay_days": FIXED(0.0), "advance": 1.0}},
        },
        "personas": {"p": {"share": 1.0, "affinity": {"web": 1.0}, "order_value": FIXED(10.0), **persona_extra}},
    }


def journeysim(tmp_path: Path, scenario: dict, *args: str, timeout: float = STOP_SECONDS) -> tuple[subprocess.CompletedProcess, float]:
    """Run the command on ``scenario`` (a file in a config dir of its own); (result, seconds)."""
    folder = tmp_path / "conf" / "scenario"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zero.yaml").write_text(json.dumps(scenario))  # JSON is YAML
    command = [sys.executable, "-m", "journeysim.cli.main", "--config-dir", str(tmp_path / "conf"), "scenario=zero",
               f"hydra.run.dir={tmp_path / 'out'}", "run.progress=false", "output.figures=false", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=timeout)
    return done, time.perf_counter() - started


def test_a_renege_loop_at_one_instant_is_refused_before_the_run(tmp_path):
    """Patience 0 and a queue that keeps whoever gives up, reached with no delay: certain to
    loop as soon as the agent is busy. Refused at loading, naming the field."""
    with pytest.raises(ConfigError) as refused:
        js.scenario_from_dict(call_scenario(patience=FIXED(0.0)))
    assert refused.value.paths == ["scenario.personas.caller.patience_days"]
    assert "come back at the same instant, forever" in str(refused.value)
    # Any way out makes it valid: losing some of those who give up, or another channel.
    js.scenario_from_dict(call_scenario(patience=FIXED(0.0), renege_loss=0.5))
    js.scenario_from_dict(call_scenario(patience=FIXED(0.0), web_at_awareness=True))

    done, seconds = journeysim(tmp_path, call_scenario(patience=FIXED(0.0)), "run.horizon_days=5")
    assert done.returncode == 2 and seconds < STOP_SECONDS
    assert done.stderr.startswith("journeysim: invalid configuration\nscenario.personas.caller.patience_days: is always 0")


@pytest.mark.parametrize(
    "case, scenario, args, path",
    [
        # Patience too small to move the clock (not 0, so not refused up front).
        ("renege loop", call_scenario(patience=FIXED(1e-20)), (), "scenario.personas.caller.patience_days"),
        # A stage left once in a billion touches, at zero delay: millions of touches in no time.
        ("near-stuck stage", web_scenario({}, advance=1e-9), ("run.force=true",), "scenario.touchpoints.awareness"),
        ("near-stuck stage", web_scenario({}, advance=1e-9), ("run.force=true", "run.engine=simpy"), "scenario.touchpoints.awareness"),
        # Repeat purchases whose gaps vanish (refused by the resource guard without force).
        ("repeat purchases", web_scenario({"loyalty": {"purchase_rate_per_day": 1e20, "churn_probability": 0.0}}), ("run.force=true",),
         "scenario.personas.p.loyalty.purchase_rate_per_day"),
        ("repeat purchases", web_scenario({"loyalty": {"purchase_rate_per_day": 1e20, "churn_probability": 0.0}}), ("run.force=true", "run.engine=simpy"),
         "scenario.personas.p.loyalty.purchase_rate_per_day"),
        # Recommendations whose gaps vanish: each brings in an advocate who recommends too.
        ("referrals", web_scenario({"advocacy": {"probability": 1.0, "referral_rate_per_day": 1e20, "satisfaction_threshold": -1.0}}), (),
         "scenario.personas.p.advocacy.referral_rate_per_day"),
    ],
    ids=["renege-loop", "near-stuck-stage-vectorised", "near-stuck-stage-simpy", "repeats-vectorised", "repeats-simpy", "referrals"],
)
def test_a_loop_at_one_instant_stops_at_once_naming_its_cause(tmp_path, case, scenario, args, path):
    done, seconds = journeysim(tmp_path, scenario, "run.horizon_days=5", *args)
    assert done.returncode == 2, (case, done.stderr[-2000:])
    assert seconds < STOP_SECONDS
    assert done.stderr.startswith(f"journeysim: invalid configuration\n{path}: the run cannot reach its horizon and was stopped at day ")
    assert "without time passing" in done.stderr or "time no longer passes" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "run.json").exists()  # no result claims to be complete


@pytest.mark.parametrize("engine", ["vectorised", "simpy"])
def test_a_journey_with_every_delay_zero_ends_with_the_exact_answer(engine):
    """The default journey, every touchpoint delay 0: each journey happens at its arrival
    instant, and the share that converts is the absorbing chain's, per persona (99.9 %
    binomial intervals, 30 days of about 1,650 arrivals a day)."""
    source = json.loads(json.dumps(js.load_scenario().source, default=dict))
    for row in source["touchpoints"].values():
        for cell in row.values():
            cell["delay_days"] = FIXED(0.0)
    # Without emotion carry-over: the absorbing chain is then the journey itself.
    scenario = journey_only(js.scenario_from_dict({**source, "calendar": [], "budget": {}, "arrival_rate_per_day": 1650.0})).without_carryover()
    result = js.simulate(scenario, seed=3, horizon_days=30.0, engine=engine, progress=False)
    customers, events = result.customers, result.events
    assert (customers["outcome"] != "open").all()
    assert (customers.loc[customers["outcome"] == "converted", "time_to_convert_days"] == 0.0).all()
    arrived = customers.set_index("customer_id")["arrival_days"]
    assert np.array_equal(events["time_days"].to_numpy(), arrived.loc[events["customer_id"]].to_numpy())
    exact = solve(scenario).summary.set_index("persona")["conversion_probability"]
    for persona, group in customers.groupby("persona", observed=True):
        converted = int((group["outcome"] == "converted").sum())
        low, high = stats.binom(len(group), exact[persona]).ppf([0.0005, 0.9995])
        assert low <= converted <= high, (persona, converted / len(group), exact[persona])


def test_the_default_scenario_with_every_delay_zero_runs_to_its_tables(tmp_path):
    """The whole default scenario (queues, loyalty, word of mouth), every touchpoint delay
    0, from the command line: it finishes, and every journey that met no queue happened at
    its arrival instant."""
    cells = [f"scenario.touchpoints.{stage}.{channel}.delay_days" for stage, row in js.load_scenario().source["touchpoints"].items() for channel in row]
    overrides = [override for cell in cells for override in (f"~{cell}", f"+{cell}={{dist: fixed, value: 0}}")]  # replaced, not merged
    command = [sys.executable, "-m", "journeysim.cli.main", f"hydra.run.dir={tmp_path / 'out'}", "run.horizon_days=10",
               "run.progress=false", "output.figures=false", *overrides]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    events = pd.read_parquet(tmp_path / "out" / "events.parquet")
    queued = set(events.loc[events["channel"].isin(["store", "call_centre"]), "customer_id"])
    plain = events.loc[~events["customer_id"].isin(queued) & events["event"].isin(["arrival", "touch", "purchase"])]
    assert plain.groupby("customer_id")["time_days"].nunique().eq(1).all()
    assert len(plain) > 1000


def test_zero_service_and_patience_with_a_way_out_finish():
    """Service time 0: nobody waits. Patience 0 with the web as another way on: callers who
    find the agent busy give up at once and come back until they choose the web; everyone
    buys a day after arriving."""
    instant = js.simulate(js.scenario_from_dict(call_scenario(service=FIXED(0.0))), seed=1, horizon_days=20.0, arrival_days=15.0, progress=False)
    assert (instant.queues["wait_days"] == 0.0).all() and instant.queues["served"].all()
    assert (instant.customers["time_to_convert_days"] == 1.0).all()
    impatient = js.simulate(js.scenario_from_dict(call_scenario(patience=FIXED(0.0), web_at_awareness=True, service=FIXED(0.2))),
                            seed=1, horizon_days=20.0, arrival_days=15.0, progress=False)
    customers, visits = impatient.customers, impatient.queues
    assert (visits["wait_days"] == 0.0).all() and (~visits["served"]).sum() > 0  # served at once, or gave up at once
    assert customers["reneges"].sum() == (~visits["served"]).sum()
    # Everyone buys: a day after arriving on the web, or after a 0.2-day call.
    assert (customers["outcome"] == "converted").all()
    served = customers["customer_id"].isin(visits.loc[visits["served"], "customer_id"])
    assert np.allclose(customers["time_to_convert_days"], np.where(served, 1.2, 1.0))
