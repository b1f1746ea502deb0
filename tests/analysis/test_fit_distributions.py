"""Maximum-likelihood fits of journeysim's distribution families, against scipy's own."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from journeysim.analysis.fit_distributions import fit_distribution, spec_mean

RNG = np.random.default_rng(20261202)


@pytest.mark.parametrize("family, sample, truth", [
    ("exponential", RNG.exponential(2.0, 4000), stats.expon(scale=2.0)),
    ("gamma", RNG.gamma(3.0, 0.5, 4000), stats.gamma(3.0, scale=0.5)),
    ("lognormal", RNG.lognormal(0.2, 0.6, 4000), stats.lognorm(0.6, scale=np.exp(0.2))),
    ("weibull", 1.5 * RNG.weibull(2.2, 4000), stats.weibull_min(2.2, scale=1.5)),
    ("uniform", RNG.uniform(1.0, 5.0, 4000), stats.uniform(1.0, 4.0)),
])
def test_each_family_is_chosen_for_its_own_sample_and_fitted_by_maximum_likelihood(family, sample, truth):
    fit = fit_distribution(sample)
    assert fit.family == family
    row = fit.candidates.set_index("family").loc[family]
    # The log-likelihood of our estimate equals scipy's density at it, and no other point
    # scipy finds is better (scipy's fit maximises the same likelihood numerically).
    frozen = {
        "exponential": lambda s: stats.expon(scale=s["mean"]),
        "gamma": lambda s: stats.gamma(1 / s["cv"] ** 2, scale=s["mean"] * s["cv"] ** 2),
        "lognormal": lambda s: stats.lognorm(np.sqrt(np.log1p(s["cv"] ** 2)), scale=s["mean"] / np.sqrt(1 + s["cv"] ** 2)),
        "weibull": lambda s: stats.weibull_min(s["shape"], scale=s["scale"]),
        "uniform": lambda s: stats.uniform(s["low"], s["high"] - s["low"]),
    }[family](fit.spec)
    assert row["log_likelihood"] == pytest.approx(frozen.logpdf(sample).sum(), rel=1e-9)
    scipy_family = {"exponential": stats.expon, "gamma": stats.gamma, "lognormal": stats.lognorm, "weibull": stats.weibull_min, "uniform": stats.uniform}[family]
    if family != "uniform":  # scipy's uniform fit is the same closed form
        scipy_best = scipy_family(*scipy_family.fit(sample, floc=0)).logpdf(sample).sum()
        assert row["log_likelihood"] >= scipy_best - 1e-6
    # The mean lies within 4 standard errors of the truth (n = 4000).
    assert abs(fit.mean - truth.mean()) <= 4 * truth.std() / np.sqrt(len(sample))
    assert fit.mean == pytest.approx(spec_mean(fit.spec))


def test_weights_are_repetitions():
    values = np.array([0.5, 1.0, 2.0, 4.0])
    weights = np.array([3.0, 1.0, 0.0, 2.0])
    weighted = fit_distribution(values, weights).candidates.set_index("family")
    repeated = fit_distribution(np.repeat(values, weights.astype(int))).candidates.set_index("family")
    for family in weighted.index:
        assert weighted.loc[family, "log_likelihood"] == pytest.approx(repeated.loc[family, "log_likelihood"], rel=1e-9)


def test_bad_samples_are_refused():
    for bad in ([], [1.0, -2.0], [0.0, 1.0], [1.0, np.nan]):
        with pytest.raises(ValueError, match="values > 0"):
            fit_distribution(bad)
    assert fit_distribution([2.0, 2.0, 2.0]).family == "exponential"  # one distinct value: nothing to tell apart
