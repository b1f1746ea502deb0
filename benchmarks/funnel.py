"""journeysim's engines against two independent programs, on one five-stage funnel, in one run.

``python -m benchmarks.funnel --sizes 200000,1000000 --repeats 3`` runs, each in a fresh
process and best of ``--repeats``:

- **plain SimPy**: ``naive_simpy.py`` of the shared bench (one process per customer,
  ``random.Random``, a list of tuples), up to 300,000 journeys (slower beyond);
- **bare numpy**: ``numpy_limit.py`` of the shared bench, the practical limit of Python;
- **journeysim simpy** and **journeysim vectorised**: :func:`journeysim.simulate` on the
  same funnel (five stages, five channels chosen uniformly, exponential delays of mean one
  day, the bench's advance and drop per stage, 100 arrivals a day, every journey followed
  to its end), timing the call only, as the bench programs time their run only (they
  import numpy or SimPy and seed their generator before their clock starts; the import of
  journeysim's engine path and engine, which the first call would make, is measured apart
  and printed as ``import_seconds``); the tables it returns are built, in their default order (by
  customer).

It prints journeys and events per second with ratios (of journeys per second) against plain
SimPy and the numpy limit measured in the same run, and for journeysim's engines the memory
per logged event: ``table_bytes_per_event`` (the events table, ``memory_usage(deep=True)``)
and ``peak_bytes_per_event`` (the process's peak RSS during the call above its RSS before
it, over the events: the engine's working arrays and both tables, customers included). Events are not alike: the bench programs
count touches, journeysim's tables also hold each arrival and purchase. The bench programs are not part of journeysim: the folder
comes from ``--bench-dir``, else ``$JOURNEYSIM_BENCH_DIR``, else ``../shared/bench`` beside
the repository.

``--queues-size 100000`` (the default; 0 skips it) adds what only the SimPy engine runs:
**journeysim simpy, default scenario**, the default scenario whole (capacity queues with
opening hours, paid media, repeat purchases, referrals and detraction) with that many
organic arrivals expected over 90 days (paid and referred customers come on top; journeys
counts them all), against plain SimPy with as many journeys in the same run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ADVANCE, DROP = [0.5, 0.4, 0.35, 0.6, 0.3], [0.2, 0.2, 0.25, 0.1, 0.3]
STAGES, CHANNELS = ["s0", "s1", "s2", "s3", "s4"], ["social", "search", "email", "web", "store"]
ARRIVALS_PER_DAY = 100.0
PLAIN_SIMPY_LIMIT = 300_000
PROGRAMS = ("plain SimPy", "bare numpy", "journeysim simpy", "journeysim vectorised")
QUEUES_PROGRAM = "journeysim simpy, default scenario"
DEFAULT_SCENARIO_DAYS = 90.0
ENGINE_MODULES = {"simpy": "journeysim.simulation.engines.simpy_engine", "vectorised": "journeysim.simulation.engines.vectorised"}


def funnel_data() -> dict:
    """The bench's funnel as a journeysim scenario."""
    return {
        "name": "funnel5", "stages": STAGES, "purchase_stage": STAGES[-1], "arrival_rate_per_day": ARRIVALS_PER_DAY,
        "channels": {c: {"mode": "online", "cost_per_contact": 0.0, "sells": True} for c in CHANNELS},
        "touchpoints": {s: {c: {"delay_days": {"dist": "exponential", "mean": 1.0}, "advance": ADVANCE[i], "drop": DROP[i]} for c in CHANNELS}
                        for i, s in enumerate(STAGES)},
        "personas": {"p": {"share": 1.0, "affinity": {c: 1.0 for c in CHANNELS}, "order_value": {"dist": "lognormal", "mean": 50.0, "cv": 0.5}}},
    }  # fmt: skip


def run_journeysim(journeys: int, engine: str, scenario_name: str = "funnel") -> dict:
    """One timed :func:`journeysim.simulate` of about ``journeys`` customers (this process) of
    the funnel or the ``default`` scenario, with its memory: peak RSS above the RSS before the
    call, and the events table's bytes."""
    import journeysim as js

    if scenario_name == "default":
        from journeysim.config import with_changes

        scenario = with_changes(js.load_scenario(), {"arrival_rate_per_day": journeys / DEFAULT_SCENARIO_DAYS})
        window = {"horizon_days": DEFAULT_SCENARIO_DAYS}
    else:
        scenario = js.scenario_from_dict(funnel_data())
        days = journeys / ARRIVALS_PER_DAY
        window = {"horizon_days": days + 60.0, "arrival_days": days}
    importing = time.perf_counter()
    simulate = js.simulate  # imports the engine path (lazy exports): timed apart, as the bench programs' imports
    importlib.import_module(ENGINE_MODULES[engine])  # the engine itself (simpy with it), which the call would import
    import_seconds = time.perf_counter() - importing
    before = _rss_bytes()
    started = time.perf_counter()
    result = simulate(scenario, seed=1, progress=False, engine=engine, **window)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before  # ru_maxrss: KiB on Linux
    events = len(result.events)
    return {
        "journeys": len(result.customers), "events": events, "seconds": seconds, "import_seconds": import_seconds,
        "table_bytes_per_event": float(result.events.memory_usage(deep=True, index=False).sum()) / max(events, 1),
        "peak_bytes_per_event": max(peak, 0) / max(events, 1),
    }  # fmt: skip


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def parse_bench_line(line: str) -> dict:
    """``N journeys[,] E touchpoints[,] S.SSs R journeys/s ...`` -> journeys, events, seconds
    (from the rate, which the programs print to the journey: their seconds have 2 decimals)."""
    words = line.replace(",", "").split()
    journeys, rate = int(words[0]), float(words[5])
    return {"journeys": journeys, "events": int(words[2]), "seconds": journeys / rate}


def measure(program: str, journeys: int, bench: Path) -> dict:
    """One run of ``program`` in a fresh process."""
    if program == "plain SimPy":
        command = [sys.executable, str(bench / "naive_simpy.py"), str(journeys)]
    elif program == "bare numpy":
        command = [sys.executable, str(bench / "numpy_limit.py"), str(journeys)]
    elif program == QUEUES_PROGRAM:
        command = [sys.executable, "-m", "benchmarks.funnel", "--one", "simpy", str(journeys), "--scenario", "default"]
    else:
        command = [sys.executable, "-m", "benchmarks.funnel", "--one", program.split()[-1], str(journeys)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{program} failed: {done.stderr.strip()[-500:]}")
    last = done.stdout.strip().splitlines()[-1]
    return json.loads(last) if program.startswith("journeysim") else parse_bench_line(last)


def compare(sizes: Sequence[int], repeats: int, bench: Path, queues_size: int = 0) -> pd.DataFrame:
    """Best of ``repeats`` per program and size, with journeys and events per second and the
    ratios against plain SimPy and bare numpy of the same size and run; with ``queues_size``,
    also the SimPy engine on the default scenario (and plain SimPy at that size)."""
    rows = []
    plans = {size: list(PROGRAMS) for size in sizes}
    if queues_size:
        plans.setdefault(queues_size, ["plain SimPy"]).append(QUEUES_PROGRAM)
    for size, programs in plans.items():
        best: dict[str, dict] = {}
        for _ in range(repeats):  # interleaved, so a busy moment hits every program alike
            for program in programs:
                if program == "plain SimPy" and size > PLAIN_SIMPY_LIMIT:
                    continue
                run = measure(program, size, bench)
                if program not in best or run["seconds"] < best[program]["seconds"]:
                    best[program] = run
        for program, run in best.items():
            rows.append({"program": program, "size": size, **run})
    table = pd.DataFrame(rows)
    for column in ("import_seconds", "table_bytes_per_event", "peak_bytes_per_event"):  # journeysim's rows only
        if column not in table:
            table[column] = float("nan")
    table["journeys_per_s"] = table["journeys"] / table["seconds"]
    table["events_per_s"] = table["events"] / table["seconds"]
    for reference, column in (("plain SimPy", "vs_plain_simpy"), ("bare numpy", "of_numpy_limit")):
        rate = table.loc[table["program"] == reference].set_index("size")["journeys_per_s"]
        table[column] = table["journeys_per_s"] / table["size"].map(rate)  # NaN where not measured at that size
    return table


def bench_dir(given: str | None) -> Path:
    folder = Path(given or os.environ.get("JOURNEYSIM_BENCH_DIR") or ROOT.parent / "shared" / "bench")
    if not (folder / "naive_simpy.py").is_file() or not (folder / "numpy_limit.py").is_file():
        raise SystemExit(f"no bench programs (naive_simpy.py, numpy_limit.py) in {folder}: give --bench-dir or JOURNEYSIM_BENCH_DIR")
    return folder


def main(argv: Sequence[str] | None = None) -> pd.DataFrame | None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.funnel", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000,1000000", help="journeys per run, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queues-size", type=int, default=100_000, help="organic arrivals of the default-scenario run (0: skip it)")
    parser.add_argument("--bench-dir", default=None)
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "JOURNEYS"), help=argparse.SUPPRESS)  # a child process's run
    parser.add_argument("--scenario", default="funnel", choices=("funnel", "default"), help=argparse.SUPPRESS)  # the child's scenario
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_journeysim(int(args.one[1]), args.one[0], args.scenario)))
        return None
    table = compare([int(s) for s in args.sizes.split(",")], args.repeats, bench_dir(args.bench_dir), args.queues_size)
    shown = table.assign(seconds=table["seconds"].map("{:.2f}".format), journeys_per_s=table["journeys_per_s"].map("{:,.0f}".format),
                         events_per_s=table["events_per_s"].map("{:,.0f}".format), vs_plain_simpy=table["vs_plain_simpy"].map(lambda x: "-" if pd.isna(x) else f"{x:.1f}x"),
                         of_numpy_limit=table["of_numpy_limit"].map(lambda x: "-" if pd.isna(x) else f"{x:.2f}"),
                         **{c: table[c].map(lambda x, f=f: "-" if pd.isna(x) else f.format(x))
                            for c, f in (("import_seconds", "{:.2f}"), ("table_bytes_per_event", "{:.1f}"), ("peak_bytes_per_event", "{:.1f}"))})
    shown = shown.drop(columns=["import_seconds"])
    print(f"best of {args.repeats}, each in a fresh process; python {sys.version.split()[0]}")
    print(shown.to_string(index=False))
    print("seconds time the run alone, as the bench programs time theirs; journeysim's engine path took this to import (best run: "
          + ", ".join(f"{p.removeprefix('journeysim ')} {s:.2f} s" for p, s in zip(table["program"], table["import_seconds"]) if not pd.isna(s)) + ")")
    return table


if __name__ == "__main__":
    main()
