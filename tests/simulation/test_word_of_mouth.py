"""Advocacy and word of mouth: referral chains and Bass diffusion in a finite market."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import journeysim as js
from journeysim.analysis.diffusion import bass_cumulative, bass_peak_time
from journeysim.simulation import random_streams as rs

FIXED = lambda days: {"dist": "fixed", "value": days}  # noqa: E731


def instant_market(p: float | None, q: float, size: int | None = None, wom_delay: float = 0.0) -> js.Scenario:
    data = {
        "name": "bass",
        "stages": ["awareness", "purchase", "loyalty", "advocacy"],
        "channels": {"ad": {}, "word_of_mouth": {}, "shop": {"sells": True}},
        "touchpoints": {
            "awareness": {"ad": {"delay_days": FIXED(0.0), "advance": 1.0},
                          "word_of_mouth": {"delay_days": FIXED(wom_delay), "advance": 1.0, "emotion": 0.5}},
            "purchase": {"shop": {"delay_days": FIXED(0.0), "advance": 1.0}},
        },
        "word_of_mouth_channel": "word_of_mouth",
        "personas": {"adopter": {"share": 1.0, "affinity": {"ad": 1.0, "shop": 1.0}, "order_value": FIXED(1.0),
                                 "advocacy": {"probability": 1.0, "referral_rate_per_day": q, "satisfaction_threshold": -1.0}}},
    }
    if size is not None:
        data["market"] = {"size": size, "external_rate_per_day": p}
    else:
        data["arrival_rate_per_day"] = 1.0
    return js.scenario_from_dict(data)


def test_referral_chain_exact_times():
    """One founder at t=0; every buyer refers at Exp(1/day) gaps drawn from its own stream;
    a referred prospect touches word of mouth after 0.25 days and buys at once."""
    scenario = instant_market(None, q=1.0, wom_delay=0.25)
    result = js.simulate(scenario, seed=3, horizon_days=2.0, arrivals=pd.DataFrame({"persona": ["adopter"], "time_days": [0.0]}), progress=False)
    c = result.customers.set_index("customer_id")
    key = rs.replication_key(3, 0)

    def referral_time(customer: int, k: int, after: float) -> float:
        # Referred prospects are numbered after the organic ones, so id == persona_customer here.
        return after - np.log1p(-rs.touch_uniform(rs.customer_key(key, 0, customer), k, rs.REFERRAL_GAP)) / 1.0

    # Replay the tree from the draws: the earliest pending referral creates the next customer,
    # who buys 0.25 days later and starts recommending.
    pending = [(referral_time(0, 0, 0.0), 0, 0)]  # (time, referrer, referral number)
    expected = {}  # customer id -> (arrival, referrer)
    while pending:
        pending.sort()
        t, referrer, k = pending.pop(0)
        if t >= 2.0:
            continue
        new = len(expected) + 1
        expected[new] = (t, referrer)
        pending.append((referral_time(referrer, k + 1, t), referrer, k + 1))
        pending.append((referral_time(new, 0, t + 0.25), new, 0))
    referred = c[c["source"] == "referral"]
    assert len(expected) >= 3 and max(r for _, r in expected.values()) >= 1  # a chain, not a fan
    assert {i: (row.arrival_days, row.referred_by) for i, row in referred.iterrows()} == expected  # same float ops: exact
    for customer_id, row in referred.iterrows():
        first_touch = result.events[(result.events["customer_id"] == customer_id) & (result.events["event"] == "touch")]
        if len(first_touch):
            assert first_touch.iloc[0]["channel"] == "word_of_mouth"
            assert first_touch.iloc[0]["time_days"] == pytest.approx(row["arrival_days"] + 0.25)
        else:
            assert row["arrival_days"] + 0.25 >= 2.0 and row["outcome"] == "open"
    assert c["referrals"].sum() == len(referred)
    assert (c.loc[c["advocate"], "final_stage"] == "advocacy").all()
    kpis = result.metrics().set_index("persona").loc["all"]
    assert kpis["word_of_mouth_share"] == pytest.approx((c.loc[c["outcome"] == "converted", "source"] == "referral").mean())


@pytest.mark.statistical
def test_bass_diffusion_curve_and_peak():
    """Finite market of 2000, p = 0.02/day, q = 0.4/day, 12 replications.

    F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t) at t = 3, 6, 9, 12, 18 days within a 99 %
    t-interval over replications, and adoptions peak within a day of ln(q/p)/(p+q) = 7.13.
    """
    p, q, size, replications = 0.02, 0.4, 2000, 12
    scenario = instant_market(p, q, size=size)
    result = js.simulate(scenario, seed=11, horizon_days=25, replications=replications, progress=False)
    purchases = result.events[result.events["event"] == "purchase"]
    t99 = stats.t.ppf(0.995, replications - 1)
    for t in (3.0, 6.0, 9.0, 12.0, 18.0):
        shares = purchases[purchases["time_days"] <= t].groupby("replication").size().reindex(range(replications), fill_value=0) / size
        half = t99 * shares.std(ddof=1) / np.sqrt(replications)
        assert abs(shares.mean() - bass_cumulative(t, p, q)) <= max(half, 1e-9), (t, shares.mean(), bass_cumulative(t, p, q), half)
    counts, edges = np.histogram(purchases["time_days"], bins=np.arange(0, 25.01, 0.5))
    smooth = np.convolve(counts, np.ones(3) / 3, mode="same")
    peak = (edges[np.argmax(smooth)] + edges[np.argmax(smooth) + 1]) / 2
    assert abs(peak - bass_peak_time(p, q)) <= 1.0
    assert (result.customers.groupby("replication").size() <= size).all()
