"""Loyalty after the first purchase: per-customer BG/NBD parameters and closed forms.

The process (see :class:`~journeysim.model.scenario.Loyalty`): while active a customer buys again
as a Poisson process with rate lambda; after each repeat purchase they become inactive
(churn) with probability p. With lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) across
customers this is the BG/NBD model of Fader, Hardie & Lee (2005), whose closed forms below
the test suite checks the engine against.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from journeysim.model.experience import scalar_expit, scalar_logit
from journeysim.model.scenario import Loyalty


def customer_purchase_rate(loyalty: Loyalty, uniform: float) -> float:
    """lambda of one customer from a uniform number (inverse CDF of the gamma)."""
    if loyalty.rate_shape is None:
        return loyalty.purchase_rate_per_day
    return float(special.gammaincinv(loyalty.rate_shape, uniform)) / loyalty.gamma_rate


def customer_churn_probability(loyalty: Loyalty, uniform: float) -> float:
    """p of one customer from a uniform number (inverse CDF of the beta)."""
    parameters = loyalty.beta_parameters
    if parameters is None:
        return loyalty.churn_probability
    return float(special.betaincinv(parameters[0], parameters[1], uniform))


def churn_given_satisfaction(churn: float, satisfaction: float, slope: float) -> float:
    """logit p' = logit p - slope * satisfaction: satisfied customers churn less (slope > 0)."""
    if slope == 0 or churn in (0.0, 1.0) or math.isnan(satisfaction):
        return churn
    return scalar_expit(scalar_logit(churn) - slope * satisfaction)


def bgnbd_expected_repeats(t: np.ndarray | float, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in (0, t] after the first (FHL 2005, eq. 9)."""
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))


def bgnbd_probability_no_repeat(t: np.ndarray | float, r: float, alpha: float) -> np.ndarray:
    """P(X(t) = 0) = (alpha / (alpha + t))^r: nobody drops out before a repeat purchase."""
    t = np.asarray(t, dtype=float)
    return (alpha / (alpha + t)) ** r


def expected_repeats(t: float, loyalty: Loyalty) -> float:
    """E[X(t)] for any loyalty setting (closed form if fully heterogeneous, else numerical)."""
    if loyalty.rate_shape is not None and loyalty.beta_parameters is not None:
        a, b = loyalty.beta_parameters
        return float(bgnbd_expected_repeats(t, loyalty.rate_shape, loyalty.gamma_rate, a, b))
    # E[X] = sum_k P(N(t) >= k) (1 - p)^(k-1), averaged over lambda and p numerically.
    rates = _quadrature_rates(loyalty)
    churns = _quadrature_churns(loyalty)
    total = 0.0
    for rate, weight_rate in rates:
        ks = np.arange(1, 400)
        at_least = special.gammainc(ks, rate * t)  # P(Poisson(rate t) >= k)
        for churn, weight_churn in churns:
            total += weight_rate * weight_churn * float(np.sum(at_least * (1 - churn) ** (ks - 1)))
    return total


def _quadrature_rates(loyalty: Loyalty, nodes: int = 200) -> list[tuple[float, float]]:
    if loyalty.rate_shape is None:
        return [(loyalty.purchase_rate_per_day, 1.0)]
    u = (np.arange(nodes) + 0.5) / nodes
    return [(float(x), 1.0 / nodes) for x in special.gammaincinv(loyalty.rate_shape, u) / loyalty.gamma_rate]


def _quadrature_churns(loyalty: Loyalty, nodes: int = 200) -> list[tuple[float, float]]:
    parameters = loyalty.beta_parameters
    if parameters is None:
        return [(loyalty.churn_probability, 1.0)]
    u = (np.arange(nodes) + 0.5) / nodes
    return [(float(x), 1.0 / nodes) for x in special.betaincinv(parameters[0], parameters[1], u)]
