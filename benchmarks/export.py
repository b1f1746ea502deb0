"""Benchmark: writing ``observed/`` (paths, event log, sessions, GA4-like rows, media-mix panel).

``python -m benchmarks.export --customers 1000000`` simulates the default scenario's journey
(paid media and campaign calendar included, no queues or post-purchase life: what the
vectorised engine and the streamed runs take) for about that many customers over 90 days,
then measures, in one process:

* the baseline: writing the run's own ``events.parquet`` (what every run already writes);
* the export of ``observed/`` from the in-memory run (full visibility), and with a realistic
  observation model (70 % consent, offline contacts mostly unrecorded, identity resets);
* a streamed run (:func:`journeysim.simulate_to_parquet`) without and with ``observed=True``,
  in chunks of ``--chunk`` customers: the difference is the export's cost when the run does
  not fit in memory, whose peak is one chunk's tables.

Each line gives wall and CPU seconds (on a shared machine the wall clock also counts other
processes' turns), events a second and the ratio to the baseline measured in the same run. ``mmm_truth.csv`` is not part of it: it is simulations (one run per paid channel).
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from journeysim.config import load_scenario, with_changes
from journeysim.model.observation import Observation
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.engines.vectorised import journey_only
from journeysim.simulation.observed_exports import ObservedExport
from journeysim.simulation.runner import simulate
from journeysim.simulation.streaming import simulate_to_parquet

HORIZON_DAYS = 90.0
REALISTIC = Observation(consent_rate=0.7, recorded_share={"store": 0.2, "call_centre": 0.5, "word_of_mouth": 0.0},
                        identity_loss_per_day=0.05, offline_purchase_match=0.3)  # fmt: skip


def benchmark_scenario(customers: int) -> Scenario:
    """The default scenario's journey with its organic arrival rate scaled so that, with the
    paid prospects, about ``customers`` arrive in 90 days."""
    scenario = journey_only(load_scenario())
    probe = simulate(scenario, seed=0, horizon_days=10.0, progress=False, keep_events=False)
    per_day = len(probe.customers) / 10.0
    factor = customers / (HORIZON_DAYS * per_day)
    budget = {f"budget.{name}.max_arrivals_per_day": b.max_arrivals_per_day * factor for name, b in scenario.budget.items()}
    return with_changes(scenario, {"arrival_rate_per_day": scenario.arrival_rate_per_day * factor, **budget})


def _timed(action) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``action()``: on a busy machine the
    wall clock also counts other processes' turns; the CPU time is this work's own."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - cpu


def _export(scenario: Scenario, settings: RunSettings, events: pd.DataFrame, customers: pd.DataFrame, kpis: pd.DataFrame, folder: Path, observation: Observation | None) -> None:
    export = ObservedExport(scenario, settings, lambda name: folder / name, observation=observation)
    export.add_run(events, customers)
    export.finish(kpis)


def _measure_in_memory(scenario: Scenario, settings: RunSettings) -> pd.DataFrame:
    """The baseline and the two in-memory exports (what, (wall, cpu)) of one simulated run,
    which is released before the streamed runs start."""
    result = simulate(scenario, settings)
    kpis = result.metrics()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        rows = [
            ("events.parquet (baseline)", _timed(lambda: result.events.to_parquet(root / "events.parquet", index=False))),
            ("observed/, full visibility", _timed(lambda: _export(scenario, settings, result.events, result.customers, kpis, root / "full", None))),
            ("observed/, realistic tracking", _timed(lambda: _export(scenario, settings, result.events, result.customers, kpis, root / "real", REALISTIC))),
        ]
    table = pd.DataFrame(rows, columns=["what", "timing"])
    table.attrs["events"] = len(result.events)
    return table


def measure(customers: int, chunk: int, seed: int = 1) -> pd.DataFrame:
    """One line per measurement (see the module docstring)."""
    scenario = benchmark_scenario(customers)
    settings = RunSettings(seed=seed, horizon_days=HORIZON_DAYS, progress=False)
    in_memory = _measure_in_memory(scenario, settings)
    events = in_memory.attrs["events"]
    rows = list(in_memory.itertuples(index=False, name=None))
    baseline = rows[0][1]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        plain = _timed(lambda: simulate_to_parquet(scenario, settings, root / "streamed", chunk_customers=chunk, progress=False))
        shutil.rmtree(root / "streamed")
        observed = _timed(lambda: simulate_to_parquet(scenario, settings, root / "streamed", chunk_customers=chunk, progress=False, observed=True))
        rows.append((f"streamed run, chunks of {chunk:,}", plain))
        rows.append(("streamed run + observed/", observed))
        rows.append(("  observed/ in the streamed run", (observed[0] - plain[0], observed[1] - plain[1])))
        sizes = {path.name: path.stat().st_size for path in (root / "streamed" / "observed").iterdir()}
    table = pd.DataFrame([(what, wall, cpu) for what, (wall, cpu) in rows], columns=["what", "seconds", "cpu_seconds"])
    table["events_per_s"] = events / table["seconds"]
    table["vs_baseline"] = table["seconds"] / baseline[0]
    table.attrs.update(customers=customers, events=events, sizes=sizes)
    return table


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers of the run (default: %(default)s)")
    parser.add_argument("--chunk", type=int, default=250_000, help="customers per chunk of the streamed run (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="5,000 customers in chunks of 1,000: the harness, in seconds")
    args = parser.parse_args(argv)
    customers, chunk = (5_000, 1_000) if args.quick else (args.customers, args.chunk)
    table = measure(customers, chunk)
    print(f"machine: {platform.machine()}, {platform.system()} {platform.release()}, python {platform.python_version()}")
    print(f"numpy {np.__version__}, pandas {pd.__version__}; peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:,.0f} MiB")
    print(f"run: {table.attrs['customers']:,} customers asked, {table.attrs['events']:,} events over {HORIZON_DAYS:g} days\n")
    print(table.to_string(index=False, formatters={"seconds": "{:.2f}".format, "cpu_seconds": "{:.2f}".format, "events_per_s": "{:,.0f}".format, "vs_baseline": "{:.1f}x".format}))
    print("\nstreamed observed/ files (MB): " + ", ".join(f"{name} {size / 1e6:,.1f}" for name, size in sorted(table.attrs["sizes"].items())))
    return table


if __name__ == "__main__":
    main()
