"""The SimPy engine against the absorbing-Markov-chain solution (statistical, 99 % intervals).

Customers arrive over 20 days and are followed for 4000 days, so every journey ends (asserted)
and the infinite-horizon closed forms apply. With ~8000 arrivals (~4800 and ~3200 per
persona) the 99 % half-width on a conversion probability near 0.3 is about 0.017.
"""

import numpy as np
import pytest

import journeysim as js
from journeysim.analysis.exact import solve

Z99 = 2.5758293035489


@pytest.fixture(scope="module")
def run(request):
    from conftest import funnel_scenario_data

    scenario = js.scenario_from_dict(funnel_scenario_data())
    result = js.simulate(scenario, seed=2024, horizon_days=4000, arrival_days=20, progress=False)
    return scenario, result, solve(scenario)


def _proportion_ok(successes: int, n: int, p: float) -> tuple[bool, float]:
    half = Z99 * np.sqrt(p * (1 - p) / n)
    return abs(successes / n - p) <= half, half


pytestmark = pytest.mark.statistical


def test_every_journey_ended(run):
    _, result, _ = run
    assert (result.customers["outcome"] != "open").all()


@pytest.mark.parametrize("persona", ["online", "offline"])
def test_conversion_and_bounce(run, persona):
    _, result, exact = run
    customers = result.customers[result.customers["persona"] == persona]
    row = exact.summary.set_index("persona").loc[persona]
    n = len(customers)
    assert n > 2500
    converted = int((customers["outcome"] == "converted").sum())
    ok, half = _proportion_ok(converted, n, row["conversion_probability"])
    assert ok, f"conversion {converted / n:.4f} vs exact {row['conversion_probability']:.4f} +- {half:.4f} (n={n})"
    bounced = int(((customers["outcome"] == "lost") & (customers["touches"] == 1)).sum())
    ok, half = _proportion_ok(bounced, n, row["bounce_probability"])
    assert ok, f"bounce {bounced / n:.4f} vs exact {row['bounce_probability']:.4f} +- {half:.4f}"


@pytest.mark.parametrize("persona", ["online", "offline"])
def test_loss_by_stage(run, persona):
    scenario, result, exact = run
    customers = result.customers[result.customers["persona"] == persona]
    n = len(customers)
    expected = exact.loss_by_stage.query("persona == @persona").set_index("stage")["probability"]
    for stage in scenario.journey_stages:
        lost = int(((customers["outcome"] == "lost") & (customers["final_stage"] == stage)).sum())
        ok, half = _proportion_ok(lost, n, expected[stage])
        assert ok, f"{persona} lost at {stage}: {lost / n:.4f} vs exact {expected[stage]:.4f} +- {half:.4f}"


@pytest.mark.parametrize("persona", ["online", "offline"])
def test_touches_and_time(run, persona):
    _, result, exact = run
    customers = result.customers[result.customers["persona"] == persona]
    row = exact.summary.set_index("persona").loc[persona]
    checks = [
        ("touches per journey", customers["touches"].to_numpy(float), row["expected_touches"]),
        ("touches to convert", customers.loc[customers["outcome"] == "converted", "touches"].to_numpy(float), row["expected_touches_to_convert"]),
        ("days to convert", customers["time_to_convert_days"].dropna().to_numpy(float), row["expected_time_to_convert_days"]),
    ]
    for label, sample, expected in checks:
        half = Z99 * sample.std(ddof=1) / np.sqrt(len(sample))
        assert abs(sample.mean() - expected) <= half, f"{persona} {label}: {sample.mean():.4f} vs exact {expected:.4f} +- {half:.4f}"


def test_exact_probabilities_are_a_distribution(run):
    _, _, exact = run
    for persona, group in exact.loss_by_stage.groupby("persona"):
        conversion = exact.summary.set_index("persona").loc[persona, "conversion_probability"]
        assert group["probability"].sum() + conversion == pytest.approx(1.0, abs=1e-12)
