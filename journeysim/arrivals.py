"""Arrival processes: when each customer enters the journey, and who they are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.compiled import CompiledScenario
from journeysim.errors import ConfigError, Problem
from journeysim.random_streams import arrival_generator


@dataclass(frozen=True)
class Arrivals:
    """Customers of one replication in arrival order; ``customer_id`` is the position."""

    time_days: np.ndarray  # float64, non-decreasing
    persona: np.ndarray  # int64 persona index
    persona_customer: np.ndarray  # int64: n-th arrival of that persona (its random-number identity)

    def __len__(self) -> int:
        return len(self.time_days)


def poisson_arrival_times(rng: np.random.Generator, rate_per_day: float, window_days: float) -> np.ndarray:
    """A homogeneous Poisson process on [0, window): a Poisson count, then sorted uniform times."""
    count = rng.poisson(rate_per_day * window_days)
    return np.sort(rng.uniform(0.0, window_days, count))


def draw_arrivals(compiled: CompiledScenario, seed: int, replication: int, window_days: float) -> Arrivals:
    times, personas, indices = [], [], []
    for p, rate in enumerate(compiled.arrival_rate_per_day):
        persona_times = poisson_arrival_times(arrival_generator(seed, replication, p), float(rate), window_days)
        times.append(persona_times)
        personas.append(np.full(len(persona_times), p, dtype=np.int64))
        indices.append(np.arange(len(persona_times), dtype=np.int64))
    return _merge(times, personas, indices)


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


def _merge(times: list[np.ndarray], personas: list[np.ndarray], indices: list[np.ndarray]) -> Arrivals:
    all_times = np.concatenate(times) if times else np.zeros(0)
    all_personas = np.concatenate(personas) if personas else np.zeros(0, dtype=np.int64)
    all_indices = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    order = np.lexsort((all_indices, all_personas, all_times))
    return Arrivals(all_times[order], all_personas[order], all_indices[order])
