"""Closed forms of queueing theory used to check capacity channels (M/M/c, Erlang C)."""

from __future__ import annotations

import math


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (offered load a = lambda / mu < c)."""
    if offered_load >= servers:
        return 1.0
    # Erlang B by the stable recursion, then C from B.
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    rho = offered_load / servers
    return blocking / (1 - rho + rho * blocking)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue (before service) of an M/M/c queue: C / (c mu - lambda)."""
    load = arrival_rate / service_rate
    if load >= servers:
        return math.inf
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


def mmc_wait_quantile(servers: int, arrival_rate: float, service_rate: float, probability: float) -> float:
    """The ``probability`` quantile of the M/M/c waiting time (zero if P(wait) < 1 - probability)."""
    waiting = erlang_c(servers, arrival_rate / service_rate)
    if waiting <= 1 - probability:
        return 0.0
    return math.log(waiting / (1 - probability)) / (servers * service_rate - arrival_rate)


def mmc_service_level(servers: int, arrival_rate: float, service_rate: float, target_wait: float) -> float:
    """P(wait <= target) in M/M/c: 1 - C exp(-(c mu - lambda) t)."""
    waiting = erlang_c(servers, arrival_rate / service_rate)
    return 1 - waiting * math.exp(-(servers * service_rate - arrival_rate) * target_wait)
