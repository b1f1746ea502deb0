"""Benchmark: a straightforward SimPy model, the SimPy engine and the vectorised engine.

``python -m benchmarks.engines --sizes 10000,100000,1000000`` simulates the default scenario's
pre-purchase journey (queue-free, no post-purchase life, no campaign calendar or paid media: what all three
can run) for about that many customers over 90 days, and prints seconds, journeys and events
per second, peak memory and bytes per logged event, with ratios against the baseline.

The baseline is written the way one would write the model directly in SimPy: one process per
customer, a ``random.Random(seed)`` instance, ``random.choices`` over channel affinities,
``random.expovariate``/``gammavariate``/... delays, the friction formula inline, and a list of
tuples as the event log. Each measurement runs in a fresh process pinned to one CPU, so peak
memory is that process's peak RSS above its RSS just before the run.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Sequence

import numpy as np
import pandas as pd
import simpy

from journeysim.config import load_scenario, scenario_from_dict, with_changes
from journeysim.model.scenario import Scenario
from journeysim.simulation.engines.vectorised import journey_only
from journeysim.simulation.runner import simulate

ENGINES = ("baseline", "simpy", "vectorised")
HORIZON_DAYS = 90.0
QUICK_SIZES = (2000,)


def benchmark_scenario(customers: int, horizon_days: float = HORIZON_DAYS) -> Scenario:
    """The default scenario's journey, with the arrival rate that gives ``customers`` expected arrivals."""
    # The baseline models neither campaigns nor paid media: drop both so all three run one model.
    source = dict(load_scenario().source)
    scenario = journey_only(scenario_from_dict({**source, "calendar": [], "budget": {}}))
    return with_changes(scenario, {"arrival_rate_per_day": customers / horizon_days})


# -- the baseline: the model written directly in SimPy ---------------------------------


class BaselineModel:
    """The journey model as a plain SimPy program (same semantics, its own random numbers)."""

    def __init__(self, scenario: Scenario, seed: int, horizon_days: float) -> None:
        self.scenario = scenario
        self.random = random.Random(seed)
        self.horizon = horizon_days
        self.env = simpy.Environment()
        self.log: list[tuple] = []
        self.outcomes: list[str] = []
        self.stages = scenario.journey_stages
        # Per persona: its journey map, and the channels it may pick at each stage with their weights.
        self.maps = {name: scenario.persona_touchpoints(name) for name in scenario.personas}
        self.options = {name: {stage: self.choices(name, stage) for stage in self.stages} for name in scenario.personas}

    def choices(self, persona: str, stage: str) -> tuple[list[str], list[float]]:
        affinity = self.scenario.personas[persona].affinity
        channels = [c for c in self.scenario.channels if (stage, c) in self.maps[persona] and affinity.get(c, 0) > 0]
        return channels, [affinity[c] for c in channels]

    def run(self) -> None:
        for name in self.scenario.personas:
            self.env.process(self.arrivals(name))
        self.env.run(until=self.horizon)

    def arrivals(self, persona: str):
        rate = self.scenario.arrival_rate(persona)
        while rate > 0:
            yield self.env.timeout(self.random.expovariate(rate))
            self.outcomes.append("open")
            self.env.process(self.journey(len(self.outcomes) - 1, persona))

    def sample(self, distribution) -> float:
        p = distribution.named_parameters()
        kind, rng = distribution.kind, self.random
        if kind == "fixed":
            return p["value"]
        if kind == "exponential":
            return rng.expovariate(1.0 / p["mean"])
        if kind == "uniform":
            return rng.uniform(p["low"], p["high"])
        if kind == "triangular":
            return rng.triangular(p["low"], p["high"], p["mode"])
        if kind == "gamma":
            shape = 1.0 / p["cv"] ** 2
            return rng.gammavariate(shape, p["mean"] / shape)
        if kind == "lognormal":
            sigma2 = math.log1p(p["cv"] ** 2)
            return rng.lognormvariate(math.log(p["mean"]) - sigma2 / 2, math.sqrt(sigma2))
        return rng.weibullvariate(p["scale"], p["shape"])

    def journey(self, customer: int, persona_name: str):
        env, scenario, log = self.env, self.scenario, self.log
        persona = scenario.personas[persona_name]
        touchpoints, options = self.maps[persona_name], self.options[persona_name]
        switch = scenario.channel_switch
        log.append((customer, persona_name, env.now, self.stages[0], None, "arrival", None, math.nan, math.nan, math.nan))
        stage, previous = self.stages[0], None
        while True:
            channels, weights = options[stage]
            channel = self.random.choices(channels, weights)[0]
            touchpoint = touchpoints[(stage, channel)]
            delay = self.sample(touchpoint.delay_days)
            if env.now + delay >= self.horizon:
                return  # still open at the horizon
            yield env.timeout(delay)
            friction = touchpoint.friction
            if previous is not None and scenario.is_switch(previous, channel):
                friction = 1 - (1 - friction) * (1 - switch.friction)
            k = persona.friction_sensitivity
            f_eff = 0.0 if k == 0 else 1 - (1 - friction) ** k
            advance = touchpoint.advance * (1 - f_eff)
            friction_drop = touchpoint.advance * f_eff
            emotion = max(-1.0, touchpoint.emotion - f_eff)
            cost = scenario.channels[channel].cost_per_contact
            previous = channel
            u = self.random.random()
            if u < advance:
                log.append((customer, persona_name, env.now, stage, channel, "touch", "advance", emotion, math.nan, cost))
                if stage == scenario.purchase_stage:
                    value = self.sample(persona.order_value)
                    log.append((customer, persona_name, env.now, stage, channel, "purchase", None, math.nan, value, 0.0))
                    self.outcomes[customer] = "converted"
                    return
                stage = touchpoint.target or self.stages[self.stages.index(stage) + 1]
            elif u < advance + friction_drop + touchpoint.drop:
                outcome = "friction_drop" if u < advance + friction_drop else "drop"
                log.append((customer, persona_name, env.now, stage, channel, "touch", outcome, emotion, math.nan, cost))
                self.outcomes[customer] = "lost"
                return
            else:
                log.append((customer, persona_name, env.now, stage, channel, "touch", "stay", emotion, math.nan, cost))


def log_bytes(log: list[tuple]) -> int:
    """Memory held by a list-of-tuples log: the list, the tuples and each distinct object in them."""
    seen: set[int] = set()
    total = sys.getsizeof(log)
    for row in log:
        total += sys.getsizeof(row)
        for item in row:
            if id(item) not in seen:
                seen.add(id(item))
                total += sys.getsizeof(item)
    return total


# -- measuring -------------------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(engine: str, customers: int, seed: int = 1, horizon_days: float = HORIZON_DAYS) -> dict:
    """One run of ``engine`` for about ``customers`` arrivals (call in a fresh process)."""
    scenario = benchmark_scenario(customers, horizon_days)
    start_rss = _rss_bytes()
    started = time.perf_counter()
    if engine == "baseline":
        model = BaselineModel(scenario, seed, horizon_days)
        model.run()
        seconds = time.perf_counter() - started
        n_customers, n_events = len(model.outcomes), len(model.log)
        converted = model.outcomes.count("converted")
        event_bytes = log_bytes(model.log)
    else:
        result = simulate(scenario, seed=seed, horizon_days=horizon_days, engine=engine, progress=False)
        seconds = time.perf_counter() - started
        n_customers, n_events = len(result.customers), len(result.events)
        converted = int((result.customers["outcome"] == "converted").sum())
        event_bytes = int(result.events.memory_usage(deep=True, index=False).sum())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - start_rss  # ru_maxrss is in KiB on Linux
    return {
        "engine": engine,
        "size": customers,
        "customers": n_customers,
        "events": n_events,
        "seconds": seconds,
        "peak_rss_mb": max(peak, 0) / 2**20,
        "bytes_per_event": event_bytes / max(n_events, 1),
        "conversion": converted / max(n_customers, 1),
    }


def run_benchmark(sizes: Sequence[int], limits: dict[str, int], seed: int = 1, fresh_processes: bool = True) -> pd.DataFrame:
    """Measure every engine at every size up to its limit, then extrapolate linearly from the
    largest measured size beyond the limit. Each measurement runs in a fresh process unless
    ``fresh_processes`` is false (then peak memory is only meaningful for the first run)."""
    context = multiprocessing.get_context("spawn")
    rows = []
    for engine in ENGINES:
        measured: dict | None = None
        for size in sorted(sizes):
            if size <= limits.get(engine, max(sizes)) or measured is None:
                if fresh_processes:
                    with ProcessPoolExecutor(1, mp_context=context, initializer=pin_to_one_cpu) as pool:
                        measured = pool.submit(measure, engine, size, seed).result()
                else:
                    measured = measure(engine, size, seed)
                rows.append({**measured, "note": "measured"})
            else:
                scale = size / measured["size"]
                rows.append({
                    **measured, "size": size, "customers": round(measured["customers"] * scale), "events": round(measured["events"] * scale),
                    "seconds": measured["seconds"] * scale, "peak_rss_mb": measured["peak_rss_mb"] * scale,
                    "note": f"extrapolated from {measured['size']:,}",
                })  # fmt: skip
    table = pd.DataFrame(rows)
    table["journeys_per_s"] = table["customers"] / table["seconds"]
    table["events_per_s"] = table["events"] / table["seconds"]
    baseline = table[table["engine"] == "baseline"].set_index("size")
    table["speedup_vs_baseline"] = table["journeys_per_s"] / table["size"].map(baseline["journeys_per_s"])
    table["memory_vs_baseline"] = table["size"].map(baseline["bytes_per_event"]) / table["bytes_per_event"]
    columns = ["engine", "size", "customers", "events", "seconds", "journeys_per_s", "events_per_s", "peak_rss_mb",
               "bytes_per_event", "speedup_vs_baseline", "memory_vs_baseline", "conversion", "note"]  # fmt: skip
    return table[columns].sort_values(["size", "engine"], key=lambda c: c.map(ENGINES.index) if c.name == "engine" else c, ignore_index=True)


def pin_to_one_cpu() -> None:
    """Run the calling process on one CPU (the first it may use), so no engine uses more than one core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def machine_description() -> str:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return "\n".join([
        f"machine: {platform.platform()} ({platform.machine()}), {os.cpu_count()} CPUs; "
        f"each measurement in a fresh process pinned to CPU {cpus[:1]}",
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, simpy {simpy.__version__}",
    ])  # fmt: skip


def format_table(table: pd.DataFrame) -> str:
    shown = table.copy()
    formats = {
        "customers": "{:,.0f}", "events": "{:,.0f}", "seconds": "{:.2f}", "journeys_per_s": "{:,.0f}", "events_per_s": "{:,.0f}",
        "peak_rss_mb": "{:,.0f}", "bytes_per_event": "{:.1f}", "speedup_vs_baseline": "{:.1f}x", "memory_vs_baseline": "{:.1f}x",
        "conversion": "{:.3f}", "size": "{:,}",
    }  # fmt: skip
    for column, spec in formats.items():
        shown[column] = shown[column].map(spec.format)
    return shown.to_string(index=False)


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engines", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="customers per run, comma-separated")
    parser.add_argument("--quick", action="store_true", help=f"one tiny run per engine ({QUICK_SIZES[0]:,} customers), for tests")
    parser.add_argument("--max-baseline", type=int, default=100_000, help="largest size the baseline runs (beyond: extrapolated)")
    parser.add_argument("--max-simpy", type=int, default=100_000, help="largest size the SimPy engine runs (beyond: extrapolated)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = list(QUICK_SIZES) if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print(machine_description())
    print(f"scenario: default journey (queue-free, no post-purchase life, calendar or paid media), {HORIZON_DAYS:g} days, seed {args.seed}")
    table = run_benchmark(sizes, {"baseline": args.max_baseline, "simpy": args.max_simpy}, args.seed)
    print(format_table(table))
    print("peak_rss_mb: peak RSS of a fresh process above its RSS before the run; bytes_per_event: "
          "DataFrame memory_usage(deep=True) / rows (baseline: list + tuples + distinct contents, sys.getsizeof); "
          "ratios are against the baseline at the same size (journeys/s and bytes/event).")  # fmt: skip
    return table


if __name__ == "__main__":
    from benchmarks.engines import (
        main as bench_main,  # so the measuring processes import this module by name
    )

    bench_main()
