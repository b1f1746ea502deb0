"""Arrival processes: when each customer enters the journey, and who they are.

Arrivals are Poisson per persona, with a piecewise-constant rate when a campaign calendar
multiplies it over periods (a launch week, a sale). In a finite market (Bass diffusion) each
potential customer instead has an entry time of its own, and referrals may bring it in earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import CompiledScenario
from journeysim.model.media import PAID_INDEX_OFFSET
from journeysim.simulation.random_streams import arrival_generator


@dataclass(frozen=True)
class Arrivals:
    """Customers of one replication in arrival order; ``customer_id`` is the position."""

    time_days: np.ndarray  # float64, non-decreasing
    persona: np.ndarray  # int64 persona index
    persona_customer: np.ndarray  # int64: n-th arrival of that persona (its random-number identity)
    first_channel: np.ndarray | None = None  # int64 channel of a paid prospect's first touch, -1 if free

    def first_channels(self) -> np.ndarray:
        return np.full(len(self), -1, dtype=np.int64) if self.first_channel is None else self.first_channel

    def __len__(self) -> int:
        return len(self.time_days)

    def slice(self, start: int, stop: int) -> Arrivals:
        """Customers ``start`` to ``stop - 1`` (a chunk of a streamed run), paid first touches included."""
        first = None if self.first_channel is None else self.first_channel[start:stop]
        return Arrivals(self.time_days[start:stop], self.persona[start:stop], self.persona_customer[start:stop], first)


def poisson_arrival_times(rng: np.random.Generator, rate_per_day: float, window_days: float) -> np.ndarray:
    """A homogeneous Poisson process on [0, window): a Poisson count, then sorted uniform times."""
    count = rng.poisson(rate_per_day * window_days)
    return np.sort(rng.uniform(0.0, window_days, count))


def rate_multipliers(compiled: CompiledScenario, persona: int, window_days: float) -> tuple[np.ndarray, np.ndarray]:
    """(segment starts, multiplier) of a persona's arrival rate over [0, window): campaigns
    covering a moment multiply together; outside campaigns the multiplier is 1."""
    name = compiled.personas[persona]
    campaigns = [c for c in compiled.scenario.calendar if not c.personas or name in c.personas]
    edges = sorted({0.0, *(t for c in campaigns for t in (c.from_day, c.to_day) if 0 < t < window_days)})
    multipliers = []
    for start in edges:
        factor = 1.0
        for campaign in campaigns:
            if campaign.from_day <= start < campaign.to_day:
                factor *= campaign.multiplier
        multipliers.append(factor)
    return np.array(edges), np.array(multipliers)


def invert_cumulative_rate(starts: np.ndarray, rates: np.ndarray, window_days: float, targets: np.ndarray) -> np.ndarray:
    """Times at which the cumulative intensity of a piecewise-constant rate reaches ``targets``
    (``inf`` for targets beyond the window)."""
    ends = np.append(starts[1:], window_days)
    cumulative = np.concatenate([[0.0], np.cumsum(rates * (ends - starts))])
    times = np.full(targets.shape, np.inf)
    inside = targets < cumulative[-1]
    segment = np.searchsorted(cumulative, targets[inside], side="right") - 1
    segment = np.clip(segment, 0, len(starts) - 1)
    times[inside] = starts[segment] + (targets[inside] - cumulative[segment]) / rates[segment]
    return times


def draw_arrivals(compiled: CompiledScenario, seed: int, replication: int, window_days: float) -> Arrivals:
    times, personas, indices = [], [], []
    for p, rate in enumerate(compiled.arrival_rate_per_day):
        rng = arrival_generator(seed, replication, p)
        if not compiled.scenario.calendar:
            persona_times = poisson_arrival_times(rng, float(rate), window_days)
        else:
            starts, multipliers = rate_multipliers(compiled, p, window_days)
            persona_times = nonhomogeneous_arrival_times(rng, starts, float(rate) * multipliers, window_days)
        times.append(persona_times)
        personas.append(np.full(len(persona_times), p, dtype=np.int64))
        indices.append(np.arange(len(persona_times), dtype=np.int64))
    return _merge(times, personas, indices)


def nonhomogeneous_arrival_times(rng: np.random.Generator, starts: np.ndarray, rates: np.ndarray, window_days: float) -> np.ndarray:
    """A Poisson process with piecewise-constant rate: a Poisson count of the total intensity,
    then uniform points of the cumulative intensity mapped back to time."""
    ends = np.append(starts[1:], window_days)
    total = float(np.sum(rates * (ends - starts)))
    count = rng.poisson(total)
    targets = np.sort(rng.uniform(0.0, total, count))
    return invert_cumulative_rate(starts, rates, window_days, targets)


def market_members(compiled: CompiledScenario) -> np.ndarray:
    """Potential customers per persona in a finite market (largest-remainder split of the size)."""
    market = compiled.scenario.market
    assert market is not None
    shares = np.array([compiled.scenario.personas[name].share or 0.0 for name in compiled.personas])
    exact = shares * market.size
    counts = np.floor(exact).astype(np.int64)
    remainder = market.size - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def market_entry_times(compiled: CompiledScenario, replication_key: int, window_days: float) -> Arrivals:
    """When each member of a finite market would enter on its own (external influence).

    Member i of persona p enters when its cumulative hazard, external_rate x the calendar's
    multipliers, reaches an Exp(1) draw; members who would enter after the window are left out
    (they may still be reached by a referral).
    """
    from journeysim.simulation.random_streams import (
        MARKET_ENTRY,
        customer_keys,
        touch_uniforms,
    )

    market = compiled.scenario.market
    assert market is not None
    times, personas, indices = [], [], []
    for p, members in enumerate(market_members(compiled)):
        index = np.arange(members, dtype=np.int64)
        exposure = -np.log1p(-touch_uniforms(customer_keys(replication_key, p, index), 0, MARKET_ENTRY))
        starts, multipliers = rate_multipliers(compiled, p, window_days)
        entry = invert_cumulative_rate(starts, market.external_rate_per_day * multipliers, window_days, exposure)
        keep = np.isfinite(entry)
        times.append(entry[keep])
        personas.append(np.full(int(keep.sum()), p, dtype=np.int64))
        indices.append(index[keep])
    return _merge(times, personas, indices)




def paid_arrivals(compiled: CompiledScenario, seed: int, replication: int, window_days: float) -> Arrivals:
    """Prospects brought by paid media: a Poisson process at the channel's maximum rate per
    persona, each candidate kept with probability equal to that day's exposure (thinning).
    More spend keeps a superset of the same candidates: common random numbers across budgets."""
    from journeysim.model.media import daily_exposure, horizon_days
    from journeysim.simulation.random_streams import stream_generator

    times, personas, indices, channels = [], [], [], []
    scenario = compiled.scenario
    days = horizon_days(window_days)
    for name, budget in scenario.budget.items():
        c = compiled.channels.index(name)
        exposure = daily_exposure(budget, days)
        for p, share in enumerate(budget.audience_shares(scenario)[persona] for persona in compiled.personas):
            rng = stream_generator(seed, replication, 1000 + c * 64 + p)
            # Saturating exposure stays below 1, so the bound is the channel's maximum rate.
            bound = max(1.0, float(exposure.max(initial=0.0)))
            candidates = poisson_arrival_times(rng, budget.max_arrivals_per_day * share * bound, window_days)
            keep = rng.random(len(candidates)) * bound < exposure[np.minimum(candidates.astype(np.int64), days - 1)]
            index = np.flatnonzero(keep)
            times.append(candidates[keep])
            personas.append(np.full(len(index), p, dtype=np.int64))
            indices.append(PAID_INDEX_OFFSET * (c + 1) + index)
            channels.append(np.full(len(index), c, dtype=np.int64))
    return _merge(times, personas, indices, channels)


def combine(first: Arrivals, second: Arrivals) -> Arrivals:
    return _merge(
        [first.time_days, second.time_days],
        [first.persona, second.persona],
        [first.persona_customer, second.persona_customer],
        [first.first_channels(), second.first_channels()],
    )


def arrivals_from_table(compiled: CompiledScenario, table: pd.DataFrame) -> Arrivals:
    """Given arrivals (columns ``persona`` and ``time_days``), e.g. for replaying real traffic."""
    missing = {"persona", "time_days"} - set(table.columns)
    if missing:
        raise ConfigError(Problem("arrivals", f"needs columns persona and time_days, missing {sorted(missing)}"))
    unknown = sorted(set(table["persona"].astype(str)) - set(compiled.personas))
    if unknown:
        raise ConfigError(Problem("arrivals.persona", f"unknown persona(s) {unknown}; personas are {', '.join(compiled.personas)}"))
    times = table["time_days"].to_numpy(dtype=np.float64)
    if (times < 0).any() or not np.isfinite(times).all():
        raise ConfigError(Problem("arrivals.time_days", f"must be finite and >= 0, got {times[(times < 0) | ~np.isfinite(times)][:3]}"))
    persona = np.array([compiled.personas.index(str(name)) for name in table["persona"]], dtype=np.int64)
    order = np.lexsort((persona, times))
    times, persona = times[order], persona[order]
    index = np.zeros(len(times), dtype=np.int64)
    for p in range(len(compiled.personas)):
        mask = persona == p
        index[mask] = np.arange(mask.sum())
    return Arrivals(times, persona, index)


def _merge(times: list[np.ndarray], personas: list[np.ndarray], indices: list[np.ndarray], channels: list[np.ndarray] | None = None) -> Arrivals:
    all_times = np.concatenate(times) if times else np.zeros(0)
    all_personas = np.concatenate(personas) if personas else np.zeros(0, dtype=np.int64)
    all_indices = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    order = np.lexsort((all_indices, all_personas, all_times))
    first = None
    if channels is not None:
        first = (np.concatenate(channels) if channels else np.zeros(0, dtype=np.int64))[order]
    return Arrivals(all_times[order], all_personas[order], all_indices[order], first)
